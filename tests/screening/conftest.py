import datetime
import uuid

import pytest
from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from tests.conftest import make_user  # noqa: F401


def cid():
    return str(uuid.uuid4())


@pytest.fixture
def rnd(world, system):
    """A running PCR round over community A, pools of 3, one sampling point (built once a
    process, then copied in: tests/world_snapshot.py)."""
    from tests import world_snapshot

    r = world_snapshot.copied("rnd", _running_round, world, system, base=world)
    world.point = r.points.get()
    return r


def _running_round(world, system):
    point_place = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "光明广场采样点")
    now = timezone.now()
    r = planning.plan_round(system, world.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3},
        points=[(point_place, 2)])
    planning.set_status(system, r, "running")
    return r


def api(client, method, path, data=None):
    import json

    fn = getattr(client, method)
    if data is None:
        return fn(f"/api/v1/screening{path}")
    return fn(f"/api/v1/screening{path}", data=json.dumps(data), content_type="application/json")


def to_lab(world, rnd, *barcodes, code=None, lab=None):
    """Carry sealed tubes to the lab as every pooled tube goes (双签收): packed in a box sent to
    the round's lab, taken by the courier, signed for by the lab — only then does the lab take
    their results (`actions.lab.unboxed`). Returns the box."""
    from fangkong.screening.actions import lab as lab_actions
    from fangkong.screening.models import Box
    from tests.conftest import actor_for

    staff = actor_for(world.users.staff)
    lab = lab or world.users.lab
    box = lab_actions.create_box(staff, rnd, code or f"BOX{Box.objects.filter(round=rnd).count() + 1:03d}",
                                 lab=lab.pk)
    lab_actions.pack_tubes(staff, box, list(barcodes))
    lab_actions.hand_over(staff, box, "pickup", "赵静", "快递员 陈刚")
    lab_actions.hand_over(actor_for(lab), box, "lab", "快递员 陈刚", "化验员 韩磊")
    return box
