"""A round's work lists and staffing over JSON (/api/v1/screening/…), for community tools
that integrate with Fangkong: the same queries and actions as the pages, the same scoping
(a round or person out of reach is a 404 with the body of a missing one), the same phone
rule (in clear only where the role may see phones, masked otherwise, and every answer that
shows phones in clear is audited once, as the pages are).

- GET  …/rounds/{id}/missing        the missing list's people (page of `core.paging`)
- GET  …/rounds/{id}/followups      people held after a positive pool or antigen test
- GET  …/rounds/{id}/home-visits    the home-sampling list (urgent re-tests first)
- POST …/followups/{id}/retest      the single re-test sample taken at the door
- POST …/followups/{id}/retest/detach   take a re-test tube recorded on the wrong person off her
- GET  …/rounds/{id}/points         the round's sampling points and their samplers
- POST …/rounds/{id}/points         add a sampling point (or change its tables)
- POST …/rounds/{id}/samplers       let a volunteer sample in the round, at a point and table
- POST …/rounds/{id}/home-visits/assign   give home visits to one of the round's samplers
- GET  …/home-visits/mine           the home visits given to the user as a sampler
- POST …/home-visits/{id}/door      no swab at the door: no answer, refused, not at this address
"""

from django.utils.translation import gettext as _

from fangkong.accounts.roles import Perm
from fangkong.core.access import one
from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.paging import page_of
from fangkong.registry import queries as reg_queries
from fangkong.registry.api import PageNumber, PageSize, residents_out

from . import figures, queries
from .actions import followup, home_assign, planning
from .actions.door import record_door
from .api_common import router, tube_out
from .door import door_marks, door_out, get_door_visit
from .models import FollowUp, HomeVisit, SamplingPoint
from .schemas import (
    DoorIn,
    DoorVisitOut,
    FollowUpPage,
    HomeAssignIn,
    HomeAssignOut,
    HomeListedOut,
    HomeVisitPage,
    MissingPage,
    MyHomeVisitOut,
    PointIn,
    PointOut,
    RetestDetachIn,
    RetestDetachOut,
    RetestIn,
    RetestOut,
    SamplerIn,
    SamplerOut,
)
from .status import close_contacts, followup_state, missing_marks


def _round_for_followups(request, round_id):
    """As the follow-up page: those who run the round, its assigned samplers and its
    emergency sampling team (`access.can_follow_up`); anyone else gets a 404."""
    return queries.get_round_for_followups(actor_of(request), round_id)


@router.get("/screening/rounds/{round_id}/missing", response=MissingPage)
def missing(request, round_id: int, place: int | None = None, resample: bool = False,
            page: int = PageNumber, page_size: int | None = PageSize):
    """Who still has to be sampled (or, in an antigen round, has reported no result) under
    `place` (default: the part of the round the user sees, as the page), by building, unit
    and door, with their phone as the missing-list page shows it (`contact_phone`: for
    someone without one, the household's or a housemate's); `resample=true`: only those
    whose swab the lab made void (an invalid tube: to be sampled again). Each says the page's
    mark (`status.missing_marks`, the one definition): `held` (case | held | held_antigen |
    close_contact, or null: not to be sent to the sampling point), `held_label`, `held_step`
    and `no_contact` in the page's words."""
    scope = request.scope
    rnd = queries.get_round(scope, round_id)
    node = queries.round_node(scope, rnd, place)
    count, size, rows = page_of(figures.missing_people(scope, rnd, node, resample), page, page_size)
    people = residents_out(request, rows, f"api:screening.missing:{rnd.id}", contacts=True)
    missing_marks(rows)
    door_marks(rnd, rows)
    for out, r in zip(people, rows, strict=True):
        out["home_visit"], out["resample"] = r.home, r.resample
        out["door_outcome"] = door_out(r.door_visit)  # `door`: the household's door number
        out["held"], out["held_label"], out["held_step"] = r.held_code or None, r.held_label, r.held_step
        out["no_contact"] = r.no_contact
    return {"count": count, "page": page, "page_size": size, "place": node.id, "results": people}


HELD = (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED)


