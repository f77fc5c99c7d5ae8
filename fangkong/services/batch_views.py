"""The page that makes a hand-off batch (a community worker at 15:00, on a phone): choose
the supplier, the named gate and the time (today's 15:30 by default), see which waiting
orders go in (medicine first) and how many households and lines, then create it — asked
first; the form's client id makes a double tap or a retry answer the same batch. The POST
calls `actions.handoff.create_batch`, the action the API calls."""

import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid
from fangkong.core.views import confirm_step, confirmed, page
from fangkong.core.when import short_time

from . import access, batch_queries, checks
from .actions import handoff
from .views import error_text, get_place


@page
def new_batch(request, pk):
    p = get_place(request, pk, access.RUN)
    scope = request.scope
    suppliers = batch_queries.batch_suppliers(scope, p)
    data = request.POST if request.method == "POST" else request.GET
    chosen = next((s for s in suppliers if str(s.id) == data.get("supplier")), None)
    if chosen is None and len(suppliers) == 1:
        chosen = suppliers[0]
    ctx = {"place": p, "suppliers": suppliers, "supplier": chosen, "error": "", "client_id": uuid.uuid4()}
    if chosen is not None:
        gates = batch_queries.gates(scope, chosen)
        last = batch_queries.last_batch(chosen)
        due = batch_queries.default_due()
        figures = batch_queries.waiting_figures(chosen)
        # the earliest need-by, when it comes before the daily hand-off (found on the services
        # evening: a medicine needed by 08:05 defaulted to 15:30)
        if figures["first"] is not None and timezone.now() < figures["first"] < due:
            due = figures["first"]
        due = timezone.localtime(due)
        teams = _teams(chosen)
        ctx.update(gates=gates, teams=teams, figures=figures,
                   orders=batch_queries.waiting_list(chosen),
                   gate_id=str(last.checkpoint_id) if last else (str(gates[0].id) if len(gates) == 1 else ""),
                   team_id=str(last.team_id or "") if last else "",
                   day=due.date().isoformat(), time=due.strftime("%H:%M"))
    if request.method != "POST":
        return render(request, "services/batch_new.html", ctx)
    try:
        if chosen is None:
            raise Invalid(fields={"supplier": [_("Choose a supplier.")]})
        gate = next((g for g in ctx["gates"] if str(g.id) == request.POST.get("checkpoint")), None)
        if gate is None:
            raise Invalid(fields={"checkpoint": [_("Choose the gate where the goods are handed over.")]})
        team = next((t for t in ctx["teams"] if str(t.id) == request.POST.get("team")), None)
        due_at = checks.when(f"{request.POST.get('day', '').strip()}T{request.POST.get('time', '').strip()}",
                             "due_at")
        f = ctx["figures"]
        if not confirmed(request):
            if not f["orders"]:
                raise Invalid(fields={"orders": [_("No orders are waiting for this supplier.")]})
            lines = [_("%(supplier)s at %(gate)s, %(time)s") % {
                         "supplier": chosen.name, "gate": gate.name,
                         "time": short_time(due_at)},
                     _("%(orders)s (%(medicine)d medicine) for %(households)s, %(lines)s") % {
                         "orders": ngettext("%(n)s order", "%(n)s orders", f["orders"]) % {"n": f["orders"]},
                         "medicine": f["medicine"],
                         "households": ngettext("%(n)s household", "%(n)s households", f["households"]) % {
                             "n": f["households"]},
                         "lines": ngettext("%(n)s line", "%(n)s lines", f["lines"]) % {"n": f["lines"]}}]
            if team is not None:
                lines.append(_("Team at the gate: %(team)s") % {"team": team.name})
            late = batch_queries.late_orders(chosen, due_at)
            alarm = ((ngettext("%(n)d order will reach the door late", "%(n)d orders will reach the door late",
                               len(late)) % {"n": len(late)},
                      [batch_queries.late_words(o, due_at) for o in late]) if late else None)
            return confirm_step(request, title=_("Create this hand-off?"), lines=lines, alarm=alarm,
                                yes=_("Yes, create the batch"), back=request.get_full_path())
        b = handoff.create_batch(Actor.from_request(request), chosen, gate, due_at=due_at, team=team,
                                 client_id=request.POST.get("client_id"))
        messages.success(request, _("Hand-off created. Give the supplier its manifest."))
        return redirect("services_batch", pk=b.pk)
    except Invalid as e:
        ctx.update(error=error_text(e), gate_id=request.POST.get("checkpoint", ""),
                   team_id=request.POST.get("team", ""), day=request.POST.get("day", ""),
                   time=request.POST.get("time", ""), client_id=request.POST.get("client_id") or uuid.uuid4())
        return render(request, "services/batch_new.html", ctx)


def _teams(supplier):
    from fangkong.volunteers.models import Team

    return list(Team.objects.filter(community_id=supplier.community_id).order_by("name")[:50])
