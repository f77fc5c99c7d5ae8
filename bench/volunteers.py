"""(e) volunteers: many people answering one call at once, and publishing a call to a
whole community's volunteers.

- `volunteers.signup.*`: 500 approved volunteers (tiny: 60) answer one 20-slot call (tiny:
  5) at the same moment, from 8 processes (tiny: 3), each with its own database
  connection (as app server workers would; threads in one process would mostly measure
  the GIL of the load generator), calling `volunteers.actions.answers.sign_up` directly (the
  action the page and the API call; no HTTP). Checked every repeat: exactly `slots`
  confirmed, the others waitlisted with arrival numbers 1…n−slots in the order they took
  the call's row lock, one audit event per answer, no errors. Figures: wall time for
  all answers, time to fill (first answer → the call's `filled_at`), p50 / p99 latency of
  one answer.
- `volunteers.publish.seconds`: `vol_calls.create_call` for a call to everyone approved in a
  community of 10,000 volunteers (tiny: 300): audience query, one inbox row per person,
  deliveries queued on the personal channels, the group announcement. Target: < 5 s.

The volunteers are benchmark fixtures written in bulk (accounts, approved volunteer
records in the benchmark community and their volunteer role there); the calls, answers and notifications go through the
actions. Each repeat's calls and their notifications are deleted afterwards.
"""

import time

from django.contrib.auth.hashers import make_password
from django.db import connections, transaction
from django.utils import timezone

from .harness import figure, percentile

BENCH_UNIT = "bench"


def ensure_volunteers(community, n: int, answering: int):
    """`n` approved volunteers in the community (made once, cached with the data); the first
    `answering` have the skill "driving" (the audience of the sign-up call)."""
    from fangkong.accounts.models import User
    from fangkong.core import pii
    from fangkong.registry.models import Household
    from fangkong.volunteers.models import Volunteer

    have = Volunteer.objects.filter(community_id=community.id, work_unit=BENCH_UNIT).count()
    if have < n:
        homes = list(Household.objects.filter(community_id=community.id).order_by("id")[:2000])
        now = timezone.now()
        password = make_password(None)
        prefix = f"16{community.id % 1000:03d}"
        with transaction.atomic():
            # their logins may outlive them: a city rebuilt in the cached database (the demo's
            # generator changed) drops the volunteers with their households, not the users
            names = [f"bench_v{community.id}_{i}" for i in range(have, n)]
            kept = {u.username: u for u in User.objects.filter(username__in=names, volunteer__isnull=True)}
            made = {u.username: u for u in User.objects.bulk_create([
                User(username=name, phone=f"{prefix}{i:06d}", password=password, display_name=f"志愿者{i}")
                for i, name in zip(range(have, n), names, strict=True) if name not in kept], batch_size=2000)}
            users = [kept.get(name) or made[name] for name in names]
            rows = []
            for i, u in zip(range(have, n), users, strict=True):
                hh = homes[i % len(homes)]
                v = Volunteer(household=hh, name=u.display_name, phone=u.phone,
                              id_hash=pii.lookup_hash(f"bench-volunteer:{community.id}:{i}"),
                              work_unit=BENCH_UNIT, consent_at=now, status="approved", user=u,
                              decided_at=now, created_at=now, updated_at=now)
                v.copy_levels(hh)
                rows.append(v)
            Volunteer.objects.bulk_create(rows, batch_size=2000)
    # an approved volunteer's account holds the volunteer role on the community (approval
    # grants it; only such a record answers calls and hears of them: volunteers.access.counts)
    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import Role

    Membership.objects.bulk_create([
        Membership(user_id=uid, role=Role.VOLUNTEER, place=community) for uid in
        Volunteer.objects.filter(community_id=community.id, work_unit=BENCH_UNIT, user__isnull=False)
        .values_list("user_id", flat=True)], ignore_conflicts=True, batch_size=2000)
    Volunteer.objects.filter(community_id=community.id, work_unit=BENCH_UNIT).update(skills="")
    ids = list(Volunteer.objects.filter(community_id=community.id, work_unit=BENCH_UNIT)
               .order_by("id").values_list("id", flat=True)[:answering])
    Volunteer.objects.filter(id__in=ids).update(skills=",driving,")
    return list(Volunteer.objects.filter(id__in=ids).select_related("user").order_by("id"))


