"""The page of routine disinfection under a place (例行消杀): the routines running, paused
and ended, each with its times of day, team and how long it lasts; staff set a new one
(a building, compound or the community; times such as 08:00 16:00; a team; until a date or
while the place is sealed), pause and resume one, and end one (asked first: it cannot be
undone). The rows themselves are on the disinfection page (`care_views.disinfection`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.tree import is_under
from fangkong.core.views import confirm_step, confirmed, page

from . import access, queries
from .actions import routines as rt
from .views import error_text, get_place


@page
def disinfection_routines(request, pk):
    p = get_place(request, pk)
    scope = request.scope
    may_run = scope.allows(access.RUN, p)
    errors, posted = {}, {}
    if request.method == "POST":
        if not may_run:
            access.require(scope, access.RUN, p)
        posted = {k: request.POST.get(k, "") for k in ("place", "times", "team", "ends_on", "while_sealed")}
        a, what = Actor.from_request(request), request.POST.get("do", "")
        try:
            if what == "create":
                target = area(p, request.POST.get("place", ""))
                if target is None:
                    raise Invalid(fields={"place": [_("Choose a place.")]})
                r = rt.create(a, target, times=request.POST.get("times", ""), team=request.POST.get("team") or None,
                              while_sealed=request.POST.get("while_sealed") == "1",
                              ends_on=request.POST.get("ends_on") or None)
                messages.success(request, _("Routine disinfection of %(place)s set for %(times)s every day.") % {
                    "place": target.name, "times": " ".join(r.time_list())})
            elif what in ("pause", "resume", "end"):
                r = queries.get_routine(scope, request.POST.get("routine"))
                if not is_under(r, p):  # a routine of another page's place: not here
                    raise NotFound()
                if what == "end" and not confirmed(request):
                    access.require(scope, access.RUN, r)
                    return confirm_step(request, title=_("End this routine disinfection?"), lines=[
                        r.place.name, " ".join(r.time_list()),
                        _("Its disinfections still to come are taken off the list. It cannot be resumed.")],
                        yes=_("Yes, end it"), back=request.get_full_path())
                r = {"pause": rt.pause, "resume": rt.resume, "end": rt.end}[what](a, r)
                if what == "resume" and r.state == rt.R.State.ENDED:  # said as it happened
                    messages.warning(request, _("The seal of %(place)s was lifted: the routine has ended.")
                                     % {"place": r.place.name} if r.ended_why == rt.R.Why.LIFTED
                                     else _("This routine has ended: it cannot be resumed."))
                else:
                    messages.success(request, {"pause": _("Paused."), "resume": _("Resumed."),
                                               "end": _("Ended.")}[what])
            else:
                raise NotFound()
            return redirect("services_disinfection_routines", pk=p.pk)
        except Invalid as e:
            errors = e.fields or {"all": [str(e.message)]}
            messages.error(request, error_text(e))
    rows = list(queries.routines(scope, place=p)[:200])
    within = area(p, request.GET.get("within", "")) if may_run else None
    listed, cut = areas(p, within if within is not None and within.kind == "compound" else None) \
        if may_run else ([], False)
    return render(request, "services/disinfection_routines.html", {
        "place": p, "routines": rows, "may_run": may_run, "errors": errors, "posted": posted,
        "form_back": bool(errors) and request.POST.get("do") == "create",
        "areas": listed, "cut": cut, "within": within, "limit": AREAS,
        "compounds": [x for x in listed if x.kind == "compound" and x.pk != p.pk],
        # ticked by default only where it means something: the page's place is sealed
        "sealed_here": may_run and rt.sealed(p) is not None,
        "teams": teams(p) if may_run else [], "today": timezone.localdate().isoformat()})


AREAS = 300  # buildings listed at once (a compound chosen: its buildings)


def _places(place):
    from fangkong.core.tree import under
    from fangkong.registry.models import Place

    return Place.objects.filter(under(place, "")).exclude(pk=place.pk).order_by("sort_key", "id")


def areas(place, within=None) -> tuple[list, bool]:
    """(the place, every compound under it, then the buildings — under `within`, a compound
    chosen on the page, else under the place — up to `AREAS`; whether buildings were left
    off). The page says so and offers to choose a compound."""
    own = [place] if place.kind in rt.PLACE_KINDS else []
    compounds = list(_places(place).filter(kind="compound")[:1000])
    buildings = list(_places(within or place).filter(kind="building")[:AREAS + 1])
    return own + compounds + buildings[:AREAS], len(buildings) > AREAS


def area(place, pid):
    """The place, or a compound or building under it, by its id; None otherwise (another
    place's, a unit, not a number)."""
    if str(pid) == str(place.pk):
        return place if place.kind in rt.PLACE_KINDS else None
    if not str(pid).isdigit():
        return None
    return _places(place).filter(pk=int(pid), kind__in=["compound", "building"]).first()


def teams(place):
    from fangkong.volunteers.models import Team

    return list(Team.objects.filter(community_place_id=place.community_id or place.id).order_by("name")[:100])
