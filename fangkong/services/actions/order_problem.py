"""这单有问题: the family says an order delivered or on its way is not as ordered — a line
short, damaged, wrong, or nothing received (found on a lockdown day: the damaged rice went
in as "其他", due in 24 hours, linked to neither the order nor the gate's exception). The
request is filed under 物资问题 (`goods`, answered within its category's time) with the
order, the line and what was wrong (`Request.order`, `order_line`, `order_what`), said to
each reader in their language from the facts it keeps (`order_words`: the order by its
supplier, goods and day, never its id); the staff's
exceptions show it (`delivery_queries.problem_rows`). When staff resolve the gate's exception
for that door and line (`delivery.resolve_problem`), the request is done with the same
words: the family is told once, by the request (`requests.finish`)."""

from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid

from .. import access, checks, order_words
from ..models import Line, Order, Problem, Request
from ..report_queries import gate_problems, reportable, reports_of
from . import requests

CATEGORY = "goods"
WHATS = ("short", "damaged", "wrong", "missing")
def report(actor, order: Order, *, what: str, line=None, text: str = "", client_id=None) -> Request:
    """The family's (or whoever may ask for the household: `requests.raise_request`) report
    on `order`; `line`: a manifest line of it (its id or the row), None for the whole order.
    A retry with the same client id, or a second report on the same order and line while
    the first is open, answers the first."""
    hh = order.household
    access.require_household(actor, hh, order=True)
    cid = checks.client_id(client_id)
    if cid is not None and (found := Request.objects.filter(client_id=cid).first()) is not None:
        if found.order_id != order.id:
            raise Invalid(fields={"client_id": [_("This client id was used for another request.")]})
        return found
    if not reportable(order):
        raise Conflict(_("Only an order delivered or on its way can be reported."))
    what = (what or "").strip() if isinstance(what, str) else ""
    if what not in WHATS:
        raise Invalid(fields={"what": [_("Choose what was wrong.")]})
    if line not in (None, ""):
        line_id = line.id if isinstance(line, Line) else checks.quantity(line, "line", low=1, high=2**62)
        line = Line.objects.filter(pk=line_id, order_id=order.id).first()
        if line is None:
            raise Invalid(fields={"line": [_("This line is not of this order.")]})
    else:
        line = None
    open_one = Request.objects.filter(order=order, order_line=line, state__in=Request.OPEN).first()
    if open_one is not None:
        return open_one
    typed = checks.text(text, "text", max_length=300, required=False)
    kept = order_words.facts(order, line, what, typed)  # said again to each reader (`order_words`)
    category = requests.category_of(CATEGORY)
    # the stored text (the reporter's language; what a search finds), within the field's length
    words = order_words.message(kept, order_words.whats_of(Request))[:Request._meta.get_field("text").max_length]
    req = requests.raise_request(actor, hh, category, words, client_id=cid,
                                 links={"order": order, "order_line": line, "order_what": what,
                                        "said": {"code": order_words.ORDER_PROBLEM, "params": kept}})
    record(actor, "services.order.problem", order, {"order": order.id, "request": req.id, "what": what,
                                                    **({"line": line.id} if line is not None else {}),
                                                    "problems": list(gate_problems(req).values_list("id", flat=True))})
    return req


def problem_resolved(actor, problem: Problem, resolution: str) -> list[int]:
    """An exception resolved (`delivery.resolve_problem`, in its transaction): each open
    report it answers, with no other exception of it still open, is done with the
    resolution — the family is told once, by the request, and asked to confirm. The ids done."""
    done = []
    for req in reports_of(problem).select_related("order", "category", "household"):
        if gate_problems(req, open_only=True).exists():
            continue  # another of its exceptions still open: done with the last one
        requests.finish(actor, req, resolution, audit={"problem": problem.id})
        done.append(req.id)
    return done
