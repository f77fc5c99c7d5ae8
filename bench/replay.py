"""(replay) a whole testing round of the city, through the production topology.

Everything a round does, through nginx and the API, timed step by step:

1. planning: a round per district (POST /api/v1/screening/rounds by the district's
   command), a sampling point with its stations (tables) and a sampler each;
2. scans: every resident once, from 200 stations (in proportion to each district's
   people), each sending its queue as the station does (tubes of 10, 500 events a POST to
   …/sync), all stations at once; a failed request is sent again (the station's retry);
3. boxes: the point packs the tubes in boxes sent to the district's lab (…/boxes, 2,000
   tubes a box), the courier takes them and the lab signs for them (not in the results'
   time); results: the lab's results for every tube (POST /api/v1/screening/results, 2,000
   a request), one pool in 1,000 positive — a lab's results are taken only for tubes in a
   box sent to it;
4. re-tests: each held person's single re-test (GET …/followups, then POST …/retest from
   10 door teams at once), boxed for the lab as above, and its negative result;
5. final coverage: the coverage API of every round (answered by the replica).

Then checks that nothing was lost or doubled (one registration a resident a round). The
second run kills one app server (SIGKILL) half-way through the scans and starts it again;
the extra wall time is printed.
"""

import datetime
import http.client
import json
import threading
import time
import uuid

from django.db import connection
from django.utils import timezone

from fangkong.accounts import actions as account_actions
from fangkong.core.actor import Actor
from fangkong.registry.models import LEVEL_FIELDS, Kind, Place, Resident
from fangkong.screening.actions import planning
from fangkong.screening.models import Round, Sampler

from .common import bench_user
from .harness import figure
from .topology import app_cpu, db_cpu

STATIONS = 200
PER_REQUEST = 500
# --tiny (the suite's run: 5,000 residents): 20 stations of 100 events a request. 200 stations
# for 5,000 people sent 22 people each at once, and most of the run was their 503s' back-off
# (528 requests sent again for 193), not the code under test.
TINY_STATIONS, TINY_PER_REQUEST = 20, 100


def shape(tiny: bool) -> tuple[int, int]:
    """(stations, events a request)."""
    return (TINY_STATIONS, TINY_PER_REQUEST) if tiny else (STATIONS, PER_REQUEST)
# The held people are re-sampled at their doors by the emergency squad's teams at once, not
# one after the other (each re-test is its own request: a one-person tube, sealed).
RETEST_TEAMS = 10


def _token(user) -> str:
    return account_actions.create_token(Actor.system(user), f"replay-{uuid.uuid4().hex[:6]}")[1]


class Client:
    """One keep-alive connection to nginx; a request that fails is sent again (as the
    station does: wait, then the same body — the client ids make it harmless). A station
    never drops its queue: it keeps trying for up to `patience` seconds a request (a cap
    of 30 tries made a few of 200 stations give up while the 1 M city's scans were being
    shed, and their people went missing from the round)."""

    def __init__(self, port, raw):
        self.port, self.raw = port, raw
        self.conn = None
        self.retries = 0

    def call(self, method, path, body=None, patience=600.0):
        headers = {"Authorization": f"Bearer {self.raw}", "Content-Type": "application/json",
                   "Connection": "keep-alive"}
        last = ""
        deadline = time.monotonic() + patience
        attempt = 0
        while time.monotonic() < deadline:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                if resp.status < 500:
                    if resp.status >= 400:
                        raise RuntimeError(f"{method} {path} answered {resp.status}: {data[:300]!r}")
                    return json.loads(data)
                last = f"HTTP {resp.status}"
                if resp.status == 503:
                    time.sleep(min(2.0, float(resp.getheader("Retry-After") or 1)) / 2)
            except (OSError, http.client.HTTPException) as e:
                last = type(e).__name__
                self.conn.close()
                self.conn = None
            self.retries += 1
            attempt += 1
            time.sleep(min(2.0, 0.2 * attempt))
        raise RuntimeError(f"{method} {path}: still failing after {patience:g} s, {attempt} tries ({last})")


def _districts():
    return list(Place.objects.filter(kind=Kind.DISTRICT).order_by("id"))


