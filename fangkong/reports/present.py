"""Figures as a page, a sheet or a PDF shows them: labels, grouped, formatted, with the
link to the list behind each (one place, so every output agrees)."""

from django.utils.translation import gettext as _

from fangkong.core.text import join_words

from . import figures


def shown(f, value) -> str:
    if value is None:
        return "–"
    if f.unit == "percent":
        return f"{value}%"
    if f.unit == "minutes":
        return _("%(h).1f h") % {"h": value / 60}
    return str(value)


def sections(values: dict, node=None, keys=None, *, links=True) -> list[dict]:
    """[{group, rows: [{key, label, value, shown, url}]}] in the providers' order."""
    out, by_group = [], {}
    for f in figures.definitions(keys):
        if f.key not in values:
            continue
        group = str(f.group)
        if group not in by_group:
            by_group[group] = {"group": group, "rows": []}
            out.append(by_group[group])
        url = f.link(node, values) if (links and node is not None and f.link) else None
        by_group[group]["rows"].append({"key": f.key, "label": str(f.label), "value": values[f.key],
                                        "shown": shown(f, values[f.key]), "url": url,
                                        "note": f.note(values) if f.note else None})
    return out


def rows(values: dict, keys=None) -> list[tuple[str, str, object, str]]:
    """Flat (group, label, value, shown) rows (sheets and PDFs)."""
    return [(s["group"], r["label"], r["value"], r["shown"]) for s in sections(values, keys=keys, links=False)
            for r in s["rows"]]


# The columns of the children side by side (the worst figures first).
CHILD_KEYS = ("coverage", "missing", "households_coverage", "awaiting_retest", "tubes_not_at_lab",
              "on_duty", "fill")


def child_columns() -> list:
    by = figures.by_key()
    return [by[k] for k in CHILD_KEYS if k in by]


def child_row(values: dict) -> list[str]:
    return [shown(f, values.get(f.key)) for f in child_columns()]


def not_counted(r) -> list[dict]:
    """The places below a street's or district's report that it does not add up (rows of
    `DailyReport.children`: name, status, version): the one rule behind the page's and the
    PDF's line (`left_out`) and the exports' rows "未计入：…" (`exports`)."""
    return [c for c in (getattr(r, "children", None) or []) if not c["included"]]


def left_out(r) -> str:
    """A street's or district's report adds up only the reports its places submitted: the
    line that says which are not counted yet (the page and the PDF), or ""."""
    from django.utils.translation import ngettext

    out = [c["name"] for c in not_counted(r)]
    if not out:
        return ""
    return ngettext(
        "These figures add up the reports submitted by the places below; %(n)d of %(total)d is not "
        "counted yet (not submitted, or sent back): %(names)s.",
        "These figures add up the reports submitted by the places below; %(n)d of %(total)d are not "
        "counted yet (not submitted, or sent back): %(names)s.", len(out)) % {
        "n": len(out), "total": len(r.children), "names": join_words(out)}
