"""补送 on the pages (`actions.redelivery.redeliver`, the API's action): from an exception of a
place's services page ("补送", `do=redeliver`) and from the family's report on its request
page (`step=redeliver`). Asked first — it orders goods from the supplier — saying what is sent
again, whether it is charged (once, when it comes; ¥0 for what the original was charged for),
which hand-off brings it, and that the family's report is answered with the same words."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.errors import Conflict, Invalid
from fangkong.core.text import join_words
from fangkong.core.views import act, confirm_step, confirmed, flash_error
from fangkong.core.when import short_time

from . import access, delivery_queries, queries, redeliveries
from .actions.redelivery import redeliver
from .models import Request


def from_problem(request, place):
    """The place page's "补送" on an exception: asked first, then the action."""
    prob = queries.get_problem(request.scope, request.POST.get("problem"))
    access.require(request.scope, access.RUN, prob)  # refused before asking
    back = reverse("services_place", args=[place.pk]) + f"#problem-{prob.id}"
    if not confirmed(request):
        row = delivery_queries.problem_rows(request.scope, [prob])[0]
        wanted = redeliveries.problem_rows(prob) if redeliveries.may_redeliver(prob) else []
        lines = [row.address, prob.summary()] + [_goods(order, rows) for order, rows in wanted]
        if wanted:
            lines.append(_when(wanted[0][0]))
        lines.append(_said(request))
        if any(r.state in Request.OPEN for r in row.reports):
            lines.append(_("The household's report of this problem is answered with the same words; they are told."))
        return confirm_step(request, title=_("Send it again with the next batch?"), lines=lines,
                            yes=_("Yes, send it again"), back=back)
    return act(request, lambda a: redeliver(a, prob, resolution=request.POST.get("resolution", "")),
               to=back, done=_done, catch=(Invalid, Conflict))


def from_report(request, r):
    """The request page's "补送" on the family's report: its open exceptions re-delivered (the
    same as from the place page), else its line or order, as many as said."""
    access.require_request(request.scope, r, manage=True)  # refused before asking
    back = reverse("services_request", args=[r.pk])
    quantity = request.POST.get("quantity") or None
    if not confirmed(request):
        lines = [r.message]
        try:
            problems = [p for p in redeliveries.open_problems(r) if redeliveries.may_redeliver(p)]
            wanted = ([w for p in problems for w in redeliveries.problem_rows(p)] if problems
                      else [(r.order, redeliveries.report_rows(r, quantity))] if r.order_id else [])
        except Invalid as e:  # a quantity more than the line's: said on the request page
            flash_error(request, e)
            return redirect(back)
        lines += [_goods(order, rows) for order, rows in wanted]
        if wanted:
            lines.append(_when(wanted[0][0]))
        lines.append(_said(request))
        return confirm_step(request, title=_("Send it again with the next batch?"), lines=lines,
                            yes=_("Yes, send it again"), back=back)
    return act(request, lambda a: redeliver(a, r, resolution=request.POST.get("resolution", ""),
                                            quantity=quantity), to=back, done=_done, catch=(Invalid, Conflict))


def _goods(order, rows) -> str:
    """"补送：大米 5kg × 1（¥32.00，送到时计费一次）" / "…（不另收费：原订单已计费）"."""
    what = join_words(f"{name} × {n}" for name, n, _price in rows)
    amount = sum(price * n for _name, n, price in rows)
    if amount:
        return _("Sent again: %(what)s (¥%(amount)s, charged once, when it comes)") % {
            "what": what, "amount": f"{amount:.2f}"}
    return _("Sent again: %(what)s (not charged again: order #%(order)d was charged for it)") % {
        "what": what, "order": order.id}


def _when(order) -> str:
    batch = redeliveries.next_batch(order)
    if batch is not None:
        return _("With the hand-off at %(gate)s, %(time)s, through the checkpoint's check and to the door "
                 "like any order.") % {"gate": batch.checkpoint.name, "time": short_time(batch.due_at)}
    return _("With %(supplier)s's next hand-off, through the checkpoint's check and to the door like any "
             "order.") % {"supplier": order.supplier.name}


def _said(request) -> str:
    typed = request.POST.get("resolution", "").strip()
    if typed:
        return _("The household reads: %(what)s") % {"what": typed}
    return _("The household reads what is sent again, and sees it coming.")


def _done(made) -> str:
    n = len(made)
    ids = join_words(f"#{o.id}" for o in made)
    return ngettext("Re-delivery order %(ids)s made: it goes with the next batch.",
                    "Re-delivery orders %(ids)s made: they go with the next batch.", n) % {"ids": ids}
