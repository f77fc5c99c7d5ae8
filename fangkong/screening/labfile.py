"""A lab's results file (.xlsx or .csv): read within the upload limits, rows by header
name. The lab page and the API (`POST /screening/results/file`) both read it here; the
rows' checks are `actions.record_results`' (every error of a file in one answer)."""

from django.conf import settings
from django.utils.translation import gettext as _

from fangkong.core.errors import FileRefused, Invalid
from fangkong.core.uploads import Limits, open_csv, read_upload, spreadsheet_kind
from fangkong.core.xlsx import open_xlsx

LAB_HEADERS = {
    "barcode": ["管号", "试管条码", "条码", "采样管编号", "样本编号", "barcode", "tube"],
    "result": ["结果", "检测结果", "result"],
    "ct_orf": ["orf1ab", "orf1ab ct", "ct orf1ab", "ct_orf", "orf"],
    "ct_n": ["n", "n ct", "ct n", "n基因", "ct_n"],
    "tested_at": ["检测时间", "报告时间", "时间", "tested_at", "time"],
}
_SPACING = str.maketrans("", "", " \t_-()（）:：.")


def _norm(text) -> str:
    """A header as compared: lower case, without spaces, separators and brackets."""
    return str(text or "").strip().lower().translate(_SPACING)


_HEADER = {_norm(w): k for k, words in LAB_HEADERS.items() for w in words}


def header_key(text) -> str | None:
    """The column a header names, however a lab writes it: 管号, "ORF1ab Ct值", "N基因 Ct值",
    "Ct(N)", "ORF1ab 基因 Ct 值" (the lab page's own names) — a Ct column whose header a
    lab wrote its own way had been dropped without a word."""
    h = _norm(text)
    if h in _HEADER:
        return _HEADER[h]
    named = _page_names().get(h)
    if named:  # the names the lab page gives the columns, in any of the site's languages
        return named
    core = h.replace("基因", "").replace("值", "").replace("ct", "")
    if "orf" in core:
        return "ct_orf"
    if core == "n" and "ct" in h:
        return "ct_n"
    return _HEADER.get(core) if "ct" in h else None


def _page_names() -> dict:
    """{header as compared: column} for `column_labels()` in every language of the site."""
    from django.conf import settings
    from django.utils import translation

    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            out.update({_norm(label): key for key, label in column_labels().items()})
    return out


def parse_lab_file(name: str, content: bytes) -> list[dict]:
    """Rows of a lab results file (.xlsx, or .csv in UTF-8 or GB18030), by header names.
    Read by core.uploads / core.xlsx, as rosters are, within the upload limits (at most
    LAB_MAX_ROWS rows): a file past one is refused (FileRefused) saying where."""
    limits = Limits.from_settings(max_rows=LAB_MAX_ROWS)
    if spreadsheet_kind(name or "", content, upload=True) == "xlsx":
        with open_xlsx(content, limits) as book:
            return _lab_rows(book.sheets[0].rows())
    f = open_csv(content, limits)
    return _lab_rows(f.records(f.encodings[0]))


LAB_MAX_ROWS = 100_000  # tubes in one results file


def _lab_rows(rows) -> list[dict]:
    """The header among the first ten rows, then a dict per row below it (blank ones left
    out), "_row" its number as the user sees it."""
    for i, (_n, row) in enumerate(rows):
        if i >= 10:
            break
        keys = [header_key(c) for c in row]
        if "barcode" in keys and "result" in keys:
            out = []
            for n, data in rows:
                if not any(str(c or "").strip() for c in data):
                    continue
                rec = {"_row": n}
                for k, v in zip(keys, data, strict=False):
                    if k:
                        rec[k] = v
                out.append(rec)
            return out
    raise Invalid(_("No header row with a tube barcode column (管号) and a result column (结果)."))


def rows_of_upload(f) -> list[dict]:
    """The rows of an uploaded results file (the lab page and `POST /screening/results/file`),
    read within FANGKONG_LAB_FILE_MAX_BYTES."""
    if f is None:
        raise FileRefused(_("Choose a results file (.xlsx or .csv)."))
    return parse_lab_file(f.name, read_upload(f, settings.FANGKONG_LAB_FILE_MAX_BYTES))


def column_labels() -> dict:
    """The lab file's columns as the lab page names them (the file's usual headers)."""
    return {"barcode": _("Tube barcode"), "result": _("Result"), "ct_orf": _("ORF1ab Ct value"),
            "ct_n": _("N Ct value"), "tested_at": _("Time of test")}


