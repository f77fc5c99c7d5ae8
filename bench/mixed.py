"""(mixed) a realistic mixed load during a round, through the production topology, at 10×
a community's peak.

Four kinds of request at once, through nginx on 127.0.0.1 to the two granian app servers
(deploy/local-topology, as bench/topology.py), each kind paced on its own open-loop
schedule (request i of a kind is due at start + i / rate; its latency is counted from when
it was due, so a slow server is not hidden by a client that waits for it), for a bounded
time (`--duration`, at most 15 s; tiny 2 s), then stopped:

- scan: a station's single scan into an open tube of 10 (POST
  /api/v1/screening/rounds/R/scan, the sampler's token);
- coverage: a community staff member's or grid worker's phone refreshing the live part of
  the round page for the community (htmx GET /screening/rounds/R/?place=C, a session; its
  figures are read on the replica);
- household: a resident opening their household's page (GET /households/H/, a resident
  login of that household, where a resident lands);
- answer: a volunteer answering an urgent call (POST /api/v1/volunteers/calls/K/signup,
  the volunteer's token; 20 slots, the rest waitlisted).

The rates are 10× the peak of one community of 10,000 residents, derived from
shared/DOMAIN.md in docs/benchmarks.md ("mixed"): PEAK below. Figures a repeat, median
[min–max] over the repeats: req/s answered, p50 and p99 per kind, errors by kind (target
0: anything but the expected answer, a 503 shed included), the peak RSS of each app
worker, and the CPU the app servers, the primary and the replica spent a second. Checked
after each repeat: every scan answered `ok` is registered exactly once, and the call holds
exactly min(slots, answers) confirmed volunteers, the others waitlisted.
"""

import http.client
import itertools
import json
import os
import threading
import time
import uuid
from collections import Counter

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.registry.models import Household, Kind, Place
from fangkong.screening.actions import station
from fangkong.screening.models import Sample

from .common import bench_user
from .harness import calibration, figure, percentile
from .page import session_cookie
from .screening import _cleanup, _free_people, station_setup
from .topology import app_cpu, db_cpu

# One community's peak, a second (docs/benchmarks.md, "mixed", from shared/DOMAIN.md):
# a community of 10,000 residents (the top of DOMAIN's 3,000–10,000).
PEAK = {
    "scan": 4.0,        # 10,000 registrations in a 7-hour round = 0.40/s, bursts 10× that
    "coverage": 1.33,   # 20 watchers (10 staff, 10 grid workers) polling the live part every 15 s
    "household": 4.5,   # ~3,800 households (2.62 a household) open their page 3× in 7 h (0.45/s), bursts 10×
    "answer": 1.0,      # "10+ answered at once": 10 answers in the first 10 s of a call
}
FACTOR = 10  # the 10× of 2022's collapses (DOMAIN: Xi'an's system fell over at >10× its peak)
TINY_FACTOR = 2
SLOTS = 20  # "20+ volunteers for a 07:00 round"
RESIDENT_LOGINS = {"full": 300, "tiny": 20}
WATCHERS = 20
EXPECT_SCAN = {"ok"}


def factor(tiny: bool) -> float:
    """10 (tiny 2); BENCH_MIXED_FACTOR sets another multiple of the peak (to find the highest
    this machine carries with no error)."""
    return float(os.environ.get("BENCH_MIXED_FACTOR") or (TINY_FACTOR if tiny else FACTOR))


def rates(tiny: bool) -> dict:
    f = factor(tiny)
    return {k: v * f for k, v in PEAK.items()}


# --- the people ----------------------------------------------------------------------------

def _residents(community, n: int) -> list[tuple[int, User]]:
    """Resident logins of the community's first `n` households (made once, by the actions)."""
    system = Actor.system(via="cli")
    out = []
    for hh in Household.objects.filter(community_id=community.id).order_by("id")[:n]:
        name = f"bench_res_{hh.id}"
        user = User.objects.filter(username=name).first()
        if user is None:
            user = account_actions.create_user(system, name, None, display_name=name, check_password=False)
        if not user.memberships.filter(role=Role.RESIDENT, household=hh, is_active=True).exists():
            account_actions.grant(system, user, Role.RESIDENT, None, household=hh)
        out.append((hh.id, user))
    return out


def _volunteers(community, n: int) -> list[str]:
    """`n` approved volunteers of the community (bench/volunteers' fixtures), a token each."""
    from .volunteers import ensure_volunteers

    people = ensure_volunteers(community, max(n, 60), n)
    return [account_actions.create_token(Actor.system(v.user), f"mixed-{uuid.uuid4().hex[:6]}")[1]
            for v in people]


