"""Coverage: exact figures for a node (people and households), per-community roll-ups that
follow registry and exemption changes made after planning, and the query counts of the live
round page and the coverage endpoint (polled every 15 s by many phones)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.screening import counters, figures
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Exemption

from .conftest import api, cid


def _cov(rnd, node):
    c = figures.coverage(rnd, node)
    return {k: c[k] for k in ("expected", "sampled", "exempt", "missing", "households",
                              "households_covered")}


def test_a_household_is_covered_when_all_its_expected_members_are(world, rnd, system):
    """Covered: every expected member done or exempt, and at least one done. A household
    whose expected members are all exempt is neither to test nor covered."""
    assert _cov(rnd, world.community) == {"expected": 4, "sampled": 0, "exempt": 0, "missing": 4,
                                          "households": 3, "households_covered": 0}
    planning.add_exemption(system, rnd, world.wang, "isolation")
    # before anyone is sampled: 201 (王新勇 alone, exempt) drops out, nothing is covered
    assert _cov(rnd, world.community) == {"expected": 4, "sampled": 0, "exempt": 1, "missing": 3,
                                          "households": 2, "households_covered": 0}
    station.open_tube(system, rnd, "T0001")
    station.scan(system, rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    # 101: 苏霞 sampled, 于海涛 not yet; 102: 夏明 missing
    assert _cov(rnd, world.community) == {"expected": 4, "sampled": 1, "exempt": 1, "missing": 2,
                                          "households": 2, "households_covered": 0}
    station.scan(system, rnd, client_id=cid(), barcode="T0001", person=world.yu.token)
    # 101 covered; 102: 夏明 in quarantine, exempt by presence, alone: out as 201 is
    reg.update_resident(system, world.xia, {"presence": "quarantine"})
    assert _cov(rnd, world.community) == {"expected": 4, "sampled": 2, "exempt": 2, "missing": 0,
                                          "households": 1, "households_covered": 1}
    # an exempt person sampled after all is done: 201 is to test again, and covered
    station.scan(system, rnd, client_id=cid(), barcode="T0001", person=world.wang.token)
    assert _cov(rnd, world.community) == {"expected": 4, "sampled": 3, "exempt": 1, "missing": 0,
                                          "households": 2, "households_covered": 2}
    # a unit, and a node outside the round: the same statement, its own figures
    assert _cov(rnd, world.unit1)["expected"] == 3
    assert _cov(rnd, world.other)["expected"] == 0


@pytest.fixture
def street_round(world, system):
    now = timezone.now()
    r = planning.plan_round(system, world.street, {
        "name": "全街道核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3})
    planning.set_status(system, r, "running")
    return r


def _rolled(rnd, node):
    return {c["community_id"]: (c["expected"], c["exempt"], c["sampled"])
            for c in counters.rollup(rnd, node) if c["expected"] or c["sampled"]}


def _exact(rnd, world):
    out = {}
    for comm in (world.community, world.other):
        c = figures.coverage(rnd, comm)
        if c["expected"] or c["sampled"]:
            out[comm.id] = (c["expected"], c["exempt"], c["sampled"])
    return out


def test_rollup_follows_registry_and_exemption_changes_made_after_planning(world, street_round, system):
    rnd, a, b = street_round, world.community.id, world.other.id
    assert _rolled(rnd, world.street) == _exact(rnd, world) == {a: (4, 0, 0), b: (1, 0, 0)}
    # a new arrival registered in B, 夏明 moves out, 王新勇 is exempted
    reg.create_resident(system, world.other_hh, {"name": "新来者"})
    reg.update_resident(system, world.xia, {"presence": "moved_out"})
    ex = planning.add_exemption(system, rnd, world.wang, "other", "出差")
    assert _rolled(rnd, world.street) == _exact(rnd, world) == {a: (3, 1, 0), b: (2, 0, 0)}
    # 于海涛 moves to B; 苏霞 goes to hospital (exempt by presence); the exemption is lifted
    reg.move_resident(system, world.yu, world.other_hh)
    reg.update_resident(system, world.su, {"presence": "hospital"})
    planning.remove_exemption(system, Exemption.objects.get(pk=ex.pk))
    assert _rolled(rnd, world.street) == _exact(rnd, world) == {a: (2, 1, 0), b: (3, 0, 0)}
    # sampled moves with the registering transaction
    station.open_tube(system, rnd, "T0009")
    station.scan(system, rnd, client_id=cid(), barcode="T0009", person=world.yu.token)
    assert _rolled(rnd, world.street) == _exact(rnd, world) == {a: (2, 1, 0), b: (3, 0, 1)}
    totals = counters.rollup_totals(rnd, world.street)
    assert (totals["expected"], totals["exempt"], totals["sampled"]) == (5, 1, 1)


def _written_a_while_ago(rnd):
    """Everything so far was written 10 minutes ago and counted 5 minutes ago (outside the
    refresh's look-back), as in a round that has been running for a while."""
    from django.db.models import F

    from fangkong.audit.models import AuditEvent

    AuditEvent.objects.update(at=F("at") - datetime.timedelta(minutes=10))
    rnd.counted_at = timezone.now() - datetime.timedelta(minutes=5)
    rnd.save(update_fields=["counted_at"])


def test_rollup_reads_only_the_audit_trail_when_nothing_changed(world, street_round, system,
                                                               django_assert_num_queries):
    _written_a_while_ago(street_round)
    counters.rollup(street_round, world.street)  # marks the round counted now
    # refresh: one audit read; then the counters and the communities' names
    with django_assert_num_queries(3):
        counters.rollup(street_round, world.street)


# The live round page's partial (what htmx fetches every 15 s) and the coverage endpoint:
# their query counts are pinned so that a per-row query or a Python-side count cannot
# creep back. Session + user + memberships + round are the first four. (One more since
# 2026-12-07: the line after the lab — positive pools, held, cases, people to sample again
# — is one statement, `figures.after_lab`. And one more, the same day, walk "lab": the tubes at
# the lab past FANGKONG_LAB_NO_RESULT_HOURS without a result, listed and counted in one
# statement, `queries.at_lab_no_result`, on the page and in the coverage API.)
LIVE_QUERIES_COMMUNITY = 15
LIVE_QUERIES_STREET = 18
COVERAGE_API_QUERIES = 7


def _busy(world, rnd, system):
    station.open_tube(system, rnd, "T0001")
    for p in (world.su, world.yu, world.xia):
        station.scan(system, rnd, client_id=cid(), barcode="T0001", person=p.token)
    station.open_tube(system, rnd, "T0002")
    planning.add_exemption(system, rnd, world.wang, "isolation")


def test_live_round_page_polls_in_a_fixed_number_of_queries(world, rnd, system, client,
                                                           django_assert_num_queries):
    _busy(world, rnd, system)
    client.force_login(world.users.staff)
    url = reverse("screening_round", args=[rnd.id]) + f"?place={world.community.id}"
    client.get(url, HTTP_HX_REQUEST="true")
    with django_assert_num_queries(LIVE_QUERIES_COMMUNITY):
        r = client.get(url, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "T0001" in html  # sealed at 3, not at the lab
    reg.create_resident(system, world.hh102, {"name": "新生儿"})  # more people: same count
    with django_assert_num_queries(LIVE_QUERIES_COMMUNITY):
        client.get(url, HTTP_HX_REQUEST="true")


def test_live_figures_are_shared_by_everyone_watching_for_a_few_seconds(world, rnd, system, client,
                                                                       settings):
    """Phones watching the same community within FANGKONG_LIVE_CACHE_SECONDS share one count:
    the second viewer's poll asks only who they are and what they may do; the figures are
    those of the first poll until the seconds have passed."""
    settings.FANGKONG_LIVE_CACHE_SECONDS = 5
    _busy(world, rnd, system)
    url = reverse("screening_round", args=[rnd.id]) + f"?place={world.community.id}"
    client.force_login(world.users.staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "T0001" in first and "sampled 3 / 3" in _figures(first), _figures(first)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")  # the street's command, watching the same community
    other.force_login(world.users.street)
    other.get(url, HTTP_HX_REQUEST="true")  # their own first request (session set-up)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as q:
        shared = other.get(url, HTTP_HX_REQUEST="true").content.decode()
    import re

    counted = [x["sql"] for x in q.captured_queries if re.search(
        r"\bscreening_(sample|exemption|tube|conflict)\b", x["sql"])]
    assert counted == [], counted  # who they are and what they may do; no figure counted again
    assert _figures(shared) == _figures(first)
    station.scan(system, rnd, client_id=cid(), barcode="T0002", person=world.wang.token)
    assert _figures(client.get(url, HTTP_HX_REQUEST="true").content.decode()) == _figures(first)
    from django.core.cache import cache

    cache.clear()  # the seconds have passed
    assert _figures(client.get(url, HTTP_HX_REQUEST="true").content.decode()) != _figures(first)


def _figures(html: str) -> str:
    """The live part's figure block (the numbers a watcher reads), without what differs by user."""
    import re

    block = html[html.index('<div class="stats">'):html.index("Updated")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block)).strip()


def test_live_round_page_of_a_street_polls_in_a_fixed_number_of_queries(world, street_round, system, client,
                                                                       django_assert_num_queries):
    _busy(world, street_round, system)
    _written_a_while_ago(street_round)
    client.force_login(world.users.street)
    url = reverse("screening_round", args=[street_round.id])
    client.get(url, HTTP_HX_REQUEST="true")
    with django_assert_num_queries(LIVE_QUERIES_STREET):
        r = client.get(url, HTTP_HX_REQUEST="true")
    assert "光明社区" in r.content.decode() and "惠泽苑社区" in r.content.decode()


def test_coverage_endpoint_answers_in_a_fixed_number_of_queries(world, rnd, system, client,
                                                               django_assert_num_queries):
    _busy(world, rnd, system)
    client.force_login(world.users.staff)
    api(client, "get", f"/rounds/{rnd.id}/coverage")
    with django_assert_num_queries(COVERAGE_API_QUERIES):
        r = api(client, "get", f"/rounds/{rnd.id}/coverage")
    assert r.json()["sampled"] == 3 and r.json()["exempt"] == 1 and r.json()["missing"] == 0
    # 101 and 102 covered; 201 (王新勇 alone, exempt) neither to test nor covered
    assert (r.json()["households_covered"], r.json()["households"]) == (2, 2)
