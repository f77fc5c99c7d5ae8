"""What an export holds (the pages and the API give the same files).

Below a street's or district's report an export lists what that report adds up and nothing
else (a draft is not a report yet and a returned one is being corrected: listed, they made a
street's rows not add up): the very reports it summed, level by level (a district's streets,
then the communities those streets summed), and, with no figures, the places it left out
saying why — `present.not_summed` (of `present.not_counted`, the rule of the page's and the
PDF's table). A period does
the same day by day."""

from fangkong.registry.models import Place

from . import export_pdf, export_xlsx, present, queries
from .actions.nightly import as_shown, preview
from .models import DailyReport


def summed(tops, known=None) -> tuple[list[DailyReport], list[dict]]:
    """(the reports `tops` add up, level by level; the places they leave out, each a row of
    `DailyReport.children` with its `day` and `level`). `known`: reports already read, by id
    (the versions summed that are not among them are read in one query a level).

    Below a roll-up left out (a street not submitted yet, or returned), what IT would add up
    now is walked too (its draft as its page shows it, never a row itself): the reports it
    would sum are listed marked `unsummed` ("not summed above yet") and the places it leaves
    out as not counted — the district's file had an empty 社区 sheet although 光明 had
    submitted, so nobody could see which community held a street up (walked 2026-12-07).
    The left-out row keeps no figures, so each column still adds up to the sum above it."""
    known = known or {}
    shown, left, level = [], [], list(tops)
    while level:
        ids, unsummed, hidden = [], set(), []
        for r in level:
            out = present.not_summed(r)  # a version summed, returned since: its row keeps its figures
            kind = queries.CHILD_KIND.get(r.level)
            left += [dict(c, day=r.day, level=kind) for c in out]
            kids = [c["report"] for c in (r.children or []) if c["included"] and c.get("report")]
            ids += kids
            if getattr(r, "unsummed", False):
                unsummed.update(kids)
            if kind in queries.CHILD_KIND:  # the places left out are roll-ups themselves
                hidden += [(c["place"], r.day) for c in out]
        level = [known[i] for i in ids if i in known]
        rest = [i for i in ids if i not in known]
        if rest:
            level += list(DailyReport.objects.filter(id__in=rest).select_related("place", "submitted_by"))
        for r in level:
            r.unsummed = r.id in unsummed
        shown += level
        level = level + _would_sum(hidden)
    return shown, left


def _would_sum(hidden) -> list:
    """The drafts of roll-ups left out (place id, day), as their pages show them (`as_shown`,
    or `preview` with none yet: read only), marked `unsummed`: walked, never rows."""
    places = {p.id: p for p in Place.objects.filter(id__in={p for p, _d in hidden})}
    out = []
    for pid, day in hidden:
        r = queries.report_for(places[pid], day)
        g = as_shown(r) if r is not None else preview(places[pid], day)
        g.unsummed = True
        out.append(g)
    return out


def changed(reports) -> list[dict]:
    """The places below these roll-ups that corrected (or first sent) their report after it
    was summed (`queries.changed_below`), each with its `day` and `level`: listed on their
    level's sheet as not counted, with what changed in words and the reason, and no figures
    in the summed columns (the counted rows still add up to the sum kept); a version summed and
    returned since is listed the same way, saying so (`present.later_status`). A community
    returned below a street's report a district sums (`via`) is said by the street's rows."""
    out = []
    for r in reports:
        if r.pk and r.children:
            out += [dict(c, day=r.day, level=queries.CHILD_KIND.get(r.level)) for c in queries.changed_below(r)
                    if not c.get("via")]
    return out


def report(r, fmt: str) -> tuple[bytes, str]:
    """A report: .xlsx of it and of what it adds up that day (a sheet per level), the places
    it leaves out named as not counted; or its PDF."""
    if fmt == "pdf":
        return export_pdf.report_pdf(r), "application/pdf"
    below, left_out = summed([r])
    return export_xlsx.report_book([r, *below], left_out=left_out, later=changed([r, *below])), export_xlsx.XLSX


def period(node, first, last, fmt: str) -> tuple[bytes, str]:
    """A period: .xlsx of the node's current reports and, day by day, of what each adds up
    (a sheet per level) and the places it leaves out (found walking the demo: a street's week
    listed only the reports it summed, so a community that never reported was simply absent);
    or a PDF of the node's own reports (a page each). A day with reports below but none of the
    node's yet lists its draft as its page shows it (`actions.preview`: read only). The node's
    own reports are shown as their page shows them, whoever exports (`as_shown`: a draft counted
    now — the period's file had given the draft's stored figures beside its page's); below it
    only what a roll-up summed is listed with figures (submitted reports, stored), so no draft
    below is counted for the file."""
    reports = queries.period_reports(node, first, last)
    own = [as_shown(r) for r in reports if r.place_id == node.id]
    if fmt == "pdf":
        return export_pdf.reports_pdf(own), "application/pdf"
    reports = [*own, *(r for r in reports if r.place_id != node.id)]
    tops = list(own)
    if node.kind in queries.CHILD_KIND:
        have = {r.day for r in own}
        for day in sorted({r.day for r in reports} - have):
            # not saved, yet a row as its page and the API show it (the street's draft had been
            # on its page and absent from its file and the API: walked 2026-12-07)
            tops.append(preview(node, day))
            own.append(tops[-1])
    below, left_out = summed(tops, known={r.id: r for r in reports})
    return (export_xlsx.report_book([*own, *below], left_out=left_out, later=changed([*tops, *below])),
            export_xlsx.XLSX)
