"""The checkpoint shows whom to call (the duty phone up the tree, `registry.queries.
duty_phone_for`) at the top, and beside a refusal: a guard at 2 a.m. who refuses someone
has a number to ring."""

import uuid

import pytest

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones.models import CheckpointEvent
from tests.conftest import IDS


@pytest.fixture
def east_gate(world):
    return reg.create_place(Actor.system(), world.compound, Kind.CHECKPOINT, "东门")


def fever(c, w, g):
    return c.post(f"/zones/p/{w.compound.id}/gate/", {
        "gate": g.id, "person": IDS["xia_ming"], "direction": "out", "colour": "green",
        "temperature": "38.6", "client_id": str(uuid.uuid4())})


def test_no_duty_phone_nothing_said(world, presets, login, east_gate):
    c = login(world.users.grid)
    r = fever(c, world, east_gate)
    assert not CheckpointEvent.objects.get().allowed
    assert 'href="tel:' not in r.text and 'id="refused-call"' not in r.text


def test_the_gate_page_shows_the_duty_phone_at_the_top_and_beside_a_refusal(
        world, presets, login, east_gate):
    w = world
    reg.set_duty_phone(Actor.system(), w.community, "03514120101")
    c = login(w.users.grid)
    r = c.get(f"/zones/p/{w.compound.id}/gate/")
    top = r.text[r.text.index('id="duty-phone"'):][:300]
    assert '<a class="tel" href="tel:03514120101">' in top and "光明社区" in top
    r = fever(c, w, east_gate)
    assert not CheckpointEvent.objects.get().allowed
    beside = r.text[r.text.index('id="refused-call"'):][:400]
    assert 'href="tel:03514120101"' in beside and "拨打 03514120101" in beside
    # the gate's own compound has a nearer number: that one
    reg.set_duty_phone(Actor.system(), w.compound, "13912345678")
    r = c.get(f"/zones/p/{w.compound.id}/gate/")
    assert 'href="tel:13912345678"' in r.text and 'href="tel:03514120101"' not in r.text
