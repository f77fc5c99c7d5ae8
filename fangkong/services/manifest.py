"""The manifest file: one row per line of a household's order, the columns the export
writes (`HEADERS`) and the import reads back by their names (`ALIASES`). Reading is
`core.uploads` / `core.xlsx`, as the roster and the lab file are: within the upload
limits, as a stream, .xlsx or CSV (UTF-8 or GB18030). Nothing here writes."""

from django.conf import settings
from django.utils.translation import gettext as _

from fangkong.core.errors import FileRefused
from fangkong.core.uploads import Limits, open_csv, read_upload, spreadsheet_kind
from fangkong.core.xlsx import open_xlsx

MAX_ROWS = 20_000  # lines of one batch's manifest
HEADER_ROWS = 10  # the header is looked for among the first rows

# key: the export's header first, then other names suppliers' systems use
ALIASES = {
    "order": ["订单号", "订单编号", "订单", "order"],
    "household": ["户号", "住户编号", "household"],
    "address": ["地址", "送货地址", "address"],
    "name": ["商品", "商品名称", "品名", "名称", "name", "item"],
    "quantity": ["数量", "件数", "quantity", "qty"],
    "price": ["单价", "价格", "price"],
    "amount": ["金额", "小计", "amount"],
    "check": ["核对结果", "核对", "check"],
}
HEADERS = [ALIASES[k][0] for k in ("order", "household", "address", "name", "quantity", "price",
                                   "amount", "check")]
_KEY = {w.lower(): k for k, words in ALIASES.items() for w in words}


def read_rows(upload) -> list[dict]:
    """The rows of an uploaded manifest file: [{"_row": n, "order": …, "name": …}], blank
    rows left out. Refused (FileRefused) when it is no spreadsheet, past a limit, or has no
    header with at least the order, item and quantity columns."""
    if upload is None:
        raise FileRefused(_("Choose the manifest file (.xlsx or .csv)."))
    content = read_upload(upload, settings.FANGKONG_IMPORT_MAX_BYTES)
    limits = Limits.from_settings(max_rows=MAX_ROWS + HEADER_ROWS)
    if spreadsheet_kind(getattr(upload, "name", "") or "", content) == "xlsx":
        with open_xlsx(content, limits) as book:
            return _rows(book.sheets[0].rows())
    f = open_csv(content, limits)
    for encoding in f.encodings:
        for delimiter in (",", "\t"):
            try:
                return _rows(f.records(encoding, delimiter))
            except _NoHeader:
                continue
    raise _NoHeader()


class _NoHeader(FileRefused):
    def __init__(self):
        super().__init__(_("No header row with the columns 订单号 (order), 商品 (item) and 数量 "
                           "(quantity) in the first %(n)d rows. Use the manifest exported from "
                           "Fangkong as the template.") % {"n": HEADER_ROWS})


def _rows(rows) -> list[dict]:
    for i, (_n, values) in enumerate(rows):
        if i >= HEADER_ROWS:
            break
        keys = [_KEY.get(str(v or "").strip().lower()) for v in values]
        if {"order", "name", "quantity"} <= set(keys):
            out = []
            for n, data in rows:
                if not any(str(c if c is not None else "").strip() for c in data):
                    continue
                rec = {"_row": n}
                for k, v in zip(keys, data, strict=False):
                    if k and k not in rec:
                        rec[k] = v
                out.append(rec)
            return out
    raise _NoHeader()


def cell_text(v) -> str:
    """A cell as text: 12.0 → "12", None → ""."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
