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
    if not access.can_view(request.scope, place):
        return None
    levels = place.kind in access.LEVEL_KINDS
    today = timezone.localdate()
    report = queries.report_for(place, today) if levels else None
    return render_to_string("reports/_place_panel.html", {
        "place": place, "report": report, "reports": levels, "owed": owed(place, today) if levels else [],
        "can_submit": access.can_submit(request.scope, place), "today": today},
        request=request)
