"""Found re-walking the calls: "message everyone who answered" went out at the first tap,
with no question and no count (cancel and move both ask); the move question did not say
what changes (a wrong pick in the long place list went out unseen), and moving with
nothing changed still said "7 people will be told"."""

import uuid

from django.urls import reverse

from fangkong.notify.models import Notification
from tests.volunteers.test_call_news import s  # noqa: F401  (the fixture)


def test_a_message_is_asked_about_first_with_its_text_and_who_gets_it(world, s, login):  # noqa: F811
    c = login(world.users.staff)
    url = reverse("volunteers_call_message", args=[s["call"].id])
    form = {"text": "带上身份证", "client_id": str(uuid.uuid4())}
    r = c.post(url, form)
    assert r.status_code == 200
    page = r.content.decode()
    assert "带上身份证" in page and "已确认的 1 人和候补的 1 人将立即收到" in page
    assert not Notification.objects.filter(kind="volunteers.call_message").exists()
    assert c.post(url, {**form, "confirm": "1"}).status_code == 302
    assert Notification.objects.filter(kind="volunteers.call_message").count() == 2


def test_the_move_question_shows_old_and_new_and_nothing_changed_tells_nobody(world, s, login):  # noqa: F811
    import datetime

    from django.utils import timezone

    from fangkong.volunteers.models import Call

    c = login(world.users.staff)
    call = s["call"]
    url = reverse("volunteers_call_change", args=[call.id])
    start, end = timezone.localtime(call.starts_at), timezone.localtime(call.ends_at)
    same = {"starts_at": f"{start:%Y-%m-%dT%H:%M}", "ends_at": f"{end:%Y-%m-%dT%H:%M}",
            "place": str(call.place_id), "deadline": f"{timezone.localtime(call.deadline):%Y-%m-%dT%H:%M}"}
    r = c.post(url, same, follow=True)
    page = r.content.decode()
    assert "没有改动" in page and "将立即收到通知" not in page
    assert not Notification.objects.filter(kind="volunteers.call_changed").exists()
    new_start = start + datetime.timedelta(minutes=30)
    r = c.post(url, {**same, "place": str(world.unit2.id), "starts_at": f"{new_start:%Y-%m-%dT%H:%M}",
                     "deadline": ""})
    page = r.content.decode()
    assert r.status_code == 200
    assert f"地点：{call.place.name} → {world.unit2.name}" in page
    assert f"{start:%m-%d %H:%M} → {new_start:%m-%d %H:%M}" in page
    assert Call.objects.get(pk=call.id).place_id == call.place_id  # only asked
