"""Every message in the reader's language. Found walking the demo: a walker with an English
phone read 7 of 8 inbox messages in Chinese, and the one sent while staff used English
reached everyone in English — messages were written in the sender's language."""

import datetime
import html

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.notify.models import Delivery, Notification
from tests.conftest import actor_for

ZH_CALL, EN_CALL = "召集令：", "Call: "


def _client(user, lang=None):
    c = Client()
    c.force_login(user)
    if lang:
        c.cookies["django_language"] = lang
    return c


def _inbox(c) -> str:
    return html.unescape(c.get(reverse("inbox")).content.decode())


def _api_titles(c) -> list[str]:
    r = c.get("/api/v1/me/notifications")
    assert r.status_code == 200, r.content
    return [n["title"] for n in r.json()["results"]]


def _publish(world, staff_client, title, slots="3"):
    """An English-speaking staff member publishes a call on the page (form, question, yes)."""
    url = f"/volunteers/c/{world.community.id}/calls/new/"
    form = staff_client.get(url).content.decode()
    start = timezone.localtime() + datetime.timedelta(days=1)
    body = {"task": "door_check", "title": title, "place": world.building.id, "slots": slots,
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "audience": "community", "confirm": "1",
            "client_id": form.split('name="client_id" value="')[1].split('"')[0]}
    r = staff_client.post(url, body)
    assert r.status_code == 302, r.content.decode()[:500]
    from fangkong.volunteers.models import Call

    return Call.objects.get(title=title)


def test_a_call_from_english_staff_reaches_each_volunteer_in_their_own_language(world, make_volunteer):
    zh, en = make_volunteer(1), make_volunteer(2)
    zh_c, en_c = _client(zh.user), _client(en.user)
    # the English reader switched the page to English (the footer's language buttons)
    r = en_c.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})
    assert r.status_code == 302
    assert User.objects.get(pk=en.user_id).language == "en"
    zh_c.get(reverse("inbox"))  # reads the pages in Chinese: nothing to remember
    assert User.objects.get(pk=zh.user_id).language == ""

    staff = _client(world.users.staff, "en")
    call = _publish(world, staff, "Door checks B1")
    zh_page, en_page = _inbox(zh_c), _inbox(en_c)
    assert f"{ZH_CALL}Door checks B1，需 3 人" in zh_page and EN_CALL not in zh_page
    assert "入户排查，地点 1号楼" in zh_page  # the task's name too, in the reader's words
    assert f"{EN_CALL}Door checks B1, 3 people" in en_page and ZH_CALL not in en_page
    assert "Door-to-door check at 1号楼" in en_page  # a place's name stays as it is
    assert _api_titles(zh_c)[0] == "召集令：Door checks B1，需 3 人"  # newest first
    assert _api_titles(en_c)[0] == "Call: Door checks B1, 3 people"
    # and the text message to each phone says the same
    sms = dict(Delivery.objects.filter(kind="volunteers.call", user__isnull=False)
               .values_list("user_id", "title"))
    assert sms == {zh.user_id: "召集令：Door checks B1，需 3 人", en.user_id: "Call: Door checks B1, 3 people"}

    # publishing again (a retry) notifies nobody twice, in either language
    from fangkong.volunteers.actions import calls as vol_calls

    vol_calls.publish(actor_for(world.users.staff), call)
    assert Notification.objects.filter(kind="volunteers.call").count() == 2

    # the Chinese reader switches to English on the page: later messages come in English,
    # the earlier one stays as it was written
    zh_c.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})
    r = staff.post(reverse("volunteers_call_assign", args=[call.id]), {"volunteer": zh.id})
    assert r.status_code == 302
    got = dict(Notification.objects.filter(user=zh.user).values_list("kind", "title"))
    assert got == {"volunteers.approved": "您的志愿者报到已通过审核",
                   "volunteers.call": "召集令：Door checks B1，需 3 人",
                   "volunteers.assigned": "You are assigned: Door checks B1"}
    assert _api_titles(zh_c)[0] == "You are assigned: Door checks B1"


def test_the_community_group_reads_the_call_in_the_sites_language(world, make_volunteer):
    """A group has many readers: the call goes to it in Chinese, whoever published it."""
    from fangkong.notify import actions as notify_actions

    make_volunteer(1)
    notify_actions.add_group_channel(actor_for(world.users.staff), world.community, name="光明社区志愿者群",
                                     channel="webhook", target="https://example.org/hook")
    _publish(world, _client(world.users.staff, "en"), "Door checks B2")
    group = Delivery.objects.get(kind="volunteers.call", group__isnull=False)
    assert group.title == "召集令：Door checks B2，需 3 人" and group.body.startswith("入户排查")


def test_a_call_for_one_person_says_so_in_the_singular(world, make_volunteer):
    """English said "Call: Door checks B1, 1 people" and "Call published to 1 volunteers."."""
    en = make_volunteer(1)
    en_c = _client(en.user)
    en_c.post("/i18n/setlang/", {"language": "en", "next": "/inbox/"})
    staff = _client(world.users.staff, "en")
    url = f"/volunteers/c/{world.community.id}/calls/new/"
    start = timezone.localtime() + datetime.timedelta(days=1)
    step = html.unescape(staff.post(url, {
        "task": "door_check", "title": "Door checks B1", "place": world.building.id, "slots": "1",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "audience": "community"}).content.decode())
    assert "People needed: 1 person" in step and "It goes at once to 1 volunteer (" in step, step
    call = _publish(world, staff, "Door checks B1", slots="1")
    assert _api_titles(en_c)[0] == "Call: Door checks B1, 1 person"
    page = html.unescape(staff.get(reverse("volunteers_call", args=[call.id])).content.decode())
    assert "Sent to 1 volunteer." in page, page
