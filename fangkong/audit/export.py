"""The audit log, filtered, as .xlsx: the page's rows in the reader's words, with the codes
beside them. Itself audited ("audit.export": the filters and how many rows), at the
places the reader reads the log. Refused past FANGKONG_AUDIT_EXPORT_MAX rows (narrow the
dates) rather than cut."""

import io

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from fangkong.core.errors import Invalid

from . import present, queries
from .access import log_roots
from .actions import common_levels, record

CHUNK = 1000  # events worded at a time (one name query per kind per chunk)


def _cell(ws, value):
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)[:32000]
        if value.startswith(("=", "+", "-", "@")):
            c = WriteOnlyCell(ws, value=value)
            c.data_type = "s"  # never a formula
            return c
    return value


def log_xlsx(actor, flt) -> tuple[bytes, str, int]:
    """(the workbook, its file name, rows) of the events the filters select."""
    scope = actor.scope
    qs = queries.events(scope, flt)
    limit = settings.FANGKONG_AUDIT_EXPORT_MAX
    n = qs.count()
    if n > limit:
        raise Invalid(_("%(n)d events: more than %(limit)d can be exported at once. Choose "
                        "a shorter time range.") % {"n": n, "limit": limit}, code="too_many")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Audit log")[:31])
    title = WriteOnlyCell(ws, value=_("Audit log") + " · " + describe(flt))
    title.font = Font(bold=True, size=14)
    ws.append([title])
    head = [_("Time"), _("Account"), _("Channel (web or API)"), _("Action"), _("Object"), _("Details"),
            _("Action code"), _("IP address")]
    cells = []
    for h in head:
        c = WriteOnlyCell(ws, value=h)
        c.font = Font(bold=True)
        cells.append(c)
    ws.append(cells)
    written = 0
    ids = list(qs.values_list("id", flat=True)[:limit])
    for start in range(0, len(ids), CHUNK):
        chunk = queries.events(scope).filter(pk__in=ids[start:start + CHUNK])
        for e in present.rows(chunk, scope, resident=flt.resident):
            ws.append([_cell(ws, v) for v in (
                timezone.localtime(e.at).replace(tzinfo=None), e.actor_name or "—", e.via_label,
                e.action_label, e.target_text, e.text, e.action, e.ip or "")])
            written += 1
    buf = io.BytesIO()
    wb.save(buf)
    with transaction.atomic():
        record(actor, "audit.export", None, {"filters": flt.said(), "rows": written},
               levels_from=common_levels(log_roots(scope)), label=_("Audit log"))
    name = f"audit-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return buf.getvalue(), name, written


def describe(flt) -> str:
    """The filters in words, for the file's title row."""
    parts = []
    if flt.resident_text:
        parts.append(_("resident: %(name)s") % {"name": flt.resident_text})
    if flt.actor_text:
        parts.append(_("account: %(name)s") % {"name": flt.actor_text})
    if flt.kind:
        from .words import KINDS

        parts.append(str(KINDS[flt.kind][0]))
    if flt.since:
        parts.append(_("from %(at)s") % {"at": f"{timezone.localtime(flt.since):%Y-%m-%d %H:%M}"})
    if flt.until:
        parts.append(_("until %(at)s") % {"at": f"{timezone.localtime(flt.until):%Y-%m-%d %H:%M}"})
    if flt.action:
        parts.append(flt.action)
    return present.separator().join(parts) or _("everything")
