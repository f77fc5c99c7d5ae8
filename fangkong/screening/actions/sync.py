"""The station's offline batch (`sync`): a queue of open / scan / seal events sent when the
network comes back, applied set-based and idempotently, in four steps:

1. read the events (`events.parse_batch`): a malformed one comes back `invalid` with its
   reason and costs the others nothing;
2. read what the batch needs in one go (`sync_reads.reads`): client ids already used,
   the batch's tubes (locked), the scanned people with their registration in the round
   and the pool size their zone allows;
3. decide each event in the order it happened at the station (`Batch.decide`), with the
   station's rules in their one order (`refusals.refusal`): registered, kept as a conflict
   (offline: the swab is already in the tube) or refused (online); someone held by a
   positive test is refused first, and their community told (`followup.came_out`);
4. write (`Batch.write`, `sync_writes`): new tubes, the registrations (COPYed on
   PostgreSQL; on a collision the batch is rolled back and applied again through INSERT …
   ON CONFLICT DO NOTHING), the tubes' counts, the counters, the audit row, the conflicts.

A batch sent twice, or cut off and resent, writes each record once.
"""

from django.db import transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core import bulk
from fangkong.core.errors import Invalid
from fangkong.core.tree import level_field
from fangkong.registry.models import LEVEL_FIELDS

from .. import checks
from ..access import require_sample
from ..areas import area_keys
from ..figures import EXEMPT_PRESENCE
from ..models import CodeColour, Conflict, Round, Sample, Tube, TubeState
from ..refusals import detail_of, explain, malformed, refusal, refusal_message, refused, where_of
from .common import (
    assigned_point,
    earliest_clock,
    left_empty,
    new_tube,
    release,
    require_open,
    require_tubes,
    started,
    unknown_points,
    user_of,
)
from .events import parse_batch
from .followup import came_out
from .home_request import swabbed
from .sync_reads import reads, registered
from .sync_writes import (
    CopyCollided,
    bump_counters,
    create_tubes,
    insert_samples,
    on_postgresql,
    run_writes,
    update_tubes,
)

OPEN, SEALED = TubeState.OPEN, TubeState.SEALED
WARN = (CodeColour.RED, CodeColour.YELLOW)  # a single tube for these
OK = {"status": "ok"}  # outcomes are copied when the answer is written
OK_AGAIN = {"status": "ok", "duplicate": True}


def ok_again(name) -> dict:
    """A duplicate's answer: done already, with the person its first answer named."""
    return {"status": "ok", "duplicate": True, "name": name}


def sync(actor, rnd: Round, items: list[dict], *, online=False) -> list[dict]:
    """Register a batch of station events, each {client_id, type: open|scan|seal, barcode,
    person, confirm, capacity, point, table, at}. Returns one outcome per item, in order:
    {client_id, status: ok|conflict|refused|invalid, kind, message, conflict, tube:
    {barcode, count, capacity, state, left}, name}. Conflicts are stored (offline scans: the
    swab is already in the tube) unless `online`, where nothing is stored and the station
    refuses on the spot."""
    require_sample(actor, rnd)
    require_tubes(rnd)
    require_open(rnd, queued=not online)
    if len(items) > checks.MAX_BATCH:
        raise Invalid(_("At most %(n)d events a batch.") % {"n": checks.MAX_BATCH})
    now = timezone.now()
    parsed, bad = parse_batch(items, now, earliest_clock(rnd))
    parsed, bad = _points_checked(rnd, parsed, bad)
    _assigned_points(rnd, actor, parsed)
    if not parsed:
        return [malformed(p, items[p["index"]]) for p in bad]
    # The registrations are COPYed straight in; if that collides (rare), everything is
    # rolled back and the batch runs again inserting through ON CONFLICT: no savepoint
    # around the COPY (two round trips) in the usual case.
    for copy in (True, False):
        batch = Batch(rnd, user_of(actor), now, online)
        try:
            with transaction.atomic():
                batch.read(parsed)
                batch.decide(parsed)
                batch.write(actor, copy=copy, events=len(items), bad=len(bad))
        except CopyCollided:
            continue
        break
    if batch.came_out:  # someone held came to the point: their community told (once each)
        came_out(actor, rnd, batch.came_out)
    return batch.answers(parsed, bad, items)


