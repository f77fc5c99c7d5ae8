"""Pages of sealed-area services (mobile-first, Chinese by default): a place's services
overview, the checkpoint check of a batch, a delivery run's checklist (works offline: the
station's queue pattern in services.js), the request queue and a request, and a
household's own page (zone, next round, members' latest results, orders and requests;
order and raise a request). Each POST calls the same action as the API; irreversible taps
are asked first (core.views.confirm_step)."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from fangkong.audit.disclosure import audit_phones, record_phones
from fangkong.core.access import one
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.core.text import join_words
from fangkong.core.views import confirm_step, confirmed, next_or, page, photo_response
from fangkong.core.when import names_day
from fangkong.registry.contacts import with_contact_phones
from fangkong.registry.models import Household, Place

from . import (
    access,
    delivery_queries,
    emergency,
    home_sampling,
    prescriptions,
    queries,
    redeliveries,
    report_queries,
)
from . import give_views as give_pages
from . import redelivery_views as redeliver_pages
from .actions import arrival, care, delivery, handoff, order_problem, orders, pricing, requests
from .actions import disinfection as dis
from .batch_queries import batch_suppliers, left_out, left_out_words, nothing_came, split_preview
from .check_ins import page_context as check_in_context
from .exports import owed_xlsx
from .models import CheckIn, Line, Order, Payer, Request, Stop, Supplier
from .order_changes import with_sent


def actor(request) -> Actor:
    return Actor.from_request(request)


def get_place(request, pk, perm=access.VIEW) -> Place:
    p = Place.objects.filter(pk=pk).first()
    if p is None:
        raise NotFound()
    access.require(request.scope, perm, p)
    return p


def error_text(e: Invalid) -> str:
    if e.fields:
        return " ".join(str(m) for ms in e.fields.values() for m in ms)
    return str(e.message)


@page
def home(request):
    """Each role where its services work is: staff on their place's overview, a volunteer on
    their runs and requests, a supplier on its batches, a household on its own page."""
    scope = request.scope
    own = [g.household_id for g in scope.grants if g.household_id]
    roots = scope.roots(access.VIEW)
    if roots:
        return redirect("services_place", pk=roots[0].id)
    if own:
        return redirect("services_household", pk=own[0])
    if access.supplier_ids(scope) or access.team_ids(scope) or scope.has_role("volunteer", "supplier"):
        return render(request, "services/mine.html", {
            "batches": delivery_queries.with_outcome(queries.batches(scope)[:20]),
            "runs": delivery_queries.with_outcome(queries.runs(scope)[:20]),
            "requests": list(queries.request_queue(scope, limit=30)),
            "feedings": list(queries.feedings(scope))})
    raise NotFound()


def _confirm_resolve(request, scope, p, prob, delivered: bool):
    """Closing an exception asks first (it cannot be undone), naming the door and exactly
    what changes (found on an evening walk: one tap marked the order and the door delivered
    and closed the exception; then, resolving without delivery, no question at all and the
    open visit to the door closed though nobody went)."""
    row = delivery_queries.problem_rows(scope, [prob])[0]
    what = request.POST.get("resolution", "").strip() or "—"
    visit_open = row.visit is not None and row.visit.state in Request.OPEN
    if delivered:
        lines = [row.address, prob.summary(),
                 _("Its order and its door become delivered, and this exception is closed with: %(what)s")
                 % {"what": what}]
        warn = _("The open visit to the door is closed as done with the same words.") if visit_open else ""
        title, yes = _("Delivered after all?"), _("Yes, delivered after all")
    else:
        lines = [row.address, prob.summary(),
                 _("This exception is closed with: %(what)s") % {"what": what}]
        if delivery_queries.ends_orders(prob):
            lines.append(_("Its order is not delivered: it is no longer counted as coming and nothing is owed "
                           "for it; the household reads why."))
        if visit_open:
            lines.append(_("The open visit to the door stays open: nobody has been to the door yet."))
        warn = ""
        title, yes = _("Close without delivery?"), _("Yes, close it")
    if any(r.state in Request.OPEN for r in row.reports):  # the family's "这单有问题" (`order_problem`)
        lines.append(_("The household's report of this problem is answered with the same words; they are told."))
    return confirm_step(request, title=title, lines=lines, warn=warn, yes=yes,
                        back=reverse("services_place", args=[p.pk]) + f"#problem-{prob.id}")


@page
def place(request, pk):
    """A place's services: batches, exceptions (resolved here), the first requests, the
    disinfection to do (signed off here, asked first) and the morning's check-ins (recorded
    here)."""
    p = get_place(request, pk)
    scope = request.scope
    if request.method == "POST":
        a, what = actor(request), request.POST.get("do", "")
        try:
            if what == "resolve":
                prob = queries.get_problem(scope, request.POST.get("problem"))
                delivered = request.POST.get("delivered") == "1"
                if not confirmed(request):  # cannot be undone: asked first, saying what changes
                    return _confirm_resolve(request, scope, p, prob, delivered)
                delivery.resolve_problem(a, prob, resolution=request.POST.get("resolution", ""),
                                         delivered=delivered)
            elif what == "redeliver":  # 补送: a follow-up order with the next batch (asked first)
                return redeliver_pages.from_problem(request, p)
            elif what == "check_in":
                c = queries.get_check_in(scope, request.POST.get("check_in"))
                try:
                    c = care.record_check_in(a, c, request.POST.get("result", ""), request.POST.get("note", ""),
                                             category=request.POST.get("category", ""))
                except Invalid as e:  # said beside the calls, not at the top of a long page
                    messages.error(request, error_text(e))
                    return redirect(reverse("services_place", args=[p.pk]) + "#check-in-count")
                # back to the list of calls, not the top of the page: the next person to call is
                # under the thumb, and what this tap did is said there (found walking the demo:
                # 130 calls, a scroll each, and the request a "no answer" made was not said)
                return redirect(reverse("services_place", args=[p.pk]) + f"?last={c.id}#check-in-count")
            elif what == "disinfected":
                d = queries.get_disinfection(scope, request.POST.get("disinfection"))
                if not confirmed(request):
                    return confirm_step(request, title=_("Sign off this disinfection?"), lines=[
                        d.place.name, request.POST.get("area", ""), request.POST.get("agent", "")],
                        yes=_("Yes, sign it off"), back=request.get_full_path())
                dis.sign_off(a, d, area=request.POST.get("area", ""), agent=request.POST.get("agent", ""))
            else:
                raise NotFound()
            messages.success(request, _("Saved."))
        except Invalid as e:
            messages.error(request, error_text(e))
        return redirect("services_place", pk=p.pk)
    # every call still to make, in door order, before those made (found walking the demo: 50
    # rows sorted by result hid the rest, and each call made pushed one more out of sight)
    today = queries.check_ins(scope, place=p).select_related("resident__household")
    check_ins_open = list(today.filter(result=CheckIn.Result.OPEN)[:1000])
    check_ins_done = list(today.exclude(result=CheckIn.Result.OPEN)[:500])
    check_ins = check_ins_open + check_ins_done
    last = next((c for c in check_ins_done if str(c.id) == request.GET.get("last", "")), None)
    doors = queries.door_labels({c.resident.household for c in check_ins})
    for c in check_ins:  # whom to call, where: the door and the phone (masked unless allowed)
        c.door = doors.get(c.resident.household_id, "")
    # someone without a mobile: the household's phone, else a housemate's, as the round's
    # lists say it (found on the family walk: 独居老人 李卫龙's landline was not shown)
    with_contact_phones(actor(request), [c.resident for c in check_ins], f"services.check_ins:{p.id}")
    # each exception with its door, whom to call and its run (found on a phone: "未送达: 敲门无人
    # 应答" said nothing of which door)
    may_run = scope.allows(access.RUN, p)
    problems = delivery_queries.problem_rows(scope, queries.problems(scope, place=p)[:50])
    called = [c["of"] for x in problems for c in x.phones]
    audit_phones(actor(request), [c for c in called if not isinstance(c, Household)],
                 f"services.problems:{p.id}", [c for c in called if isinstance(c, Household)])
    return render(request, "services/place.html", {
        # the batches serving its households, not only those whose gate is under it (found on
        # a building's page: "no batches yet" while its run was being carried)
        "place": p, "batches": delivery_queries.deliveries(scope, p),
        "problems": problems,
        "requests": queries.with_doors(queries.request_queue(scope, place=p, limit=10)),
        "disinfections": list(queries.disinfections(scope, place=p, open_only=True)[:20]),
        "check_ins_open": check_ins_open, "check_ins_done": check_ins_done,
        "check_ins_total": today.count(), "last": last, "need_categories": queries.need_categories(),
        **check_in_context(today),  # the one figure, the deadline, the open rows late after it
        "unassigned": list(queries.unassigned_feedings(scope, place=p)[:50]),
        "waiting": batch_suppliers(scope, p),
        # sealed households with no order coming: staff arrange their supplies (a lockdown day)
        "sealed": report_queries.sealed_without_orders(scope, p),
        "now": timezone.now(), "may_run": may_run,
        # who may see but not act (a building's leader): the lists read only, and whom to call
        # about them (found walking the demo: "待联系" rows and requests, no button, no name)
        "answerers": [] if may_run else queries.answerers(p)})


@page
def batch(request, pk):
    """The checkpoint check: each line received / short / damaged / substituted, then both
    sides sign (asked first: the list can no longer change). The team on duty's volunteer
    who signed (the batch is closed to them once signed) lands on their home, where their
    team's runs come once staff split it — told so, not "not found" (found walking the demo)."""
    try:
        b = queries.get_batch(request.scope, pk)
    except NotFound:
        if queries.signed_by_my_team(request.scope, pk):
            messages.info(request, _("This hand-off is signed: its list is closed to the team at the gate. "
                                     "Your team's runs come here once it is split."))
            return redirect("volunteers_home")
        raise
    a = actor(request)
    error, anchor = "", ""
    if request.method == "POST":
        what = request.POST.get("do", "")
        try:
            if what == "line":
                ln = Line.objects.filter(batch=b, pk=request.POST.get("line") or 0).first()
                if ln is None:
                    raise NotFound()
                handoff.check_line(a, ln, request.POST.get("outcome", ""), received=request.POST.get("received"),
                                   substitute=request.POST.get("substitute", ""),
                                   substitute_price=request.POST.get("substitute_price", ""))
                # back at the line just saved, not at the top of a 30-line list
                anchor = f"#line-{ln.id}"
            elif what == "price":  # a substitute's price told after the check (价格待定): once, audited
                ln = one(Line.objects.filter(batch=b), request.POST.get("line"))
                ln = pricing.price_substitute(a, ln, request.POST.get("substitute_price", ""))
                messages.success(request, _("Price set for %(name)s: ¥%(price)s each. The amounts owed count it "
                                            "now.") % {"name": ln.substitute, "price": ln.substitute_price})
                anchor = f"#line-{ln.id}"
            elif what == "rest":
                if not confirmed(request):
                    from django.utils.translation import ngettext

                    n = queries.batch_lines(b, pending_only=True).count()
                    return confirm_step(request, title=_("Mark the rest received?"),
                                        lines=[ngettext("%(n)d line not yet checked will be marked received as listed.",
                                                        "%(n)d lines not yet checked will be marked received as listed.",
                                                        n) % {"n": n}], yes=_("Yes, all received"),
                                        back=request.get_full_path())
                handoff.receive_rest(a, b)
            elif what == "sign":
                supplier_side = not access.checks_batch(request.scope, b)
                name = request.POST.get("supplier_name", "") or b.supplier_signed_by
                if not confirmed(request):
                    from django.utils.translation import ngettext

                    f = queries.batch_figures(b)
                    counts = ngettext("%(received)d line received, %(problems)d not as listed",
                                      "%(received)d lines received, %(problems)d not as listed", f["received"]) % {
                        "received": f["received"], "problems": f["short"] + f["damaged"] + f["substituted"]}
                    if supplier_side:
                        return confirm_step(request, title=_("Sign the checks for %(supplier)s?") % {
                            "supplier": b.supplier.name}, lines=[
                            _("Supplier's signature: %(name)s") % {"name": name}, counts,
                            _("The amounts owed are counted from these checks.")],
                            yes=_("Yes, sign for the supplier"), back=request.get_full_path())
                    return confirm_step(request, title=_("Sign the hand-off?"), lines=[
                        _("Supplier's signature: %(name)s") % {"name": name}, counts,
                        _("After signing, the lines can no longer change.")],
                        yes=_("Yes, both sides sign"), back=request.get_full_path())
                handoff.sign(a, b, supplier_name=request.POST.get("supplier_name", ""))
                if supplier_side:
                    messages.success(request, _("Signed for the supplier. The checkpoint signs next."))
                elif request.scope.allows(access.RUN, b):
                    messages.success(request, _("Signed. The batch can be split into runs."))
                else:  # the team on duty: splitting is staff's; the runs come to their home
                    messages.success(request, _("Signed. The community staff split the batch into runs "
                                                "next: your team's runs will come here and to your inbox."))
            elif what == "arrived":  # 已到达卡口: the supplier (or the gate) says the goods are here
                if not confirmed(request):
                    return confirm_step(request, title=_("The goods are at %(gate)s?") % {"gate": b.checkpoint.name},
                                        lines=[str(b), arrival.told_words(a, b)],
                                        yes=_("Yes, at the checkpoint now"), back=request.get_full_path())
                arrival.arrived(a, b)
                messages.success(request, _("Arrival recorded. %(told)s") % {"told": arrival.told_words(a, b)})
            elif what == "split":
                if not confirmed(request):
                    return confirm_step(request, title=_("Split into runs by building?"), lines=_split_lines(b),
                                        yes=_("Yes, split into runs"), back=request.get_full_path())
                handoff.split(a, b)  # none given: the batch's team (the action's rule)
                messages.success(request, _("Split into runs by building."))
            else:
                raise NotFound()
            if not _may(access.require_batch, request.scope, b):
                return redirect("volunteers_home")  # signed by the team on duty: closed to them now
            return redirect(request.get_full_path() + anchor)
        except Invalid as e:
            error = error_text(e)
    lines = list(queries.batch_lines(b))
    labels = queries.door_labels({ln.household_id: ln.household for ln in lines}.values())
    for ln in lines:
        ln.label = labels.get(ln.household_id, "")
    return render(request, "services/batch.html", {
        "batch": b, "lines": lines, "figures": queries.batch_figures(b), "error": error,
        # what the supplier signs for, above the list: the lines not as listed
        "problem_lines": [ln for ln in lines if ln.outcome not in (Line.Check.RECEIVED, Line.Check.PENDING)],
        "may_check": access.checks_batch(request.scope, b), "may_run": request.scope.allows(access.RUN, b),
        "may_arrive": b.state == b.State.EXPECTED and not b.arrived_at and (
            access.checks_batch(request.scope, b) or b.supplier_id in access.supplier_ids(request.scope)),
        # a substitute left 价格待定 is priced afterwards by who sets the batch's prices
        "may_price": _may(access.require_manifest, request.scope, b),
        "supplier_signs": b.supplier_id in access.supplier_ids(request.scope)
        and not access.checks_batch(request.scope, b),
        "signer": str(request.user.display_name or request.user) if request.user.is_authenticated else "",
        "runs": delivery_queries.with_outcome(queries.runs(request.scope, batch=b)),
        "outcome": delivery_queries.with_outcome([b])[0], "outcomes": Line.Check.choices[1:],
        # orders the supplier's manifest left out: back to waiting, never silently (`actions.manifest`)
        "left_out": left_out_words(left_out(b)),
        # doors of which nothing came: no stop, the household must be told (`handoff.split`)
        "nothing_came": (empty := nothing_came(b)), "nothing_came_words": join_words(empty),
        # its medicine orders: the medicine, who pays, the prescription photo (the pharmacy dispenses by it)
        "medicine": _medicine_orders(request.scope, Order.objects.filter(batch=b, is_medicine=True))})


