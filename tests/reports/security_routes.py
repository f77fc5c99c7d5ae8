"""Who may call the reports API (checked by tests/api/test_security.py). Community A's
staff submit A's report; the street's command reads everything below the street, approves
and returns A's report and reminds; nobody else sees any of it (404, as if missing)."""

import datetime

from django.utils import timezone

from fangkong.reports.models import DailyReport
from tests.api.routes import MISSING, Route

MODELS = [DailyReport]
NOBODY_ELSE = dict(leader=404, resident=404, other_staff=404, outsider=404)
READ = dict(staff=200, command=200, **NOBODY_ELSE)
SUBMIT = dict(staff=200, command=403, **NOBODY_ELSE)
REVIEW = dict(staff=403, command=200, **NOBODY_ELSE)
STREET = dict(staff=404, command=200, **NOBODY_ELSE)


def today():
    return timezone.localdate().isoformat()


def yesterday() -> datetime.date:
    """The day of the reports the routes act on: a community's report is submitted from its
    cut-off on (`require_cutoff_passed`), and yesterday's has passed whatever the hour."""
    return timezone.localdate() - datetime.timedelta(days=1)


def draft(w):
    from fangkong.core.actor import Actor
    from fangkong.reports import actions

    w.report = actions.prepare(Actor.system(w.users.staff), w.community, yesterday())


def submitted(w):
    from fangkong.core.actor import Actor
    from fangkong.reports import actions

    draft(w)
    w.report = actions.submit(Actor.system(w.users.staff), w.report, "完成")


def rep(suffix=""):
    return lambda w: f"/api/v1/reports/{w.report.id}{suffix}"


def rep_missing(suffix=""):
    return lambda w: f"/api/v1/reports/{MISSING}{suffix}"


ROUTES = {
    ("GET", "/reports/places/{place_id}/figures"): Route(
        lambda w: f"/api/v1/reports/places/{w.community.id}/figures",
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/figures", **READ),
    ("GET", "/reports/places/{place_id}/reports/{day}"): Route(
        lambda w: f"/api/v1/reports/places/{w.community.id}/reports/{yesterday()}", setup=submitted,
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/reports/{yesterday()}", **READ),
    ("POST", "/reports/places/{place_id}/reports/{day}"): Route(
        lambda w: f"/api/v1/reports/places/{w.community.id}/reports/{today()}",
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/reports/{today()}", **SUBMIT),
    ("GET", "/reports/{report_id}"): Route(rep(), setup=submitted, missing=rep_missing(), **READ),
    ("GET", "/reports/{report_id}/versions"): Route(rep("/versions"), setup=submitted,
                                                    missing=rep_missing("/versions"), **READ),
    ("POST", "/reports/{report_id}/remarks"): Route(
        rep("/remarks"), setup=draft, body=lambda w: {"remarks": "夜间无异常"},
        missing=rep_missing("/remarks"), **SUBMIT),
    ("POST", "/reports/{report_id}/submit"): Route(
        rep("/submit"), setup=draft, body=lambda w: {"remarks": "完成"},
        missing=rep_missing("/submit"), **SUBMIT),
    ("POST", "/reports/{report_id}/correct"): Route(
        rep("/correct"), setup=submitted, body=lambda w: {"reason": "漏报"},
        missing=rep_missing("/correct"), **dict(SUBMIT, staff=201)),
    ("POST", "/reports/{report_id}/approve"): Route(rep("/approve"), setup=submitted,
                                                    missing=rep_missing("/approve"), **REVIEW),
    ("POST", "/reports/{report_id}/return"): Route(
        rep("/return"), setup=submitted, body=lambda w: {"reason": "请核对"},
        missing=rep_missing("/return"), **REVIEW),
    ("GET", "/reports/places/{place_id}/completeness"): Route(
        lambda w: f"/api/v1/reports/places/{w.street.id}/completeness",
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/completeness", **STREET),
    ("POST", "/reports/places/{place_id}/refresh"): Route(
        lambda w: f"/api/v1/reports/places/{w.street.id}/refresh", body=lambda w: {},
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/refresh", **STREET),
    ("GET", "/reports/places/{place_id}/remind"): Route(
        lambda w: f"/api/v1/reports/places/{w.street.id}/remind",
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/remind", **STREET),
    ("POST", "/reports/places/{place_id}/remind"): Route(
        lambda w: f"/api/v1/reports/places/{w.street.id}/remind", body=lambda w: {},
        missing=lambda w: f"/api/v1/reports/places/{MISSING}/remind", **STREET),
    ("GET", "/reports/places/{place_id}/export/{fmt}"): Route(
        lambda w: f"/api/v1/reports/places/{w.community.id}/export/xlsx?first={today()}&last={today()}",
        setup=submitted, missing=lambda w: f"/api/v1/reports/places/{MISSING}/export/xlsx?first={today()}&last={today()}",
        **READ),
    ("GET", "/reports/{report_id}/export/{fmt}"): Route(
        rep("/export/xlsx"), setup=submitted, missing=rep_missing("/export/xlsx"), **READ),
}
