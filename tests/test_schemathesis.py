"""Schemathesis against the OpenAPI document: every documented operation, with values
generated from its schema, as community staff and as a grid worker (bearer tokens), on
the database the suite runs on (SQLite or PostgreSQL). No answer may be a server error, and
every answer — errors included — must match the document: its status listed, its content
type and body as described (errors in the one ErrorOut shape).

Random ids would only ever meet 404s, so ids in the path and in the body are replaced by
those of real objects the staff member and the grid worker can both reach (a running
round with a tube, a call, volunteers): the generated values then reach the checks and the
writes behind them. Bounded in time: a few examples per operation
(FANGKONG_SCHEMATHESIS_EXAMPLES, default 4) and no Hypothesis example database on disk.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.test_api_security import bearer

EXAMPLES = int(os.environ.get("FANGKONG_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def _schema():
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = _schema()


@pytest.fixture
def headers(world):
    """Bearer tokens of the two roles; and, as Django's test client does, the database
    connection kept open between requests (the test's transaction lives on it)."""
    import uuid

    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from fangkong.core.actor import Actor
    from fangkong.screening import actions as screening
    from tests.screening.security_routes import with_tube
    from tests.volunteers.security_routes import setup

    with_tube(world)  # a running round, tube T0001 open with one swab
    screening.sync(Actor.system(world.users.staff), world.round, [  # and an open conflict
        {"client_id": str(uuid.uuid4()), "type": "scan", "barcode": "T0404",
         "person": world.su.token}])
    setup(world)
    world.ids = {
        "place_id": world.building.id, "household_id": world.hh101.id,
        "resident_id": world.su.id, "round_id": world.round.id,
        "call_id": world.call.id, "volunteer_id": world.pending.id, "barcode": "T0001",
        "conflict_id": world.round.conflicts.first().id, "token": world.call.token,
        # in bodies
        "place": world.unit1.id, "parent": world.building.id, "household": world.hh102.id,
        "resident": world.yu.id, "community": world.community.id,
        "volunteer": world.approved.id, "audience_place": world.building.id,
    }
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"staff": bearer(world.users.staff), "grid": bearer(world.users.grid)}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document_as_staff_and_as_a_grid_worker(case, headers, world):
    real = world.ids
    for key in case.path_parameters or {}:
        if key in real:
            case.path_parameters[key] = real[key]
    if isinstance(case.body, dict):
        for key, value in case.body.items():
            if key in real and isinstance(value, int) and not isinstance(value, bool):
                case.body[key] = real[key]
    for role in ("staff", "grid"):
        case.call_and_validate(headers=headers[role], checks=CHECKS)