def _medicine_orders(scope, qs) -> list:
    """Medicine orders each with its door (`.door`) and `prescriptions.with_medicine`'s words."""
    found = prescriptions.with_medicine(scope, qs.select_related("household").order_by("deadline", "id"))
    doors = queries.door_labels({o.household for o in found})
    for o in found:
        o.door = doors.get(o.household_id, "")
    return found


def _split_lines(b) -> list[str]:
    """What splitting says it does (`handoff.split`, `handoff.tell_carriers`), in numbers."""
    from django.utils.translation import ngettext

    f = split_preview(b)
    doors = ngettext("%(n)d door", "%(n)d doors", f["doors"]) % {"n": f["doors"]}
    lines = [ngettext("%(runs)d run (one per building), %(doors)s in total.",
                      "%(runs)d runs (one per building), %(doors)s in total.", f["runs"]) % {"runs": f["runs"], "doors": doors}]
    if b.team_id:
        lines.append(_("Each run goes at once to the inbox of %(team)s's volunteers, except those who must "
                       "stay home (sealed in, or a health code that is not green); the batch cannot be split again.") % {"team": b.team.name})
    else:
        lines.append(_("No team is on duty at this gate: nobody is told, and the runs wait on this page "
                       "for someone to carry them; the batch cannot be split again."))
    return lines


