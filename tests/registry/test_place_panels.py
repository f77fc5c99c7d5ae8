"""A community's page shows today's work: the running round's progress there and the
volunteer calls still gathering people — only to roles that may see them."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning, station
from fangkong.volunteers.actions import calls
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy(world, system):
    point = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "广场采样点")
    now = timezone.now()
    rnd = planning.plan_round(system, world.community, {
        "name": "第5轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=5), "pool_size": 10}, points=[(point, 1)])
    planning.set_status(system, rnd, "running")
    station.open_tube(system, rnd, "P0001")
    station.scan(system, rnd, client_id="5b3c1e0a-8f1d-4d5e-9c2b-1a2b3c4d5e6f", barcode="P0001",
            person=world.su.token)
    start = now + datetime.timedelta(hours=10)
    call = calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 20,
        "title": "明早核酸采样协助"})
    return rnd, call


def test_the_community_page_shows_the_live_round_and_open_calls(world, busy, login):
    rnd, call = busy
    html = login(world.users.staff).get(reverse("place", args=[world.community.id])).content.decode()
    assert "第5轮核酸" in html and f"/screening/rounds/{rnd.id}/" in html
    assert "明早核酸采样协助" in html and "0/20" in html
    # 1 of 4 people sampled in the community
    assert ">25%<" in html
    grid = login(world.users.grid).get(reverse("place", args=[world.grid.id])).content.decode()
    assert "第5轮核酸" in grid


def test_panels_follow_the_viewers_rights(world, busy, login):
    # the other community's staff see neither the round nor the call on their own page
    html = login(world.users.other_staff).get(reverse("place", args=[world.other.id])).content.decode()
    assert "第5轮核酸" not in html and "明早核酸采样协助" not in html
    # a building page (a building leader's home) has its board and, through the place
    # alerts (`screening.panels.building_panel`), the testing panel only: no volunteers' call
    html = login(world.users.staff).get(reverse("place", args=[world.building.id])).content.decode()
    assert "第5轮核酸" in html and "明早核酸采样协助" not in html
    # the other community's staff cannot open this building at all
    assert login(world.users.other_staff).get(reverse("place", args=[world.building.id])).status_code == 404