def _people(district) -> list[tuple]:
    """Everyone the stations sample in pools: people in a sealed or controlled zone are
    sampled at home or in single tubes (the station refuses them a pooled tube), so the
    replay's pooled stations leave them out."""
    from fangkong.zones.models import HouseholdZone

    zoned = HouseholdZone.objects.filter(until=None).values("household_id")
    return list(Resident.objects.filter(district_id=district.id).exclude(presence="moved_out")
                .exclude(household_id__in=zoned)
                .order_by("household__place_id", "household_id", "id").values_list("id", "token"))


def setup(ctx):
    """Accounts and tokens (not timed): a command, a lab and a sampler per district."""
    port = ctx.cfg.topology.ports["nginx"]
    out = []
    for d in _districts():
        people = _people(d)
        if not people:
            continue
        cmd = bench_user(f"replay_staff_{d.id}", "staff", d)  # plans and runs the round
        lab = bench_user(f"replay_lab_{d.id}", "lab", d)
        sampler = bench_user(f"replay_sampler_{d.id}", "volunteer", d)
        point = Place.objects.filter(kind=Kind.SAMPLING_POINT, district_id=d.id, name="replay-point").first()
        if point is None:
            point = Place.objects.create(kind=Kind.SAMPLING_POINT, name="replay-point", parent=d,
                                         depth=d.depth + 1, **{f: getattr(d, f) for f in LEVEL_FIELDS})
        out.append({"n": len(out), "district": d, "people": people, "point": point, "sampler": sampler,
                    "lab_id": lab.id,
                    "cmd": Client(port, _token(cmd)), "lab": Client(port, _token(lab)),
                    "station_raw": _token(sampler)})
    total = sum(len(x["people"]) for x in out)
    stations = shape(ctx.cfg.tiny)[0]
    for x in out:  # stations in proportion to the district's people, at least one
        x["stations"] = max(1, round(stations * len(x["people"]) / total))
    return out


