"""Schemathesis against the OpenAPI document: every documented operation, with values
generated from its schema, as community staff and as a grid worker (bearer tokens), on
the database the suite runs on (SQLite or PostgreSQL). No answer may be a server error, and
every answer — errors included — must match the document: its status listed, its content
type and body as described (errors in the one ErrorOut shape).

Random ids would only ever meet 404s, so ids in the path and in the body are replaced by
those of real objects (the page matrix's scene, built once for the module: a running round
with a tube and a conflict, an antigen round, a call, volunteers…): the generated values
then reach the checks and the writes behind them. Bounded in time: a few examples per operation
(FANGKONG_SCHEMATHESIS_EXAMPLES, default 4) and no Hypothesis example database on disk.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_security import bearer
from tests.test_page_routes import in_scene, scene  # noqa: F401 (fixtures: one scene a module)

EXAMPLES = int(os.environ.get("FANGKONG_SCHEMATHESIS_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


def _schema():
    from django.core.wsgi import get_wsgi_application

    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


schema = _schema()


@pytest.fixture
def headers(in_scene):  # noqa: F811 (the fixture imported above)
    """Bearer tokens of the two roles; and, as Django's test client does, the database
    connection kept open between requests (the test's transaction lives on it)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    w = in_scene
    w.ids = {
        "place_id": w.building.id, "household_id": w.hh101.id, "resident_id": w.su.id,
        "round_id": w.round.id, "call_id": w.call.id, "volunteer_id": w.pending.id,
        "barcode": "T0001", "conflict_id": w.conflict.id, "token": w.call.token,
        "token_id": w.token.id, "job_id": w.job.id, "delivery_id": w.delivery.id,
        # in bodies
        "place": w.unit1.id, "parent": w.building.id, "household": w.hh102.id,
        "resident": w.yu.id, "community": w.community.id, "volunteer": w.approved.id,
        "audience_place": w.building.id,
    }
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"staff": bearer(w.users.staff), "grid": bearer(w.users.grid)}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_answer_matches_the_document_as_staff_and_as_a_grid_worker(case, headers, in_scene):  # noqa: F811
    real = in_scene.ids
    for key in case.path_parameters or {}:
        if key in real:
            case.path_parameters[key] = real[key]
    if isinstance(case.body, dict):
        for key, value in case.body.items():
            if key in real and isinstance(value, int) and not isinstance(value, bool):
                case.body[key] = real[key]
    for role in roles_for(case):
        case.call_and_validate(headers=headers[role], checks=CHECKS)


def roles_for(case) -> tuple[str, ...]:
    """Both roles, except for the coverage phase's invalid inputs and unexpected methods
    (three cases in four): those are answered by the input checks and the method routing,
    which run before any rule of a role (a bearer token is checked either way), so the grid
    worker would get the staff's answer again. Generated (fuzzing) cases, valid or not, and
    the coverage phase's valid boundary values still go out as both."""
    meta = case.meta
    if meta and meta.phase.name == TestPhase.COVERAGE and meta.generation.mode == GenerationMode.NEGATIVE:
        return ("staff",)
    return ("staff", "grid")
