"""Who gets what on the operations routes (checked by tests/test_page_routes.py, which
explains the columns). The load balancer's probes answer everyone (no login, no personal
data); the operations page is for superusers only — every role of the scene gets 404."""

from tests.test_page_routes import PUBLIC, Page

PAGES = {
    "healthz": Page(lambda w: "/healthz", PUBLIC),
    "readyz": Page(lambda w: "/readyz", PUBLIC),
    "ops_status": Page(lambda w: "/ops/", "302 404 404 404 404 404 404 404 404 404 404 404"),
}
