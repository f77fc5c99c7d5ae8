"""Notifications: the inbox, outbound deliveries with retry, group channels, scoping."""

import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid, NotFound
from fangkong.notify import actions
from fangkong.notify.models import Delivery, GroupChannel, Notification, Status

pytestmark = pytest.mark.django_db


class FakeReceiver:
    """A local HTTP receiver on 127.0.0.1 that records what it gets and answers with the
    queued (status, body) pairs, then 200 {"errcode": 0}."""

    def __init__(self):
        self.received = []
        self.answers = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append({"path": self.path, "json": json.loads(body),
                                       "auth": self.headers.get("Authorization")})
                status, answer = outer.answers.pop(0) if outer.answers else (
                    200, {"errcode": 0, "errmsg": "ok"})
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = FakeReceiver()
    yield r
    r.close()


@pytest.fixture
def system_actor():
    return Actor.system()


def test_notify_fills_each_inbox_once_per_key(world, system_actor):
    users = [world.users.staff, world.users.grid, world.users.staff.pk]
    n = actions.notify(system_actor, users, kind="test.hello", title="你好", body="正文",
                       url="/inbox/", place=world.community, key="hello-1")
    assert n == 2
    assert actions.notify(system_actor, users, kind="test.hello", title="你好",
                          key="hello-1") == 0  # a retried action never notifies twice
    rows = Notification.objects.filter(kind="test.hello")
    assert sorted(rows.values_list("user_id", flat=True)) == sorted(
        [world.users.staff.pk, world.users.grid.pk])
    assert set(rows.values_list("place_id", flat=True)) == {world.community.pk}


def test_inactive_users_are_not_notified(world, system_actor):
    world.users.grid.is_active = False
    world.users.grid.save()
    assert actions.notify(system_actor, [world.users.grid, world.users.staff], kind="k",
                          title="t") == 1


