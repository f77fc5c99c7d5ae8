"""Files of a batch: the amounts owed per household as .xlsx (payment itself is outside
Fangkong; the same rows as `queries.owed`) and the manifest (`supplier_queries.manifest`,
one row per line, the columns `manifest.headers()` that the import reads back, in the
reader's language). Refused (404) to all but the batch's supplier and users with the export right."""

import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from fangkong.audit.actions import record
from fangkong.core.errors import NotFound

from . import access, queries, supplier_queries
from .manifest import headers
from .models import Order
from .prescriptions import payer_text


def owed_xlsx(actor, batch) -> bytes:
    access.require_owed(actor, batch)
    rows = queries.owed(actor.scope, batch=batch)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Amounts owed"))
    # the household by its door, as everyone reads it (found on a phone: 住户 said 55, 56…,
    # the database's ids, beside the address)
    # what came back from a door (refused, not delivered) beside, never in the amount owed
    ws.append([_("Household"), _("Supplier"), _("Amount (yuan)"),
               _("Not delivered or refused (yuan, not owed)"), _("Why not delivered"),
               _("Price to be confirmed (substituted, not in the amount)")])
    for r in rows:
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", r["address"]), ILLEGAL_CHARACTERS_RE.sub("", r["supplier"]),
                   float(r["amount"]), float(r["not_delivered"]) if r["not_delivered"] else None,
                   ILLEGAL_CHARACTERS_RE.sub("", r["reason"]) or None,
                   ngettext("%(n)d line", "%(n)d lines", r["price_pending"]) % {"n": r["price_pending"]}
                   if r["price_pending"] else None])
    ws.append([])
    back = sum(r["not_delivered"] for r in rows)
    ws.append([_("Total"), "", float(sum(r["amount"] for r in rows)), float(back) if back else None])
    out = io.BytesIO()
    wb.save(out)
    record(actor, "services.owed.export", batch, {"batch": batch.id, "households": len(rows)},
           levels_from=batch)
    return out.getvalue()


def _clean(v) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(v))


def manifest_xlsx(actor, batch) -> bytes:
    if not access.exports_batch(actor, batch):
        raise NotFound()
    rows = supplier_queries.manifest(batch)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Manifest"))
    # after the columns the import reads back (`HEADERS`): what came of a line (a short
    # line's count) and its door's outcome, as the manifest page says them (found on the
    # supply evening: "短缺" without a count, and no door said which ¥79.80 was not delivered)
    # and of a medicine order: whether it has a prescription photo (opened on the manifest
    # page, never in the file), who pays, and a line the pharmacy has still to price
    ws.append(headers() + [_("Received (quantity)"), _("Door (delivered or not)"), _("Order note"),
                           _("Prescription photo"), _("Who pays"), _("Price note")])
    medicine = {o.id: o for o in Order.objects.filter(batch=batch, is_medicine=True)}
    n = 0
    for r in rows:
        for ln in r["lines"]:
            o = medicine.get(ln.order_id)
            ws.append([ln.order_id, r["household"].id, _clean(r["label"]), _clean(ln.name), ln.quantity,
                       float(ln.price), float(ln.amount),
                       "" if ln.outcome == ln.Check.PENDING else _clean(ln.get_outcome_display()),
                       ln.received if ln.outcome != ln.Check.PENDING else None, _clean(r["door_words"]),
                       _clean(ln.order_note) or None,
                       (_("Yes: open it on the manifest page") if o.prescription else _("None given")) if o else None,
                       (payer_text(o) or _("not said")) if o else None,
                       _("price to be filled in by the pharmacy") if ln.medicine_unpriced else None])
            n += 1
    out = io.BytesIO()
    wb.save(out)
    record(actor, "services.manifest.export", batch, {"batch": batch.id, "lines": n}, levels_from=batch)
    return out.getvalue()


def disinfections_xlsx(actor, place) -> bytes:
    """A place's disinfections (a community's, or any place under it) as the page lists them —
    overdue, to do, done — with the same lateness (`Disinfection.late_minutes`). Users with the
    export right over the place; anyone else 404."""
    from django.utils import timezone

    from fangkong.accounts.roles import Perm
    from fangkong.core.access import require_export

    require_export(actor, Perm.EXPORT, place)
    now = timezone.now()
    rows = list(queries.disinfections(actor.scope, place=place).select_related("done_by")[:5000])
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Disinfection"))
    ws.append([_("Place"), _("Kind"), _("State"), _("Due"), _("Done at"), _("Minutes late"),
               _("Area covered"), _("Disinfectant"), _("Signed off by")])

    def local(t):
        return timezone.localtime(t).replace(tzinfo=None) if t else None

    for d in rows:
        state = _("Done") if d.done_at else (_("Overdue") if d.due_at < now else _("To do"))
        ws.append([_clean(d.place.name), _clean(d.get_kind_display()), state, local(d.due_at), local(d.done_at),
                   d.late_minutes(now), _clean(d.area), _clean(d.agent),
                   _clean(d.done_by) if d.done_by_id else ""])
    out = io.BytesIO()
    wb.save(out)
    record(actor, "services.disinfection.export", place, {"place": place.id, "rows": len(rows)})
    return out.getvalue()
