""""Where and when do I go, and with what?" (found on the family walk): the resident's FK1
code had four names — 个人码 on the menu and the codes page, 核验码 in the round's message,
核酸码 in a follow-up step, and 健康码 (the province's health-code app: the wrong thing to
bring) on the household page — and no text named the sampling point, though the round has
points. Now it is 核酸码 ("sampling code" in English) on every family, staff and station
screen, the printed card and the API; and where a family is told to go, the round's point
for their place is named (`screening.points_near`), with its hours."""

import datetime
import io
import re

import pypdf
from django.urls import reverse
from django.utils import timezone, translation

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry import cards
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from tests.conftest import actor_for


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


def _points(w):
    """光明小区's own point, and one of another compound of the same grid."""
    system = Actor.system()
    ours = reg.create_place(system, w.compound, Kind.SAMPLING_POINT, "光明小区核酸采样点")
    east = reg.create_place(system, w.grid, Kind.COMPOUND, "东苑")
    theirs = reg.create_place(system, east, Kind.SAMPLING_POINT, "东苑核酸采样点")
    return ours, theirs


def _plan(w, d, points=(), hours=(7, 14)):
    staff = Actor.system(w.users.staff)
    return planning.plan_round(staff, w.community, {"name": "第4轮核酸", "starts_at": at(d, hours[0]).isoformat(),
                                                   "ends_at": at(d, hours[1]).isoformat(), "pool_size": 10},
                               points=[(p, 2) for p in points])


def test_the_family_is_told_its_own_point_and_the_codes_one_name(world, login):
    w = world
    ours, theirs = _points(w)
    d = timezone.localdate() + datetime.timedelta(days=1)
    rnd = _plan(w, d, [theirs, ours])
    n = Notification.objects.get(kind="screening.round_family", user=w.users.resident)
    assert "请在 07:00–14:00 之间带上核酸码到光明小区核酸采样点采样" in n.body, n.body
    assert "东苑" not in n.body and "核验码" not in n.body
    with translation.override("en"):
        assert "Go to 光明小区核酸采样点 with your sampling code between 07:00 and 14:00" in n.said()[1]
    html = login(w.users.resident).get(reverse("household", args=[w.hh101.id])).content.decode()
    line = re.search(rf'<p class="coming" data-coming="{rnd.id}">(.*?)</p>', html, re.S).group(1)
    assert "请于07:00起带好核酸码到光明小区核酸采样点采样。" in line, line
    assert "健康码" not in html


def test_a_round_without_a_point_says_the_sampling_point(world, login):
    w = world
    d = timezone.localdate() + datetime.timedelta(days=1)
    rnd = _plan(w, d)
    n = Notification.objects.get(kind="screening.round_family", user=w.users.resident)
    assert "请在 07:00–14:00 之间带上核酸码到采样点采样" in n.body
    html = login(w.users.resident).get(reverse("household", args=[w.hh101.id])).content.decode()
    line = re.search(rf'<p class="coming" data-coming="{rnd.id}">(.*?)</p>', html, re.S).group(1)
    assert "请于07:00起带好核酸码到采样点采样。" in line


def test_a_running_round_names_the_point_to_go_to_before_its_end(world, login, system):
    w = world
    ours, _theirs = _points(w)
    now = timezone.localtime()
    rnd = planning.plan_round(Actor.system(w.users.staff), w.community, {
        "name": "第5轮核酸", "starts_at": (now - datetime.timedelta(hours=1)).isoformat(),
        "ends_at": (now + datetime.timedelta(hours=3)).isoformat(), "pool_size": 10}, points=[(ours, 2)])
    planning.set_status(system, rnd, "running")
    end = f"{timezone.localtime(rnd.ends_at):%H:%M}"
    html = login(w.users.resident).get(reverse("household", args=[w.hh101.id])).content.decode()
    # 于海涛 (no tag: he goes down himself)
    assert f"请在 {end} 前带上核酸码去光明小区核酸采样点采样。" in html, html[html.find("testing-now"):][:3000]


def test_every_screen_names_it_the_sampling_code(world, login):
    w = world
    family = login(w.users.resident)
    home = family.get(reverse("household", args=[w.hh101.id])).content.decode()
    assert "出示我家的核酸码" in home and "我家的核酸码" in home  # the button and the menu
    codes = family.get(reverse("household_codes", args=[w.hh101.id])).content.decode()
    assert "<h1>核酸码" in codes
    staff = login(w.users.staff)
    assert "打印核酸码卡" in staff.get(reverse("household", args=[w.hh101.id])).content.decode()
    pdf, filename, _n = cards.print_cards(actor_for(w.users.staff), household=w.hh101, everyone=True)
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "核酸码 · 采样时出示" in text and "核酸码卡" in filename
    for page in (home, codes):
        assert "个人码" not in page and "核验码" not in page and "健康码" not in page


def test_the_station_and_the_gate_say_sampling_code(world):
    from fangkong.screening.views import station_strings

    with translation.override("zh-hans"):
        s = station_strings()
        assert s["scan_person"] == "请扫核酸码或身份证号"
        assert s["scan_tube_first"] == "这是核酸码：请先扫试管条码。"
    with translation.override("en"):
        assert station_strings()["scan_person"] == "Scan a sampling code or ID number"


def test_the_catalogues_give_the_fk1_code_one_name():
    """No Chinese text calls it 个人码 or 核验码, 健康码 is only the health code (its colour),
    and no English text calls it a personal code."""
    import polib
    from django.conf import settings

    mo = polib.mofile(str(settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"))
    wrong = []
    for e in mo:
        said = e.msgstr or " ".join(e.msgstr_plural.values())
        if "个人码" in said or "核验码" in said or re.search(r"personal codes?|person's code", e.msgid, re.I):
            wrong.append(e.msgid)
        if "健康码" in said and not re.search(r"health|健康码|colou?r|green", e.msgid, re.I):
            wrong.append(e.msgid)
    assert not wrong, wrong