@page
def owed(request, pk):
    b = queries.get_batch(request.scope, pk)
    content = owed_xlsx(actor(request), b)
    r = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    r["Content-Disposition"] = f'attachment; filename="owed-{b.id}.xlsx"'
    return r


@page
def run(request, pk):
    """A run's checklist in carrying order. The page works offline: services.js keeps each
    door's confirmation (with its client id) in the phone until it is sent. A carrier who
    opens it again once it is done (its addresses are then closed to them) is told it is
    finished, not "not found"."""
    try:
        r = queries.get_run(request.scope, pk)
    except NotFound:
        if queries.carried_and_done(request.scope, pk):
            messages.success(request, _("This run is finished: every door is confirmed. Thank you."))
            return redirect("services_home")
        raise
    if request.method == "POST" and request.POST.get("do") == "team":
        return _give_run(request, r)
    rows = delivery_queries.checklist(request.scope, r)
    if request.method == "POST":  # without script: one door at a time
        stop = next((x["stop"] for x in rows if str(x["stop"].id) == request.POST.get("stop")), None)
        if stop is None:
            raise NotFound()
        try:
            delivery.confirm_stop(actor(request), stop, delivered=request.POST.get("delivered") == "1",
                                  client_id=request.POST.get("client_id") or uuid.uuid4(),
                                  reason=request.POST.get("reason", ""), photo=request.FILES.get("photo"),
                                  why=request.POST.get("why", ""))
        except Invalid as e:
            messages.error(request, error_text(e))
        return redirect(request.get_full_path())
    may_give = r.state == r.State.OPEN and _may(access.require_run, request.scope, r, manage=True)
    audit_door_phones(actor(request), r, rows)  # each door's `no_contact`: `delivery_queries.checklist`
    delivery_queries.with_outcome([r])  # "共 24 户，还剩 3 户", then "配送结束，1 户未送达"
    # each door's medicine orders: who pays (asked at the door) and the prescription photo
    medicine = prescriptions.with_medicine(request.scope, Order.objects.filter(batch_id=r.batch_id, is_medicine=True,
                                                                               household_id__in=[x["stop"].household_id
                                                                                                 for x in rows]))
    for x in rows:
        x["medicine"] = [o for o in medicine if o.household_id == x["stop"].household_id]
    return render(request, "services/run.html", {
        "run": r, "rows": rows, "pending": r.pending_n,
        "may_give": may_give, "teams": queries.run_teams(r) if may_give else [],
        "may_confirm": access.carries(request.scope, r) or request.scope.allows(access.RUN, r),
        "photo_max": settings.FANGKONG_PHOTO_MAX_BYTES, "whys": Stop.Why.choices,
        "photo_mb": f"{settings.FANGKONG_PHOTO_MAX_BYTES / 2**20:g}"})