def _followups_out(request, rows, where) -> list[dict]:
    people = residents_out(request, [f.resident for f in rows], where, contacts=True)
    if rows:  # phones by the page's one rule (`home_views.with_reach`): a visit given to them
        _assigned_phones(request, rows, people, where)
    # a volunteer's rows are her task (`access.followup_task_q`): whom to swab, never a
    # housemate's case
    contacts = close_contacts([f for f in rows if request.scope.allows(Perm.SCREENING_RUN, f)])
    out = []
    for f, person in zip(rows, people, strict=True):
        contact = f.resident_id in contacts
        state, label = followup_state(f, contact)
        out.append({"id": f.id, "status": state, "followup_status": f.status, "close_contact": contact,
                    "released": f.status == FollowUp.Status.RELEASED and not contact,
                    "status_label": label, "corrected_at": f.corrected_at,
                    "tube": f.tube.barcode if f.tube_id else None,
                    # the lab reported the pool positive but the chain of custody refused its row (来源待核实)
                    "source_unverified": bool(f.tube_id and f.tube.source_unverified),
                    "retest_tube": f.retest_tube.barcode if f.retest_tube_id else None,
                    "created_at": f.created_at, "closed_at": f.closed_at, "resident": person,
                    # held too long without a single re-test result (`figures.overdue_q`)
                    "overdue": bool(getattr(f, "overdue", False)),
                    "held_hours": figures.hours_held(f) if f.status in HELD else None})
    return out


def _assigned_phones(request, rows, people, where) -> None:
    """The people whose visit is given to the user (`queries.visits_given_to`): their phone
    (or the one to call instead) in clear, as on the page, audited; and each person's
    household notes (whom to call for someone without a phone)."""
    from fangkong.audit.disclosure import record_phones, show_phone

    mine = queries.visits_given_to(request.scope, rows[0].round)
    shown, homes = [], []
    for f, person in zip(rows, people, strict=True):
        r = f.resident
        person["household_notes"] = r.household.notes
        if r.id not in mine:
            continue
        if r.phone and person["phone_masked"]:
            person["phone"], person["phone_masked"] = show_phone(request.scope, r, assigned=True)
            shown.append(r)
        c = person.get("contact_phone")
        if c and c["phone_masked"]:
            of = r.household if c["of"] == "household" else None
            if of is None:
                mate = reg_queries.contact_phones([r]).get(r.id)
                of = mate and mate["of"]
            if of is not None:
                c["phone"], c["phone_masked"] = of.phone, False
                (homes if c["of"] == "household" else shown).append(of)
    if shown or homes:
        record_phones(actor_of(request), shown, where, homes, assigned=True)


@router.get("/screening/rounds/{round_id}/followups", response=FollowUpPage)
def followups(request, round_id: int, page: int = PageNumber, page_size: int | None = PageSize):
    """The people held after a positive pooled tube (or antigen test), awaiting or after
    their single re-test, as the follow-up page lists them: all of their people for staff
    and grid workers; for a volunteer only her task — the re-tests given to her, or every
    one awaiting it for the round's emergency sampling team — while they wait."""
    rnd = _round_for_followups(request, round_id)
    count, size, rows = page_of(queries.followups_query(actor_of(request), rnd), page, page_size)
    return {"count": count, "page": page, "page_size": size,
            "results": _followups_out(request, rows, f"api:screening.followups:{rnd.id}")}


@router.get("/screening/rounds/{round_id}/home-visits", response=HomeVisitPage)
def home_visits(request, round_id: int, status: str = HomeVisit.Status.OPEN,
                page: int = PageNumber, page_size: int | None = PageSize):
    """The home-sampling list (urgent re-tests first, then by building and unit); `status`
    open (default), done or cancelled."""
    rnd = queries.get_round(request.scope, round_id, Perm.SCREENING_RUN)
    if status not in HomeVisit.Status.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    count, size, rows = page_of(figures.home_visits_query(request.scope, rnd, status), page, page_size)
    people = residents_out(request, [h.resident for h in rows], f"api:screening.home:{rnd.id}",
                           contacts=True)
    return {"count": count, "page": page, "page_size": size, "results": [
        {"id": h.id, "status": h.status, "source": h.source, "source_label": h.source_label(rnd),
         "urgent": h.urgent, "note": h.note_text(), "created_at": h.created_at, "resident": person,
         "door_outcome": door_out(h)}
        for h, person in zip(rows, people, strict=True)]}


