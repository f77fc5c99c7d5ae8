"""Routine disinfection, found by review (2026-12-07): "Resume" on a routine whose seal was
lifted ended it for good while the page said "Resumed."; the worker's pass took the same
2,000 lowest routines every time (the rest never got rows nor ended) and read the seal twice
per routine; the form listed only the first 300 compounds and buildings, saying nothing, and
ticked "While this place is sealed" for a place that is not sealed."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.registry.models import Kind, Place, natural_key
from fangkong.services.actions import routines as rt
from fangkong.services.models import Disinfection, DisinfectionRoutine
from tests.conftest import actor_for, seal_now

from .test_disinfection_routines import _client, at_local, lift

R = DisinfectionRoutine


def _page(c, url):
    return re.sub(r"\s+", " ", c.get(url).content.decode())


def test_resuming_a_routine_whose_seal_was_lifted_says_it_ended(world, svc):
    w, staff = world, actor_for(world.users.staff)
    seal_now(w)
    r = rt.create(staff, w.building, times=["08:00", "16:00"], while_sealed=True)
    rt.pause(staff, r)
    lift(w, w.building)
    c = _client(w.users.staff)
    url = f"/services/p/{w.community.id}/disinfection/routines/"
    done = c.post(url, {"do": "resume", "routine": r.id})
    assert done.status_code == 302
    page = _page(c, done["Location"])
    assert "1号楼 已解封：该例行消杀已结束。" in page and "已恢复" not in page
    r.refresh_from_db()
    assert (r.state, r.ended_why) == (R.State.ENDED, R.Why.LIFTED)


def test_the_worker_reaches_every_routine_and_reads_the_seals_once_per_chunk(world, svc):
    w, staff = world, actor_for(world.users.staff)
    seal_now(w)
    sealed = [rt.create(staff, w.building, times=[f"{h:02d}:30"], while_sealed=True) for h in (9, 10, 11, 12, 13)]
    Disinfection.objects.all().delete()
    with CaptureQueriesContext(connection) as q:
        out = rt.make_all(at_local(0, 1))
    seals = [x["sql"] for x in q.captured_queries if "designation" in x["sql"].lower()]
    assert len(seals) == 1, len(seals)  # was two per routine
    # tomorrow's of each (today's only after the seal began)
    assert out["disinfection_rows"] == Disinfection.objects.count() >= 5
    assert all(Disinfection.objects.filter(routine=r).exists() for r in sealed)
    # more than 2,000 routines: the ones past the first 2,000 get their rows too
    today = timezone.localdate()
    many = []
    for _n in range(2001):
        x = R(place=w.community, times="23:59", ends_on=today)
        x.copy_levels(w.community)
        many.append(x)
    R.objects.bulk_create(many)
    last = R.objects.order_by("-id").first()
    rt.make_all(at_local(0, 1))
    assert Disinfection.objects.filter(routine=last).count() == 1


def test_the_form_ticks_while_sealed_only_for_a_sealed_place(world, svc):
    w = world
    c = _client(w.users.staff)
    url = f"/services/p/{w.community.id}/disinfection/routines/"
    box = re.search(r'<input type="checkbox" name="while_sealed"[^>]*>', c.get(url).content.decode()).group(0)
    assert "checked" not in box  # 光明社区 is not sealed: "X is not sealed." was the common case
    seal_now(w, w.community)
    box = re.search(r'<input type="checkbox" name="while_sealed"[^>]*>', c.get(url).content.decode()).group(0)
    assert "checked" in box


def test_the_form_reaches_every_building_and_says_when_its_list_is_cut(world, svc):
    w = world
    system = actor_for(w.users.staff)
    big = reg.create_place(system, w.grid, Kind.COMPOUND, "二区")
    last = reg.create_place(system, w.grid, Kind.COMPOUND, "三区")
    far = reg.create_place(system, last, Kind.BUILDING, "末楼")  # sorts after every numbered building
    made = []
    for n in range(1, 302):
        b = Place(kind=Kind.BUILDING, name=f"{n}幢", parent=big, depth=big.depth + 1, sort_key=natural_key(f"{n}幢"))
        b.copy_levels(big)
        made.append(b)
    Place.objects.bulk_create(made)
    for b in Place.objects.filter(parent=big):
        b.building_id = b.id
        b.save(update_fields=["building_id"])
    c = _client(w.users.staff)
    url = f"/services/p/{w.community.id}/disinfection/routines/"
    page = _page(c, url)
    select = re.search(r'<select id="r-place".*?</select>', page).group(0)
    assert f'value="{far.id}"' not in select and "只列出前 300 栋楼" in page and 'name="within"' in page
    # a compound chosen: its buildings
    select = re.search(r'<select id="r-place".*?</select>', _page(c, f"{url}?within={last.id}")).group(0)
    assert f'value="{far.id}"' in select and f'value="{big.id}"' in select
    # and a routine is set for it
    done = c.post(f"{url}?within={last.id}", {"do": "create", "place": far.id, "times": "08:00"})
    assert done.status_code == 302
    assert R.objects.filter(place=far).exists()
