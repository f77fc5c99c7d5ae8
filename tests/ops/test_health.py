"""Health and readiness for the load balancer, the operations page, and the replica
router's rules (which reads may go to the replica). The real replica is exercised by
tests/deploy/test_topology.py."""

import pytest
from django.db import DatabaseError, transaction
from django.test import Client

from fangkong.core import replica
from fangkong.ops import health

# The router's tests run outside a test transaction: inside one, every read stays on the
# primary (as after a request's own write).
pytestmark = pytest.mark.django_db(transaction=True)


def test_healthz_answers_without_the_database():
    r = Client().get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "alive"}


def test_readyz_checks_database_migrations_and_cache():
    r = Client().get("/readyz")
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "ready"
    assert {k for k, v in body["checks"].items() if v["ok"]} == {"database", "migrations", "cache"}


def test_readyz_is_503_when_a_check_fails(monkeypatch):
    def broken():
        raise OSError("cache down")

    monkeypatch.setattr(health, "CHECKS", (("database", health._database),
                                           ("migrations", health._migrations), ("cache", broken)))
    r = Client().get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["cache"]["ok"] is False
    assert "cache down" not in r.content.decode()  # details go to the log, not the caller


def test_ops_page_is_for_superusers_only(django_user_model, monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: False)  # whatever the environment says
    admin = django_user_model.objects.create_superuser("ops-admin", password="x-Long-pass-9")
    plain = django_user_model.objects.create_user("ops-plain", password="x-Long-pass-9")
    c = Client()
    c.force_login(plain)
    assert c.get("/ops/").status_code == 404
    c.force_login(admin)
    r = c.get("/ops/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200
    text = r.content.decode()
    assert "none configured (DATABASE_REPLICA_URL)" in text
    assert "No worker is running" in text


def test_reads_stay_on_the_primary_without_a_replica(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: False)
    with replica.using_replica():
        assert replica.read_alias() == "default"
    assert replica.replica_status() is None


def test_router_sends_only_marked_reads_outside_transactions_to_a_healthy_replica(monkeypatch):
    state = {"ok": True}
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_check", lambda force=False: dict(state))
    router = replica.ReplicaRouter()
    assert replica.read_alias() == "default"  # not marked
    with replica.using_replica():
        assert replica.read_alias() == "replica"
        assert router.db_for_read(None) == "replica"
        assert router.db_for_write(None) == "default"
        with transaction.atomic():  # after the request's own write: never the replica
            assert replica.read_alias() == "default"
        state["ok"] = False  # lagging or unreachable: back to the primary
        assert replica.read_alias() == "default"
    assert router.allow_migrate("replica", "registry") is False
    assert router.allow_migrate("default", "registry") is True


def test_the_decorator_keeps_posts_on_the_primary(monkeypatch, rf):
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_check", lambda force=False: {"ok": True})
    seen = {}

    @replica.using_replica
    def view(request):
        seen[request.method] = replica.read_alias()

    view(rf.get("/"))
    view(rf.post("/"))
    assert seen == {"GET": "replica", "POST": "default"}


def test_a_replica_read_that_fails_is_read_again_on_the_primary_and_the_replica_rests(monkeypatch):
    """A read stuck behind WAL replay hits the replica's statement timeout: the page is
    answered from the primary, and the next reads skip the replica until its next check."""
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "_lag_seconds", lambda alias: 0.0)
    monkeypatch.setattr(replica, "_state", {"checked": 0.0, "ok": False, "lag": None, "error": ""})
    tried = []

    def coverage():
        tried.append(replica.read_alias())
        if tried[-1] == "replica":
            raise DatabaseError("canceling statement due to statement timeout")
        return {"expected": 3}

    assert replica.on_replica(coverage) == {"expected": 3}
    assert tried == ["replica", "default"]
    assert replica._state["ok"] is False and "statement timeout" in replica._state["error"]
    assert replica.on_replica(coverage) == {"expected": 3}  # the replica rests until its next check
    assert tried[2:] == ["default"]
    assert replica.read_alias() == "default"  # outside: the primary, as always


def test_an_error_that_is_not_the_replicas_is_not_hidden(monkeypatch):
    monkeypatch.setattr(replica, "configured", lambda: False)

    def broken():
        raise DatabaseError("a bug in the read itself")

    with pytest.raises(DatabaseError):
        replica.on_replica(broken)
