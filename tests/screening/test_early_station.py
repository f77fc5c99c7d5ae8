"""A station that begins a round planned for later (tomorrow 07:00): the station page warns
and scans nothing until the round is started; a tube opened anyway (API, offline batch)
starts it now, as the start button does, so the round page and the figures agree."""

import datetime

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from fangkong.screening.models import Round

from .conftest import api, cid


@pytest.fixture
def tomorrow(world, system):
    point = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "明日采样点")
    start = timezone.now() + datetime.timedelta(hours=10)
    return planning.plan_round(system, world.community, {
        "name": "明日全员核酸", "kind": "pcr", "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=7), "pool_size": 10}, points=[(point, 1)])


def test_station_page_waits_for_a_round_planned_for_later(world, tomorrow, client):
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{tomorrow.id}/station/").content.decode()
    at = timezone.localtime(tomorrow.starts_at).strftime("%m-%d %H:%M")
    assert f"本轮计划 {at} 开始" in page
    assert 'id="scanning" hidden' in page
    assert 'name="status" value="running"' in page  # staff may start it from here


def test_tube_opened_before_a_round_planned_for_later_starts_it_now(world, tomorrow, client):
    client.force_login(world.users.staff)
    before = timezone.now()
    r = api(client, "post", f"/rounds/{tomorrow.id}/tubes", {"barcode": "QNL0000001"})
    assert r.status_code == 201, r.content
    tomorrow.refresh_from_db()
    assert tomorrow.status == "running"
    assert before <= tomorrow.starts_at <= timezone.now()  # not 07:00 tomorrow any more
    ev = AuditEvent.objects.filter(action="screening.round.status").latest("id")
    assert ev.changes["status"] == ["planned", "running"] and "starts_at" in ev.changes


def test_offline_batch_before_a_round_planned_for_later_starts_it_now(world, tomorrow, client):
    client.force_login(world.users.staff)
    out = api(client, "post", f"/rounds/{tomorrow.id}/sync", {"events": [
        {"client_id": cid(), "type": "open", "barcode": "QNL0000002", "capacity": 10},
        {"client_id": cid(), "type": "scan", "barcode": "QNL0000002", "person": world.su.token}]})
    assert out.status_code == 200 and out.json()["ok"] == 2, out.content
    rnd = Round.objects.get(pk=tomorrow.pk)
    assert rnd.status == "running" and rnd.starts_at <= timezone.now()
