"""Staff pages for care and disinfection under a place: pets and today's feedings (who
feeds which pet, fed or not, the tasks no volunteer could be found for — given to one
here), and the disinfection list (overdue first, then due, then done with the time, area
covered and disinfectant), scheduled and signed off here (asked first)."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.roles import Perm
from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import confirm_step, confirmed, page
from fangkong.core.when import short_time

from . import access, queries
from .actions import care
from .actions import disinfection as dis
from .views import error_text, get_place


@page
def pets(request, pk):
    p = get_place(request, pk)
    scope = request.scope
    may_run = scope.allows(access.RUN, p)
    if request.method == "POST":
        if not may_run:
            access.require(scope, access.RUN, p)
        a, what = Actor.from_request(request), request.POST.get("do", "")
        try:
            f = queries.get_feeding(scope, request.POST.get("feeding"))
            if what == "fed":
                care.feed(a, f, request.POST.get("note", ""))
            elif what == "assign":
                user = next((v.user for v in _volunteers(p) if str(v.user_id) == request.POST.get("volunteer")), None)
                if user is None:
                    raise Invalid(fields={"volunteer": [_("Choose one of this community's volunteers.")]})
                care.assign_feeding(a, f, user)
            else:
                raise NotFound()
            messages.success(request, _("Saved."))
        except Invalid as e:
            messages.error(request, error_text(e))
        return redirect("services_pets", pk=p.pk)
    feedings = list(queries.feedings(scope, place=p)[:200])
    pets_ = list(queries.pets(scope, place=p).select_related("household")[:300])
    labels = queries.door_labels({x.household_id: x.household for x in pets_}.values())
    for x in pets_:
        x.label = labels.get(x.household_id, "")
    fed_pets = {f.pet_id: f for f in feedings}
    for x in pets_:
        x.today = fed_pets.get(x.id)
    return render(request, "services/pets.html", {
        "place": p, "feedings": feedings, "pets": pets_, "may_run": may_run,
        "labels": {x.id: x.label for x in pets_},
        "volunteers": _volunteers(p) if may_run and any(f.volunteer_id is None for f in feedings) else []})


def _volunteers(place):
    from fangkong.volunteers.models import Volunteer

    return list(Volunteer.objects.filter(community_id=place.community_id or place.id, status="approved",
                                         user__isnull=False).select_related("user").order_by("name")[:200])


@page
def disinfection(request, pk):
    p = get_place(request, pk)
    scope = request.scope
    may_run = scope.allows(access.RUN, p)
    errors, posted = {}, {}
    if request.method == "POST":
        if not may_run:
            access.require(scope, access.RUN, p)
        # a refused sign-off comes back as typed, under its own row (found walking the demo:
        # a time in the future emptied the area and the disinfectant)
        posted = {k: request.POST.get(k, "") for k in ("disinfection", "area", "agent", "done_at",
                                                        "place", "due_at")}
        a, what = Actor.from_request(request), request.POST.get("do", "")
        try:
            if what == "schedule":
                target = next((x for x in _areas(p) if str(x.id) == request.POST.get("place")), None)
                if target is None:
                    raise Invalid(fields={"place": [_("Choose a place.")]})
                d = dis.schedule(a, target, due_at=request.POST.get("due_at") or None)
                messages.success(request, _("Disinfection of %(place)s scheduled for %(time)s.") % {
                    "place": target.name,
                    "time": short_time(d.due_at)})
            elif what == "done":
                d = queries.get_disinfection(scope, request.POST.get("disinfection"))
                area, agent = request.POST.get("area", ""), request.POST.get("agent", "")
                done_at = request.POST.get("done_at") or None
                if not confirmed(request):
                    dis.clean_sign_off(area, agent, done_at)  # a wrong time is said before the question
                    return confirm_step(request, title=_("Sign off this disinfection?"), lines=[
                        d.place.name, area, agent, (done_at or "").replace("T", " ")],
                        yes=_("Yes, sign it off"), back=request.get_full_path())
                dis.sign_off(a, d, area=area, agent=agent, done_at=done_at)
                messages.success(request, _("Signed off."))
            elif what == "team":
                d = queries.get_disinfection(scope, request.POST.get("disinfection"))
                team = next((t for t in _teams(p) if str(t.id) == request.POST.get("team")), None)
                d, told = dis.give_team(a, d, team)
                messages.success(request, ngettext("Given to %(team)s: %(n)d volunteer is told.",
                                                   "Given to %(team)s: %(n)d volunteers are told.", len(told))
                                 % {"team": team.name, "n": len(told)} if told else
                                 _("Given to %(team)s: nobody of it may go out now, so nobody was told.")
                                 % {"team": team.name})
            else:
                raise NotFound()
            return redirect("services_disinfection", pk=p.pk)
        except Invalid as e:
            errors = e.fields or {"all": [str(e.message)]}
            messages.error(request, error_text(e))
    rows = list(queries.disinfections(scope, place=p)[:300])
    now = timezone.now()
    overdue = [d for d in rows if d.done_at is None and d.due_at < now]
    due = [d for d in rows if d.done_at is None and d.due_at >= now]
    done = sorted((d for d in rows if d.done_at is not None), key=lambda d: d.done_at, reverse=True)[:50]
    for d in done:  # done late stays late once signed off
        d.late = queries.late_words(d.late_minutes())
    return render(request, "services/disinfection.html", {
        "place": p, "overdue": overdue, "due": due, "done": done, "may_run": may_run, "errors": errors,
        "posted": posted, "posted_id": int(posted["disinfection"]) if errors and
        posted.get("disinfection", "").isdigit() else None,
        "schedule_back": bool(errors) and request.POST.get("do") == "schedule",
        "areas": _areas(p) if may_run else [], "teams": _teams(p) if may_run else [], "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        # a new job is due in two hours (the next full hour), not now: born overdue otherwise
        "due_default": (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:00"),
        "now_dt": now, "may_export": scope.allows(Perm.EXPORT, p)})


def _teams(place):
    """The community's teams, each with `reach` (`give_views.teams_with_reach`)."""
    from .give_views import teams_with_reach

    return teams_with_reach(place.community_id or place.id)


@page
def disinfection_file(request, pk):
    """The disinfection list as .xlsx (`exports.disinfections_xlsx`): the page's rows and lateness."""
    from django.http import HttpResponse

    from .exports import disinfections_xlsx

    p = get_place(request, pk)
    content = disinfections_xlsx(Actor.from_request(request), p)
    r = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    r["Content-Disposition"] = f'attachment; filename="disinfection-{p.id}.xlsx"'
    return r


def _areas(place):
    """The place and the buildings (or compounds) under it: where a disinfection is scheduled."""
    from fangkong.core.tree import under
    from fangkong.registry.models import Place

    kids = Place.objects.filter(under(place, ""), kind__in=["compound", "building"]).exclude(pk=place.pk) \
        .order_by("sort_key", "id")
    return [place] + list(kids[:300])
