"""The amounts owed per household as .xlsx (payment itself is outside Fangkong). The same
rows as `queries.owed`; the export is refused (404) to users without the export right."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core.errors import NotFound

from . import queries


def owed_xlsx(actor, batch) -> bytes:
    if not actor.scope.allows(Perm.EXPORT, batch):
        raise NotFound()
    rows = queries.owed(actor.scope, batch=batch)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("Amounts owed"))
    ws.append([_("Household"), _("Address"), _("Supplier"), _("Amount (yuan)")])
    for r in rows:
        ws.append([r["household"], ILLEGAL_CHARACTERS_RE.sub("", r["address"]),
                   ILLEGAL_CHARACTERS_RE.sub("", r["supplier"]), float(r["amount"])])
    ws.append([])
    ws.append(["", _("Total"), "", float(sum(r["amount"] for r in rows))])
    out = io.BytesIO()
    wb.save(out)
    record(actor, "services.owed.export", batch, {"batch": batch.id, "households": len(rows)},
           levels_from=batch)
    return out.getvalue()
