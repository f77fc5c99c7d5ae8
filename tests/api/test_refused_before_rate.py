"""A refused export answers 404 however often it is asked: the access check comes before the
per-user rate limit (walked 2026-12-07: a wrong-role user asking for a street's report export
got 429 instead of 404 once past 20 exports a minute — the limit was counted first, and a 429
says the object is there). The same order for every export (reports, residents, the missing
list, volunteer hours, code cards; pages and API) and for the rounds' coverage."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions
from fangkong.screening.actions import planning

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight(settings):
    """One export and one coverage a minute, counted from nothing (the limits' cache is keyed by
    the user's id, which another test's user may have had)."""
    from django.core.cache import caches

    cache = caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]
    cache.clear()
    settings.FANGKONG_RATE_LIMITS = {"search": "50/m", "coverage": "1/m", "export": "1/m"}
    yield
    cache.clear()


@pytest.fixture
def scene(world):
    w = world
    staff = Actor.system(w.users.staff)
    now = timezone.now()
    w.rnd = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=3), "pool_size": 3})
    planning.set_status(staff, w.rnd, "running")
    w.ag = planning.plan_round(staff, w.community, {
        "name": "抗原自测", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=3), "pool_size": 1})
    planning.set_status(staff, w.ag, "running")
    w.report = actions.prepare(staff, w.community, timezone.localdate())
    w.report = actions.submit(staff, w.report, "", now=w.report.cutoff_at)  # from the cut-off on
    return w


def _urls(w):
    day = timezone.localdate()
    return [
        f"/reports/{w.report.id}/report.xlsx",
        f"/reports/{w.report.id}/report.pdf",
        f"/reports/places/{w.community.id}/export.xlsx?from={day}&to={day}",
        f"/api/v1/reports/{w.report.id}/export/xlsx",
        f"/api/v1/reports/places/{w.community.id}/export/xlsx?first={day}&last={day}",
        f"/places/{w.building.id}/export.xlsx",
        f"/screening/rounds/{w.rnd.id}/missing.xlsx",
        f"/volunteers/c/{w.community.id}/hours-team.xlsx",
        f"/places/{w.building.id}/code-cards.pdf",
        f"/households/{w.hh101.id}/code-cards.pdf",
        f"/households/{w.hh101.id}/codes/cards.pdf",
        f"/api/v1/places/{w.building.id}/code-cards.pdf",
        f"/api/v1/households/{w.hh101.id}/code-cards.pdf",
        f"/api/v1/screening/rounds/{w.rnd.id}/coverage",
        f"/api/v1/screening/rounds/{w.ag.id}/antigen-coverage",
    ]


def test_a_refused_export_is_404_however_often_it_is_asked(scene, login, tight):
    """Community B's staff (who sees none of community A) asks each of A's exports three times
    with a limit of one a minute: 404 each time, never 429."""
    client = login(scene.users.other_staff)
    for url in _urls(scene):
        got = [client.get(url).status_code for _ in range(3)]
        assert got == [404, 404, 404], (url, got)


def test_a_role_that_sees_the_place_but_may_not_export_is_refused_the_same_way(scene, login, tight):
    """A volunteer of community A (no export right there): the report-free exports answer as the
    route tables say (404 for an export), however often."""
    client = login(scene.users.volunteer)
    for url in (f"/places/{scene.building.id}/export.xlsx", f"/screening/rounds/{scene.rnd.id}/missing.xlsx",
                f"/volunteers/c/{scene.community.id}/hours-team.xlsx",
                f"/reports/{scene.report.id}/report.xlsx"):
        got = [client.get(url).status_code for _ in range(3)]
        assert got == [404, 404, 404], (url, got)


def test_the_limit_still_holds_for_who_may_export(scene, login, tight):
    client = login(scene.users.staff)
    url = f"/reports/{scene.report.id}/report.xlsx"
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 429