def audit_door_phones(a, run, rows) -> None:
    """One audit event for the phones a run's checklist showed in clear (`delivery_queries.checklist`):
    to its carriers for their task at these doors, or by role."""
    shown = [o for x in rows for o in x["shown"]]
    record_phones(a, [o for o in shown if not isinstance(o, Household)], f"services.run:{run.place_id}",
                  [o for o in shown if isinstance(o, Household)], assigned=access.carries(a, run))


def _give_run(request, r):
    """The run given to a team of its community (staff, grid workers), or handed over from
    the team that has it: asked first — it is taken from them — then
    `handoff.assign_run`, the API's action. Back on the run's page, told what happened."""
    from django.utils.translation import ngettext

    access.require_run(request.scope, r, manage=True)
    here = reverse("services_run", args=[r.pk])
    team = queries.run_team(r, request.POST.get("team"))
    if team is None:
        messages.error(request, _("Choose a team."))
        return redirect(here + "#give")
    words = {"team": team.name, "building": r.place.name}
    if team.id == r.team_id and not r.carrier_id and r.state == r.State.OPEN:
        messages.info(request, _("%(team)s carries it already.") % words)
        return redirect(here)
    if not confirmed(request) and r.state == r.State.OPEN:  # a finished run: the action's refusal at once
        left = r.stops.filter(state="pending").count()
        had = [n for n in (r.team.name if r.team_id else "",
                           (r.carrier.display_name or r.carrier.username) if r.carrier_id else "") if n]
        lines = [ngettext("%(n)d door is still to deliver.", "%(n)d doors are still to deliver.", left) % {"n": left}]
        if had:
            lines.insert(0, _("It is taken from %(who)s: they no longer see its doors, and are told to stop.")
                         % {"who": " · ".join(had)})
        told = len(access.team_user_ids(team.id))
        warn = ""
        if told:
            lines.append(ngettext("%(n)d volunteer of %(team)s is told at once, with the run's link.",
                                  "%(n)d volunteers of %(team)s are told at once, with the run's link.", told)
                         % {"n": told, "team": team.name})
        else:
            warn = _("Nobody of %(team)s may go out now (no approved volunteer, or all kept at home): nobody "
                     "is told, and the doors wait.") % words
        return confirm_step(request, title=_("Give the run to %(building)s to %(team)s?") % words, lines=lines,
                            warn=warn, yes=_("Yes, give it to %(team)s") % words, back=here + "#give")
    return give_pages.give_run(request, r, team)  # then how many were told, or that nobody was


