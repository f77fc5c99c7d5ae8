"""Who gets what on the notification pages (inbox and outbox) (checked by tests/test_page_routes.py, which
explains the columns)."""

from tests.test_page_routes import ANYONE, POST, PUBLIC, Page

PAGES = {
    "inbox": Page(lambda w: "/inbox/", ANYONE),
    "inbox_open": Page(lambda w: f"/inbox/{w.notification.id}/",
                       "302 404 404 404 404 404 404 404 302 404 404 404"),
    "inbox_badge": Page(lambda w: "/inbox/badge/", PUBLIC),
    "inbox_read_all": Page(lambda w: "/inbox/read/", "302 " * 12, method=POST),
    "outbox": Page(lambda w: "/outbox/", "302 404 404 404 404 404 404 404 200 200 200 200"),
    "outbox_retry": Page(lambda w: f"/outbox/{w.delivery.id}/retry/",
                         "302 404 404 404 404 404 404 404 302 404 302 302", method=POST),
    "outbox_group_active": Page(lambda w: f"/outbox/groups/{w.group.id}/active/",
                                "302 404 404 404 404 404 404 404 302 404 302 302", method=POST),
}
