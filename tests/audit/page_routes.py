"""Who gets what on the audit log page and its export (checked by tests/test_page_routes.py,
which explains the columns)."""

from tests.test_page_routes import Page

PAGES = {
    "audit": Page(lambda w: "/audit/", "302 404 404 404 404 404 404 404 200 200 200 200"),
    "audit_export": Page(lambda w: "/audit/export.xlsx", "302 404 404 404 404 404 404 404 200 200 200 200"),
}
