"""Pages date things "7 Dec 13:09" in English, never "12-07 13:09" (read as 12 July), and as
before in Chinese: every template says `|date:"DAY_TIME_FORMAT"` / `"DAY_FORMAT"` (`core.when`),
none spells out "m-d" any more (the request page and the disinfection list still did)."""

import datetime
import html as html_lib
import pathlib
import re

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.services.actions import disinfection, requests
from fangkong.services.models import Category
from tests.conftest import actor_for

TEMPLATES = pathlib.Path(__file__).resolve().parents[2] / "fangkong" / "templates"
# a month-day and a time not preceded by a year ("2026-12-07 13:09" says what it means)
MONTH_DAY_TIME = re.compile(r"(?<![\d-])\d\d-\d\d \d\d:\d\d")


def _text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _pages(w, lang):
    staff = actor_for(w.users.staff)
    req = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"), "漏水")
    due = timezone.localtime() + datetime.timedelta(days=1)
    d = disinfection.schedule(staff, w.building, due_at=due.replace(hour=9, minute=30, second=0, microsecond=0))
    c = Client()
    c.force_login(w.users.staff)
    c.cookies["django_language"] = lang
    out = {}
    for url in (f"/services/requests/{req.id}/", f"/services/p/{w.building.id}/"):
        r = c.get(url)
        assert r.status_code == 200, url
        out[url] = _text(r.content.decode())
    return out, timezone.localtime(req.due_at), timezone.localtime(d.due_at)


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_pages_date_a_day_unambiguously_in_english(world, svc, lang):
    pages, answer_by, disinfect_at = _pages(world, lang)
    request_page, place_page = pages.values()
    if lang == "en":
        assert f"{answer_by.day} {answer_by:%b %H:%M}" in request_page, request_page
        assert f"{disinfect_at.day} {disinfect_at:%b %H:%M}" in place_page, place_page
        for text in pages.values():
            assert not MONTH_DAY_TIME.search(text), MONTH_DAY_TIME.search(text).group()
    else:
        assert f"{answer_by:%m-%d %H:%M}" in request_page
        assert f"{disinfect_at:%m-%d %H:%M}" in place_page


def test_no_template_spells_out_month_day():
    """Short dates go through the format names; "m-d" reads as 12 July in English."""
    spelt = re.compile(r"""date:\s*["'](m-d|n-j|m/d|d/m)""")
    found = [f"{p.relative_to(TEMPLATES)}:{n}" for p in TEMPLATES.rglob("*.html")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if spelt.search(line)]
    assert not found, found
