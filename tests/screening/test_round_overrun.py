"""A round whose planned window is over stayed "进行中" with nobody told (walked over two days,
2026-12-07): the next morning the landing page still listed yesterday's rounds under
"正在检测" and the family was still asked for an antigen result. Now a round still running
past its planned end (`Round.overrun`) is flagged to staff — "已过计划结束时间 HH:MM，请结束本轮"
with the end button, on the place's page and the round's — and told once by the worker's
pass; residents are no longer asked to report for it. The clock is moved by monkeypatching
`timezone.now`, as tests/day does."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.ops import recovery
from fangkong.screening.actions import planning
from fangkong.screening.models import Round

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def yesterday(world):
    """Yesterday's PCR round (07:00–14:00) and its antigen round (18:17–22:17): both
    started, neither ended."""
    staff = Actor.system(world.users.staff)
    d = timezone.localdate() - datetime.timedelta(days=1)
    world.pcr = planning.plan_round(staff, world.community, {
        "name": "12月6日 第3轮核酸", "kind": "pcr", "starts_at": at(d, 7), "ends_at": at(d, 14), "pool_size": 10})
    world.antigen = planning.plan_round(staff, world.community, {
        "name": "12月6日 抗原自测", "kind": "antigen", "starts_at": at(d, 18, 17),
        "ends_at": at(d, 22, 17), "pool_size": 1})
    for r in (world.pcr, world.antigen):
        planning.set_status(staff, r, "running")
    return world


def _page(login, user, place):
    return login(user).get(reverse("place", args=[place.id])).content.decode()


def test_a_round_past_its_end_is_flagged_not_listed_as_testing_now(yesterday, login, monkeypatch):
    w = yesterday
    morning = at(timezone.localdate(), 9)
    monkeypatch.setattr(timezone, "now", lambda: morning)
    html = _page(login, w.users.staff, w.community)
    assert "正在检测" not in html  # nothing is testing now: both windows are over
    flags = re.findall(r'<div class="overrun" data-overrun="(\d+)">(.*?)</p>\s*</div>', html, re.S)
    assert {int(rid) for rid, _row in flags} == {w.pcr.id, w.antigen.id}
    row = dict(flags)[str(w.pcr.id)]
    assert re.search(r"已过计划结束时间 \d\d-\d\d 14:00，请结束本轮", row), row  # yesterday: with its date
    assert f'action="{reverse("screening_status", args=[w.pcr.id])}"' in row and 'value="closed"' in row
    # the street's officer sees it flagged, without the button (she does not run rounds)
    street = _page(login, w.users.street, w.street)
    assert "请结束本轮" in street and "正在检测" not in street
    assert reverse("screening_status", args=[w.pcr.id]) not in street
    # the API says so too
    api = login(w.users.staff).get(f"/api/v1/screening/rounds/{w.pcr.id}").json()
    assert api["status"] == "running" and api["overrun"] is True
    # the round's page says it at the top, with the end button for staff
    page = login(w.users.staff).get(reverse("screening_round", args=[w.pcr.id])).content.decode()
    top = re.search(r'<div class="msg error overrun" role="alert" id="overrun">(.*?)</div>', page, re.S).group(1)
    assert "请结束本轮" in top and 'value="closed"' in top


def test_a_round_within_its_window_is_testing_now(world, rnd, login):
    html = _page(login, world.users.staff, world.community)
    assert "正在检测" in html and "请结束本轮" not in html and "data-overrun" not in html
    assert login(world.users.staff).get(f"/api/v1/screening/rounds/{rnd.id}").json()["overrun"] is False


def test_the_end_button_asks_first_and_ends_the_round(yesterday, login):
    w = yesterday
    c = login(w.users.staff)
    ask = c.post(reverse("screening_status", args=[w.pcr.id]), {"status": "closed"})
    assert ask.status_code == 200 and 'name="confirm"' in ask.content.decode()
    c.post(reverse("screening_status", args=[w.pcr.id]), {"status": "closed", "confirm": "1"})
    w.pcr.refresh_from_db()
    assert w.pcr.status == "closed" and not w.pcr.overrun
    assert f'data-overrun="{w.pcr.id}"' not in _page(login, w.users.staff, w.community)


def test_staff_are_told_once_when_a_round_runs_past_its_end(yesterday, rnd):
    w = yesterday
    recovery.recover()  # the DB worker's pass (FANGKONG_RECOVERY)
    notes = Notification.objects.filter(kind="screening.round_overrun")
    assert {(n.user_id, n.url) for n in notes} == {
        (w.users.staff.id, reverse("screening_round", args=[r.id])) for r in (w.pcr, w.antigen)}
    note = notes.get(url=reverse("screening_round", args=[w.pcr.id]))
    assert note.title.startswith("12月6日 第3轮核酸已过计划结束时间（") and note.title.endswith("），请结束本轮")
    assert "已过计划结束时间" in note.body and "请结束本轮" in note.body
    assert AuditEvent.objects.filter(action="screening.round.overrun").count() == 2
    # once: the next pass tells nobody again; the round within its window is never told
    recovery.recover()
    assert planning.tell_overrun() == 0
    assert notes.count() == 2 and not notes.filter(url=reverse("screening_round", args=[rnd.id])).exists()
    assert Round.objects.get(pk=rnd.pk).overrun_told_at is None
    # other communities' staff and the family are not told
    told = set(notes.values_list("user_id", flat=True))
    assert w.users.other_staff.id not in told and w.users.resident.id not in told


def test_the_family_is_not_asked_to_report_for_a_round_whose_window_is_over(yesterday, login):
    w = yesterday
    c = login(w.users.resident)
    home = c.get(reverse("household", args=[w.hh101.id])).content.decode()
    panel = re.search(r'<section class="card testing-now".*?</section>', home, re.S).group(0)
    assert "还没有上报抗原结果" not in panel and "上报抗原结果</a>" not in panel
    assert "上一轮未上报抗原结果" in panel
    mine = c.get(reverse("screening_antigen_mine")).content.decode()
    assert w.antigen.name not in mine


def test_the_family_is_asked_while_the_antigen_round_is_open(yesterday, login):
    w = yesterday
    Round.objects.filter(pk=w.antigen.pk).update(ends_at=timezone.now() + datetime.timedelta(hours=3))
    c = login(w.users.resident)
    home = c.get(reverse("household", args=[w.hh101.id])).content.decode()
    assert "还没有上报抗原结果" in home and "上报抗原结果</a>" in home
    assert w.antigen.name in c.get(reverse("screening_antigen_mine")).content.decode()