@router.post("/screening/home-visits/{visit_id}/door", response=DoorVisitOut)
def home_visit_door(request, visit_id: int, payload: DoorIn):
    """No swab at the door: record what happened (`outcome`: no_answer | refused | not_here)
    with an optional note — by the sampler the visit is given to, or by whoever runs the
    person (anyone else: 404). The visit stays open for another attempt and the person on
    the missing list; every list then says it (`door_outcome`). With a `client_id`, sending it
    again records nothing twice. As the lists' "上门未采到…"."""
    actor = actor_of(request)
    hv = record_door(actor, get_door_visit(actor, visit_id), payload.outcome, payload.note,
                     client_id=payload.client_id)
    return {"id": hv.id, "round": hv.round_id, "status": hv.status, "door_outcome": door_out(hv)}


@router.post("/screening/followups/{followup_id}/retest", response=RetestOut)
def retest(request, followup_id: int, payload: RetestIn):
    """Record the single re-test sample taken from a held person (a one-person tube, sealed).
    With a `client_id`, sending it again records nothing twice."""
    actor = actor_of(request)
    fu = queries.get_followup(actor, followup_id)
    tube = followup.record_retest(actor, fu, payload.barcode, client_id=payload.client_id)
    # answered from the follow-up read above (with its person, address and pooled tube) and
    # the re-test's tube: reading it again through the list's query cost ~10 ms of planning
    # a request (1,000 re-tests of a 1 M city: bench/run replay)
    return {"followup": _followups_out(request, [fu], f"api:screening.retest:{fu.round_id}")[0],
            "tube": tube_out(tube)}


@router.post("/screening/followups/{followup_id}/retest/detach", response=RetestDetachOut)
def retest_detach(request, followup_id: int, payload: RetestDetachIn):
    """Take the single re-test tube recorded on this person off her (recorded on the wrong
    person), before the lab has it: `reason` required; `barcode`, the tube the caller saw on
    her (another one now: 409 `retest_changed`). She waits for her re-test again and the
    barcode is free to record on the right person. Who manages her follow-up (community
    staff, her grid worker) until the lab has the tube; the volunteer who recorded it, until
    it is handed to the courier (409 `retest_handed_over`); anyone else 404. At the lab
    (a result, signed for, marked lost): 409 `retest_at_lab` — ask the lab to record it
    invalid. As the follow-up page's “Take the tube off”."""
    actor = actor_of(request)
    fu = queries.get_followup(actor, followup_id)
    off = followup.detach_retest(actor, fu, payload.reason, barcode=payload.barcode)  # `fu` as it now is
    return {"followup": _followups_out(request, [fu], f"api:screening.retest:{fu.round_id}")[0],
            "detached": {"barcode": off.barcode, "reason": off.reason, "detached_at": off.detached_at}}


def _point_out(p, samplers) -> dict:
    return {"id": p.id, "place": p.place_id, "place_name": p.place.name, "tables": p.tables,
            "samplers": samplers.get(p.id, [])}


def _samplers(rnd) -> dict:
    """{point id: [sampler out]} (`queries.samplers_by_point`)."""
    return {pid: [_sampler_out(s, s.volunteer_id) for s in rows]
            for pid, rows in queries.samplers_by_point(rnd).items()}


def _sampler_out(s, volunteer_id) -> dict:
    u = s.user
    return {"id": s.id, "user": s.user_id, "volunteer": volunteer_id,
            "name": u.display_name or u.username, "point": s.point_id, "table": s.table}


@router.get("/screening/rounds/{round_id}/points", response=list[PointOut])
def points(request, round_id: int):
    """The round's sampling points with their tables and who samples where."""
    rnd = queries.get_round_to_run(request.scope, round_id)
    samplers = _samplers(rnd)
    return [_point_out(p, samplers) for p in rnd.points.select_related("place").order_by("id")]


@router.post("/screening/rounds/{round_id}/points", response=PointOut)
def point_set(request, round_id: int, payload: PointIn):
    """Add a sampling point to the round (a place of kind sampling_point in its area, made
    with POST /places), or change its number of tables."""
    rnd = queries.get_round_to_run(request.scope, round_id)
    place = reg_queries.get_place(request.scope, payload.place)
    p = planning.add_point(actor_of(request), rnd, place, payload.tables)
    return _point_out(SamplingPoint.objects.select_related("place").get(pk=p.pk), _samplers(rnd))


