"""A testing round in progress for the demo: 光明社区's PCR round started at 07:00 today
(10 to a tube) at 光明小区核酸采样点, with the volunteer `volunteer_demo` assigned as a
sampler, about two thirds of the residents registered through the same set-based action
the stations use, the bedridden and the sealed building 3 (sealed from 05:00 by the zones
part, built before this one) on the home list and never at the point, some exemptions, one box with the
courier and one already at the lab with results (all negative). Beside it, the day's antigen
round (抗原自测) going door to door: kits and results for the first households of the
community, the rest (the demo resident's household among them) still to report.

The demo's screening part (after the accounts, volunteers and zones parts).
"""

import datetime
import random
import uuid

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.registry.models import Kind, Place, Presence, Resident
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import followup, lab, planning
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Tube
from fangkong.zones.queries import home_sampled

from .context import Demo

COMMUNITY = "光明社区"
POINT = "光明小区核酸采样点"


def build(demo: Demo):
    start_rounds(demo.district)  # seed 1 whatever the demo's seed, as always


def start_rounds(district: Place, *, share=0.66, seed=1) -> int:
    """Returns the number of people registered."""
    system = Actor.system(via="cli")
    community = Place.objects.filter(kind=Kind.COMMUNITY, name=COMMUNITY, district_id=district.id).first()
    point_place = Place.objects.filter(kind=Kind.SAMPLING_POINT, name=POINT).first()
    if community is None or point_place is None:
        return 0
    rng = random.Random(f"screening-demo:{seed}")  # demo data, not a secret  # nosec B311
    now = timezone.localtime()
    start = now.replace(hour=7, minute=0, second=0, microsecond=0)
    if start > now - datetime.timedelta(hours=2):
        start = now - datetime.timedelta(hours=3)
    rnd = planning.plan_round(system, community, {
        "name": f"{start:%-m月%-d日} 第3轮核酸", "kind": "pcr", "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=7), "pool_size": 10}, points=[(point_place, 3)])
    planning.set_status(system, rnd, "running")
    point = rnd.points.get()
    volunteer = User.objects.filter(username="volunteer_demo").first()
    if volunteer:
        planning.assign_sampler(system, rnd, point, volunteer, 1)
    followup.generate_home_list(system, rnd)
    people = list(Resident.objects.filter(community_id=community.id, presence=Presence.HOME)
                  .annotate(sealed=home_sampled()).order_by("building_id", "unit_id", "household_id", "id"))
    for r in people[5:60:11]:  # a few recently vaccinated… (someone away: their presence, not this)
        reason = rng.choice(["other", "vaccinated", "other"])
        planning.add_exemption(system, rnd, r, reason, "卧床，已电话确认" if reason == "other" else "")
    # a sealed building's people stay at home (sampled there, one to a tube)
    walkers = [r for r in people if ",bedridden," not in r.tags and not r.sealed]
    chosen = walkers[: int(len(walkers) * share)]
    events, elapsed = [], (now - start).total_seconds()
    for n in range(0, len(chosen), 10):
        tube = f"GM{n // 10 + 1:05d}"
        at = start + datetime.timedelta(seconds=elapsed * n / max(1, len(chosen)))
        events.append({"client_id": str(uuid.uuid4()), "type": "open", "barcode": tube,
                       "point": point.id, "table": 1 + (n // 10) % 3, "at": at.isoformat()})
        for k, r in enumerate(chosen[n:n + 10]):
            events.append({"client_id": str(uuid.uuid4()), "type": "scan", "barcode": tube,
                           "person": r.token, "at": (at + datetime.timedelta(seconds=30 * k)).isoformat()})
        if len(chosen[n:n + 10]) < 10:
            events.append({"client_id": str(uuid.uuid4()), "type": "seal", "barcode": tube,
                           "at": (at + datetime.timedelta(minutes=6)).isoformat()})
    for i in range(0, len(events), 500):
        sync(system, rnd, events[i:i + 500])
    sealed = list(Tube.objects.filter(round=rnd, state="sealed").order_by("sealed_at")
                  .values_list("barcode", flat=True))
    half = len(sealed) // 2
    if half:
        first = lab.create_box(system, rnd, "GMBOX-01")
        lab.pack_tubes(system, first, sealed[:half])
        lab.hand_over(system, first, "pickup", "赵静", "快递员 陈刚")
        lab.hand_over(system, first, "lab", "快递员 陈刚", "迎泽区疾控 韩磊")
        lab.record_results(system, [{"barcode": b, "result": "negative",
                                         "ct_orf": "", "ct_n": ""} for b in sealed[:half]],
                               source="demo")
        second = lab.create_box(system, rnd, "GMBOX-02")
        lab.pack_tubes(system, second, sealed[half:half + max(1, half // 2)])
        lab.hand_over(system, second, "pickup", "赵静", "快递员 陈刚")
    planning.recount(rnd)
    _antigen_round(system, community, point_place, volunteer, rng, now)
    return len(chosen)


def _antigen_round(system, community: Place, point_place: Place, volunteer, rng, now):
    """The day's antigen round, door to door since two hours ago: the volunteer has been
    through the first households (kits, and each member's result), about one in seven."""
    from fangkong.registry.models import Household


    start = now - datetime.timedelta(hours=2)
    rnd = planning.plan_round(system, community, {
        "name": f"{now:%-m月%-d日} 抗原自测", "kind": "antigen", "starts_at": start,
        "ends_at": start + datetime.timedelta(hours=12), "pool_size": 1}, points=[(point_place, 2)])
    planning.set_status(system, rnd, "running")
    door = system
    if volunteer:
        planning.assign_sampler(system, rnd, rnd.points.get(), volunteer, 1)
        door = Actor.system(volunteer, via="cli")
    resident_user = User.objects.filter(username="resident_demo").first()
    own = {m.household_id for m in resident_user.memberships.all()} if resident_user else set()
    households = list(Household.objects.filter(community_id=community.id).exclude(id__in=own)
                      .order_by("building_id", "unit_id", "sort_key", "id"))
    visited = households[: len(households) // 7]
    by_household = {}
    for r in (Resident.objects.filter(household_id__in=[h.id for h in visited])
              .exclude(presence=Presence.MOVED_OUT).order_by("id")):
        by_household.setdefault(r.household_id, []).append(r)
    for hh in visited:
        members = by_household.get(hh.id)
        if not members:
            continue
        antigen_actions.issue_kits(door, rnd, hh, len(members), client_id=str(uuid.uuid4()))
        for r in members:
            if rng.random() < 0.85:
                result = "invalid" if rng.random() < 0.02 else "negative"
                antigen_actions.record_result(door, rnd, r, result, client_id=str(uuid.uuid4()))
