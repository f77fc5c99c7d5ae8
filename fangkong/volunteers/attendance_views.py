"""Attendance exports (.xlsx) to check hours the next morning: one call's, or a community's
day's — person, call, check-in, check-out, hours, who confirmed — the same figures as the
call's page (`Assignment.hours`). Refused like every export: 404."""

import datetime
from urllib.parse import quote

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fangkong.accounts.roles import Perm
from fangkong.core.access import require_export
from fangkong.core.errors import Invalid
from fangkong.core.shedding import check_rate
from fangkong.core.views import actor_of, page

from . import queries
from .actions import attendance
from .models import AttendanceState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def confirmed_by(a, user) -> str:
    """Who confirmed a check-in or check-out: the person's own QR scan, or staff's name."""
    if user is None:
        return ""
    if user.id == a.volunteer.user_id:
        return _("self (QR)")
    return user.display_name or user.username


def rows(items) -> tuple[list, list]:
    def at(t):
        return timezone.localtime(t).strftime("%Y-%m-%d %H:%M") if t else ""

    header = [pgettext("person", "Name"), _("Call"), _("Call time"), _("Check-in"), _("Check-out"),
              _("Hours"), _("Status"), _("Check-in confirmed by"), _("Check-out confirmed by"), _("Correction")]
    data = [[a.volunteer.name, a.call.title,
             f"{at(a.call.starts_at)}–{timezone.localtime(a.call.ends_at):%H:%M}",
             at(a.check_in_at), at(a.check_out_at), a.hours, a.get_state_display(),
             confirmed_by(a, a.check_in_by), confirmed_by(a, a.check_out_by),
             a.correction_reason if a.corrected else ""] for a in items]
    return header, data


STATES_SAID = (AttendanceState.OUT, AttendanceState.IN, AttendanceState.ABSENT, AttendanceState.CORRECTED)


def states_text(counts: dict) -> str:
    """A person's places by attendance (`queries.states_of`) as the hours export's status
    column says them: "已签退 3 · 未签退 1" ("" for none)."""
    labels = dict(AttendanceState.choices)
    return " · ".join(f"{labels[s]} {counts[s]}" for s in STATES_SAID if counts.get(s))


def _xlsx(title, header, data, sheet, fname):
    from fangkong.registry.exporter import rows_xlsx

    resp = HttpResponse(rows_xlsx(title, header, data, sheet_title=sheet), content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(fname)}"
    return resp


@page
def call_attendance(request, pk):
    """One call's attendance."""
    call = queries.get_call(request.scope, pk)
    require_export(request.scope, Perm.EXPORT, call)
    check_rate(request, "export")  # after the access check: a refused export is 404 always
    header, data = rows(queries.attendance_rows(request.scope, call.community_place, call=call))
    attendance.record_export(actor_of(request), call.community_place, "call", len(data))
    start = timezone.localtime(call.starts_at)
    title = _("Attendance: %(title)s, %(place)s, %(when)s") % {
        "title": call.title, "place": call.place.name,
        "when": f"{start:%Y-%m-%d %H:%M}–{timezone.localtime(call.ends_at):%H:%M}"}
    return _xlsx(title, header, data, _("Attendance"), f"{call.title}-{start:%Y%m%d-%H%M}.xlsx")


@page
def day_attendance(request, pk):
    """A community's attendance on the calls starting on one day (`?day=YYYY-MM-DD`, default
    today)."""
    c = queries.get_community(request.scope, pk)
    require_export(request.scope, Perm.EXPORT, c)
    raw = request.GET.get("day") or timezone.localdate().isoformat()
    try:
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        raise Invalid(fields={"day": [_("Give the day as YYYY-MM-DD.")]}) from None
    check_rate(request, "export")
    header, data = rows(queries.attendance_rows(request.scope, c, day=day))
    attendance.record_export(actor_of(request), c, "day", len(data))
    title = _("%(place)s volunteer attendance on %(day)s") % {"place": c.name, "day": day.isoformat()}
    return _xlsx(title, header, data, _("Attendance"), f"{c.name}-{day:%Y%m%d}.xlsx")