@page
def stop_photo(request, pk):
    """A door's photo, for staff over the run, its carriers while open, and who took it."""
    return photo_response(queries.get_stop_photo(request.scope, pk).photo)


@page
def queue(request, pk):
    p = get_place(request, pk)
    waiting = queries.waiting_confirmation(request.scope, place=p)
    redeliveries.with_awaits_goods(waiting)  # answered on a promise: no "代住户确认" until the goods come
    for r in waiting:  # "代住户确认" on the row, for who may confirm for the household
        r.may_confirm = not r.awaits_goods and _may(access.require_request, request.scope, r, confirm=True)
    reqs = queries.with_doors(queries.request_queue(request.scope, place=p, limit=200))  # with `no_contact`
    return render(request, "services/queue.html", {
        "place": p, "requests": reqs, "waiting": waiting, "now": timezone.now()})


@page
def request_page(request, pk):
    r = queries.get_request(request.scope, pk)
    if request.method == "POST":
        a, step = actor(request), request.POST.get("step", "")
        try:
            if step == "take":
                requests.take(a, r)
                messages.success(request, _("Taken: it is yours to answer."))
            elif step == "done":
                requests.done(a, r, request.POST.get("result", ""))
                messages.success(request, _("Marked done: the household is asked to confirm."))
            elif step == "confirm" and not access.speaks_for(request.scope, r.household_id):
                return _confirm_for(request, r)
            elif step == "confirm":
                if not confirmed(request):  # closes it for good: asked first, naming it
                    return _confirm_own(request, r)
                requests.confirm(a, r)
                messages.success(request, _("Confirmed."))
            elif step == "reopen":  # "没解决": open again with the family's words, its holder and staff told
                r = requests.reopen(a, r, request.POST.get("reason", ""))
                messages.success(request, _("Sent back: %(who)s and the community staff are told it is not "
                                            "resolved.") % {"who": r.holder or _("the grid worker")})
            elif step == "assign":  # to a team (asked first when nobody of it may go out) or a person
                asked = give_pages.give_request(request, a, r)
                if asked is not None:
                    return asked
            elif step == "triage":
                urgent = request.POST.get("urgent") == "1"
                due = request.POST.get("due_at", "")
                if not confirmed(request):  # asked first: it moves in everyone's queue
                    lines = [r.message, _("Urgent: first in the queue") if urgent else
                             _("Not urgent: its category's priority")]
                    if due:
                        lines.append(_("Needed by %(t)s") % {"t": due.replace("T", " ")})
                    return confirm_step(request, title=_("Change how soon this request is needed?"), lines=lines,
                                        yes=_("Yes, change it"), back=request.get_full_path())
                requests.triage(a, r, urgent=urgent, due_at=due or None)
                messages.success(request, _("Saved: the queue is in its new order."))
            elif step == "redeliver":  # 补送 answering the family's report (asked first)
                return redeliver_pages.from_report(request, r)
            elif step == "cancel":
                if not confirmed(request):
                    return confirm_step(request, title=_("Cancel this request?"), lines=[r.message],
                                        yes=_("Yes, cancel it"), back=request.get_full_path())
                requests.cancel(a, r)
                messages.success(request, _("Request cancelled."))
            elif step == "withdraw":  # "撤回" by those who asked for it: asked first, whoever has it told
                access.require_request(request.scope, r, withdraw=True)
                if r.state in Request.OPEN and not confirmed(request):
                    return _withdraw_step(request, r)
                try:
                    r = requests.withdraw(a, r, request.POST.get("reason", ""))
                    messages.success(request, _("Withdrawn: it has left the queue, and whoever had it is told."))
                except Conflict as e:  # done meanwhile: said on its page, which offers what is left to do
                    messages.error(request, str(e.message))
            else:
                raise NotFound()
        except Invalid as e:
            messages.error(request, error_text(e))
        if not _may(access.require_request, request.scope, r):
            # a volunteer's request done: its address is closed to them, their home is where the rest is
            return redirect("volunteers_home")
        return redirect("services_request", pk=r.pk)
    scope = request.scope
    hh = r.household
    labels = queries.door_labels([hh] + ([r.asked_from] if r.asked_from_id else []))
    # the neighbour who asked it follows it: what they asked and what became of it, never
    # the household's phones or orders (`access.follows_only`)
    follower = access.follows_only(scope, r)
    # whom to call to check (found on a night walk: no name, no phone), as a run's doors
    contacts, shown = queries.request_contacts(scope, r) if not follower else ([], [])
    # and the neighbour who asked it, said to be theirs (the household's are not the asker's)
    asker_phone, asker_shown = queries.asker_contact(scope, r) if not follower else (None, [])
    shown = shown + asker_shown
    record_phones(actor(request), [o for o in shown if not isinstance(o, Household)], f"services.request:{r.id}",
                  [o for o in shown if isinstance(o, Household)], assigned=access.assigned_to(scope, hh.id))
    may_work, may_manage = _may(access.require_request, scope, r, work=True), \
        _may(access.require_request, scope, r, manage=True)
    own = access.speaks_for(scope, hh.id)  # the family's own request
    queries.with_doors([r])  # its tags and `no_contact` now, as the queue and the API say them
    if not follower:  # 上门采样: whom, and where each stands on the rounds' home-sampling lists
        home_sampling.with_home_lines([r])
    # answered on a promise, its goods not come: no "确认已解决" yet, the goods as they stand
    goods = redeliveries.goods_of([r]).get(r.id) if redeliveries.awaits_goods(r) else None
    return render(request, "services/request.html", {
        "r": r, "address": labels[hh.id],
        # 这单有问题: its order and the gate's exceptions of its door and line (`order_problem`)
        "gate_problems": list(report_queries.gate_problems(r).select_related("line")) if r.order_id else [],
        # 补送: the follow-ups answering it, "补送中" → "已补送" (`redeliveries`), and "补送" for who runs it
        "follow_ups": [] if follower else redeliveries.for_requests([r])[0].follow_ups,
        "may_redeliver": bool(r.order_id) and may_manage and r.state in Request.OPEN,
        "open_gate_problems": r.order_id is not None and redeliveries.open_problems(r).exists(),
        "no_contact": "" if follower else r.no_contact, "asked_from": labels.get(r.asked_from_id, ""),
        "contacts": contacts,
        "asker": (r.raised_by.display_name or r.raised_by.username) if r.raised_by_id else "",
        "asker_phone": asker_phone,
        "may_work": may_work, "may_confirm": _may(access.require_request, scope, r, confirm=True),
        "awaits_goods": goods is not None, "goods_progress": goods.progress[1] if goods is not None else "",
        "may_manage": may_manage, "now": timezone.now(), "give": give_pages.choices(r) if may_manage else {},
        "own": own,
        "may_withdraw": r.state in Request.OPEN and access.may_withdraw(scope, r),
        "withdrawn_by": (r.withdrawn_by.display_name or r.withdrawn_by.username) if r.withdrawn_by_id else "",
        "follower": follower,
        "orders_like": [o for o in queries.orders_like(scope, r) if o.id != r.for_order_id]
        if not follower and (r.state in Request.OPEN or r.state == "done") else [],
        # a morning call's need for medicine following the order still coming (`care.record_check_in`):
        # whoever works on it reads what, from which pharmacy, who pays, the prescription — not to buy twice
        "follows": prescriptions.with_medicine(scope, [r.for_order])[0] if r.for_order_id and not follower
        else None,
        # who may see it but not act on it (a building's leader): whom to call, not a dead end
        "answerers": queries.answerers(r) if not (may_work or may_manage or own) and r.state in Request.OPEN
        else [],
        "confirmed_by": (r.confirmed_by.display_name or r.confirmed_by.username) if r.confirmed_by_id else "",
        "urgent": r.priority == 1 and r.state in Request.OPEN,
        "urgent_why": emergency.why(r) if r.state in Request.OPEN else "",
        "tags": [] if follower else r.tag_words})


