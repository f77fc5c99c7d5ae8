"""A round's sampling points and who samples at which table (采样点与采样人员), on a phone:
staff add the points (a sampling point of the registry, or a new one named on the spot),
set each point's number of tables, and give approved volunteers a table — each is told in
their inbox, with the station's link. The same actions as the API (`work_api`)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import act, actor_of, confirm_step, confirmed, page

from . import queries
from .actions import planning


def _pick(rows, pk, field, message):
    """The row of `rows` whose id was posted, or the field's error."""
    found = next((r for r in rows if str(r.id) == str(pk or "")), None)
    if found is None:
        raise Invalid(fields={field: [message]})
    return found


@page
def points(request, pk):
    rnd = queries.get_round_to_run(request.scope, pk)
    here = reverse("screening_points", args=[rnd.id])
    errors, posted = {}, {}
    if request.method == "POST":
        do, post = request.POST.get("do"), request.POST
        if do == "remove":
            if not confirmed(request):
                s = next((s for ss in queries.samplers_by_point(rnd).values() for s in ss
                          if str(s.id) == post.get("sampler", "")), None)
                if s is not None:
                    return confirm_step(
                        request, title=_("Take %(name)s off table %(table)d?") % {
                            "name": s.user.display_name or s.user.username, "table": s.table},
                        lines=[_("They can no longer register samples in this round. What they "
                                 "registered stays. You can give them a table again.")],
                        yes=_("Take off"), back=here)
            return act(request, lambda a: planning.remove_sampler(a, rnd, post.get("sampler")), to=here,
                       done=lambda name: _("%(name)s was taken off the round.") % {"name": name})
        try:  # a refused form comes back as typed, its error beside the field
            if do == "point":
                p = _set_point(request, rnd, post)
                messages.success(request, ngettext("Sampling point “%(name)s”: %(n)d table.",
                                                   "Sampling point “%(name)s”: %(n)d tables.", p.tables) % {
                    "name": p.place.name, "n": p.tables})
            elif do == "sampler":
                s = _assign(request, rnd, post)
                messages.success(request, _("%(name)s samples at %(point)s, table %(table)d; told in their messages.")
                                 % {"name": s.user.display_name or s.user.username,
                                    "point": s.point.place.name, "table": s.table})
            else:
                raise Invalid(_("Unknown step."))
            return redirect(here)
        except Invalid as e:
            errors = e.fields or {"all": [str(e.message)]}
            posted = {**post.dict(), "form": do}
    pts = queries.round_points(rnd)
    return render(request, "screening/points.html", {
        "round": rnd, "points": pts, "free": queries.free_points(rnd),
        "volunteers": list(queries.sampler_candidates(request.scope, rnd)[:500]),
        "assigned": sum(len(p.assigned) for p in pts), "errors": errors, "posted": posted},
        status=400 if errors else 200)


def _set_point(request, rnd, post):
    if post.get("place") in (None, "", "new"):
        return planning.new_point(actor_of(request), rnd, post.get("name", ""), post.get("tables"))
    place = _pick(queries.free_points(rnd) + [p.place for p in rnd.points.select_related("place")],
                  post.get("place"), "point", _("Choose a sampling point."))
    return planning.add_point(actor_of(request), rnd, place, post.get("tables"))


def _assign(request, rnd, post):
    # any volunteer the user sees: who may sample in the round is the action's rule
    # (`access.sampler_pool_q`), refused there in the API's words
    from fangkong.volunteers import queries as vol_queries

    try:
        v = vol_queries.get_volunteer(request.scope, post.get("volunteer"))
    except NotFound:
        raise Invalid(fields={"volunteer": [_("Choose a volunteer.")]}) from None
    point = _pick(list(rnd.points.select_related("place")), post.get("point"), "point",
                  _("Choose a sampling point."))
    return planning.assign_sampler_volunteer(actor_of(request), rnd, point, v, post.get("table"))
