"""Keeping the per-community running counters (`RoundCounter`) right for roll-ups.

They hold the round's figures per community by `figures`' definitions: `expected`,
`sampled` (done) and `exempt` (exempt and not done). `recount` counts them exactly (the
same statement as `figures.coverage`, grouped by community). Between counts, the writes
that make someone done keep them: a registration (`actions.sync`, `scanning`, an accepted
conflict) or a first antigen result (`actions.antigen.record_result`) adds one to `sampled` and,
when the person was exempt, takes one off `exempt`, in its own transaction. What else
changes them — the registry (a resident added, moved, moved out, in quarantine…) and the
round's exemptions — is recounted:

`refresh(rnd)` brings them up to date before a roll-up is read, cheaply: every write that
can change them goes through an action that records an `AuditEvent` carrying the levels of
what it changed (the architecture's rule), so the communities touched since the round was
last counted are one indexed range read of the audit trail (`at`), and only those are
counted again (one grouped query over their residents). A move of a resident between
communities names both communities in its event; a moved place, or an event without a
community, recounts the whole round.

Events are read from `SLACK` before the last count, so a write whose transaction was
still open when the round was last counted is not missed; a community touched in that
window is counted again on the next refresh (cheap: its own residents only).
"""

import datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.tree import UPPER_LEVELS, under, under_key
from fangkong.registry.models import Place

from . import figures
from .models import Round, RoundCounter

SLACK = datetime.timedelta(seconds=60)
# Advance the round's mark at most this often when nothing changed (no write per poll).
IDLE_MARK = datetime.timedelta(seconds=60)
WATCHED = ("resident.create", "resident.update", "resident.move", "registry.import",
           "place.move", "screening.exempt.add", "screening.exempt.remove")


def refresh(rnd: Round) -> int:
    """Recount the communities of `rnd` whose registry or exemptions changed since the last
    count. Returns how many communities were recounted (-1: the whole round). An erased
    round keeps the figures counted at its erasure."""
    if rnd.erased_at is not None:
        return 0
    since = rnd.counted_at
    now = timezone.now()
    if since is None:
        recount(rnd)
        return -1
    events = list(AuditEvent.objects.filter(under(rnd.place), at__gte=since - SLACK, action__in=WATCHED)
                  .values_list("action", "community_id", "changes", "target_id"))
    communities, whole = set(), False
    for action, community, changes, target in events:
        if action == "screening.exempt.remove" and (changes or {}).get("round") not in (None, rnd.id):
            continue
        if action == "screening.exempt.add" and (changes or {}).get("round") not in (None, rnd.id):
            continue
        if action == "place.move":
            whole = whole or not _place_move_communities(target, changes, communities)
        elif action == "resident.move" and "community" in (changes or {}):
            communities.update(c for c in changes["community"] if c)
        elif action == "resident.move" or community is None:
            whole = True
        else:
            communities.add(community)
    if whole:
        recount(rnd)
        return -1
    if communities:
        recount(rnd, communities)
    if communities or now - since >= IDLE_MARK:
        Round.objects.filter(pk=rnd.pk).update(counted_at=now)
        rnd.counted_at = now
    return len(communities)


def _place_move_communities(place_id, changes, out: set) -> bool:
    """The communities a moved place left and joined, if it is below a community."""
    place = Place.objects.filter(pk=place_id).only("kind", "community_id").first()
    if place is None or place.kind in ("district", "street", "community") or not place.community_id:
        return False
    out.add(place.community_id)
    before = (changes or {}).get("parent", [None])[0]
    old = Place.objects.filter(pk=before).values_list("community_id", flat=True).first() if before else None
    if old:
        out.add(old)
    return True