def _call(community, hours: int):
    from .volunteers import _call as make_call

    place = Place.objects.filter(community_id=community.id, kind=Kind.BUILDING).order_by("id").first()
    return make_call(Actor.system(via="cli"), community, place, slots=SLOTS, audience="skill",
                     skill="driving", hours=hours)


# --- the load ------------------------------------------------------------------------------

def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _app_processes(topo) -> dict[str, list[int]]:
    """Each app server's processes: the granian main process first, then its workers."""
    leaders = {app: topo.pid(app) for app in ("app1", "app2")}
    out = {app: [pid] for app, pid in leaders.items() if pid}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            raw = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2:].split()  # [1] = ppid, [2] = pgrp
        for app, pid in leaders.items():
            if pid and fields[2] == str(pid) and int(d) != pid:
                out[app].append(int(d))
    return out


class RssWatch(threading.Thread):
    """The peak RSS of every app server process, sampled every 0.2 s while the load runs."""

    def __init__(self, topo):
        super().__init__(daemon=True)
        self.procs = _app_processes(topo)
        self.peak = {pid: 0 for pids in self.procs.values() for pid in pids}
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            for pid in self.peak:
                self.peak[pid] = max(self.peak[pid], _rss_kb(pid))
            self.stop.wait(0.2)

    def workers(self) -> list[tuple[str, float]]:
        """(label, MB) of each app worker (the processes that run the app: granian's workers,
        or the main process where it has none)."""
        out = []
        for app, pids in self.procs.items():
            for pid in (pids[1:] or pids[:1]):
                out.append((f"{app}/{pid}", self.peak[pid] / 1024))
        return out


def paced_mixed(port: int, ops: dict, duration: float, threads: int) -> dict:
    """Every kind in `ops` ({name: {"rate", "requests": [(method, path, body, headers)],
    "check": f(status, body) → None or an error label}}) on its own open-loop schedule for
    `duration` seconds, sent by `threads` keep-alive clients taking the due requests in
    order. Returns per kind: latencies of the good answers (from when each was due),
    errors by label, and the load's elapsed time."""
    schedule = []
    for k, (name, op) in enumerate(ops.items()):
        n = int(op["rate"] * duration)
        offset = k / (len(ops) * op["rate"])  # the kinds interleaved, not in lockstep
        schedule += [(offset + i / op["rate"], name, i) for i in range(n)]
    schedule.sort()
    lat = {name: [] for name in ops}
    errors = {name: Counter() for name in ops}
    lock = threading.Lock()
    order = itertools.count()
    start = time.perf_counter() + 0.3

    def worker():
        conn = None
        while True:
            j = next(order)
            if j >= len(schedule):
                break
            at, name, i = schedule[j]
            due = start + at
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            method, path, body, headers = ops[name]["requests"][i % len(ops[name]["requests"])]
            bad = None
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request(method, path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                took = time.perf_counter() - due
                bad = ops[name]["check"](resp.status, data)
            except (OSError, http.client.HTTPException) as e:
                bad = type(e).__name__
                if conn is not None:
                    conn.close()
                conn = None
            with lock:
                if bad:
                    errors[name][bad] += 1
                else:
                    lat[name].append(took)
        if conn is not None:
            conn.close()

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=duration + 60)
    elapsed = max(duration, time.perf_counter() - start)
    return {"elapsed": elapsed, "lat": lat, "errors": errors,
            "asked": {name: int(op["rate"] * duration) for name, op in ops.items()}}


def _check_status(expect=200):
    def check(status, _body):
        return None if status == expect else f"HTTP {status}"
    return check


def _check_scan(status, body):
    if status != 200:
        return f"HTTP {status}"
    got = json.loads(body).get("status")
    return None if got in EXPECT_SCAN else f"scan {got}"


def _check_answer(status, body):
    if status != 200:
        return f"HTTP {status}"
    got = json.loads(body).get("status")
    return None if got in ("confirmed", "waitlisted") else f"answer {got}"


