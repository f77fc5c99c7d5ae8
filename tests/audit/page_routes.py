"""Who gets what on the audit log page (checked by tests/test_page_routes.py, which
explains the columns)."""

from tests.test_page_routes import Page

PAGES = {
    "audit": Page(lambda w: "/audit/", "302 404 404 404 404 404 404 404 200 200 200 200"),
}