def _withdraw_step(request, r):
    """"撤回这条求助？": which request, who has it and that they are told, that it leaves the
    queue for good, and a few optional words ("亲戚已经送来了") for whoever had it."""
    lines = [_("%(category)s: %(text)s") % {"category": r.category.label, "text": r.message}]
    if r.holder:
        lines.append((_("%(who)s has taken it and will be told.") if r.state == Request.State.TAKEN
                      else _("It was given to %(who)s, who will be told.")) % {"who": r.holder})
    else:
        lines.append(_("Nobody has taken it yet: it leaves the grid worker's queue."))
    lines.append(_("If you need help again, ask again."))
    return confirm_step(request, title=_("Withdraw this request?"), lines=lines,
                        entry=("reason", _("Why is it no longer needed? (optional)"),
                               request.POST.get("reason", "")),
                        yes=_("Yes, withdraw the request"), back=reverse("services_request", args=[r.pk]))


def _confirm_own(request, r):
    """"确认已解决" by the household itself asks first (found on a phone: one tap closed it
    for good): which request, what was done, and that it is closed — "没解决" is gone after."""
    lines = [_("%(category)s: %(text)s") % {"category": r.category.label, "text": r.message}]
    if r.result:
        lines.append(_("What was done: %(result)s") % {"result": r.result})
    lines.append(_("It is closed for good: it can no longer be sent back as not resolved. If it is not "
                   "resolved, go back and tap “Not resolved”."))
    return confirm_step(request, title=_("Confirm it was resolved?"), lines=lines,
                        yes=_("Yes, it was resolved"), back=reverse("services_request", args=[r.pk]))


