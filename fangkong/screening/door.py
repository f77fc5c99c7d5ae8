"""A home visit's door outcome, the reads (the write is `actions.door.record_door`): the
visit whose door the user may record (`get_door_visit`), the outcome as the API says it
(`door_out`: the facts and `HomeVisit.door_text`, the words every list shows) and the
missing list's rows marked with their open visit's outcome (`door_marks`: page, .xlsx, API)."""

from django.utils import timezone

from fangkong.accounts.roles import Perm
from fangkong.core.errors import NotFound

from .access import is_door_sampler
from .models import HomeVisit, Round


def get_door_visit(actor, pk) -> HomeVisit:
    """A home visit whose door outcome the user may record: given to them as the round's
    sampler while that counts (`access.is_door_sampler`), or of a person they run screening
    for; anyone else's, or a missing one: NotFound. With its round, person and sampler."""
    try:
        hv = HomeVisit.objects.select_related("round__place", "resident__household__place",
                                              "door_by").get(pk=int(pk))
    except (HomeVisit.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if is_door_sampler(actor, hv) or actor.scope.allows(Perm.SCREENING_RUN, hv):
        return hv
    raise NotFound()


def door_out(hv: HomeVisit | None) -> dict | None:
    """The API's `door` of a visit (None when no outcome was recorded): `outcome` (no_answer |
    refused | not_here), `label` and `text` (the lists' words, `HomeVisit.door_text`), `at`,
    `by` (the sampler's name), `note`, `attempts`."""
    if hv is None or not hv.door:
        return None
    return {"outcome": hv.door, "label": str(hv.get_door_display()), "text": hv.door_text(),
            "at": timezone.localtime(hv.door_at) if hv.door_at else None,
            "by": str(hv.door_by) if hv.door_by_id and hv.door_by else "",
            "note": hv.door_note, "attempts": hv.door_attempts}


def door_marks(rnd: Round, rows) -> None:
    """Each missing-list row's `.door_visit` (its open home visit with a door outcome, or
    None) and `.door_text` ("" for none): the page, its .xlsx and its API say it alike. One
    query per 2,000 rows (none for a row without a home visit)."""
    ids = [r.id for r in rows if getattr(r, "home", False)]
    found = {}
    for i in range(0, len(ids), 2000):
        for hv in (HomeVisit.objects.filter(round=rnd, resident_id__in=ids[i:i + 2000],
                                            status=HomeVisit.Status.OPEN).exclude(door="")
                   .select_related("door_by").order_by("door_at")):
            found[hv.resident_id] = hv  # the latest, when two sources are open
    for r in rows:
        r.door_visit = found.get(r.id)
        r.door_text = r.door_visit.door_text() if r.door_visit else ""
