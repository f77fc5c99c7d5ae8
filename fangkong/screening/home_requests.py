"""Home sampling asked for by a family (a services request 上门采样), screening's reads: the
rounds that list its people (`rounds_over`) and where each person of a request stands on them
(`lines`, what the request page and its API say through settings.FANGKONG_HOME_SAMPLING_LINES).
The writes are `actions/home_request.py`. Screening never imports services: a request is
only its id here (`HomeVisit.request_id`)."""

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.tree import ancestor_ids
from fangkong.core.when import short_day, short_time

from .models import HomeVisit, Round, RoundArea, RoundKind, RoundStatus, Sample


def rounds_over(household, now=None) -> list[Round]:
    """The PCR rounds that sample `household` now or later: planned and not past their planned
    end, or still running (`Round.running`: past its planned end too — the station still
    registers people in it, so the family's request is listed there and closes with the
    swab), not erased, with an area at or above its place. Oldest first. One query."""
    now = now or timezone.now()
    above = ancestor_ids(household)
    if not above:
        return []
    return list(Round.objects.filter(
        Q(status=RoundStatus.PLANNED, ends_at__gt=now) | Round.running_q(now),
        kind=RoundKind.PCR, erased_at=None,
        pk__in=RoundArea.objects.filter(place_id__in=above).values("round_id"))
        .order_by("starts_at", "id"))


def swab_q() -> Subquery:
    """When the visit's person was registered in its round (a station's scan or batch; not a
    single re-test), None when not yet: as an annotation on home visits."""
    return Subquery(Sample.objects.filter(round_id=OuterRef("round_id"), resident_id=OuterRef("resident_id"),
                                          retest=False).values("sampled_at")[:1])


def lines(request_ids) -> dict[int, list[dict]]:
    """settings.FANGKONG_HOME_SAMPLING_LINES: {request id: [line]} — each home visit of the
    requests (on every round that listed them), in round order: {"resident", "name", "round",
    "round_name", "starts_at", "status" (open | sampled | done | cancelled), "sampled_at",
    "door" (the last door outcome's words, `HomeVisit.door_text`), "text"} — `text` in the
    reader's language: "苏霞：已列入 04-12 第3轮核酸 上门采样名单", "…：已上门采样 08:12",
    "…：上门无人应答 · 12-07 15:40". The caller has already read the requests for someone
    allowed to (the request page, the API); nothing here is more than the person's name and
    their round. One query."""
    ids = [int(i) for i in request_ids]
    if not ids:
        return {}
    out = {}
    rows = (HomeVisit.objects.filter(request_id__in=ids, round__erased_at=None)
            .annotate(swab_at=swab_q()).select_related("round", "resident", "door_by")
            .order_by("round__starts_at", "round_id", "resident_id"))
    for hv in rows:
        out.setdefault(hv.request_id, []).append(line(hv))
    return out


def line(hv: HomeVisit) -> dict:
    rnd = hv.round
    at = hv.swab_at or (hv.done_at if hv.status == HomeVisit.Status.DONE else None)
    if at is not None:
        status = "done" if hv.status == HomeVisit.Status.DONE else "sampled"
        what = _("sampled at home %(time)s (%(round)s)") % {"time": short_time(at), "round": rnd.name}
    elif hv.status == HomeVisit.Status.CANCELLED:
        status = "cancelled"
        what = _("taken off the home-sampling list of %(day)s %(round)s") % {
            "day": short_day(rnd.starts_at), "round": rnd.name}
    else:
        status = "open"
        what = _("on the home-sampling list of %(day)s %(round)s") % {
            "day": short_day(rnd.starts_at), "round": rnd.name}
    door = hv.door_text() if status == "open" else ""
    if door:
        what = f"{what} · {door}"
    return {"resident": hv.resident_id, "name": hv.resident.name, "round": rnd.id, "round_name": rnd.name,
            "starts_at": rnd.starts_at, "status": status, "sampled_at": at, "door": door,
            "text": _("%(name)s: %(what)s") % {"name": hv.resident.name, "what": what}}
