"""A request's messages are in each reader's language: the category's name, the words from
the code and the urgent "call 120" alike; what the household typed stays as typed."""

import html

from django.test import Client

from fangkong.accounts.models import User
from fangkong.notify.models import Notification
from fangkong.services.actions import requests
from fangkong.services.models import Category
from tests.conftest import actor_for

from .conftest import volunteer


def _client(user, **headers):
    c = Client(**headers)
    c.force_login(user)
    return c


def test_a_request_given_to_a_team_by_english_staff_reaches_each_member_in_their_language(world, svc):
    w = world
    zh_user = svc.vol_user  # never chose: the site's language
    en_user = volunteer(w, 8, svc.team).user
    en = _client(en_user, HTTP_ACCEPT_LANGUAGE="en")
    en.get("/volunteers/")  # their phone asks for English: remembered from the page they read
    assert User.objects.get(pk=en_user.pk).language == "en"

    req = requests.raise_request(actor_for(w.users.resident), w.hh101,
                                 Category.objects.get(code="urgent_medical"), "老伴胸口疼")
    staff = _client(w.users.staff)
    staff.cookies["django_language"] = "en"
    r = staff.post(f"/services/requests/{req.id}/", {"step": "assign", "team": svc.team.id})
    assert r.status_code == 302

    def told(user):
        return Notification.objects.filter(user=user, kind="services.request").values_list("title", "body").get()

    zh_title, zh_body = told(zh_user)
    en_title, en_body = told(en_user)
    assert zh_title.startswith("分派给您的诉求，紧急就医：") and "1单元 101" in zh_title
    assert zh_body == "紧急：请立即致电住户；如有生命危险，协助其拨打120。老伴胸口疼"
    assert en_title.startswith("A request for you, Urgent medical care: ") and "1单元 101" in en_title
    assert en_body == "Urgent: call the household at once; if a life is in danger, help them call 120. 老伴胸口疼"
    # through the inbox page and the API, each in their own words
    zh = _client(zh_user)
    assert "分派给您的诉求" in html.unescape(zh.get("/inbox/").content.decode())
    assert en.get("/api/v1/me/notifications").json()["results"][0]["title"] == en_title
    # the grid worker, told when it was raised, read it in Chinese (raised by the resident)
    assert told(w.users.grid)[0].startswith("新诉求，紧急就医：")

    # done: the worker's words go to the household as typed, the title in the family's language
    req.refresh_from_db()
    requests.done(actor_for(en_user), req, "Took him to hospital")
    title, body = Notification.objects.filter(user=w.users.resident, key__endswith=".done") \
        .values_list("title", "body").get()
    assert title.startswith("已处理，请确认。紧急就医") and body == "Took him to hospital"
