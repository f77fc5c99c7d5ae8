"""The manifest file: one row per line of a household's order, the columns the export
writes (`headers()`: `HEADERS`, or `EN_HEADERS` for a reader in English) and the import
reads back by their names in either language (`ALIASES`; "单价（元）" is 单价). Reading is `core.uploads` / `core.xlsx`, as the roster and the lab file are: within
the upload limits, as a stream, .xlsx or CSV (UTF-8 or GB18030). A price as a supplier
writes it — 45.5, "45.50", "¥45.50", "45.50元", "1,234.00" — is read by `money_of`.
Nothing here writes."""

import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import get_language
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
    "price": ["单价", "价格", "售价", "price", "unit price"],
    "amount": ["金额", "小计", "总价", "amount"],
    "check": ["核对结果", "核对", "check"],
}
KEYS = ("order", "household", "address", "name", "quantity", "price", "amount", "check")
HEADERS = [ALIASES[k][0] for k in KEYS]
# The headers for a reader in English: each an English name the import reads (`ALIASES`)
EN_HEADERS = {"order": "Order", "household": "Household", "address": "Address", "name": "Item",
              "quantity": "Quantity", "price": "Unit price", "amount": "Amount", "check": "Check"}


def headers() -> list[str]:
    """The export's header row in the reader's language (Chinese: `HEADERS`); either reads back."""
    if (get_language() or "zh-hans").lower().startswith("zh"):
        return list(HEADERS)
    return [EN_HEADERS[k] for k in KEYS]


def _heading(v) -> str:
    """A header cell as compared: "单价（元）", " 单价 (元) " → "单价"."""
    text = re.sub(r"\s+", "", str(v or "")).lower()
    return re.sub(r"[(（](元|yuan|rmb|¥|￥)[)）]$", "", text)


_KEY = {_heading(w): k for k, words in ALIASES.items() for w in words}


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
        keys = [_KEY.get(_heading(v)) for v in values]
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


CENT = Decimal("0.01")
_MONEY_WORDS = str.maketrans("０１２３４５６７８９．，", "0123456789.,", "¥￥元 \u3000")


def money_of(v) -> Decimal | None:
    """A price or amount cell as money: None when empty; ValueError when it is no amount
    of yuan and fen. A number cell as Excel keeps it (39.9 may be 39.899999999999999) is
    its cents; text may carry ¥, 元, RMB, full-width digits and thousands commas."""
    if v is None or v == "":
        return None
    if isinstance(v, bool):
        raise ValueError(v)
    if isinstance(v, int | float):
        d = Decimal(repr(v)) if isinstance(v, float) else Decimal(v)
        if not d.is_finite() or abs(d) > Decimal("9999999") or abs(d - d.quantize(CENT)) > Decimal("0.000001"):
            raise ValueError(v)
        d = d.quantize(CENT)
    else:
        text = str(v).strip().translate(_MONEY_WORDS)
        text = re.sub(r"^rmb|rmb$", "", text, flags=re.IGNORECASE)
        if not text:
            return None
        if not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?|\.\d+", text):
            raise ValueError(v)
        try:
            d = Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise ValueError(v) from None
    if d < 0 or d > Decimal("9999999") or d != d.quantize(CENT):
        raise ValueError(v)
    return d.quantize(CENT)
