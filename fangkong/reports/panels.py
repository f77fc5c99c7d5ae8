"""The reports panel on a place's page: the way to its dashboard and, for a community,
street or district, how tonight's report stands and which reports of earlier days are still
owed (returned, or never submitted): at 02:00 the report returned is the previous calendar
day's, and the panel had said only "今日日报 草稿" (walked 2026-12-07). Two queries."""

import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from . import access, queries
from .models import DailyReport

S = DailyReport.Status


def owed(place, today: datetime.date) -> list:
    """The node's reports of the last FANGKONG_REPORT_BACKFILL_DAYS days before `today` still to
    be submitted, oldest first: the current version returned (`return_reason` says why) or a
    draft (a version made after a return, or never sent), and yesterday's when none was even
    started, if the place was there at its cut-off (an unsaved one: `pk` None). Each submitted
    again drops out. One query."""
    back = getattr(settings, "FANGKONG_REPORT_BACKFILL_DAYS", 7)
    rows = {r.day: r for r in DailyReport.objects.filter(
        place=place, current=True, day__lt=today, day__gte=today - datetime.timedelta(days=back))
        .only("id", "day", "status", "version", "return_reason")}
    out = [r for d, r in sorted(rows.items()) if r.status in (S.DRAFT, S.RETURNED)]
    yesterday = today - datetime.timedelta(days=1)
    if yesterday not in rows and place.created_at < queries.definition(place.kind).cutoff_on(yesterday):
        out.append(DailyReport(place=place, day=yesterday, status=S.DRAFT))
    return out


def place_panel(request, place):
    """The panel among the others: the dashboard, tonight's report (returned: why, in red) and,
    for a community, the earlier days' reports still owed (a street's or district's are at the
    top of its page, with its places' reports: `tonight_alert`)."""
    if not access.can_view(request.scope, place):
        return None
    levels = place.kind in access.LEVEL_KINDS
    today = timezone.localdate()
    report = queries.report_for(place, today) if levels else None
    rolled = access.has_completeness(place)
    return render_to_string("reports/_place_panel.html", {
        "place": place, "report": report, "reports": levels,
        "owed": owed(place, today) if levels and not rolled else [],
        "can_submit": access.can_submit(request.scope, place), "today": today},
        request=request)


def tonight_day(place, now=None) -> datetime.date:
    """The day whose reports below a street or district are the night's work: today from the
    cut-off of its places' reports on, before it the day before (at 02:00, the evening just
    gone: today's reports cannot be sent before their cut-off)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    kind = queries.CHILD_KIND[place.kind]
    return today if now >= queries.definition(kind).cutoff_on(today) else today - datetime.timedelta(days=1)


def tonight(place, now=None) -> dict:
    """How the reports of the places below a street or district stand for `tonight_day`:
    {day, today, counts (`queries.completeness_counts`: missing, returned, awaiting — submitted,
    not yet approved or returned —, total), line (in the reader's language)}. Eight queries at
    most (`queries.completeness`)."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from fangkong.core.when import short_day

    now = now or timezone.now()
    day = tonight_day(place, now)
    counts = queries.completeness_counts(queries.completeness(place, day))
    parts = [_("%(n)d not reported") % {"n": counts["missing"]} if counts["missing"] else "",
             _("%(n)d to review") % {"n": counts["awaiting"]} if counts["awaiting"] else "",
             _("%(n)d returned, to report again") % {"n": counts["returned"]} if counts["returned"] else ""]
    said = " · ".join(p for p in parts if p)
    if not said:
        said = ngettext("the %(n)d place below has reported", "all %(n)d places below have reported",
                        counts["total"]) % {"n": counts["total"]}
    today = day == timezone.localdate(now)
    line = (_("Tonight: %(said)s") % {"said": said} if today
            else _("%(day)s: %(said)s") % {"day": short_day(day), "said": said})
    return {"day": day, "today": today, "counts": counts, "line": line}


def tonight_alert(request, place):
    """At the top of a street's or district's page (its command's home), above the duty phone:
    its own reports still owed (red, as a community's panel lists them) and one line of its
    places' reports — "今晚：2 个未报 · 1 个待审核 · 1 个已退回待重报 ›" to who has reported
    (walked 2026-12-07: the home said only "今日日报 草稿", at 02:00 under the duty phone's form).
    Before the places' cut-off, the evening gone's line only while something there is still
    to do. None for a user who may not see who has reported there."""
    if not access.has_completeness(place) or not access.can_view(request.scope, place):
        return None
    t = tonight(place)
    c = t["counts"]
    if not c["total"] or (not t["today"] and not (c["outstanding"] or c["awaiting"])):
        t = None
    today = timezone.localdate()
    mine = owed(place, today)
    if t is None and not mine:
        return None
    return render_to_string("reports/_tonight_alert.html", {
        "place": place, "tonight": t, "owed": mine, "can_submit": access.can_submit(request.scope, place)},
        request=request)
