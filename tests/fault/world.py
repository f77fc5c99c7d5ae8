"""The fault run's data and its final check, run in a process of its own against the fault
database (DATABASE_URL): `python tests/fault/world.py build|check|state`, JSON in and out.

build: the demo district, samplers with API tokens in 光明社区's running PCR round
(each with its share of the people still to sample), the approved volunteers with tokens
and calls at separate times to answer, the staff's token and an empty community to import
into. check: reads what the clients were told (stdin) and answers what is wrong (stdout).
state: what is still running (jobs, tasks, messages), for the harness to wait on.
"""

import datetime
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def setup():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    import django

    django.setup()


def build(opts: dict) -> dict:
    from django.utils import timezone

    from fangkong.accounts import actions as account_actions
    from fangkong.accounts.models import User
    from fangkong.accounts.roles import Role
    from fangkong.core.actor import Actor
    from fangkong.demo import driver as demo
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind, Place, Resident
    from fangkong.screening.actions import planning
    from fangkong.volunteers.actions import calls as vol_calls
    from fangkong.volunteers.models import Volunteer

    demo.build(seed=1)
    system = Actor.system(via="cli")
    community = Place.objects.get(kind=Kind.COMMUNITY, name="光明社区")
    district = Place.objects.get(pk=community.district_id)
    point_place = Place.objects.get(kind=Kind.SAMPLING_POINT, name="光明小区核酸采样点")
    now = timezone.now()
    rnd = planning.plan_round(system, district, {
        "name": "故障演练全区核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=8), "pool_size": 10}, points=[(point_place, 10)])
    planning.set_status(system, rnd, "running")
    point = rnd.points.get()

    def token(user, name):
        return account_actions.create_token(Actor.system(user), name)[1]

    stations = []
    from fangkong.zones.models import HouseholdZone

    # the stations' people: at home, walking to the point, and in no sealed or controlled
    # zone (those are refused a pooled tube: sampled at home or in single tubes)
    zoned = HouseholdZone.objects.filter(until=None).values("household_id")
    people = list(Resident.objects.filter(district_id=district.id, presence="home")
                  .exclude(tags__contains=",bedridden,").exclude(household_id__in=zoned).order_by("id")
                  .values_list("token", flat=True))
    n = opts["stations"]
    for k in range(n):
        user = account_actions.create_user(system, f"fault_sampler_{k}", None,
                                           display_name=f"采样员{k}", check_password=False)
        account_actions.grant(system, user, Role.VOLUNTEER, district)
        planning.assign_sampler(system, rnd, point, user, 1 + k % point.tables)
        stations.append({"token": token(user, "station"),
                         "people": people[k::n][:opts["people"]]})

    staff = User.objects.get(username="staff_guangming")
    start = timezone.now() + datetime.timedelta(days=2)
    calls = []
    for k in range(opts["calls"]):
        at = start + datetime.timedelta(days=k)
        call = vol_calls.create_call(Actor.system(staff), community, {
            "task": "sampling", "title": f"故障演练 {k + 1}", "place": community.id,
            "starts_at": at, "ends_at": at + datetime.timedelta(hours=3),
            "slots": opts["slots"], "audience": "community"})
        calls.append(call.id)
    answering = [token(v.user, "phone") for v in Volunteer.objects.filter(
        community_id=community.id, status="approved", user__isnull=False).select_related("user")]

    target = reg.create_place(system, Place.objects.get(pk=community.street_id), Kind.COMMUNITY,
                              "导入演练社区")
    account_actions.grant(system, staff, Role.STAFF, target)
    return {"round": rnd.id, "stations": stations, "calls": calls, "volunteers": answering,
            "staff": token(staff, "import"), "community": community.id,
            "import_place": target.id}


def state() -> dict:
    from django.db.models import Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    from fangkong.notify.models import Delivery
    from fangkong.registry.models import ImportJob

    return {
        # work due now (a periodic task waiting for its next time, e.g. the nightly
        # reports' tick, is not work left over)
        "tasks": {s: DBTaskResult.objects.filter(status=s).filter(
            Q(run_after=get_date_max()) | Q(run_after__lte=timezone.now())).count()
            for s in ("READY", "RUNNING")},
        "imports": ImportJob.objects.exclude(status__in=["done", "rejected", "failed",
                                                          "discarded"]).count(),
        "messages": Delivery.objects.filter(status__in=["queued", "retrying"]).count(),
    }


def check(seen: dict) -> dict:
    """Every acknowledged record exists exactly once, the counters agree with the rows,
    nothing is left running. Returns {"problems": [...], "figures": {...}}."""
    from django.db.models import Count

    from fangkong.notify.models import Delivery
    from fangkong.registry.models import ImportJob, Resident
    from fangkong.screening.models import Conflict, RoundCounter, Sample, Tube
    from fangkong.volunteers.models import Assignment, Call

    problems = []
    rnd = seen["round"]
    ok, conflicts = set(seen["registered"]), set(seen["conflicts"])
    have = set(str(c) for c in Sample.objects.filter(client_id__in=ok).values_list("client_id", flat=True))
    if ok - have:
        problems.append(f"{len(ok - have)} acknowledged registrations are missing")
    kept = set(str(c) for c in Conflict.objects.filter(client_id__in=conflicts)
               .values_list("client_id", flat=True))
    if conflicts - kept:
        problems.append(f"{len(conflicts - kept)} acknowledged conflicts are missing")
    twice = (Sample.objects.filter(round_id=rnd, retest=False).values("resident_id")
             .annotate(n=Count("id")).filter(n__gt=1).count())
    if twice:
        problems.append(f"{twice} people registered twice")
    people = set(seen["people"])
    scanned = Sample.objects.filter(round_id=rnd, resident__token__in=people).count()
    if scanned != len(people):
        problems.append(f"{scanned} of the {len(people)} people sent are registered")
    wrong_tubes = [t.barcode for t in Tube.objects.filter(round_id=rnd).annotate(n=Count("samples"))
                   if t.count != t.n]
    if wrong_tubes:
        problems.append(f"tube counts differ from their registrations: {wrong_tubes[:5]}")
    counted = {c.community_id: c.sampled for c in RoundCounter.objects.filter(round_id=rnd)}
    real = dict(Sample.objects.filter(round_id=rnd, retest=False, out_of_scope=False)
                .values_list("community_id").annotate(n=Count("id")))
    off = {c: (counted.get(c, 0), real.get(c, 0)) for c in set(counted) | set(real)
           if counted.get(c, 0) != real.get(c, 0)}
    if off:
        problems.append(f"round counters differ from the registrations (counted, real): {off}")

    answers = Assignment.objects.filter(call_id__in=seen["calls"])
    got = set(answers.values_list("call_id", "volunteer_id"))
    for call_id, volunteer_id in seen["answers"]:
        if (call_id, volunteer_id) not in got:
            problems.append(f"acknowledged answer of volunteer {volunteer_id} to call {call_id} "
                            f"is missing")
    for call in Call.objects.filter(pk__in=seen["calls"]):
        confirmed = answers.filter(call=call, status="confirmed").count()
        if confirmed != call.confirmed or confirmed > call.slots:
            problems.append(f"call {call.id}: {call.confirmed} counted, {confirmed} confirmed, "
                            f"{call.slots} slots")

    left = state()
    if left["tasks"]["RUNNING"] or left["tasks"]["READY"]:
        problems.append(f"tasks left: {left['tasks']}")
    if left["imports"]:
        problems.append(f"{left['imports']} imports still running")
    if left["messages"]:
        problems.append(f"{left['messages']} messages not sent")
    jobs = list(ImportJob.objects.filter(pk__in=seen["imports"]).values("id", "status", "message",
                                                                         "attempts"))
    if len(jobs) != len(set(seen["imports"])):
        problems.append("an acknowledged import job is missing")
    for j in jobs:
        if j["status"] == "failed" and not j["message"]:
            problems.append(f"import {j['id']} failed without a reason")
    imported = Resident.objects.filter(community_id=seen["import_place"]).count()
    if imported not in (0, *seen["roster_sizes"]):  # the small roster is the big one's start
        problems.append(f"{imported} residents in the import community: half written?")
    return {"problems": problems, "figures": {
        "registered": len(have), "conflicts": len(kept), "answers": len(got),
        "imports": {s: sum(1 for j in jobs if j["status"] == s) for s in {j["status"] for j in jobs}},
        "import_attempts": sorted(j["attempts"] for j in jobs),
        "messages_sent": Delivery.objects.filter(status="sent").count(),
        "imported_residents": imported}}


if __name__ == "__main__":
    setup()
    what = sys.argv[1]
    arg = json.loads(sys.stdin.read() or "{}") if what in ("build", "check") else {}
    out = {"build": build, "check": check}.get(what)
    if what == "state":
        print(json.dumps(state()))
    else:
        print(json.dumps(out(arg)))
