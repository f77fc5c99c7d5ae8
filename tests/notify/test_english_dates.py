"""The inbox in English dates a message "7 Dec 13:09", never "12-07 13:09" (walked
2026-12-07: read as 12 July); in Chinese as before."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify import actions
from fangkong.notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_the_inbox_dates_a_message_unambiguously(world, lang):
    actions.notify(Actor.system(), [world.users.volunteer], kind="k", title="明早七点集合", url="/search/")
    at = timezone.localtime(Notification.objects.get().created_at)
    c = Client()
    c.force_login(world.users.volunteer)
    c.cookies["django_language"] = lang
    html = c.get("/inbox/").content.decode()
    if lang == "en":
        assert f"{at.day} {at:%b} {at:%H:%M}" in html
        assert not re.search(rf"{at:%m-%d} \d\d:\d\d", html)
    else:
        assert f"{at:%m-%d %H:%M}" in html
