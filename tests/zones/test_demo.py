"""The demo's zones part: 光明小区 controlled by notice No. 17, its building 3 sealed by
No. 18 from 05:00 (published, or scheduled when built before 05:00), buildings on the map;
the demo leader and resident see the seal."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.registry.models import Kind, Place
from fangkong.zones import queries
from fangkong.zones.models import Adjustment, Shape

pytestmark = pytest.mark.django_db


def test_demo_zones(client):
    call_command("demo", verbosity=0)  # its zones part: fangkong/demo/zones.py
    compound = Place.objects.get(kind=Kind.COMPOUND, name="光明小区")
    b3 = Place.objects.get(kind=Kind.BUILDING, compound_id=compound.id, name="3号楼")
    figs = {f["zone_type"].kind: f for f in queries.figures(compound)}
    sealed = Adjustment.objects.get(title__startswith="第18号")
    if timezone.localtime().hour >= 5:
        assert sealed.state == "published" and sealed.households_changed > 0
        assert figs["sealed"]["households"] == queries.who_now(b3, "sealed").count() > 0
        assert figs["controlled"]["households"] > 0
    else:
        assert sealed.state == "scheduled" and timezone.localtime(sealed.effective_at).hour == 5
    assert Shape.objects.filter(place_id=b3.id).exists() and Shape.objects.count() > 1
    client.force_login(User.objects.get(username="leader_guangming"))
    page = client.get(f"/zones/p/{b3.id}/").content.decode()
    assert "3号楼" in page and ("封控区" in page or sealed.state == "scheduled")
    data = client.get(f"/zones/p/{b3.id}/map.geojson").json()
    assert data["features"]
    call_command("demo", "--flush", verbosity=0)  # built again over it: the zones too
    assert Adjustment.objects.filter(title__startswith="第18号").count() == 1
