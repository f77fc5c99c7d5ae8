"""The demo's zones part: 光明小区 controlled by notice No. 17 from 05:00 yesterday, its
building 3 sealed by No. 18 from 05:00 (published as from then, or scheduled when built
before 05:00), buildings on the map; the demo leader and resident see the seal; the lifting
count and the households' history count from the notices' minutes."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.registry.models import Household, Kind, Place
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


def test_demo_zones_count_from_the_notices_minutes(client):
    """A demo walk saw "day 0" on the lifting count of a compound controlled since 05:00
    yesterday, and a zero-length period in a household's history: the zones counted from
    the minute the demo was built, not from the notices'."""
    call_command("demo", verbosity=0)
    compound = Place.objects.get(kind=Kind.COMPOUND, name="光明小区")
    b3 = Place.objects.get(kind=Kind.BUILDING, compound_id=compound.id, name="3号楼")
    now = timezone.localtime()
    five = now.replace(hour=5, minute=0, second=0, microsecond=0)
    client.force_login(User.objects.get(username="staff_guangming"))
    recs = {r["place"]: r for r in client.get(f"/api/v1/zones/lifting?place={compound.id}").json()}
    assert recs[compound.id]["day"] >= 1
    assert recs[compound.id]["counted_from"] == (five - datetime.timedelta(days=1)).date().isoformat()
    hh = Household.objects.filter(building_id=b3.id).order_by("id").first()
    history = client.get(f"/api/v1/zones/households/{hh.id}").json()["history"]
    periods = [(datetime.datetime.fromisoformat(z["since"]),
                datetime.datetime.fromisoformat(z["until"]) if z["until"] else now) for z in history]
    assert periods and all(until > since for since, until in periods)
    if now >= five:  # controlled from 05:00 yesterday, sealed from 05:00 today
        assert [(z["zone_type"], z["since"][:16], (z["until"] or "")[:16]) for z in history] == [
            ("sealed", five.astimezone(datetime.UTC).isoformat()[:16], ""),
            ("controlled", (five - datetime.timedelta(days=1)).astimezone(datetime.UTC).isoformat()[:16],
             five.astimezone(datetime.UTC).isoformat()[:16])]
        # this morning's round is planned over the seal: building 3 is sampled at home
        from fangkong.screening.models import HomeVisit, Round, Sample

        rnd = Round.objects.get(kind="pcr", status="running")
        assert not Sample.objects.filter(round=rnd, building_id=b3.id).exists()
        assert HomeVisit.objects.filter(round=rnd, building_id=b3.id).exists()