def _confirm_for(request, r):
    """"代住户确认" (from the request page or the queue's "已办完，待住户确认"): asked first,
    saying how the household told them (by phone, at the door, by the family), then
    `requests.confirm` — kept on the request and audited as on its behalf."""
    back = next_or(request, reverse("services_request", args=[r.pk]))
    if not confirmed(request) or not request.POST.get("how"):
        door = queries.door_labels([r.household])[r.household_id]
        ago = timesince(r.done_at, timezone.now()) if r.done_at else ""
        return confirm_step(
            request, title=_("Confirm for the household that it was answered?"),
            lines=[f"{r.category.label} · {door}", r.message,
                   _("What was done: %(result)s") % {"result": r.result} if r.result else "",
                   _("Done %(ago)s ago, not yet confirmed by the household.") % {"ago": ago} if ago else ""],
            warn=_("Only when the household cannot confirm itself: your name is kept on the request."),
            choice=("how", _("How did the household tell you it was answered?"),
                    [(code, words, "") for code, words in requests.confirm_ways()]),
            yes=_("Yes, confirm for the household"), back=back)
    try:
        requests.confirm(actor(request), r, request.POST.get("how", ""))
        messages.success(request, _("Confirmed for the household."))
    except (Invalid, Conflict) as e:
        messages.error(request, error_text(e))
    return redirect(back)


def _members(hh, asked) -> list:
    """The household's people at home for the help form's 上门采样 ticks, each `.ticked`: as the
    refused form had them, else the default (`home_sampling.members`)."""
    people = home_sampling.members(hh)
    ticked = set(asked.getlist("people")) if asked else None
    for p in people:
        p.ticked = str(p.id) in ticked if ticked is not None else p.default
    return people


def _may(check, *args, **kw) -> bool:
    from fangkong.core.errors import Forbidden

    try:
        check(*args, **kw)
    except (NotFound, Forbidden):
        return False
    return True