def one_load(ctx, world, rep: int) -> dict:
    """One repeat: fresh tubes and people to scan, a fresh call; the load; the checks."""
    cfg, topo = ctx.cfg, ctx.cfg.topology
    rnd, user, raw = world["round"], world["sampler"], world["sampler_raw"]
    want = rates(cfg.tiny)
    duration = world["duration"]
    n_scans = int(want["scan"] * duration)
    people = _free_people(rnd, n_scans + 10)
    tag = f"M{rep}{uuid.uuid4().hex[:4].upper()}"
    tubes = []
    for k in range(0, len(people), 10):
        code = f"{tag}T{k // 10:05d}"
        station.open_tube(Actor.system(user), rnd, code, capacity=10)
        tubes.append(code)
    api = {"Authorization": f"Bearer {raw}", "Content-Type": "application/json", "Connection": "keep-alive"}
    scans = [("POST", f"/api/v1/screening/rounds/{rnd.id}/scan",
              json.dumps({"client_id": str(uuid.uuid4()), "barcode": tubes[i // 10], "person": "FK1:" + p[1]}),
              api) for i, p in enumerate(people)]
    live = f"/screening/rounds/{rnd.id}/?place={world['community'].id}"
    coverage = [("GET", live, None, {"Cookie": c, "HX-Request": "true", "Accept-Language": "zh-hans",
                                     "Connection": "keep-alive"}) for c in world["staff_cookies"]]
    households = [("GET", f"/households/{hh}/", None, {"Cookie": c, "Accept-Language": "zh-hans",
                                                         "Connection": "keep-alive"})
                  for hh, c in world["residents"]]
    call = _call(world["community"], hours=8 + 5 * rep)
    world["calls"].append(call)
    answers = [("POST", f"/api/v1/volunteers/calls/{call.id}/signup", "{}",
                {"Authorization": f"Bearer {tok}", "Content-Type": "application/json", "Connection": "keep-alive"})
               for tok in world["volunteer_tokens"]]
    ops = {"scan": {"rate": want["scan"], "requests": scans, "check": _check_scan},
           "coverage": {"rate": want["coverage"], "requests": coverage, "check": _check_status()},
           "household": {"rate": want["household"], "requests": households, "check": _check_status()},
           "answer": {"rate": want["answer"], "requests": answers, "check": _check_answer}}

    load0, calib = os.getloadavg(), calibration()
    watch = RssWatch(topo)
    watch.start()
    c0 = (app_cpu(topo), db_cpu(topo), db_cpu(topo, "replica"), time.process_time())
    res = paced_mixed(topo.ports["nginx"], ops, duration, cfg.scaled(48, 12))
    c1 = (app_cpu(topo), db_cpu(topo), db_cpu(topo, "replica"), time.process_time())
    watch.stop.set()
    watch.join(2)
    res["cores"] = [(b - a) / res["elapsed"] for a, b in zip(c0, c1, strict=True)]
    res["rss"] = watch.workers()
    res["loadavg"], res["calibration"] = load0, calib

    # the checks: nothing lost or doubled, never more confirmed than slots
    registered = Sample.objects.filter(round=rnd, sampler=user).count()
    distinct = Sample.objects.filter(round=rnd, sampler=user).values("resident_id").distinct().count()
    ok_scans = len(res["lat"]["scan"])
    from fangkong.volunteers.models import Assignment

    call.refresh_from_db()
    rows = Assignment.objects.filter(call=call)
    answered = len(res["lat"]["answer"])
    confirmed = rows.filter(status="confirmed").count()
    res["checks"] = {"scans_ok": ok_scans, "registered": registered, "doubled": registered - distinct,
                     "lost": max(0, ok_scans - registered), "answers_ok": answered,
                     "answers_stored": rows.count(), "confirmed": confirmed, "slots": call.slots,
                     "over_slots": max(0, confirmed - call.slots),
                     "confirmed_right": confirmed == min(call.slots, rows.count())}
    _cleanup(rnd, user)
    return res


def setup(ctx) -> dict:
    cfg = ctx.cfg
    rnd, user, raw = station_setup(ctx)
    community = ctx.city.community
    if rnd.place_id not in (community.district_id, community.street_id, community.id):
        from fangkong.screening.models import Round

        rnd = Round.objects.filter(place_id=community.district_id).order_by("-id").first() or rnd
    duration = 2.0 if cfg.tiny else cfg.duration
    want = rates(cfg.tiny)
    # each watcher their own account (the per-user limits count per person)
    cookies = [session_cookie(bench_user(f"bench_watch_{community.id}_{k}", "staff", community))
               for k in range(cfg.scaled(WATCHERS, 4))]
    residents = [(hh, session_cookie(u))
                 for hh, u in _residents(community, RESIDENT_LOGINS["tiny" if cfg.tiny else "full"])]
    tokens = _volunteers(community, int(want["answer"] * duration) + 5)
    return {"round": rnd, "sampler": user, "sampler_raw": raw, "community": community,
            "staff_cookies": cookies, "residents": residents, "volunteer_tokens": tokens,
            "duration": duration, "calls": []}


def run(ctx):
    from .volunteers import _cleanup as cleanup_calls

    cfg, report, topo = ctx.cfg, ctx.report, ctx.cfg.topology
    world = setup(ctx)
    want = rates(cfg.tiny)
    c = world["community"]
    report.note(f"mixed: {' + '.join(f'{k} {v:g}/s' for k, v in want.items())} "
                f"({factor(cfg.tiny):g}× a 10,000-resident community's peak) for "
                f"{world['duration']:g} s a repeat, open loop, through nginx :{topo.ports['nginx']}; "
                f"{c.name} ({c.id}), round {world['round'].id}; {len(world['residents'])} resident logins, "
                f"{len(world['volunteer_tokens'])} volunteers answering a {SLOTS}-slot call")
    runs = []
    try:
        if not cfg.tiny:
            one_load(ctx, world, 0)  # warm-up (not counted)
        for rep in range(cfg.repeat):
            res = one_load(ctx, world, rep + 1)
            runs.append(res)
            ck = res["checks"]
            errs = {k: dict(v) for k, v in res["errors"].items() if v}
            report.note(f"mixed repeat {rep + 1}: load average {res['loadavg'][0]:.1f}, calibration "
                        f"{res['calibration'] * 1000:.0f} ms; "
                        + ", ".join(f"{k} {len(v)}/{res['asked'][k]} p99 {percentile(v, 99) * 1000:.0f} ms"
                                    for k, v in res["lat"].items())
                        + f"; errors {errs or 0}; scans ok {ck['scans_ok']}, registered {ck['registered']} "
                          f"(doubled {ck['doubled']}); call: {ck['confirmed']} confirmed of {ck['slots']} slots, "
                          f"{ck['answers_stored']} answers stored")
    finally:
        cleanup_calls(world["calls"])
    if not runs:
        return
    el = [r["elapsed"] for r in runs]
    for name, rate in want.items():
        lats = [r["lat"][name] for r in runs]
        errs = Counter()
        for r in runs:
            errs.update(r["errors"][name])
        rps = [len(v) / e for v, e in zip(lats, el, strict=True)]
        report.add(figure(f"mixed.{name}.rate", rps, "req/s",
                          note=f"asked {rate:g}/s; errors: {dict(errs) or 0}",
                          extra={"asked": rate, "errors": dict(errs)}))
        report.add(figure(f"mixed.{name}.p50", [percentile(v, 50) for v in lats if v] or [float("nan")],
                          "ms", scale=1000))
        report.add(figure(f"mixed.{name}.p99", [percentile(v, 99) for v in lats if v] or [float("nan")],
                          "ms", scale=1000))
    total_err = [sum(sum(c.values()) for c in r["errors"].values()) for r in runs]
    total_ok = [sum(len(v) for v in r["lat"].values()) / r["elapsed"] for r in runs]
    report.add(figure("mixed.throughput", total_ok, "req/s",
                      note=f"all kinds answered well, asked {sum(want.values()):g}/s"))
    report.add(figure("mixed.errors", total_err, "",
                      note="requests not answered as expected (503 shed, timeout, refused scan…); target 0"))
    rss = [max(mb for _l, mb in r["rss"]) for r in runs]
    last = runs[-1]["rss"]
    report.add(figure("mixed.rss_worker", rss, "MB",
                      note="peak RSS of the largest app worker; last repeat each: "
                           + ", ".join(f"{label} {mb:.0f} MB" for label, mb in last),
                      extra={"workers": last}))
    cores = [r["cores"] for r in runs]
    report.add(figure("mixed.cpu_app", [c[0] for c in cores], "cores",
                      note="CPU seconds a second of the two app servers during the load"))
    report.add(figure("mixed.cpu_db", [c[1] + c[2] for c in cores], "cores",
                      note="primary + replica; primary "
                           + "/".join(f"{c[1]:.2f}" for c in cores) + ", replica "
                           + "/".join(f"{c[2]:.2f}" for c in cores)
                           + "; the load generator (this process) " + "/".join(f"{c[3]:.2f}" for c in cores)))
    report.add(figure("mixed.cpu_per_request",
                      [(c[0] + c[1] + c[2]) / ok * 1000 for c, ok in zip(cores, total_ok, strict=True)], "ms",
                      note="app servers + primary + replica CPU a well-answered request of this mix "
                           "(the shed ones' small cost counted in)"))
    checks = [r["checks"] for r in runs]
    lost = sum(c["lost"] for c in checks)
    doubled = sum(c["doubled"] for c in checks)
    over = sum(c["over_slots"] for c in checks)
    right = all(c["confirmed_right"] for c in checks)
    report.add(figure("mixed.checks", [lost + doubled + over + (0 if right else 1)], "",
                      note=f"scans lost {lost}, doubled {doubled}; confirmed over slots {over}; "
                           f"confirmed = min(slots, answers) in every repeat: {right}",
                      extra={"lost": lost, "doubled": doubled, "over_slots": over, "confirmed_right": right,
                             "checks": checks}))
