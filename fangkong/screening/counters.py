"""Keeping the per-community running counters (`RoundCounter`) right for roll-ups.

`sampled` is kept by the registering transactions (`actions.sync`, `scanning`). `expected`
and `exempt` depend on the registry (a resident added, moved, moved out, in quarantine…)
and on the round's exemptions; they were counted at planning and by `actions.recount`.

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

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.registry.models import Place, Presence, Resident

from .actions import EXEMPT_PRESENCE, area_q, recount
from .models import Exemption, Round, RoundCounter

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
        rnd.counted_at = now
        return -1
    level = {f"{rnd.place.kind}_id": rnd.place_id} if rnd.place.kind != "community" \
        else {"community_id": rnd.place_id}
    events = list(AuditEvent.objects.filter(at__gte=since - SLACK, action__in=WATCHED, **level)
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
        rnd.counted_at = timezone.now()
        return -1
    if communities:
        recount_communities(rnd, communities)
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


def recount_communities(rnd: Round, community_ids) -> None:
    """`actions.recount` for some communities only: expected and exempt, one grouped query
    over their residents."""
    ids = sorted(c for c in community_ids if c)
    if not ids:
        return
    exempt_q = Q(presence__in=EXEMPT_PRESENCE) | Q(
        id__in=Exemption.objects.filter(round=rnd).values("resident_id"))
    rows = {r["community_id"]: r for r in (
        Resident.objects.filter(area_q(rnd)).filter(community_id__in=ids)
        .exclude(presence=Presence.MOVED_OUT).values("community_id", "street_id", "district_id")
        .annotate(n=Count("id"), ne=Count("id", filter=exempt_q)).order_by())}
    with transaction.atomic():
        have = set(RoundCounter.objects.filter(round=rnd, community_id__in=ids)
                   .values_list("community_id", flat=True))
        new = []
        for comm in ids:
            row = rows.get(comm)
            n, ne = (row["n"], row["ne"]) if row else (0, 0)
            if comm in have:
                RoundCounter.objects.filter(round=rnd, community_id=comm).update(expected=n, exempt=ne)
            elif row:
                new.append(RoundCounter(round=rnd, community_id=comm, street_id=row["street_id"],
                                        district_id=row["district_id"], expected=n, exempt=ne))
        RoundCounter.objects.bulk_create(new, ignore_conflicts=True)