@router.post("/screening/rounds/{round_id}/samplers", response=SamplerOut)
def sampler_assign(request, round_id: int, payload: SamplerIn):
    """Let an approved volunteer register samples in this round, at a point and table (they
    then see the round's station). Sending it again moves them to the new point or table."""
    from fangkong.volunteers import queries as vol_queries

    rnd = queries.get_round_to_run(request.scope, round_id)
    v = vol_queries.get_volunteer(request.scope, payload.volunteer)
    point = one(SamplingPoint.objects.select_related("place").filter(round=rnd), payload.point)
    s = planning.assign_sampler_volunteer(actor_of(request), rnd, point, v, payload.table)
    return _sampler_out(s, v.id)


@router.delete("/screening/rounds/{round_id}/samplers/{sampler_id}", response=PointOut)
def sampler_remove(request, round_id: int, sampler_id: int):
    """Take a sampler off the round (they can no longer register samples in it; what they
    registered stays). Answers the point they were at, as it now is."""
    rnd = queries.get_round_to_run(request.scope, round_id)
    s = one(rnd.samplers.all(), sampler_id)
    planning.remove_sampler(actor_of(request), rnd, s.id)
    p = SamplingPoint.objects.select_related("place").get(pk=s.point_id)
    return _point_out(p, _samplers(rnd))


@router.post("/screening/rounds/{round_id}/home-visits/generate", response=HomeListedOut)
def generate_home_visits(request, round_id: int):
    """Put on the round's home-sampling list everyone still to sample (not sampled, not
    exempt, at home) who is bedridden or of limited mobility, or whose household's zone is
    sampled at home (a sealed building or area, zoned after the round was planned too). As
    the home-sampling page's button; sent again, it adds only the new ones. `added`: how
    many were put on the list; `left_out`: the confirmed cases it left out (transferred or
    isolated, not swabbed in the round: `access.HELD_OUTCOMES`) and `left_out_reason` why."""
    rnd = queries.get_round(request.scope, round_id, Perm.SCREENING_RUN)
    added = followup.generate_home_list(actor_of(request), rnd)
    return {"added": added, "left_out": rnd.home_left_out,
            "left_out_reason": followup.left_out_words(rnd.home_left_out)}


@router.post("/screening/rounds/{round_id}/home-visits/assign", response=HomeAssignOut)
def assign_home_visits(request, round_id: int, payload: HomeAssignIn):
    """Give home visits of the round (still to do) to one of its samplers (`sampler`: the
    assignment's id, as …/points lists them), or to nobody (`sampler` null); the sampler is
    told in their inbox. As the home-sampling page's 分配."""
    rnd = queries.get_round(request.scope, round_id, Perm.SCREENING_RUN)
    sampler = home_assign.round_sampler(rnd, payload.sampler)
    done = home_assign.assign_home_visits(actor_of(request), rnd, payload.visits, sampler)
    return {"assigned": [hv.id for hv in done], "sampler": sampler.id if sampler else None}


@router.get("/screening/home-visits/mine", response=list[MyHomeVisitOut])
def my_home_visits(request):
    """The home visits given to the user as a sampler, still to do, in rounds not closed
    (the landing page's 我的任务), each with the phone to call (in clear: the visit is
    theirs; audited) and the next step's page; anyone not sampling in such a round: 404."""
    from django.urls import reverse

    from .home_views import with_visit_phones

    if not queries.my_sampling(request.scope, limit=1):
        raise NotFound()
    visits = queries.my_home_visits(request.scope)
    with_visit_phones(actor_of(request), visits, "api:screening.home.mine")
    out = []
    for v in visits:
        if v.source == HomeVisit.Source.RETEST:
            url = reverse("screening_followups", args=[v.round_id])
        elif v.round.kind == "antigen":
            url = f"{reverse('screening_antigen_door', args=[v.round_id])}?household={v.resident.household_id}"
        else:
            url = f"{reverse('screening_station', args=[v.round_id])}?visit={v.id}"
        out.append({"id": v.id, "round": v.round_id, "round_name": v.round.name, "round_kind": v.round.kind,
                    "source": v.source, "urgent": v.urgent, "note": v.note_text(),
                    "tags": v.resident.tag_labels(), "name": v.resident.name,
                    "address": v.address, "phone": v.phone_text, "phone_masked": not v.phone_clear,
                    "next_url": url, "door_outcome": door_out(v)})
    return out
