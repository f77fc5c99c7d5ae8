"""A lab file that changes a result already recorded (a tube's 阳性 now 阴性, an old file
sent again, a typing error put right). Called by `lab.record_results` inside its
transaction.

- `changes`: the rows whose result differs from the tube's recorded one, each with what it
  touches (people held by the tube, confirmed cases, registrations made void or put back);
- `ask`: such a file is applied only when the lab confirms those changes (the page's
  confirm step, the API's `confirm_changes`); otherwise a 409 listing them, nothing saved;
- `lift_holds`: a positive pool corrected to negative or invalid holds nobody any more:
  the people awaiting their single re-test are released (`corrected_at`: the follow-up
  page and the API say the lab corrected it), their re-test visits leave the home list; a
  confirmed case stays a case (its own single re-test was positive), marked as corrected;
- `rehold`: a pool corrected back to positive holds again those the correction released;
- `tell`: the community's staff and grid workers are told of each applied change.
"""

import hashlib
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.errors import Conflict as ConflictError
from fangkong.core.when import short_time

from ..models import FollowUp, HomeVisit, Result, Sample, Tube, VoidSample, result_word
from .resample import staff_to_tell

OPEN = (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED)


def changes(rows) -> list[dict]:
    """`rows`: (file row, tube, recorded LabResult, new result) for every row whose result
    differs from the recorded one. Each change with what it touches, in file order: `held`
    (people the pool holds awaiting a re-test), `cases` (confirmed cases of the tube, as a
    pool or a single re-test), `released` (a single re-test tube that released its person),
    `people` (registrations in the pool, or made void when it was found invalid),
    `restorable` (of those made void, the people not sampled again since: their first swab
    counts again if the pool is no longer invalid). Four queries whatever the number of rows."""
    if not rows:
        return []
    ids = [t.id for _row, t, _prev, _new in rows]
    fu = defaultdict(lambda: defaultdict(int))
    for pool, single, status in FollowUp.objects.filter(Q(tube_id__in=ids) | Q(retest_tube_id__in=ids)) \
            .values_list("tube_id", "retest_tube_id", "status"):
        for tid in (pool, single):
            if tid in ids:
                fu[tid][status] += 1
    people, restorable = defaultdict(int), defaultdict(int)
    for tid in Sample.objects.filter(tube_id__in=ids, retest=False).values_list("tube_id", flat=True):
        people[tid] += 1
    voids = list(VoidSample.objects.filter(tube_id__in=ids).values_list("tube_id", "round_id", "resident_id"))
    again = set(Sample.objects.filter(round_id__in={v[1] for v in voids}, resident_id__in={v[2] for v in voids},
                                      retest=False).values_list("round_id", "resident_id")) if voids else set()
    for tid, rnd_id, rid in voids:
        people[tid] += 1
        if (rnd_id, rid) not in again:  # not sampled again since: their first swab would count again
            restorable[tid] += 1
    out = []
    for row, t, prev, new in rows:
        counts = fu[t.id]
        out.append({"row": row, "barcode": t.barcode, "round": t.round.name, "retest": t.retest,
                    "old": prev.result, "new": new, "old_label": str(Result(prev.result).label),
                    "new_label": str(Result(new).label),
                    "recorded_at": prev.created_at, "recorded_id": prev.id,
                    "held": sum(counts[s] for s in OPEN), "cases": counts[FollowUp.Status.CASE],
                    "released": counts[FollowUp.Status.RELEASED] if t.retest else 0,
                    "people": 0 if t.retest else people[t.id],
                    "restorable": 0 if t.retest else restorable[t.id]})
    for c in out:
        c["effect"] = effect(c)
    return out