def _call(actor, community, place, *, slots, audience, skill="", hours=8):
    from fangkong.volunteers.actions import calls as vol_calls

    start = timezone.now() + timezone.timedelta(hours=hours)
    return vol_calls.create_call(actor, community, {
        "task": "sampling", "title": "bench", "place": place.id, "starts_at": start,
        "ends_at": start + timezone.timedelta(hours=3), "slots": slots, "audience": audience,
        "audience_skill": skill})


def _cleanup(calls):
    from fangkong.notify.models import Delivery, Notification
    from fangkong.volunteers.models import Assignment, Call

    keys = [f"volunteers.call:{c.id}" for c in calls]
    Notification.objects.filter(key__in=keys).delete()
    Delivery.objects.filter(kind="volunteers.call", title__startswith="召集令：bench").delete()
    Delivery.objects.filter(kind="volunteers.call", title__startswith="Call: bench").delete()
    Assignment.objects.filter(call__in=calls).delete()
    Call.objects.filter(id__in=[c.id for c in calls]).delete()


def _answer(share, call_id, barrier, out):
    """One load process: its share of the volunteers answer, one after the other."""
    from django.db import connection

    from fangkong.accounts.scope import Scope
    from fangkong.core.actor import Actor
    from fangkong.volunteers.actions import answers as vol_answers
    from fangkong.volunteers.models import Call

    lat, errors = [], []
    try:
        call = Call.objects.select_related("place").get(pk=call_id)
        # each person's scope as a request has it (their volunteer role: `access.counts`),
        # read before the clock starts, as the request's middleware reads it before the view
        people = [(v.user, Scope.for_user(v.user)) for v in share]
        connection.ensure_connection()
        barrier.wait()
        for user, scope in people:
            actor = Actor(user=user, scope=scope, via="bench")
            t = time.perf_counter()
            try:
                vol_answers.sign_up(actor, call)
                lat.append(time.perf_counter() - t)
            except Exception as e:  # noqa: BLE001 - counted and reported
                errors.append(f"{type(e).__name__}: {e}")
    finally:
        connections.close_all()
        out.put((lat, errors))


def sign_up_all(call, people, workers: int) -> dict:
    """Everyone answers at once from `workers` processes (as app servers would: separate
    processes, one database connection each); returns latencies, wall time and errors."""
    import multiprocessing

    mp = multiprocessing.get_context("fork")
    connections.close_all()  # never share a connection with the children
    shares = [people[k::workers] for k in range(workers)]
    barrier = mp.Barrier(workers + 1)
    out = mp.Queue()
    procs = [mp.Process(target=_answer, args=(s, call.id, barrier, out), daemon=True) for s in shares]
    for p in procs:
        p.start()
    # The clocks start before the barrier opens: the children may answer before this
    # process is scheduled again (starting after it measured negative times to fill).
    started_wall = timezone.now()
    t0 = time.perf_counter()
    barrier.wait()
    lat, errors = [], []
    for _ in procs:
        a, b = out.get(timeout=300)
        lat.extend(a)
        errors.extend(b)
    wall = time.perf_counter() - t0
    for p in procs:
        p.join(30)
    return {"lat": lat, "errors": errors, "wall": wall, "started": started_wall}


def check(call, answering: int):
    """Exactly `slots` confirmed; the rest waitlisted 1…n in the order of their lock; one
    audit event per answer."""
    from fangkong.audit.models import AuditEvent
    from fangkong.volunteers.models import Assignment

    call.refresh_from_db()
    rows = list(Assignment.objects.filter(call=call).order_by("signed_at", "id"))
    confirmed = [a for a in rows if a.status == "confirmed"]
    waiting = [a for a in rows if a.status == "waitlisted"]
    assert len(rows) == answering, f"{len(rows)} answers stored of {answering}"
    assert len(confirmed) == call.slots == call.confirmed, (
        f"{len(confirmed)} confirmed, counter {call.confirmed}, slots {call.slots}")
    positions = [a.position for a in waiting]
    assert sorted(positions) == list(range(1, answering - call.slots + 1)), "waitlist numbers"
    assert positions == sorted(positions), "waitlist not in arrival order"
    assert max(a.signed_at for a in confirmed) <= min(a.signed_at for a in waiting)
    # this call's own events: a cached database may hold an earlier run's call of the same
    # id (SQLite hands out a deleted row's id again after a migration rebuilt the table)
    events = AuditEvent.objects.filter(action="call.sign_up", target_id=call.id,
                                       at__gte=call.published_at).count()
    assert events == answering, f"{events} audit events for {answering} answers"
    return call