@page
def household(request, pk):
    """A household's own page: its zone, the next round, its members' latest results, its
    orders and requests; order from a supplier, raise a request. Nothing of any other."""
    from fangkong.screening.queries import household_results
    from fangkong.zones.queries import household_zone

    hh = queries.get_household(request.scope, pk)
    scope, a = request.scope, actor(request)
    errors = {}
    suppliers = queries.suppliers(scope, hh)
    may_order = access.may_order_for(scope, hh)
    if request.method == "POST":
        if not may_order:
            raise NotFound()
        try:
            if request.POST.get("do") == "order":
                s = next((x for x in suppliers if str(x.id) == request.POST.get("supplier")), None)
                if s is None:
                    raise Invalid(fields={"supplier": [_("Choose a supplier.")]})
                lines = [(i.id, request.POST.get(f"q{i.id}")) for i in queries.catalogue(s)
                         if (request.POST.get(f"q{i.id}") or "0").strip() not in ("", "0")]
                orders.place_order(a, hh, s, lines, medicine=request.POST.get("medicine", ""),
                                   deadline=request.POST.get("deadline") or None,
                                   prescription=request.FILES.get("prescription"),
                                   payer=request.POST.get("payer", ""),
                                   client_id=request.POST.get("client_id"))
                messages.success(request, _("Order placed."))
            elif request.POST.get("do") == "cancel":
                o = queries.get_order(scope, request.POST.get("order"))
                if o.household_id != hh.id:
                    raise NotFound()
                if not confirmed(request):
                    what = join_words(f"{ln.name} × {ln.quantity}" for ln in o.lines.all())  # 、 in Chinese
                    return confirm_step(request, title=_("Cancel this order?"), lines=[
                        f"{o.supplier.name} · ¥{o.total}", what or o.medicine] + (
                        [_("It is taken out of its delivery (%(batch)s) and nothing is owed for it.")
                         % {"batch": o.batch}] if o.state == o.State.IN_BATCH and o.batch_id else []),
                        yes=_("Yes, cancel the order"), back=request.get_full_path())
                orders.cancel_order(a, o)
                messages.success(request, _("Order cancelled."))
            elif request.POST.get("do") == "order_problem":  # 这单有问题 (`order_problem.report`)
                o = queries.get_order(scope, request.POST.get("order"))
                if o.household_id != hh.id:
                    raise NotFound()
                order_problem.report(a, o, what=request.POST.get("what", ""), line=request.POST.get("line") or None,
                                     text=request.POST.get("text", ""), client_id=request.POST.get("client_id"))
                messages.success(request, _("Sent as a problem with goods: your grid worker answers it, and you "
                                            "see here what is done."))
            elif request.POST.get("do") == "pet":
                pet = care.add_pet(a, hh, {k: request.POST.get(k, "") for k in ("name", "species", "care")})
                messages.success(request, _("%(name)s is registered.") % {"name": pet.name})
            elif request.POST.get("do") == "request":
                c = requests.category_of(request.POST.get("category", ""))
                text, room, cid = request.POST.get("text", ""), request.POST.get("room", "").strip(), \
                    request.POST.get("client_id")
                if room:  # "为邻居求助": the neighbour's door, not this one (found on a phone)
                    made = requests.raise_for_neighbour(a, hh, room, c, text, client_id=cid)
                else:  # 上门采样: who of the household, ticked (none: `home_sampling.chosen`'s default)
                    made = requests.raise_request(a, hh, c, text, client_id=cid,
                                                  people=request.POST.getlist("people")
                                                  if home_sampling.is_home_sampling(c) else None)
                if made.household_id != hh.id:
                    door = queries.door_labels([made.household])[made.household_id]
                    messages.success(request, _("Request sent for %(door)s: their grid worker answers it at "
                                                "their door.") % {"door": door})
                elif request.scope.allows(access.RUN, made):  # a worker raising it for the household
                    from fangkong.registry.models import Place

                    where = Place.objects.filter(pk=made.community_id).values_list("name", flat=True).first() or ""
                    messages.success(request, _("The request is in the %(community)s request queue: you can "
                                                "take it yourself.") % {"community": where})
                else:
                    messages.success(request, _("Request sent to your grid worker. You will see here when it is "
                                                "taken."))
                if c.code == "urgent_medical":
                    messages.warning(request, _("If a life is in danger, call 120 at once: do not wait for an answer here."))
                if home_sampling.is_home_sampling(c) and made.household_id == hh.id:
                    home_sampling.with_home_lines([made])
                    messages.info(request, " ".join(ln["text"] for ln in made.home_lines) or _(
                        "Not on a home-sampling list yet: the next testing round planned here lists them."))
            else:
                raise NotFound()
            return redirect("services_household", pk=hh.pk)
        except Invalid as e:
            errors = e.fields or {"all": [str(e.message)]}
    # a refused order comes back as it was typed, its errors under its own supplier's form
    posted = request.POST if errors and request.POST.get("do") == "order" else {}
    asked = request.POST if errors and request.POST.get("do") == "request" else {}  # typed, kept
    offer = [(s, [(i, posted.get(f"q{i.id}", "")) for i in queries.catalogue(s)]) for s in suppliers]
    for s, items in offer:  # the medicine fields only where medicine is sold (not the supermarket's form)
        s.sells_medicine = queries.sells_medicine(s, [i for i, _typed in items])
    people, results = household_results(scope, hh, limit=5) if scope.allows(access.VIEW, hh) else ([], [])
    # "latest test": the latest round in which this household was tested, not a round begun
    # a minute ago with nobody sampled yet (found walking the demo)
    results = [next((r for r in results if any(code != "not_sampled" for _p, _l, code in r[1])), results[0])] \
        if results else []
    hh_orders = queries.household_orders(scope, hh)
    prescriptions.with_medicine(scope, hh_orders["orders"])  # its photo's link, who pays, a price still to come
    hh_orders["coming_unpriced"] = any(o.medicine_unpriced for o in hh_orders["orders"] if o.state in queries.COMING)
    report_queries.with_reports(with_sent(hh_orders["orders"]))  # as the supplier sends them: its manifest may change a line (`order_changes`)
    # a report answered on a promise reads "社区答复：…" beside its order, not "已办完" (`awaits_goods`)
    redeliveries.with_awaits_goods([r for o in hh_orders["orders"] for r in o.reports])
    redeliveries.with_redeliveries(hh_orders["orders"] + hh_orders["cancelled"])  # 补送中 → 已补送
    return render(request, "services/household.html", {
        "hh": hh, "address": queries.door_labels([hh])[hh.id], "zone": household_zone(hh.id),
        "results": results[0] if results else None,
        # its day beside its name, unless the name already says it ("12月7日 抗原自测")
        "results_day": None if not results or names_day(results[0][0].name, results[0][0].starts_at)
        else results[0][0].starts_at,
        # the orders that count, and the cancelled ones apart: found walking the demo, an order
        # a leader's change had cancelled read as still coming
        **hh_orders,
        "requests": list(queries.request_queue(scope, household=hh, open_only=False, limit=20)),
        # asked for a neighbour from here (为邻居求助): the asker follows them here (`access.asked_for`)
        "for_neighbours": queries.asked_for_neighbours(scope, hh),
        "suppliers": offer, "posted": posted, "asked": asked, "categories": queries.categories(),
        # 上门采样's choice of who (the form's ticks: as typed when refused, else the default)
        "members": _members(hh, asked) if may_order else [],
        "may_order": may_order, "errors": errors, "client_id": uuid.uuid4(),
        "reported": request.POST if errors and request.POST.get("do") == "order_problem" else {},
        "order_whats": Request._meta.get_field("order_what").choices,
        "pets": list(queries.pets(scope, household=hh)[:20]),
        "posted_pet": request.POST if errors and request.POST.get("do") == "pet" else {},
        "Request": Request, "Supplier": Supplier, "payers": Payer.choices,
        # the family reads "our orders"; staff and grid workers acting for it, "this household's"
        "own": any(g.household_id == hh.id for g in scope.grants)})
