"""A volunteer kept home (her building sealed) still had her sampling table "扫码采样" as a
link on her home (walk_vulnerable: 田晓燕, sealed): it is shown without the link, marked
须居家, with the reason the same rule gives (`zones.queries.kept_home`, which
`services.access.going_out` excludes)."""

import datetime

import pytest
from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from tests.conftest import seal_now

pytestmark = pytest.mark.django_db


def _table(world, system, user):
    start = timezone.now() - datetime.timedelta(hours=1)
    rnd = planning.plan_round(system, world.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=7), "pool_size": 10})
    point = planning.add_point(system, rnd, reg.create_place(system, world.community, Kind.SAMPLING_POINT, "1号点"), 2)
    planning.assign_sampler(system, rnd, point, user, 1)
    return rnd


def test_a_sealed_in_volunteer_sees_her_sampling_table_without_the_way_to_it(world, system, make_volunteer, login):
    v = make_volunteer(1)  # lives in 1号楼 101
    rnd = _table(world, system, v.user)
    station = f"/screening/rounds/{rnd.id}/station/"
    c = login(v.user)
    home = c.get("/volunteers/").content.decode()
    sampling = home.split('id="my-sampling"')[1].split("</ul>")[0]
    assert "扫码采样" in sampling and "须居家" not in sampling and 'href="' in sampling
    seal_now(world)
    home = c.get("/volunteers/").content.decode()
    sampling = home.split('id="my-sampling"')[1].split("</ul>")[0]
    assert "第3轮核酸" in sampling and "1号点" in sampling  # still said: she holds the table
    assert "扫码采样" not in sampling and 'href="' not in sampling and "须居家" in sampling, sampling
    note = home.split('id="sampling-kept-home"')[1].split("</p>")[0]
    assert "封控区" in note and "在此期间您不能去采样台" in note, note
    assert station not in home