def run(ctx):
    from fangkong.core.actor import Actor
    from fangkong.notify.models import Notification
    from fangkong.registry.models import Kind, Place

    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    answering, slots = cfg.scaled(500, 60), cfg.scaled(20, 5)
    workers = cfg.scaled(8, 3)
    audience = cfg.scaled(10_000, 300)
    community = city.community
    place = Place.objects.filter(community_id=community.id, kind=Kind.BUILDING).order_by("id").first()
    people = ensure_volunteers(community, audience, answering)
    actor = Actor.system(via="cli")
    report.note(f"volunteers: {community.name}: {answering} volunteers answer a {slots}-slot call at "
                f"once from {workers} processes (vol_answers.sign_up, one DB connection each); "
                f"then a call published to {audience:,} approved volunteers")

    walls, fills, p50s, p99s, made = [], [], [], [], []
    try:
        # every call of a run in its own 3-hour window 5 hours apart (a person's places must not overlap)
        hours = iter(range(8, 8 + 5 * (3 * cfg.repeat + 2), 5))
        warm = _call(actor, community, place, slots=slots, audience="skill", skill="driving", hours=next(hours))
        made.append(warm)
        sign_up_all(warm, people[: workers * 2], workers)
        for _rep in range(cfg.repeat):
            call = _call(actor, community, place, slots=slots, audience="skill", skill="driving",
                         hours=next(hours))
            made.append(call)
            out = sign_up_all(call, people, workers)
            assert not out["errors"], out["errors"][:5]
            check(call, answering)
            walls.append(out["wall"])
            fills.append((call.filled_at - out["started"]).total_seconds())
            p50s.append(percentile(out["lat"], 50))
            p99s.append(percentile(out["lat"], 99))
        serial = []
        for _rep in range(cfg.repeat):  # the cost of one answer with nobody else answering
            call = _call(actor, community, place, slots=slots, audience="skill", skill="driving",
                         hours=next(hours))
            made.append(call)
            n = cfg.scaled(100, 20)
            out = sign_up_all(call, people[:n], 1)
            assert not out["errors"], out["errors"][:5]
            serial.append(out["wall"] / n)
        report.add(figure("volunteers.signup.serial", serial, "ms", scale=1000,
                          note="one answer at a time from one process (CPU + round trips)"))
        ok = f"each repeat: exactly {slots} confirmed, {answering - slots} waitlisted in arrival order, 0 errors"
        report.add(figure("volunteers.signup.all", walls, "s",
                          note=f"{answering} answers, wall time; {ok}",
                          extra={"answers": answering, "slots": slots, "processes": workers}))
        report.add(figure("volunteers.signup.time_to_fill", fills, "ms", scale=1000))
        report.add(figure("volunteers.signup.p50", p50s, "ms", scale=1000))
        report.add(figure("volunteers.signup.p99", p99s, "ms", scale=1000))

        secs = []
        for _rep in range(cfg.repeat):
            t = time.perf_counter()
            call = _call(actor, community, place, slots=20, audience="community", hours=next(hours))
            secs.append(time.perf_counter() - t)
            made.append(call)
            n = Notification.objects.filter(key=f"volunteers.call:{call.id}").count()
            assert n == call.notified >= audience, f"{n} inbox rows for {call.notified} notified"
        report.add(figure("volunteers.publish.seconds", secs, "s",
                          note=f"create_call to {audience:,} volunteers: inbox rows and deliveries "
                               f"queued (target < 5 s)"))
    finally:
        _cleanup(made)
