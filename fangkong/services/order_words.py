"""An order-problem report (这单有问题, `actions.order_problem.report`) in words, said to each
reader in their language: "美特好超市（光明店）12月7日的订单，大米 5kg × 1：破损。" — the
order as the family's orders list shows it (its supplier, its goods, its day), never its
internal id; the supplier named once when the whole order is meant.

The report keeps the facts it is said from (`facts`, as `Request.said`
{"code": ORDER_PROBLEM, "params": facts}: the order's supplier, day and goods as they were
reported, the line, what was wrong and the words typed), and `Request.message` says it again
(`message`) on every surface that shows a request — its page, the lists, the grid worker's
panel, the inbox message, the API — with no read of the order. `sentence` is the one place
the sentence is made. A row reported before this kept its text in the reporter's language:
it is shown as it was (`Request.text`)."""

import datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from fangkong.core.text import join_words

ORDER_PROBLEM = "services.order.problem"
GOODS_SAID = 3  # the whole order: its first goods named, the rest counted
# What was wrong as the sentence says it after its colon (English writes it in lower case
# there: "…, Rice 5kg × 1: damaged."); a code not here is said by its label (`whats`).
IN_SENTENCE = {"short": pgettext_lazy("order problem, in a sentence", "short, not all of it came"),
               "damaged": pgettext_lazy("order problem, in a sentence", "damaged"),
               "wrong": pgettext_lazy("order problem, in a sentence", "wrong goods"),
               "missing": pgettext_lazy("order problem, in a sentence", "not received at all")}


def facts(order, line, what: str, typed: str = "") -> dict:
    """What a report on `order` (`line`: a manifest line of it, None for the whole order)
    is said from, as JSON: {"supplier", "day" (the order's day, ISO), "goods" (its lines,
    "大米 5kg × 1"), "line" ("" for the whole order), "what", "typed"}."""
    from django.utils import timezone

    return {"supplier": order.supplier.name, "day": timezone.localdate(order.placed_at).isoformat(),
            "goods": [f"{ln.name} × {ln.quantity}" for ln in order.lines.all()] if line is None else [],
            "line": f"{line.name} × {line.quantity}" if line is not None else "",
            "what": what, "typed": str(typed or "")}


def sentence(f: dict, whats: dict) -> str:
    """The report's own words in the active language (without what was typed):
    "美特好超市（光明店）12月7日的订单（大米 5kg × 1、蔬菜包 × 1）：完全没收到。", or for one
    line "美特好超市（光明店）12月7日的订单，大米 5kg × 1：破损。". `whats`: what was wrong in
    words, by code (`Request.order_what`'s choices). Raises KeyError or ValueError on facts
    that do not fit (`message` falls back to the stored text)."""
    what = str(IN_SENTENCE.get(f["what"]) or whats[f["what"]])
    day = date_format(datetime.date.fromisoformat(f["day"]), "MONTH_DAY_FORMAT")
    if f.get("line"):
        return _("Order from %(supplier)s of %(day)s, %(line)s: %(what)s.") % {
            "supplier": f["supplier"], "day": day, "line": f["line"], "what": what}
    goods = list(f.get("goods") or [])
    listed = join_words(goods[:GOODS_SAID])
    if len(goods) > GOODS_SAID:
        n = len(goods) - GOODS_SAID
        listed = ngettext("%(goods)s and %(n)d more", "%(goods)s and %(n)d more", n) % {"goods": listed, "n": n}
    if not listed:
        return _("Order from %(supplier)s of %(day)s: %(what)s.") % {"supplier": f["supplier"], "day": day, "what": what}
    return _("Order from %(supplier)s of %(day)s (%(goods)s): %(what)s.") % {
        "supplier": f["supplier"], "day": day, "goods": listed, "what": what}


def message(f: dict, whats: dict, fallback: str = "") -> str:
    """The report as `Request.message` says it: `sentence`, then the words typed; `fallback`
    (the stored text) when the facts do not fit."""
    try:
        said = sentence(f, whats)
    except (KeyError, TypeError, ValueError):
        return fallback
    return f"{said} {f.get('typed') or ''}".strip()


def of_request(req) -> str:
    """The sentence of request `req`, an order's report, for the request page's "Order"
    line: from its kept facts, or — a report kept before them — from its order, line and
    what was wrong as they are now. "" when it is no report or its order is gone."""
    f = (req.said or {}).get("params") if (req.said or {}).get("code") == ORDER_PROBLEM else None
    if f is None:
        if req.order_id is None or not req.order_what:
            return ""
        f = facts(req.order, req.order_line, req.order_what)
    try:
        return sentence(f, whats_of(req))
    except (KeyError, TypeError, ValueError):
        return ""


def whats_of(request_model) -> dict:
    """What was wrong in words, by code: the choices of `Request.order_what` (the model or a
    request: this module never imports the models, which say a request through it)."""
    return dict(request_model._meta.get_field("order_what").choices)