def test_console_deliveries_are_sent_after_commit(world, system_actor,
                                                  django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        actions.notify(system_actor, [world.users.staff], kind="k", title="到岗提醒",
                       place=world.community)
    assert len(callbacks) == 1
    d = Delivery.objects.get(kind="k")
    assert (d.channel, d.target, d.status, d.attempts) == ("console", "13800000001", "sent", 1)
    assert d.community_id == world.community.pk  # staff of the community see it


def test_many_users_one_sender_task(world, system_actor, django_capture_on_commit_callbacks):
    from fangkong.accounts.actions import create_user

    people = [create_user(system_actor, f"v{i}", "x" * 12, phone=f"1390000{i:04d}",
                          check_password=False) for i in range(30)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert actions.notify(system_actor, people, kind="call", title="召集") == 30
        actions.announce(system_actor, world.community, kind="call", title="召集")
    assert len(callbacks) == 1  # one sender for the whole transaction
    assert Delivery.objects.filter(kind="call", status="queued").count() == 30
    assert actions.send_due()["sent"] == 30


def test_sms_gateway_gets_phone_and_text(world, system_actor, receiver, settings):
    settings.NOTIFY_CHANNELS = {**settings.NOTIFY_CHANNELS, "sms": {
        "BACKEND": "fangkong.notify.channels.SmsHttp", "URL": receiver.url + "/sms",
        "TOKEN": "secret"}}
    settings.NOTIFY_PERSONAL_CHANNELS = ["sms"]
    actions.notify(system_actor, [world.users.staff, world.users.grid], kind="k",
                   title="核酸检测", body="7:00 开始", url="/inbox/")
    counts = actions.send_due()
    assert counts["sent"] == 1  # the grid worker has no phone: nothing to send
    got = receiver.received[0]
    assert got["path"] == "/sms" and got["auth"] == "Bearer secret"
    assert got["json"]["phone"] == "13800000001"
    assert "核酸检测" in got["json"]["text"] and "7:00 开始" in got["json"]["text"]


def test_failures_are_retried_with_back_off_then_kept_as_failed(world, system_actor, receiver,
                                                                  settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    settings.NOTIFY_RETRY_SECONDS = 30
    actions.add_group_channel(system_actor, world.community, name="光明社区志愿者群",
                              channel="wecom", target=receiver.url + "/robot?key=k1")
    receiver.answers = [(500, {}), (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
                        (500, {})]
    assert actions.announce(system_actor, world.grid, kind="call", title="召集令") == 1
    d = Delivery.objects.get(kind="call")
    t0 = timezone.now()
    assert actions.send_due(now=t0)["retrying"] == 1
    d.refresh_from_db()
    assert d.status == Status.RETRYING and d.attempts == 1 and "HTTP 500" in d.last_error
    assert d.next_attempt_at == t0 + datetime.timedelta(seconds=30)
    assert actions.send_due(now=t0 + datetime.timedelta(seconds=10))["retrying"] == 0  # not due
    actions.send_due(now=t0 + datetime.timedelta(seconds=31))
    d.refresh_from_db()
    assert d.attempts == 2 and "93000" in d.last_error
    assert d.next_attempt_at > t0 + datetime.timedelta(seconds=31 + 59)  # doubled
    assert actions.send_due(now=t0 + datetime.timedelta(hours=1))["failed"] == 1
    d.refresh_from_db()
    assert d.status == Status.FAILED  # kept, visible, never lost
    assert receiver.received[0]["json"] == {"msgtype": "text", "text": {"content": "召集令"}}

    # Staff send it again; this time the robot answers.
    staff = Actor.system(world.users.staff, via="web")
    actions.retry(staff, d)
    assert actions.send_due()["sent"] == 1
    d.refresh_from_db()
    assert d.status == Status.SENT and d.last_error == ""
    assert AuditEvent.objects.filter(action="notify.retry", actor=world.users.staff).exists()


def test_announce_reaches_groups_above_not_beside(world, system_actor, receiver):
    actions.add_group_channel(system_actor, world.street, name="街道群", channel="webhook",
                              target=receiver.url + "/street")
    actions.add_group_channel(system_actor, world.other, name="惠泽苑群", channel="webhook",
                              target=receiver.url + "/other")
    paused = actions.add_group_channel(system_actor, world.community, name="旧群",
                                       channel="webhook", target=receiver.url + "/old")
    actions.set_group_channel_active(system_actor, paused, False)
    assert actions.announce(system_actor, world.building, kind="k", title="通知") == 1
    actions.send_due()
    assert [r["path"] for r in receiver.received] == ["/street"]
    assert receiver.received[0]["json"]["title"] == "通知"


def test_group_channel_needs_a_web_address(world):
    staff = Actor.system(world.users.staff)
    with pytest.raises(Invalid) as e:
        actions.add_group_channel(staff, world.community, name="", channel="console",
                                  target="javascript:alert(1)")
    assert set(e.value.fields) == {"name", "channel"}
    with pytest.raises(Invalid) as e:
        actions.add_group_channel(staff, world.community, name="群", channel="wecom",
                                  target="ftp://x")
    assert set(e.value.fields) == {"target"}
    with pytest.raises(NotFound):  # another community: as if it did not exist
        actions.add_group_channel(staff, world.other, name="群", channel="wecom",
                                  target="https://example.org/hook")
    assert not GroupChannel.objects.exists()


# --- pages -------------------------------------------------------------------------


def test_inbox_page_open_marks_read_and_follows_local_links(world, system_actor, login):
    actions.notify(system_actor, [world.users.volunteer], kind="k", title="明早七点集合",
                   url="/search/")
    actions.notify(system_actor, [world.users.volunteer], kind="k", title="外链",
                   url="https://evil.example/")
    client = login(world.users.volunteer)
    html = client.get(reverse("inbox")).content.decode()
    assert "明早七点集合" in html and "外链" in html
    assert client.get(reverse("inbox_badge")).content.decode().count(">2<") == 1
    n1, n2 = Notification.objects.order_by("id")
    assert client.get(reverse("inbox_open", args=[n1.pk]))["Location"] == "/search/"
    assert client.get(reverse("inbox_open", args=[n2.pk]))["Location"] == reverse("inbox")
    assert not Notification.objects.filter(read_at=None).exists()
    assert client.get(reverse("inbox_badge")).content == b""
    # someone else's message is a 404
    other = actions.notify(system_actor, [world.users.staff], kind="k", title="别人的")
    assert other == 1
    theirs = Notification.objects.get(title="别人的")
    assert client.get(reverse("inbox_open", args=[theirs.pk])).status_code == 404


def test_outbox_is_for_staff_and_scoped(world, system_actor, login, receiver):
    actions.add_group_channel(system_actor, world.community, name="光明群", channel="webhook",
                              target=receiver.url + "/a")
    actions.add_group_channel(system_actor, world.other, name="惠泽群", channel="webhook",
                              target=receiver.url + "/b")
    actions.announce(system_actor, world.community, kind="k", title="光明通知")
    actions.announce(system_actor, world.other, kind="k", title="惠泽通知")
    mine = Delivery.objects.get(title="光明通知")
    theirs = Delivery.objects.get(title="惠泽通知")

    client = login(world.users.staff)
    html = client.get(reverse("outbox")).content.decode()
    assert "光明通知" in html and "惠泽通知" not in html and "光明群" in html and "惠泽群" not in html
    # each channel as a person calls it, never the setting's key ("webhook", "console")
    assert "· Webhook（JSON） ·" in html and "· webhook ·" not in html
    actions.notify(system_actor, [world.users.staff], kind="k", title="值班通知", place=world.community)
    html = client.get(reverse("outbox")).content.decode()
    assert "测试控制台（未发到任何手机）" in html and "· console ·" not in html
    assert client.post(reverse("outbox_retry", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("outbox_retry", args=[mine.pk])).status_code == 302
    # adding a group: errors come back on the form, in Chinese
    resp = client.post(reverse("outbox"), {"place": world.community.pk, "name": "新群",
                                           "channel": "wecom", "target": "qyapi"})
    assert resp.status_code == 400 and "https://" in resp.content.decode()
    resp = client.post(reverse("outbox"), {"place": world.other.pk, "name": "新群",
                                           "channel": "wecom", "target": "https://x.example/h"})
    assert resp.status_code == 400
    resp = client.post(reverse("outbox"), {"place": world.community.pk, "name": "新群",
                                           "channel": "wecom", "target": "https://x.example/h"})
    assert resp.status_code == 302 and GroupChannel.objects.filter(name="新群").exists()

    for user in (world.users.volunteer, world.users.grid, world.users.resident, world.users.lab):
        assert login(user).get(reverse("outbox")).status_code == 404
    html = login(world.users.other_staff).get(reverse("outbox")).content.decode()
    assert "惠泽通知" in html and "光明通知" not in html and "光明群" not in html


def test_menu_shows_inbox_and_outbox_by_role(world, login):
    html = login(world.users.staff).get(reverse("home"), follow=True).content.decode()
    assert reverse("inbox") in html and reverse("outbox") in html
    html = login(world.users.volunteer).get(reverse("inbox")).content.decode()
    assert reverse("inbox") in html and reverse("outbox") not in html


# --- API ---------------------------------------------------------------------------


def test_api_inbox_and_read(world, system_actor, login):
    actions.notify(system_actor, [world.users.volunteer], kind="k", title="一")
    actions.notify(system_actor, [world.users.volunteer], kind="k", title="二")
    actions.notify(system_actor, [world.users.staff], kind="k", title="别人的")
    client = login(world.users.volunteer)
    doc = client.get("/api/v1/me/notifications").json()
    assert doc["count"] == 2 and doc["unread"] == 2
    assert [n["title"] for n in doc["results"]] == ["二", "一"]
    first = doc["results"][1]["id"]
    theirs = Notification.objects.get(title="别人的").pk
    resp = client.post("/api/v1/me/notifications/read", {"ids": [first, theirs]},
                       content_type="application/json")
    assert resp.json() == {"marked": 1}  # someone else's message is untouched
    assert client.get("/api/v1/me/notifications?unread=true").json()["count"] == 1
    bad = client.post("/api/v1/me/notifications/read", {"ids": "all"},
                      content_type="application/json")
    assert bad.status_code == 422 and list(bad.json()["error"]["fields"]) == ["ids"]
    assert client.get("/api/v1/me/notifications?page_size=100000").status_code == 400


def test_api_deliveries_scoped_and_for_staff_only(world, system_actor, login):
    actions.notify(system_actor, [world.users.staff], kind="k", title="光明", place=world.community)
    actions.notify(system_actor, [world.users.staff], kind="k", title="惠泽", place=world.other)
    theirs = Delivery.objects.get(title="惠泽")
    client = login(world.users.staff)
    titles = [d["title"] for d in client.get("/api/v1/notify/deliveries").json()]
    assert titles == ["光明"]
    assert client.get("/api/v1/notify/deliveries?status=nope").status_code == 400
    assert client.post(f"/api/v1/notify/deliveries/{theirs.pk}/retry").status_code == 404
    assert client.post("/api/v1/notify/deliveries/999999/retry").status_code == 404
    for user in (world.users.volunteer, world.users.resident, world.users.grid):
        assert login(user).get("/api/v1/notify/deliveries").status_code == 404
    from django.test import Client

    assert Client().get("/api/v1/me/notifications").status_code == 401


def test_notify_send_command(world, system_actor):
    from io import StringIO

    from django.core.management import call_command

    actions.notify(system_actor, [world.users.staff], kind="k", title="t")
    out = StringIO()
    call_command("notify_send", stdout=out)
    assert "sent=1" in out.getvalue()
