"""A person held because their pooled tube was positive (混管阳性待单采复核) stayed held with no
time limit: a single re-test never sampled, or its result never back, warned nobody. Now a
hold without a single re-test result FANGKONG_HOLD_OVERDUE_HOURS (12) after it began is
overdue (`figures.overdue_q`, one definition): red with how long on the follow-up page,
counted on the round page and the staff's home, `overdue`/`held_hours` in the API, and the
community's staff and grid worker told once by the worker's pass (`tasks.recover_screening`,
`followup.tell_overdue`)."""

import datetime
import re

from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.ops import recovery
from fangkong.screening import figures
from fangkong.screening.actions import followup, lab
from fangkong.screening.models import FollowUp

from .conftest import api
from .test_alert import alert_of, positive_pool


def _held_for(world, hours, *people):
    """Move the holds of `people` back so they began `hours` ago."""
    FollowUp.objects.filter(resident__in=people).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours, minutes=5))


def _scene(world, rnd):
    """T0001 positive: 苏霞 held 13 h, not re-sampled; 于海涛 held 13 h, re-sampled (S0001),
    no result; T0002 positive: 夏明 held 11 h — not overdue yet."""
    positive_pool(world, rnd)
    positive_pool(world, rnd, "T0002", people=[world.xia])
    followup.record_retest(Actor.system(world.users.staff), FollowUp.objects.get(resident=world.yu), "S0001")
    _held_for(world, 13, world.su, world.yu)
    _held_for(world, 11, world.xia)


def test_an_overdue_hold_is_red_on_the_follow_up_page_with_how_long(world, rnd, login):
    _scene(world, rnd)
    html = login(world.users.staff).get(reverse("screening_followups", args=[rnd.id])).content.decode()
    assert "已超时：2 人管控满 12 小时仍无单采复核结果" in html
    rows = {name: row for row in re.findall(r'<li class="row">.*?</li>', html, re.S)
            for name in ("苏霞", "于海涛", "夏明") if f"<strong>{name}</strong>" in row}
    assert '<span class="badge bad overdue" data-overdue="1">已超时：管控 13 小时，仍未单采复核</span>' in rows["苏霞"]
    assert "已超时：管控 13 小时，单采复核结果仍未出" in rows["于海涛"]
    assert "已超时" not in rows["夏明"]


def test_a_closed_hold_is_never_overdue(world, rnd, login):
    _scene(world, rnd)
    lab.record_results(Actor.system(world.users.lab), [{"_row": 1, "barcode": "S0001", "result": "negative"}],
                       source="upload")
    assert set(FollowUp.objects.filter(figures.overdue_q()).values_list("resident__name", flat=True)) == {"苏霞"}
    html = login(world.users.staff).get(reverse("screening_followups", args=[rnd.id])).content.decode()
    assert "已超时：1 人管控满 12 小时" in html


def test_the_round_page_and_the_staff_home_count_overdue_holds(world, rnd, login):
    _scene(world, rnd)
    assert figures.after_lab(rnd, world.community)["overdue"] == 2
    staff = login(world.users.staff)
    page = staff.get(reverse("screening_round", args=[rnd.id])).content.decode()
    line = re.search(r'<p class="msg error" id="after-lab">.*?</p>', page, re.S).group(0)
    assert "超时（管控满 12 小时仍无复核结果）2 人" in line
    alert = alert_of(staff.get(reverse("home"), follow=True).content.decode())
    assert "已超时：2 人管控满 12 小时仍无单采复核结果" in alert and rnd.name in alert
    assert "已超时：管控 13 小时，仍未单采复核" in alert  # 苏霞, in the list awaiting a swab
    # another community's staff: nothing of A's
    other = alert_of(login(world.users.other_staff).get(reverse("home"), follow=True).content.decode())
    assert "已超时" not in other


def test_the_api_says_which_holds_are_overdue_and_for_how_long(world, rnd, client):
    _scene(world, rnd)
    client.force_login(world.users.staff)
    out = {f["resident"]["name"]: f for f in api(client, "get", f"/rounds/{rnd.id}/followups").json()["results"]}
    assert (out["苏霞"]["overdue"], out["苏霞"]["held_hours"]) == (True, 13)
    assert (out["于海涛"]["overdue"], out["于海涛"]["held_hours"]) == (True, 13)
    assert (out["夏明"]["overdue"], out["夏明"]["held_hours"]) == (False, 11)
    # the re-test's answer says it too
    su = out["苏霞"]["id"]
    done = api(client, "post", f"/followups/{su}/retest", {"barcode": "S0002"}).json()
    assert done["followup"]["overdue"] is True and done["followup"]["status"] == "resampled"


def test_the_time_is_a_setting(world, rnd, login):
    _scene(world, rnd)
    assert settings.FANGKONG_HOLD_OVERDUE_HOURS == 12
    with override_settings(FANGKONG_HOLD_OVERDUE_HOURS=24):
        assert figures.after_lab(rnd, world.community)["overdue"] == 0
        html = login(world.users.staff).get(reverse("screening_followups", args=[rnd.id])).content.decode()
        assert "已超时" not in html
    with override_settings(FANGKONG_HOLD_OVERDUE_HOURS=10):
        assert figures.after_lab(rnd, world.community)["overdue"] == 3


def test_staff_are_told_once_by_the_worker_when_a_hold_becomes_overdue(world, rnd):
    _scene(world, rnd)
    recovery.recover()  # the DB worker's pass (FANGKONG_RECOVERY)
    notes = Notification.objects.filter(kind="screening.hold_overdue")
    assert {n.user_id for n in notes} == {world.users.staff.id, world.users.grid.id}
    note = notes.get(user=world.users.staff)
    assert note.title == "2 名被管控人员满 12 小时仍无单采复核结果"
    assert "苏霞（光明小区 1号楼 1单元 101）— 已超时：管控 13 小时，仍未单采复核。" in note.body
    assert "于海涛（光明小区 1号楼 1单元 101）— 已超时：管控 13 小时，单采复核结果仍未出。" in note.body
    assert "夏明" not in note.body and rnd.name in note.body
    assert note.url == reverse("screening_followups", args=[rnd.id])
    event = AuditEvent.objects.get(action="screening.hold.overdue")
    assert sorted(event.changes["residents"]) == sorted([world.su.id, world.yu.id])
    # once: the next passes tell nobody again
    recovery.recover()
    assert followup.tell_overdue() == 0
    assert Notification.objects.filter(kind="screening.hold_overdue").count() == 2
    # 夏明's hold becomes overdue later: told then, alone
    later = timezone.now() + datetime.timedelta(hours=1)
    assert followup.tell_overdue(later) == 1
    assert Notification.objects.filter(kind="screening.hold_overdue", user=world.users.staff).count() == 2
    assert "夏明" in Notification.objects.filter(kind="screening.hold_overdue").latest("id").body


def test_the_family_and_other_communities_are_not_told(world, rnd):
    _scene(world, rnd)
    followup.tell_overdue()
    told = set(Notification.objects.filter(kind="screening.hold_overdue").values_list("user_id", flat=True))
    assert world.users.resident.id not in told and world.users.other_staff.id not in told
