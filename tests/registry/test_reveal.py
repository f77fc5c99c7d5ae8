"""Revealing an ID number: a number the server's keys cannot read is a clear error with
nothing recorded, and the hourly limit holds when requests arrive at once."""

import base64
import secrets

import pytest
from django.db import connection
from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.core import pii
from fangkong.core.errors import TooMany
from fangkong.registry import actions as reg
from tests.conftest import IDS, actor_for, at_once


def session(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def other_keys(settings):
    """The server now holds a key the registry was not written with (a fresh per-replica
    var/secrets.json, a lost FANGKONG_FIELD_KEY)."""
    settings.FANGKONG_FIELD_KEYS = [base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()]
    pii._fernet.cache_clear()
    yield
    pii._fernet.cache_clear()


@pytest.mark.django_db
def test_a_reveal_the_keys_cannot_read_answers_a_clear_error_and_records_nothing(world, other_keys):
    url = f"/api/v1/residents/{world.su.id}/reveal-id"
    r = session(world.users.staff).post(url, headers={"Accept-Language": "en"})
    assert r.status_code == 503
    error = r.json()["error"]
    assert error["code"] == "undecryptable"
    assert "FANGKONG_FIELD_KEY" in error["message"] and "nothing was shown" in error["message"]

    page = session(world.users.staff).post(f"/residents/{world.su.id}/reveal-id/",
                                           headers={"HX-Request": "true"})
    body = page.content.decode()
    assert page.status_code == 200 and 'role="alert"' in body and "FANGKONG_FIELD_KEY" in body
    assert not AuditEvent.objects.filter(action="resident.reveal_id").exists()

    # a full-ID export stops with the same message instead of a server error
    export = session(world.users.staff).get(f"/places/{world.community.id}/export.xlsx?ids=full")
    assert export.status_code == 503 and "FANGKONG_FIELD_KEY" in export.content.decode()
    assert not AuditEvent.objects.filter(action="resident.export_ids").exists()


@pytest.mark.django_db
def test_a_reveal_with_the_right_keys_still_shows_and_records(world):
    assert reg.reveal_id_number(actor_for(world.users.staff), world.su) == IDS["su_xia"]
    assert AuditEvent.objects.filter(action="resident.reveal_id", actor=world.users.staff,
                                     target_id=world.su.id).count() == 1


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_reveals_sent_at_once_never_pass_the_hourly_limit(world, settings):
    settings.FANGKONG_REVEALS_PER_HOUR = 12
    staff = world.users.staff
    out = at_once(*[lambda: reg.reveal_id_number(actor_for(staff), world.su)] * 30)
    shown = [x for x in out if x == IDS["su_xia"]]
    refused = [x for x in out if isinstance(x, TooMany)]
    assert (len(shown), len(refused)) == (12, 18), out
    assert AuditEvent.objects.filter(action="resident.reveal_id", actor=staff).count() == 12