def replay(ctx, plan, tag, kill_at=None) -> dict:
    """One whole round; kill_at: the fraction of scan requests after which app1 is killed."""
    topo = ctx.cfg.topology
    port = topo.ports["nginx"]
    steps, t_all = {}, time.perf_counter()
    now = timezone.now()

    # 1. planning
    t = time.perf_counter()
    for x in plan:
        body = json.dumps({"place": x["district"].id, "name": f"replay {tag}", "pool_size": 10,
                           "starts_at": (now - datetime.timedelta(minutes=5)).isoformat(),
                           "ends_at": (now + datetime.timedelta(hours=24)).isoformat(),
                           # each replay is a whole round over the district, over the rounds
                           # of the replays before it: planned over them on purpose
                           "confirm_overlap": True})
        x["round"] = x["cmd"].call("POST", "/api/v1/screening/rounds", body)["id"]
        rnd = Round.objects.get(id=x["round"])
        sp = planning.add_point(Actor.system(), rnd, x["point"], min(100, x["stations"]))  # ≤ 100 a point
        Sampler.objects.get_or_create(round=rnd, user=x["sampler"], defaults={"point": sp, "table": 1})
    steps["planning"] = time.perf_counter() - t

    # 2. scans: every station's queue, all stations at once
    queues = []
    per_request = shape(ctx.cfg.tiny)[1]
    for x in plan:
        x["tubes"] = []
        people, k = x["people"], x["stations"]
        share = (len(people) + k - 1) // k
        for s in range(k):
            mine = people[s * share:(s + 1) * share]
            events, tubes = [], []
            for i in range(0, len(mine), 10):
                code = f"{tag}{x['n']:02d}{s:03d}{i // 10:05d}"  # unique across the districts
                tubes.append(code)
                events.append({"client_id": str(uuid.uuid4()), "type": "open", "barcode": code})
                events += [{"client_id": str(uuid.uuid4()), "type": "scan", "barcode": code,
                            "person": "FK1:" + p[1]} for p in mine[i:i + 10]]
                if len(mine[i:i + 10]) < 10:  # the table's last tube, sealed by hand (提前封管)
                    events.append({"client_id": str(uuid.uuid4()), "type": "seal", "barcode": code})
            x["tubes"].extend(tubes)
            queues.append((x["round"], x["station_raw"],
                           [json.dumps({"events": events[j:j + per_request]})
                            for j in range(0, len(events), per_request)]))
    total_requests = sum(len(q[2]) for q in queues)
    done = [0]
    lock = threading.Lock()
    killed = {}
    errors = []
    retries = [0]

    def station(rid, raw, bodies):
        client = Client(port, raw)
        try:
            for body in bodies:
                out = client.call("POST", f"/api/v1/screening/rounds/{rid}/sync", body)
                if out["conflicts"] or out["refused"] or out["invalid"]:
                    errors.append({k: out[k] for k in ("ok", "conflicts", "refused", "invalid")})
                with lock:
                    done[0] += 1
        except Exception as e:  # noqa: BLE001 -- reported below
            errors.append(repr(e))
        with lock:
            retries[0] += client.retries

    def killer():
        while done[0] < kill_at * total_requests:
            time.sleep(0.05)
        t0 = time.perf_counter()
        import signal

        topo.stop_one("app1", signal.SIGKILL)
        killed["at"] = done[0]
        topo.start_app("app1")
        killed["restart_s"] = time.perf_counter() - t0

    t = time.perf_counter()
    cpu0 = (app_cpu(topo), db_cpu(topo))
    threads = [threading.Thread(target=station, args=q, daemon=True) for q in queues]
    if kill_at is not None:
        threads.append(threading.Thread(target=killer, daemon=True))
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=900)
    steps["scans"] = time.perf_counter() - t
    scan_cpu = (app_cpu(topo) - cpu0[0], db_cpu(topo) - cpu0[1])  # CPU seconds of the scan step
    if errors:  # say so now: the results of a station's missing tubes would fail below
        print(f"# replay {tag}: {len(errors)} station errors, first: {errors[:3]}", flush=True)
    scans = sum(len(x["people"]) for x in plan)

    # 3. boxes, then results: every tube, one pool in 1,000 positive
    t = time.perf_counter()
    for x in plan:
        send_to_lab(x, x["tubes"], f"{tag}B{x['n']:02d}")
    steps["boxes"] = time.perf_counter() - t
    t = time.perf_counter()
    tested = timezone.now().isoformat()
    for x in plan:
        rows = [{"barcode": c, "result": "positive" if i % 1000 == 500 else "negative",
                 "tested_at": tested} for i, c in enumerate(x["tubes"])]
        for j in range(0, len(rows), 2000):
            out = x["lab"].call("POST", "/api/v1/screening/results", json.dumps({"results": rows[j:j + 2000]}))
            if out.get("refused"):  # tubes not sent to this lab: said with the figures
                errors.append(f"results refused: {out['refused'][:3]}")
    steps["results"] = time.perf_counter() - t
    n_tubes = sum(len(x["tubes"]) for x in plan)

    # 4. re-tests: every held person once, then their negative result
    t = time.perf_counter()
    n_retests = 0
    for x in plan:
        held, page = [], 1
        while True:
            got = x["cmd"].call("GET", f"/api/v1/screening/rounds/{x['round']}/followups?page={page}&page_size=500")
            held += [f["id"] for f in got["results"] if f["status"] == "awaiting"]
            if page * got["page_size"] >= got["count"]:
                break
            page += 1
        codes = [f"{tag}RT{x['n']:02d}{k:05d}" for k in range(len(held))]

        def team(k, held=held, codes=codes, x=x):
            client = Client(port, x["cmd"].raw)
            try:
                for fid, code in list(zip(held, codes, strict=True))[k::RETEST_TEAMS]:
                    client.call("POST", f"/api/v1/screening/followups/{fid}/retest",
                                json.dumps({"barcode": code, "client_id": str(uuid.uuid4())}))
            except Exception as e:  # noqa: BLE001 -- reported with the figures
                errors.append(f"retest: {e!r}")

        teams = [threading.Thread(target=team, args=(k,), daemon=True) for k in range(RETEST_TEAMS)]
        for th in teams:
            th.start()
        for th in teams:
            th.join(timeout=600)
        if codes:
            send_to_lab(x, codes, f"{tag}R{x['n']:02d}")
            x["lab"].call("POST", "/api/v1/screening/results", json.dumps({"results": [
                {"barcode": c, "result": "negative", "tested_at": timezone.now().isoformat()} for c in codes]}))
        n_retests += len(codes)
    steps["retests"] = time.perf_counter() - t

    # 5. final coverage (the replica answers it)
    t = time.perf_counter()
    sampled = 0
    for x in plan:
        sampled += x["cmd"].call("GET", f"/api/v1/screening/rounds/{x['round']}/coverage")["sampled"]
    steps["coverage"] = time.perf_counter() - t
    wall = time.perf_counter() - t_all

    rids = [x["round"] for x in plan]
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*), COUNT(DISTINCT (round_id, resident_id)) FROM screening_sample "
                    "WHERE round_id = ANY(%s) AND NOT retest", [rids])
        rows, distinct = cur.fetchone()
    return {"wall": wall, "steps": steps, "scans": scans, "tubes": n_tubes, "retests": n_retests,
            "registered": rows, "distinct": distinct, "sampled_api": sampled, "errors": errors,
            "retries": retries[0], "killed": killed, "requests": total_requests, "scan_cpu": scan_cpu}


