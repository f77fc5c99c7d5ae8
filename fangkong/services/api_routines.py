"""Routine disinfection over JSON (/api/v1/services/disinfection-routines…): list, set,
pause, resume, end — the page's actions (`actions.routines`), mounted on the services
router (`api.router`). A routine or place outside the user's reach answers 404 like a
missing one."""

from django.utils.translation import gettext as _
from ninja import Router, Status

from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid, NotFound
from fangkong.registry.models import Place

from . import access, queries
from .actions import routines as rt
from .schemas import DisinfectionRoutineIn, DisinfectionRoutineOut

router = Router(tags=["services"])
LIMIT = 500
STEPS = {"pause": rt.pause, "resume": rt.resume, "end": rt.end}


def routine_out(r) -> dict:
    return {"id": r.id, "place": r.place_id, "place_name": r.place.name, "times": r.time_list(),
            "team": r.team_id, "team_name": r.team.name if r.team_id else "", "while_sealed": r.while_sealed,
            "ends_on": r.ends_on, "state": r.state, "ended_why": r.ended_why, "ended_at": r.ended_at}


def place_of(request, pk) -> Place:
    p = Place.objects.filter(pk=pk).first()
    if p is None:
        raise NotFound()
    access.require(request.scope, access.VIEW, p)
    return p


@router.get("/services/disinfection-routines", response=list[DisinfectionRoutineOut])
def routine_list(request, place: int | None = None):
    p = place_of(request, place) if place else None
    return [routine_out(r) for r in queries.routines(request.scope, place=p)[:LIMIT]]


@router.post("/services/disinfection-routines", response={201: DisinfectionRoutineOut})
def routine_create(request, body: DisinfectionRoutineIn):
    """Today's and tomorrow's disinfections still to come are made at once; the worker
    makes each next day's ahead of time."""
    p = place_of(request, body.place)
    if not body.times:
        raise Invalid(fields={"times": [_("Write the times of day like 08:00 16:00.")]})
    r = rt.create(actor_of(request), p, times=body.times, team=body.team, while_sealed=body.while_sealed,
                  ends_on=body.ends_on)
    return Status(201, routine_out(queries.get_routine(request.scope, r.id)))


@router.post("/services/disinfection-routines/{pk}/{step}", response=DisinfectionRoutineOut)
def routine_step(request, pk: int, step: str):
    """`pause`, `resume` or `end` (for good: its disinfections still to come are taken off)."""
    r = queries.get_routine(request.scope, pk)
    if step not in STEPS:
        raise NotFound()
    STEPS[step](actor_of(request), r)
    return routine_out(queries.get_routine(request.scope, r.id))
