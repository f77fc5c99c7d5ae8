"""Who gets what on the dashboard and nightly report pages (checked by
tests/test_page_routes.py, which explains the columns). Reports are made on first use in the
test's transaction: community A's draft for today, or its submitted report."""

import datetime

from django.utils import timezone

from tests.test_page_routes import POST, Page

VIEW_A = "302 404 404 404 404 404 404 404 200 404 200 200"  # A's staff, the street, the district
VIEW_STREET = "302 404 404 404 404 404 404 404 404 404 200 200"


def _draft(w):
    from fangkong.core.actor import Actor
    from fangkong.reports.actions.nightly import prepare_unchecked

    # yesterday's: a community's report is submitted from its cut-off on (`require_cutoff_passed`)
    return prepare_unchecked(Actor.system(), w.community, timezone.localdate() - datetime.timedelta(days=1))


def _submitted(w):
    from fangkong.core.actor import Actor
    from fangkong.reports import actions

    r = _draft(w)
    return r if r.locked else actions.submit(Actor.system(w.users.staff), r)


PAGES = {
    "reports_home": Page(lambda w: "/reports/", "302 404 404 404 404 404 404 302 302 302 302 302"),
    "reports_dashboard": Page(lambda w: f"/reports/places/{w.community.id}/", VIEW_A),
    "reports_refresh": Page(lambda w: f"/reports/places/{w.street.id}/refresh/",
                            "302 404 404 404 404 404 404 404 404 404 302 302", method=POST),
    "reports_completeness": Page(lambda w: f"/reports/places/{w.street.id}/completeness/", VIEW_STREET),
    # asked first: the places and the people it texts (walk_street.md defect 7)
    "reports_remind": Page(lambda w: f"/reports/places/{w.street.id}/remind/",
                           "302 404 404 404 404 404 404 404 404 404 200 200", method=POST),
    "reports_history": Page(lambda w: f"/reports/places/{w.community.id}/history/", VIEW_A),
    "reports_export_period": Page(lambda w: f"/reports/places/{w.community.id}/export.pdf", VIEW_A),
    "reports_node_day": Page(lambda w: f"/reports/places/{w.community.id}/days/{timezone.localdate()}/", VIEW_A),
    "reports_start": Page(lambda w: f"/reports/places/{w.community.id}/days/{timezone.localdate()}/start/",
                          "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "reports_report": Page(lambda w: f"/reports/{_submitted(w).id}/", VIEW_A),
    "reports_remarks": Page(lambda w: f"/reports/{_draft(w).id}/remarks/",
                            "302 404 404 404 404 404 404 404 302 404 403 403", method=POST),
    "reports_submit": Page(lambda w: f"/reports/{_draft(w).id}/submit/",
                           "302 404 404 404 404 404 404 404 200 404 403 403", method=POST),
    "reports_correct": Page(lambda w: f"/reports/{_submitted(w).id}/correct/",
                            "302 404 404 404 404 404 404 404 400 404 403 403", method=POST),
    "reports_approve": Page(lambda w: f"/reports/{_submitted(w).id}/approve/",
                            "302 404 404 404 404 404 404 404 403 404 200 200", method=POST),
    "reports_return": Page(lambda w: f"/reports/{_submitted(w).id}/return/",
                           "302 404 404 404 404 404 404 404 403 404 400 400", method=POST),
    "reports_export": Page(lambda w: f"/reports/{_submitted(w).id}/report.pdf", VIEW_A),
}