BOX_TUBES = 2000  # tubes a transport box (one pack request)


def send_to_lab(x, codes, prefix):
    """The district's point packs `codes` in boxes sent to its lab, the courier takes each,
    the lab signs for it (…/boxes API): the lab writes only tubes of boxes sent to it."""
    rid = x["round"]
    for j in range(0, len(codes), BOX_TUBES):
        box = x["cmd"].call("POST", f"/api/v1/screening/rounds/{rid}/boxes", json.dumps(
            {"code": f"{prefix}{j // BOX_TUBES:04d}", "lab": x["lab_id"]}))["id"]
        url = f"/api/v1/screening/rounds/{rid}/boxes/{box}"
        x["cmd"].call("POST", f"{url}/tubes", json.dumps({"barcodes": codes[j:j + BOX_TUBES]}))
        x["cmd"].call("POST", f"{url}/handover", json.dumps(
            {"stage": "pickup", "given_by": "point", "received_by": "courier"}))
        x["lab"].call("POST", f"{url}/handover", json.dumps(
            {"stage": "lab", "given_by": "courier", "received_by": "lab"}))


def run(ctx):
    report = ctx.report
    plan = setup(ctx)
    n = sum(len(x["people"]) for x in plan)
    report.note(f"replay: {n:,} residents in {len(plan)} districts, "
                f"{sum(x['stations'] for x in plan)} stations, {shape(ctx.cfg.tiny)[1]} events a request, through nginx")
    stamp = uuid.uuid4().hex[:3].upper()
    for label, kill_at in (("replay", None), ("replay.kill", 0.5)):
        res = replay(ctx, plan, f"{stamp}{'K' if kill_at else 'A'}", kill_at)
        slowest = max(res["steps"], key=res["steps"].get)
        lost, doubled = res["scans"] - res["distinct"], res["registered"] - res["distinct"]
        note = (", ".join(f"{k} {v:.1f} s" for k, v in res["steps"].items())
                + f"; slowest: {slowest}; {res['scans']:,} scans ({res['requests']:,} requests), "
                  f"{res['tubes']:,} tube results, {res['retests']} re-tests; "
                  f"registered {res['registered']:,} (lost {lost}, doubled {doubled}); coverage API says "
                  f"{res['sampled_api']:,} sampled; {res['retries']} requests sent again")
        if res["killed"]:
            note += (f"; app1 SIGKILLed after {res['killed'].get('at')} of {res['requests']} requests, "
                     f"back in {res['killed'].get('restart_s', 0):.1f} s")
        if res["errors"]:
            note += f"; ERRORS: {res['errors'][:3]}"
        report.add(figure(f"{label}.wall", [res["wall"]], "s", note=note,
                          extra={"steps": res["steps"], "lost": lost, "doubled": doubled,
                                 "errors": [str(e) for e in res["errors"][:5]]}))
        app_s, db_s = res["scan_cpu"]
        cpu = (f"its CPU: app servers {app_s:.1f} s, PostgreSQL {db_s:.1f} s "
               f"({(app_s + db_s) / res['scans'] * 1e6:.0f} µs a registration; "
               f"{(app_s + db_s) / res['steps']['scans']:.2f} of the 2 cores busy)")
        if res["killed"]:  # the killed server's CPU went with it: not comparable
            cpu = "its CPU not counted (app1's processes were killed and replaced)"
        report.add(figure(f"{label}.scan_rate", [res["scans"] / res["steps"]["scans"]], "rows/s",
                          note=f"residents registered a second during the scan step; {cpu}",
                          extra={"cpu_app_s": app_s, "cpu_db_s": db_s}))
        if label == "replay":
            base = res
        else:
            report.add(figure("replay.kill.extra", [res["wall"] - base["wall"]], "s",
                              note=f"wall time with app1 killed half-way minus without; the scan step "
                                   f"alone: {res['steps']['scans'] - base['steps']['scans']:+.1f} s"))
