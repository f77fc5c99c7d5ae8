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