def effect(c: dict) -> str:
    """What applying change `c` does, in a sentence (the page's confirm step, the API's 409)."""
    old, new = c["old"], c["new"]
    parts = []
    if c["retest"]:
        if c["cases"] and new != Result.POSITIVE:
            parts.append(_("its person's confirmed case is withdrawn (released)"))
        if c["released"] and new == Result.POSITIVE:
            parts.append(_("its released person becomes a confirmed case"))
        return _joined(parts)
    if old == Result.POSITIVE and c["held"]:
        parts.append(ngettext("%(n)d person held by the positive pool is released",
                              "%(n)d people held by the positive pool are released", c["held"])
                     % {"n": c["held"]})
    if old == Result.POSITIVE and c["cases"]:
        parts.append(ngettext("%(n)d confirmed case stays a case (its single re-test was positive)",
                              "%(n)d confirmed cases stay cases (their single re-tests were positive)",
                              c["cases"]) % {"n": c["cases"]})
    if new == Result.POSITIVE:
        parts.append(ngettext("%(n)d person is held for a single re-test",
                              "%(n)d people are held for a single re-test", c["people"])
                     % {"n": c["people"]})
    if new == Result.INVALID and c["people"]:
        parts.append(ngettext("%(n)d person's swab no longer counts: to be sampled again",
                              "%(n)d people's swabs no longer count: to be sampled again",
                              c["people"]) % {"n": c["people"]})
    if old == Result.INVALID and c["restorable"]:
        parts.append(ngettext("%(n)d person's first swab counts again (not sampled again since)",
                              "%(n)d people's first swabs count again (not sampled again since)",
                              c["restorable"]) % {"n": c["restorable"]})
    return _joined(parts)


def _joined(parts) -> str:
    """Effects one after the other, punctuated as the reader's language writes it ("；")."""
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = _("%(first)s; %(then)s") % {"first": text, "then": part}
    return text



def digest(found: list[dict]) -> str:
    """A short fingerprint of a list of changes: a confirmation is for the changes shown."""
    text = "|".join(f"{c['barcode']}:{c['old']}:{c['new']}:{c['recorded_at'].isoformat()}"
                    for c in sorted(found, key=lambda c: c["barcode"]))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def ask(found: list[dict], confirm, source="upload") -> None:
    """Raise the 409 that lists the changes unless `confirm` is True or the fingerprint of
    exactly these changes (`digest`). `source`: "upload" (a file) or "api" (JSON rows: no
    file was sent, the message says "these results")."""
    if not found or confirm is True or (isinstance(confirm, str) and confirm == digest(found)):
        return
    if source == "upload":
        message = ngettext(
            "This file changes %(n)d result already recorded: nothing was saved. Check the change and "
            "confirm it to apply the file.",
            "This file changes %(n)d results already recorded: nothing was saved. Check the changes and "
            "confirm them to apply the file.", len(found)) % {"n": len(found)}
    else:
        message = ngettext(
            "These results change %(n)d result already recorded: nothing was saved. Check the change "
            "and send the results again confirming it (confirm_changes).",
            "These results change %(n)d results already recorded: nothing was saved. Check the changes "
            "and send the results again confirming them (confirm_changes).", len(found)) % {"n": len(found)}
    raise ConflictError(message, code="confirm_changes", extra={
        "changes": [{k: c[k] for k in ("row", "barcode", "round", "old", "new", "old_label", "new_label",
                                       "held", "cases", "people", "restorable", "effect")} for c in found],
        "confirm": digest(found)})


def lift_holds(tubes: list[Tube]) -> int:
    """Positive pools corrected to negative or invalid (see the module's docstring).
    Returns how many people were released."""
    if not tubes:
        return 0
    now = timezone.now()
    ids = [t.id for t in tubes]
    fus = list(FollowUp.objects.filter(tube_id__in=ids).exclude(status=FollowUp.Status.RELEASED,
                                                                 corrected_at=None))
    released = []
    for fu in fus:
        fu.corrected_at = now
        if fu.status in OPEN:
            fu.status, fu.closed_at = FollowUp.Status.RELEASED, now
            released.append(fu)
    FollowUp.objects.bulk_update(fus, ["status", "closed_at", "corrected_at"], batch_size=1000)
    by_round = defaultdict(set)
    for fu in released:
        by_round[fu.round_id].add(fu.resident_id)
    for rid, people in by_round.items():
        HomeVisit.objects.filter(round_id=rid, resident_id__in=people, source=HomeVisit.Source.RETEST,
                                 status=HomeVisit.Status.OPEN).update(status=HomeVisit.Status.CANCELLED)
    return len(released)


