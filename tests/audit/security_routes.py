"""Who may read the audit log through the API (checked by tests/api/test_security.py): those
who read it on the page — staff of a community (their own events), command; nobody else."""

from fangkong.audit.models import Named
from tests.api.routes import Route

MODELS = [Named]

ROUTES = {
    ("GET", "/audit/events"): Route(lambda w: "/api/v1/audit/events", leader=404, resident=404,
                                    other_staff=200),
}