def _points_checked(rnd, parsed, bad) -> tuple[list[dict], list[dict]]:
    """An event naming a sampling point the round does not have is that event's error
    (its tube would break the whole batch's commit)."""
    unknown = unknown_points(rnd, [p["point"] for p in parsed if p["type"] == "open"])
    if not unknown:
        return parsed, bad
    for p in parsed:
        if p["type"] == "open" and p["point"] in unknown:
            p["error"] = ("point", checks.no_such_point())
    return [p for p in parsed if "error" not in p], bad + [p for p in parsed if "error" in p]


def _assigned_points(rnd, actor, parsed) -> None:
    """An open naming no sampling point is at the sampler's assigned one
    (`common.assigned_point`, the single open's rule too): one query a batch, only when
    some open names none."""
    missing = [p for p in parsed if p["type"] == "open" and p.get("point") is None]
    if missing and (point := assigned_point(rnd, user_of(actor))) is not None:
        for p in missing:
            p["point"] = point


class Batch:
    """One batch's state from its reads to its writes: {client id: outcome}, the tubes by
    barcode (as read, then as the events change them), and the rows to write."""

    def __init__(self, rnd, user, now, online):
        self.rnd, self.user, self.online = rnd, user, online
        self.outcomes = {}
        self.new_tubes, self.new_samples, self.new_conflicts = [], [], []
        self.sealed_now = set()  # barcodes sealed by this batch
        self.released, self.set_aside = [], []  # tubes left empty at their table (`open`)
        self.doubtful = []  # scans refused or kept as conflicts: were they registered already?
        self.tube_of = {}  # client id → tube id of a duplicate found registered (its answer's tube)
        self.came_out = []  # (follow-up id, when) of people held by a positive test scanned here
        self.make_sample = bulk.prototype(Sample, round_id=rnd.id, tube_id=None, resident_id=0,
                                          household_id=0, recorded_at=now,
                                          sampler_id=getattr(user, "id", None), sampled_at=now)
        self.make_tube = _tube_factory(rnd, user, now)

    # --- 2. read ---------------------------------------------------------------------------

    def read(self, parsed):
        ids = list({p["client_id"] for p in parsed})
        opener = getattr(self.user, "id", None) if any(p["type"] == "open" for p in parsed) else None
        self.done, self.known, locked, self.spare_ids, self.people = reads(self.rnd, parsed, ids,
                                                                             opener)
        self.tubes = {t.barcode: t for t in locked}
        self.start_counts = {t.barcode: t.count for t in locked}
        # registered already in this round, and red/yellow codes: read with the people
        self.sampled, self.red = {}, set()
        # on the round's home list for a family's request (`scanning.ASKED`): their
        # registration closes the request once committed (`swabbed`)
        self.asked = {r["id"] for r in self.people.values() if r["asked"]}
        areas = [(level_field(k), pid) for k, pid in area_keys(self.rnd)]  # (person's column, place)
        for r in self.people.values():
            r["in_scope"] = any(r[col] == pid for col, pid in areas)
            if r["s_code"]:
                self.sampled[r["id"]] = (r["s_code"], r["s_at"], r["s_point"], r["s_table"])
            if r["colour"] in WARN:
                self.red.add(r["id"])

    # --- 3. decide -------------------------------------------------------------------------

    def decide(self, parsed):
        """Each event in the order it happened: its outcome, and the rows it adds."""
        outcomes, done, known = self.outcomes, self.done, self.known
        told = self.told(known)
        for p in parsed:
            cid = p["client_id"]
            if cid in outcomes:
                continue
            if cid in done:
                outcomes[cid] = OK_AGAIN
                if p["type"] == "open":  # sent again: its table moved on all the same
                    self.leave_empty(p)
            elif cid in known:
                c = known[cid]
                name, where = told.get(c.id, ("", ""))
                outcomes[cid] = {"status": "conflict", "kind": c.kind, "conflict": c.id, "name": name,
                                 "resolved": c.status != Conflict.Status.OPEN,
                                 "message": refusal_message(c.kind, name=name, barcode=c.barcode,
                                                            where=where)}
            elif p["type"] == "scan":
                outcomes[cid] = self.scan(p)
            elif p["type"] == "open":
                outcomes[cid] = self.open(p)
            else:
                outcomes[cid] = self.seal(p)

    @staticmethod
    def told(known) -> dict:
        """{conflict id: (name, where)} of the conflicts this batch sends again: a resent
        event answers as its first answer did ("王紫欣 本轮已采过样（试管 QNL0000001，21:19，…）",
        not "此人"), from the person and the facts the conflict kept. One query, only when
        something is resent."""
        if not known:
            return {}
        rows = Conflict.objects.filter(id__in=[c.id for c in known.values()]).values_list(
            "id", "kind", "detail", "resident__name")
        return {pk: (name or "", where_of(kind, detail)) for pk, kind, detail, name in rows}

    def open(self, p) -> dict:
        bc, cid = p["barcode"], p["client_id"]
        tube = self.tubes.get(bc)
        if tube is None:
            tube = self.make_tube(bc, p["capacity"] or self.rnd.pool_size, p["point"], p["table"],
                                  cid, p["at"])
            self.tubes[bc] = tube
            self.start_counts[bc] = 0
            self.new_tubes.append(tube)
            self.leave_empty(p)
            return OK
        if tube.client_id is not None and str(tube.client_id) == cid:
            self.leave_empty(p)
            return OK_AGAIN  # (`decide` answers most resent opens: their id is seen)
        return self.keep_conflict(p, Conflict.Kind.BARCODE_USED, tube=tube)

    def leave_empty(self, p):
        """The table of open `p` has moved on from the empty tubes its sampler opened there
        before (`common.left_empty`): released — one this batch opened is never written, a
        saved one is deleted when the batch writes. Done for a resent open too, so a batch
        sent again leaves the same tubes as its first sending."""
        left = left_empty(self.tubes.values(), getattr(self.user, "id", None), p["point"],
                          p["table"], p["barcode"])
        for t in left:
            bc = t.barcode
            del self.tubes[bc]
            self.start_counts.pop(bc, None)
            self.sealed_now.discard(bc)
            if t.pk is None:
                self.new_tubes = [x for x in self.new_tubes if x is not t]
            else:
                self.released.append(t)
            self.set_aside.append(bc)

    def seal(self, p) -> dict:
        bc = p["barcode"]
        tube = self.tubes.get(bc)
        if tube is None:
            return self.keep_conflict(p, Conflict.Kind.TUBE_UNKNOWN)
        if tube.state == OPEN:
            if tube.count == 0:
                return {"status": "refused", "kind": "tube_empty",
                        "message": str(_("An empty tube cannot be sealed."))}
            tube.state, tube.sealed_at = SEALED, p["at"]
            self.sealed_now.add(bc)
        return OK

    def scan(self, p) -> dict:
        bc = p["barcode"]
        tube = self.tubes.get(bc)
        person = self.people.get((p["person_kind"], p["person_key"]))
        if person is None:
            name, pid = "", None
        else:
            s_cid = person["s_cid"]
            if s_cid is not None and str(s_cid) == p["client_id"]:  # sent again: registered already
                return ok_again(person["name"])
            name, pid = person["name"], person["id"]
        zone = person["zone"] if person is not None else None  # the pool size its zone allows
        held = person["held"] if person is not None else None  # (follow-up, "pool" | "antigen")
        kind = refusal(None if tube is None else (tube.count, tube.capacity, tube.state), person,
                       pid in self.sampled, pid in self.red,
                       person is not None and person["in_scope"], p["confirm"],
                       None if zone is None else zone[1], held=held is not None)
        if kind is not None:
            self.doubtful.append(p["client_id"])
            why = None
            if kind == Conflict.Kind.HELD:
                why = held[1]
                self.came_out.append((held[0], p["at"]))
            if self.online:
                return refused(kind, name=name, barcode=bc, sampled=self.sampled.get(pid), zone=zone,
                               held=why)
            return self.keep_conflict(p, kind, tube=tube, person=person, name=name,
                                      sampled=self.sampled.get(pid), zone=zone, held=why)
        self.register(p, tube, person)
        return {"status": "ok", "name": name}

    def register(self, p, tube, person):
        smp = self.make_sample()
        d = smp.__dict__  # a fresh copy with nothing cached: plain attributes, no descriptors
        for f in LEVEL_FIELDS:
            d[f] = person[f]
        at, bc = p["at"], p["barcode"]
        td = tube.__dict__  # plain attributes (`pk` and foreign keys go through descriptors)
        d["tube_id"] = td["id"]
        d["resident_id"] = pid = person["id"]
        d["household_id"] = person["household_id"]
        d["client_id"] = p["client_id"]
        d["sampled_at"] = at
        d["point_id"] = td["point_id"]
        d["out_of_scope"] = not person["in_scope"]
        d["bc"] = bc  # the tube's barcode, without going back to the tube
        d["ex"] = person["ex"] or person["presence"] in EXEMPT_PRESENCE  # was exempt
        self.new_samples.append(smp)
        self.sampled[pid] = (bc, at)
        tube.count += 1
        if tube.count >= tube.capacity:
            tube.state, tube.sealed_at = SEALED, at
            self.sealed_now.add(bc)

    def keep_conflict(self, p, kind, *, tube=None, person=None, name="", sampled=None,
                      zone=None, held=None) -> dict:
        """A scan the station already made (the swab is in the tube) that breaks a rule: kept
        for the staff to accept or dismiss (written only offline)."""
        message = explain(kind, name=name, barcode=p["barcode"], sampled=sampled, zone=zone,
                          held=held)[0]
        if tube is not None and p.get("type", "scan") == "scan":
            tube.busy = True  # the swab is in it: never released as empty (`common.left_empty`)
        c = Conflict(round=self.rnd, client_id=p["client_id"], kind=kind, barcode=p["barcode"],
                     tube=tube if tube is not None and tube.pk else None,
                     resident_id=person["id"] if person else None,
                     person=(p.get("person_key", "") if p.get("person_kind") == "token" else "")[:64],
                     sampled_at=p["at"], sampler=self.user,
                     detail=detail_of(kind, sampled=sampled, zone=zone, held=held))
        if tube is not None and not tube.pk:
            c.pending_tube = tube
        self.new_conflicts.append(c)
        return {"status": "conflict", "kind": str(kind), "name": name, "message": message}

    # --- 4. write --------------------------------------------------------------------------

    def write(self, actor, *, copy, events, bad):
        rnd, online = self.rnd, self.online
        if self.doubtful:
            self.recheck_doubtful()
        if self.released:  # before the new tubes: a barcode released may be opened again
            release(self.released)
        new_tubes = self.new_tubes
        # PostgreSQL writes the new tubes' rows last, with their final counts and states
        # (no UPDATE of fresh rows); their ids are reserved now (the samples need them).
        tubes_later = bool(new_tubes) and on_postgresql()
        if new_tubes:
            create_tubes(new_tubes, write=not tubes_later, ids=self.spare_ids)
            started(rnd, actor)
        self.link_new_tubes()
        inserted = self.insert_samples(copy)
        if self.asked:  # their families' requests: on commit
            swabbed(rnd.id, [s.resident_id for s in inserted if s.resident_id in self.asked])
        writes = []  # PostgreSQL: the tubes' UPDATE, the counters and the audit: one round trip
        update_tubes(self.tubes, self.start_counts, inserted, self.sealed_now, new_tubes,
                     unwritten=tubes_later, defer=writes)
        if tubes_later:
            bulk.insert(Tube, new_tubes)  # (COPY: a multi-row INSERT sent with the counts
            # below measured 3.5× slower for 45 tubes, its literals formatted client-side)
        bump_counters(rnd, inserted, defer=writes)
        if not online and (inserted or self.new_conflicts or new_tubes or self.released):
            record(actor, "screening.sync", rnd, {"samples": len(inserted),
                                                  "conflicts": len(self.new_conflicts),
                                                  "tubes": len(new_tubes), "events": events,
                                                  **({"malformed": bad} if bad else {}),
                                                  **({"set_aside": self.set_aside[:200]}
                                                     if self.set_aside else {})},
                   levels_from=rnd, defer=writes if on_postgresql() else None)
        run_writes(writes)
        if self.new_conflicts and not online:
            self.store_conflicts()

    def recheck_doubtful(self):
        """Scans refused or kept as conflicts that were sent before and registered (the
        person since moved, or an id reused): answered ok, nothing kept."""
        again = registered(self.doubtful)
        if again:
            for cid, (name, tube_id) in again.items():
                self.outcomes[cid] = ok_again(name)
                self.tube_of[cid] = tube_id
            self.new_conflicts = [c for c in self.new_conflicts if c.client_id not in again]

    def link_new_tubes(self):
        """Tubes opened in this batch have their ids only now."""
        if self.new_tubes:
            id_of = {t.barcode: t.id for t in self.new_tubes}
            for smp in self.new_samples:
                d = smp.__dict__  # plain attributes (`tube_id` is a descriptor)
                if d["tube_id"] is None:
                    d["tube_id"] = id_of[d["bc"]]
        for c in self.new_conflicts:
            pending = getattr(c, "pending_tube", None)
            if pending is not None:
                c.tube_id = pending.pk

    def insert_samples(self, copy) -> list[Sample]:
        """The registrations actually inserted; those registered meanwhile by another table
        (or the same event, concurrently) are answered as such."""
        if not self.new_samples:
            return []
        inserted = insert_samples(self.new_samples, copy=copy)
        lost = [s for s in self.new_samples if s.client_id not in inserted]
        if lost:
            self.lost(lost)
        return [s for s in self.new_samples if s.client_id in inserted]

    def lost(self, samples):
        now_there = registered(s.client_id for s in samples)
        outcomes = self.outcomes
        for s in samples:
            cid = s.client_id
            if cid in now_there:  # the same event, sent twice at once (or its id reused): it is in
                name, self.tube_of[cid] = now_there[cid]
                outcomes[cid] = ok_again(name)
                continue
            kind = Conflict.Kind.ALREADY_SAMPLED
            name = outcomes[cid].get("name", "")
            if self.online:
                outcomes[cid] = refused(kind, name=name)
            else:
                p = {"client_id": cid, "barcode": s.bc, "at": s.sampled_at}
                outcomes[cid] = self.keep_conflict(p, kind, tube=self.tubes[s.bc],
                                                   person={"id": s.resident_id}, name=name)

    def store_conflicts(self):
        conflicts = self.new_conflicts
        Conflict.objects.bulk_create(conflicts, ignore_conflicts=True)
        ids_by_client = {str(cid): pk for cid, pk in Conflict.objects.filter(
            client_id__in=[c.client_id for c in conflicts]).values_list("client_id", "id")}
        for c in conflicts:
            self.outcomes[c.client_id]["conflict"] = ids_by_client.get(c.client_id)

    # --- the answer --------------------------------------------------------------------------

    def answers(self, parsed, bad, items) -> list[dict]:
        """One outcome per item, in the order sent; each tube's state shared by its events."""
        views = {bc: {"barcode": t.barcode, "count": t.count, "capacity": t.capacity, "state": t.state,
                      "left": t.left} for bc, t in self.tubes.items() if t.pk}
        barcode_of = {t.pk: bc for bc, t in self.tubes.items() if t.pk} if self.tube_of else {}
        out = []
        for p in sorted(parsed + bad, key=lambda p: p["index"]):
            if "error" in p:
                out.append(malformed(p, items[p["index"]]))
                continue
            o = dict(self.outcomes[p["client_id"]])
            o["client_id"] = str(p["client_id"])
            # a duplicate found registered: the tube it went into (one of the batch's)
            bc = barcode_of.get(self.tube_of.get(p["client_id"]), p["barcode"])
            view = views.get(bc)
            if view is not None:
                o["tube"] = view
            out.append(o)
        return out


def _tube_factory(rnd, user, now):
    """`make(barcode, capacity, point, table, client_id, at)`: unsaved tubes of this batch,
    copies of one template (Model.__init__ cost ~80 µs a tube)."""
    template = new_tube(rnd, "", 1, user, None, None, None, now).__dict__.copy()
    template.pop("_state", None)

    def make(barcode, capacity, point, table, client_id, at):
        t = Tube.__new__(Tube)
        t.__dict__.update(template)
        t._state = ModelState()
        t.barcode, t.capacity, t.table, t.client_id, t.opened_at = barcode, capacity, table, client_id, at
        t.point_id = getattr(point, "id", point)
        return t

    return make