def rehold(tubes: list[Tube]) -> int:
    """Pools positive again after a correction had released their people: held again,
    their re-test visits open again. Returns how many."""
    if not tubes:
        return 0
    fus = list(FollowUp.objects.filter(tube_id__in=[t.id for t in tubes], status=FollowUp.Status.RELEASED)
               .exclude(corrected_at=None))
    for fu in fus:
        fu.status, fu.closed_at, fu.corrected_at = FollowUp.Status.AWAITING, None, None
        if fu.retest_tube_id:
            fu.status = FollowUp.Status.RESAMPLED
    FollowUp.objects.bulk_update(fus, ["status", "closed_at", "corrected_at"], batch_size=1000)
    by_round = defaultdict(set)
    for fu in fus:
        if not fu.retest_tube_id:
            by_round[fu.round_id].add(fu.resident_id)
    for rid, people in by_round.items():
        HomeVisit.objects.filter(round_id=rid, resident_id__in=people, source=HomeVisit.Source.RETEST,
                                 status=HomeVisit.Status.CANCELLED).update(status=HomeVisit.Status.OPEN)
    FollowUp.objects.filter(tube_id__in=[t.id for t in tubes], status=FollowUp.Status.CASE) \
        .exclude(corrected_at=None).update(corrected_at=None)
    return len(fus)


def tell(actor, applied: list[dict], tubes: dict) -> None:
    """Each applied change, to the staff of the communities and the grid workers of the
    grids its tube's people live in (the tube's own levels when nobody is left in it):
    what changed, when, and what it did; once a change (`key`: the result it replaced)."""
    from fangkong.notify.actions import notify

    if not applied:
        return
    ids = [tubes[c["barcode"]].id for c in applied]
    where = defaultdict(lambda: (set(), set()))
    for model, col in ((Sample, "tube_id"), (VoidSample, "tube_id"), (FollowUp, "tube_id"),
                       (FollowUp, "retest_tube_id")):
        for tid, community, grid in model.objects.filter(**{f"{col}__in": ids}) \
                .values_list(col, "community_id", "grid_id"):
            where[tid][0].add(community)
            where[tid][1].add(grid)
    now = timezone.now()
    for c in applied:
        t = tubes[c["barcode"]]
        communities, grids = where[t.id]
        if not communities:
            communities = {t.community_id}
        users = staff_to_tell({x for x in communities if x}, {x for x in grids if x})
        notify(actor, users, kind="screening.correction",
               title=lambda c=c: _("Lab correction: tube %(code)s is now %(new)s") % {
                   "code": c["barcode"], "new": result_word(c["new"])},
               body=lambda c=c: _told(c, now),  # in each reader's language
               url=reverse("screening_followups", args=[t.round_id]),
               key=f"screening.correction.{t.id}.{c['recorded_id']}")


def _told(c: dict, at) -> str:
    """A change as its message says it (in the active language: the reader's)."""
    text = _("The lab corrected the result of tube %(code)s from %(old)s to %(new)s at %(at)s.") % {
        "code": c["barcode"], "old": result_word(c["old"]), "new": result_word(c["new"]),
        "at": short_time(at)}
    done = effect(c)
    if done:
        text += " " + _("Done: %(effect)s.") % {"effect": done}
    return text + " " + _("Round: %(round)s.") % {"round": c["round"]}
