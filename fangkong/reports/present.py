"""Figures as a page, a sheet or a PDF shows them: labels, grouped, formatted, with the
link to the list behind each (one place, so every output agrees)."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.text import join_words
from fangkong.core.when import short_time

from . import figures


def shown(f, value) -> str:
    if value is None:
        return "–"
    if f.unit == "percent":
        return f"{value}%"
    if f.unit == "minutes":
        return _("%(h).1f h") % {"h": value / 60}
    return str(value)


def label(f, report=False) -> str:
    """A figure's label; in a nightly report (`report`), counted as of its cut-off, its
    `report_label` where the dashboard's says "now" (walked 2026-12-07: "On duty now" in a
    report of 20:00, and its .xlsx header)."""
    return str(f.report_label if report and f.report_label else f.label)


def sections(values: dict, node=None, keys=None, *, links=True, day=None, report=False) -> list[dict]:
    """[{group, rows: [{key, label, value, shown, url}]}] in the providers' order. `day`: the
    day the figures are of (a nightly report's); before today, the figures counted from the
    roll (`Figure.roll`: zones, residents) have no link — their lists show the roll as it
    stands now, not the day's (a past report's 封控区人数 85 would open today's 120). `report`:
    a nightly report's figures (`label`)."""
    out, by_group = [], {}
    past = day is not None and day < timezone.localdate()
    for f in figures.definitions(keys):
        if f.key not in values:
            continue
        group = str(f.group)
        if group not in by_group:
            by_group[group] = {"group": group, "rows": []}
            out.append(by_group[group])
        url = (f.link(node, values) if (links and node is not None and f.link and not (past and f.roll))
               else None)
        by_group[group]["rows"].append({"key": f.key, "label": label(f, report), "value": values[f.key],
                                        "shown": shown(f, values[f.key]), "url": url,
                                        "note": f.note(values) if f.note else None})
    return out


def rows(values: dict, keys=None, *, report=False) -> list[tuple[str, str, object, str]]:
    """Flat (group, label, value, shown) rows (sheets and PDFs)."""
    return [(s["group"], r["label"], r["value"], r["shown"])
            for s in sections(values, keys=keys, links=False, report=report) for r in s["rows"]]


# The columns of the children side by side (the worst figures first).
CHILD_KEYS = ("coverage", "missing", "households_coverage", "awaiting_retest", "tubes_not_at_lab",
              "on_duty", "fill")


def child_columns() -> list:
    by = figures.by_key()
    return [by[k] for k in CHILD_KEYS if k in by]


def shared_note() -> str:
    """Under a table of the places below (the dashboard): the columns whose rows may add up
    to more than the place's own figure (`Figure.additive`: a tube of two grids is in both
    rows, once in the community's), or ""."""
    shared = [str(f.short or f.label) for f in child_columns() if not f.additive]
    if not shared:
        return ""
    return _("%(figures)s: counted under each place below whose people it holds (a tube of two grids is "
             "in both rows), so the rows may add up to more than the figure above.") % {
        "figures": join_words(shared)}


def child_row(values: dict) -> list[str]:
    return [shown(f, values.get(f.key)) for f in child_columns()]


def children(r) -> list[dict]:
    """The places below a street's or district's report as they stand now
    (`queries.children_now`: `summed`, `included` — counted as accepted —, `status`,
    `state`): its page's and its PDF's table, the API's `children`."""
    from . import queries

    return queries.children_now(r)


def not_counted(r) -> list[dict]:
    """The places below a street's or district's report that it does not count as accepted
    (rows of `children`: name, status, version, summed): left out of its figures (`not_summed`),
    or summed and returned since (`summed`: its figures still hold that version; said by
    `queries.changed_below`, kind "returned"). The one rule behind the page's table, the PDF's,
    the API's `included` and the exports' rows."""
    return [c for c in children(r) if not c["included"]]


def not_summed(r) -> list[dict]:
    """The places below whose figures are not in the report (`not_counted` and not `summed`):
    the line before its figures (`left_out`), the partial sum (`partial`), the exports' rows
    "未计入：…" without figures (`exports.summed`)."""
    return [c for c in not_counted(r) if not c["summed"]]


def left_out(r) -> str:
    """A street's or district's report adds up only the reports its places submitted: the
    line that says which are not counted yet (the page, the PDF and the submit question), or
    "" — and the places further below that a report it sums left out (`left_out_below`). A
    version summed and returned since is in the figures: said apart (`changed_lines`)."""
    from django.utils.translation import ngettext

    out = [c["name"] for c in not_summed(r)]
    said = ngettext(
        "These figures add up the reports submitted by the places below; %(n)d of %(total)d is not "
        "counted yet (not submitted, or sent back): %(names)s.",
        "These figures add up the reports submitted by the places below; %(n)d of %(total)d are not "
        "counted yet (not submitted, or sent back): %(names)s.", len(out)) % {
        "n": len(out), "total": len(r.children), "names": join_words(out)} if out else ""
    return " ".join(x for x in (said, left_out_below(r)) if x)


def not_summed_below(r) -> list[dict]:
    """The places two or more levels below a roll-up that a report it sums left out
    (`queries.summed_below`): in neither report's figures."""
    from . import queries

    return queries.summed_below(r)["missing"] if _rolled(r) else []


def below_words(rows) -> str:
    """"青年路社区（迎泽街道）未报、…": each place left out further below, the place whose report
    left it out, and why."""
    return join_words([(_("%(place)s (%(via)s) returned") if c["status"] == "returned" else
                        _("%(place)s (%(via)s) not submitted")) % {"place": c["name"], "via": c["via"]}
                       for c in rows])


def left_out_below(r) -> str:
    """A roll-up of roll-ups (a district's report) whose summed reports are partial sums
    themselves: the line naming the places they left out, or "" (walked 2026-12-07: the
    district's report read complete over 迎泽街道's partial sum, 青年路社区 missing)."""
    from django.utils.translation import ngettext

    rows = not_summed_below(r)
    if not rows:
        return ""
    return ngettext(
        "The reports added up here are partial sums themselves: %(n)d place further below is not in "
        "them, so not in these figures either: %(names)s.",
        "The reports added up here are partial sums themselves: %(n)d places further below are not in "
        "them, so not in these figures either: %(names)s.", len(rows)) % {
        "n": len(rows), "names": below_words(rows)}


def partial_cell(r) -> str:
    """The .xlsx's "部分合计" cell of a roll-up's row: the places its figures leave out, at
    every level below, and why ("部分合计，未计入：惠泽苑社区未报、青年路社区（迎泽街道）未报"); "" for
    a complete sum or a community's report."""
    if not _rolled(r):
        return ""
    words = [(_("%(place)s returned") if c.get("status") == "returned" else _("%(place)s not submitted"))
             % {"place": c["name"]} for c in not_summed(r)]
    below = not_summed_below(r)
    if below:
        words.append(below_words(below))
    if not words:
        return ""
    return _("Partial sum, not counted: %(names)s") % {"names": join_words(words)}


LIVE_KEYS = ("residents", "households")


def partial(r) -> dict | None:
    """A street's or district's report that adds up only some of the places below: its big
    numbers are NOT the place's total (walked 2026-12-07: 桥东街道's draft showed 520 residents,
    光明 alone, under a heading that read as the street's 957). {counted, total, text}
    (`partial_head`: a district's whose streets all reported, one of them a partial sum, too)
    — and, while it is a draft, the place's live totals now (its communities' snapshots, as its
    dashboard sums them; read only, nothing counted in the request) — of a past day, its
    communities' rolls stored at their cut-off (`at_cutoff`; `models.CutoffRoll`), never
    today's: {live: [(label, shown)], live_at, live_missing, at_cutoff}. None when every place
    below is counted."""
    from fangkong.core.tree import under
    from fangkong.registry.models import Kind, Place

    from . import queries
    from .models import CutoffRoll, FigureSnapshot

    out = partial_head(r)
    if out is None or r.locked:
        return out
    comms = Place.objects.filter(under(r.place), kind=Kind.COMMUNITY).count()
    # a past day: its communities' rolls stored at their cut-off (`models.CutoffRoll`, the job
    # stores every one then), never today's roll (the live snapshots); some not stored (the
    # job never ran that evening): as now, as before
    cutoff = queries.definition(Kind.COMMUNITY).cutoff_on(r.day)
    rolls = list(CutoffRoll.objects.filter(under(r.place), day=r.day)) if timezone.now() >= cutoff else []
    if rolls and len(rolls) >= comms:
        values = figures.total([x.values for x in rolls])
        out["at_cutoff"], out["live_at"], n = True, cutoff, len(rolls)
    else:
        snaps = list(FigureSnapshot.objects.filter(under(r.place)))
        values = figures.total([s.values for s in snaps])
        out["live_at"], n = min((s.computed_at for s in snaps), default=None), len(snaps)
    by = figures.by_key()
    out["live"] = [(str(by[k].label), shown(by[k], values.get(k))) for k in LIVE_KEYS if k in by]
    out["live_missing"] = max(0, comms - n)
    return out


def partial_head(r) -> dict | None:
    """{counted, total, text} of a partial sum (`partial` without the live totals; the API's
    `partial_said`), or None. Places below not summed: counted among them. All summed, but a
    report summed is a partial sum itself (`queries.summed_below`: a district's report over a
    street's with a community missing): counted among the places where some are missing."""
    from django.utils.translation import ngettext

    from . import queries

    if not _rolled(r):
        return None
    kids = getattr(r, "children", None) or []
    missing = not_summed(r)
    if missing:
        counted = len(kids) - len(missing)
        return {"counted": counted, "total": len(kids), "text": ngettext(
            "A partial sum: %(n)d of %(total)d place below is counted. The figures below are NOT the total "
            "of %(place)s.",
            "A partial sum: %(n)d of %(total)d places below are counted. The figures below are NOT the total "
            "of %(place)s.", len(kids)) % {"n": counted, "total": len(kids), "place": r.place.name}}
    below = queries.summed_below(r)
    if not below["missing"]:
        return None
    return {"counted": below["counted"], "total": below["total"], "text": ngettext(
        "A partial sum: the reports added up here are partial themselves; %(n)d of the %(total)d place "
        "below them is counted. The figures below are NOT the total of %(place)s.",
        "A partial sum: the reports added up here are partial themselves; %(n)d of the %(total)d places "
        "below them are counted. The figures below are NOT the total of %(place)s.", below["total"]) % {
        "n": below["counted"], "total": below["total"], "place": r.place.name}}


# --- as of when: the time of the data a report is made of ---------------------------------

def _time(value):
    if not value:
        return None
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _rolled(r) -> bool:
    from . import queries

    return r.level in queries.CHILD_KIND


def as_of(r) -> tuple[datetime.datetime, datetime.datetime]:
    """(earliest, latest) time of the data a report's figures are made of. A community's:
    its cut-off, or when it was counted if that was earlier (`DailyReport.figures_at`). A
    street's or district's: the time of its counted children's figures (each kept in
    `children` as `as_of` / `as_of_from` when summed; a row kept before them: the child
    level's cut-off) — never when the sum was made: a street report summed at 20:39 of
    communities counted at 20:00 is as of 20:00 (walked 2026-12-07: "数据截至 20:39" read as
    if a building sealed at 20:30 were in it)."""
    from . import queries

    kind = queries.CHILD_KIND.get(r.level)
    if kind is None:
        return r.figures_at, r.figures_at
    kept = [(_time(c.get("as_of_from")) or _time(c.get("as_of")), _time(c.get("as_of")))
            for c in (r.children or []) if c.get("included")]
    if not kept or not all(b for _a, b in kept):  # none counted, or rows kept before the times
        fallback = min(r.figures_at, queries.definition(kind).cutoff_on(r.day))
        kept = [(a or fallback, b or fallback) for a, b in kept] or [(fallback, fallback)]
    return min(a for a, _b in kept), max(b for _a, b in kept)


def as_of_text(r) -> str:
    """"figures as of 12-06 20:00" — for a roll-up "(the reports below)", a span when its
    places' reports were counted at different times; the page, the PDF and the API's
    `figures_as_of` say the same."""
    first, last = (timezone.localtime(t) for t in as_of(r))
    when = short_time(last)
    if first != last:
        when = f"{short_time(first)}–{last:%H:%M}" if first.date() == last.date() \
            else f"{short_time(first)}–{short_time(last)}"
    if _rolled(r):
        return _("figures as of %(t)s (the reports of the places below)") % {"t": when}
    return _("figures as of %(t)s") % {"t": when}


def window(r) -> tuple[datetime.datetime, datetime.datetime]:
    """(from, to) of what the report counts as new in the day (cases, doors, minutes):
    strictly after the previous day's cut-off, or its report's figures if taken earlier
    (`queries.place_window_start`), up to the time of its
    figures (`as_of`)."""
    from . import queries

    return queries.place_window_start(r.place, r.day), as_of(r)[1]


def window_text(r) -> str:
    """"新增：12-05 20:00 至 12-06 20:00" — the page, the PDF and the .xlsx say the same; the
    API gives `new_since`."""
    first, last = (timezone.localtime(t) for t in window(r))
    return _("New in the day: %(from)s to %(to)s") % {"from": short_time(first), "to": short_time(last)}


def summed_text(r) -> str:
    """When a roll-up was put together (its figures are its places' as of `as_of`), or ""."""
    if not _rolled(r) or r.computed_at is None:
        return ""
    return _("summed at %(t)s") % {"t": short_time(r.computed_at)}


# --- a place below changed its report after the roll-up summed it --------------------------

def change_text(c: dict) -> str:
    """One place of `queries.changed_below` in words, in the reader's language: "光明社区已更正
    （第2版，21:10）：已检 367 → 370、阳性病例 0 → 1" — or, first submitted after the roll-up left it
    out, "双塔社区 submitted its report after this one (21:10): not in these figures"."""
    if c["kind"] == "returned":
        return returned_text(c)
    at = f"{timezone.localtime(c['submitted_at']):%H:%M}" if c.get("submitted_at") else "–"
    if c["kind"] == "late":
        return _("%(place)s submitted its report after this one (version %(v)d, %(at)s): it is not in these "
                 "figures.") % {"place": c["name"], "v": c["version"], "at": at}
    by = figures.by_key()
    changed = [_("%(figure)s %(old)s → %(new)s") % {"figure": by[k].short or by[k].label,
                                                   "old": shown(by[k], a), "new": shown(by[k], b)}
               for k, a, b in c["changes"] if k in by]
    said = _("%(place)s corrected its report (version %(v)d, %(at)s)") % {
        "place": c["name"], "v": c["version"], "at": at}
    if changed:
        return _("%(said)s: %(changes)s. These figures still add up version %(counted)d.") % {
            "said": said, "changes": join_words(changed), "counted": c["counted_version"]}
    return _("%(said)s, with the same figures. These figures add up version %(counted)d.") % {
        "said": said, "counted": c["counted_version"]}


def returned_text(c: dict) -> str:
    """A version summed and returned since (`queries.changed_below` kind "returned"): "光明社区的
    日报（第1版）已于 12-07 21:30 退回（核酸数字有误）：以上数字仍含该版本，不作为已接受的数字；
    对方重新上报后请更正本报告。" — below a street a district sums, naming the street."""
    words = {"place": c["name"], "v": c["version"], "via": c.get("via", ""),
             "at": short_time(c["returned_at"]) if c.get("returned_at") else "–"}
    said = (_("%(place)s's report (version %(v)d) was returned at %(at)s") % words)
    if c.get("return_reason"):
        said = _("%(said)s (%(reason)s)") % {"said": said, "reason": c["return_reason"]}
    if c.get("via"):
        return _("%(said)s: %(via)s's report adds it up, and so do these figures; it is not accepted. "
                 "Correct this report once %(via)s has corrected its own.") % (words | {"said": said})
    return _("%(said)s: these figures still include that version, not accepted. Correct this report "
             "once they report again.") % {"said": said}


def summed_by_text(r, scope=None) -> str:
    """The return step's warning (the review panel, the message after returning, the API's
    `summed_by_said`): the report above, locked, adds up this very version (`queries.summed_by`)
    — "本街道日报已汇总此版本，对方重新上报后请更正本街道日报。" to whoever submits that report, else
    naming it. "" when nothing above sums it."""
    from fangkong.registry.models import Kind

    from . import access, queries

    above = queries.summed_by(r)
    if above is None:
        return ""
    if scope is not None and access.can_submit(scope, above.place):
        if above.level == Kind.DISTRICT:
            return _("This district's report already adds up this version: correct it after they report again.")
        return _("This street's report already adds up this version: correct it after they report again.")
    return _("%(place)s's report already adds up this version: it is to be corrected after they report "
             "again (its submitters are told).") % {"place": above.place.name}


def later_status(c: dict) -> str:
    """The status cell of a row of `queries.changed_below` in the .xlsx: not counted (a
    correction or a first report sent after the sum), or the very version summed returned
    since (its figures are on the row summed)."""
    if c["kind"] == "returned":
        return _("returned after the sum above: still in its figures")
    return _("not counted: sent after the sum above")


def changed_lines(r) -> list[str]:
    """`change_text` of every place below that changed since the roll-up summed it (the page,
    the PDF; the API gives the rows)."""
    from . import queries

    return [change_text(c) for c in queries.changed_below(r)]


def above_lines(r) -> dict | None:
    """What the correcting place reads on its correction (draft or submitted) while the report
    above still adds up an earlier version (`queries.counted_above`): {"changes": the figures
    that changed against the version counted ("居民 520 → 521"), "said": that version and
    what happens next}. The place above reads the same changes (`change_text`)."""
    from . import queries

    c = queries.counted_above(r)
    if c is None:
        return None
    by = figures.by_key()
    changes = [_("%(figure)s %(old)s → %(new)s") % {"figure": by[k].short or by[k].label,
                                                   "old": shown(by[k], a), "new": shown(by[k], b)}
               for k, a, b in c["changes"] if k in by]
    words = {"place": c["above"].place.name, "v": c["counted_version"] or 1}
    if r.locked:
        said = _("%(place)s's report is locked and still counts version %(v)d of this report until a "
                 "corrected version is made there: its submitters have been told what changed and "
                 "decide whether to correct their report.") % words
    else:
        said = _("%(place)s's report is locked and counts version %(v)d of this report. When you submit "
                 "this correction, its submitters are told what changed and decide whether to correct "
                 "their report; until they do, its figures stay as they are.") % words
    head = (_("Changed from version %(v)d, the one counted by %(place)s:") % words if changes
            else _("The same figures as version %(v)d, the one counted by %(place)s.") % words)
    return {"head": head, "changes": changes, "changes_text": join_words(changes), "said": said}


# --- a reminder not sent again ------------------------------------------------------------

def skipped_lines(skipped: list[dict]) -> list[str]:
    """The places a person's reminder did not reach again (`actions.reminders.remind`'s
    "skipped"), in the reader's language, those reminded the same minute the same way
    together: "光明社区、双塔社区：已于 12-07 21:00 自动提醒，12-07 21:30 后可再次提醒。" (it had
    said "刚刚已提醒过" five hours after the job's reminder)."""
    groups: dict[tuple, list[str]] = {}
    for s in skipped:
        groups.setdefault((short_time(s["last_at"]), s["automatic"], short_time(s["again_at"])), []).append(s["name"])
    out = []
    for (at, automatic, again), names in groups.items():
        words = {"places": join_words(names), "at": at, "again": again}
        out.append(_("%(places)s: reminded automatically at %(at)s; a reminder can be sent again from %(again)s.")
                   % words if automatic else
                   _("%(places)s: reminded by hand at %(at)s; a reminder can be sent again from %(again)s.") % words)
    return out
