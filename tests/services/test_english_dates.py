"""The request queue in English says when to answer by as "7 Dec 13:09", not "12-07 13:09"
(walked 2026-12-07: read as 12 July)."""

import re

from django.test import Client
from django.utils import timezone

from fangkong.services.actions import requests
from fangkong.services.models import Category
from tests.conftest import actor_for


def test_the_queue_says_the_month_in_english(world, svc):
    w = world
    req = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"), "漏水")
    due = timezone.localtime(req.due_at)
    c = Client()
    c.force_login(w.users.staff)
    c.cookies["django_language"] = "en"
    html = c.get(f"/services/p/{w.building.id}/requests/").content.decode()
    assert f"{due.day} {due:%b} {due:%H:%M}" in html, html
    assert not re.search(rf"{due:%m-%d} \d\d:\d\d", html)