def recount(rnd: Round, communities=None) -> None:
    """Count expected, done and exempt exactly for the communities of `rnd` (all of them,
    or those named), `CHUNK` communities a transaction. Each chunk's counter rows are made
    if missing and locked (FOR UPDATE, in community order) before the people are counted,
    so a registration in flight either is counted (it committed first) or adds itself
    after this count is written (its bump waits for the lock): nothing is lost or counted
    twice. SQLite runs one writer at a time (IMMEDIATE transactions). An erased round keeps
    the counts it had (screening.erasure)."""
    if rnd.erased_at is not None:
        return
    start = timezone.now()
    if communities is None:
        ids = _communities(rnd) | set(RoundCounter.objects.filter(round=rnd)
                                      .values_list("community_id", flat=True))
    else:
        ids = {c for c in communities if c}
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        _recount_chunk(rnd, ids[i:i + CHUNK])
    if communities is None:  # the whole round counted as of `start`
        Round.objects.filter(pk=rnd.pk).update(counted_at=start)
        rnd.counted_at = start


CHUNK = 50


def _communities(rnd: Round) -> set:
    """The communities the round's areas cover (two small queries)."""
    from fangkong.registry.models import Kind

    from .areas import area_keys

    keys = area_keys(rnd)
    above = Q(pk__in=[])
    below = []
    for kind, pid in keys:
        if kind in UPPER_LEVELS:
            above |= under_key(kind, pid)
        else:
            below.append(pid)
    out = set(Place.objects.filter(above, kind=Kind.COMMUNITY).values_list("id", flat=True))
    if below:
        out |= set(Place.objects.filter(id__in=below).exclude(community_id=None)
                   .values_list("community_id", flat=True))
    return out


def _recount_chunk(rnd: Round, ids: list[int]) -> None:
    with transaction.atomic():
        have = {c.community_id: c for c in RoundCounter.objects.filter(round=rnd, community_id__in=ids)}
        new = [RoundCounter(round=rnd, community_id=c, street_id=st, district_id=di)
               for c, st, di in Place.objects.filter(id__in=[c for c in ids if c not in have])
               .values_list("id", "street_id", "district_id")]
        if new:
            RoundCounter.objects.bulk_create(new, ignore_conflicts=True)
        locked = RoundCounter.objects.filter(round=rnd, community_id__in=ids).order_by("community_id")
        if connection.features.has_select_for_update:
            locked = locked.select_for_update()
        rows = list(locked)
        counted = figures.counted_by(rnd, figures.expected(rnd).filter(community_id__in=ids),
                                     ["community_id"])
        for c in rows:
            fig = counted.get(c.community_id)
            c.expected, c.sampled, c.exempt = (fig["expected"], fig["sampled"], fig["exempt"]) \
                if fig else (0, 0, 0)
        RoundCounter.objects.bulk_update(rows, ["expected", "sampled", "exempt"])


# --- the roll-up, read from the counters -------------------------------------------------

def rollup(rnd: Round, node: Place) -> list[dict]:
    """The figures of every community under a district or street node, from the running
    counters (`refresh` first recounts the communities whose registry or
    exemptions changed since the last count): one query however many communities, plus
    their names. People only (households are counted exactly per node, `coverage`)."""
    if node.kind not in UPPER_LEVELS:
        return []
    refresh(rnd)
    rows = list(RoundCounter.objects.filter(under(node), round=rnd)
                .order_by("community_id").values("community_id", "expected", "exempt", "sampled"))
    names = dict(Place.objects.filter(id__in=[r["community_id"] for r in rows]).values_list("id", "name"))
    out = []
    for r in rows:
        fig = figures.derive(0, r["expected"], r["sampled"], r["exempt"])
        for k in ("households", "households_covered", "households_percent", "out_of_scope"):
            fig.pop(k)
        out.append({"community_id": r["community_id"], "name": names.get(r["community_id"], ""), **fig})
    return out


def rollup_totals(rnd: Round, node: Place) -> dict:
    """The roll-up summed in the database (the benchmark's figure)."""
    if node.kind not in UPPER_LEVELS:
        return {}
    refresh(rnd)
    return RoundCounter.objects.filter(under(node), round=rnd).aggregate(
        expected=Sum("expected"), exempt=Sum("exempt"), sampled=Sum("sampled"), communities=Count("id"))
