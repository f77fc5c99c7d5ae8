"""A home-sampling request made after the round's planned end, the round still running (walk
"family" 5, 2026-12-07 22:14: round 1 planned 07:00–14:00, nobody ended it). The family was
told "尚未列入上门采样名单", while the household page said "核酸：等待上门采样" and 乔秀兰 was
on the round's home list; after her swab the request stayed "新诉求" and would go overdue.

A round still running (`Round.running`: a PCR round past its planned end too, the station
still registers people) lists the request's people (`home_requests.rounds_over`), so the
family reads one status and the swab closes the request. A round ended, or an antigen round
past its deadline, does not."""

import datetime

import pytest
from django.utils import timezone, translation

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup, planning
from fangkong.screening.home_requests import rounds_over
from fangkong.screening.models import RUNNING_GRACE, HomeVisit, Round
from fangkong.services.actions import requests
from fangkong.services.models import Request
from tests.services.test_home_sampling_request import _api, _ask, _client, _plan, _swab

pytestmark = pytest.mark.django_db
NOT_LISTED = "尚未列入上门采样名单"


@pytest.fixture(autouse=True)
def categories(world):
    requests.install_categories()


def _said(r):
    with translation.override("zh-hans"):
        return " ".join(str(m) for m in r.context["messages"])


def _past_end(rnd):
    """Past its planned end 8 hours ago, nobody ended it (within `RUNNING_GRACE`: still running)."""
    end = timezone.now() - datetime.timedelta(hours=8)
    Round.objects.filter(pk=rnd.pk).update(starts_at=end - datetime.timedelta(hours=7), ends_at=end)
    rnd.refresh_from_db()
    assert rnd.overrun and not rnd.open_now
    return rnd


def test_a_request_after_the_planned_end_is_listed_on_the_running_round_and_closes_with_the_swab(world):
    w = world
    rnd = _past_end(_plan(w))
    assert rounds_over(w.hh101) == [rnd]
    family = _client(w.users.resident)
    r = _ask(family, w.hh101, people=[w.su])
    said = _said(r)
    assert NOT_LISTED not in said and "苏霞：已列入" in said and rnd.name in said, said
    req = Request.objects.get(category__code="home_sampling")
    hv = HomeVisit.objects.get(round=rnd, resident=w.su)
    assert (hv.status, hv.request_id) == ("open", req.id)
    page = family.get(f"/services/requests/{req.id}/").content.decode()
    assert NOT_LISTED not in page and "苏霞：已列入" in page
    # the household page says the same: a sampler is coming
    home = family.get(f"/households/{w.hh101.id}/").content.decode()
    assert "核酸：等待上门采样" in home
    # her swab at the station closes the visit and the request
    _swab(w, rnd, w.su)
    from fangkong.screening.tasks import recover_screening
    recover_screening(None)
    req.refresh_from_db()
    assert req.state == "done" and req.result.startswith("已上门采样 ")
    assert _api(family, "get", f"/services/requests/{req.id}").json()["home_sampling"][0]["status"] == "done"


def test_someone_on_the_home_list_already_has_the_request_noted_and_closed_by_the_swab(
        world, django_capture_on_commit_callbacks):
    """The walk's case: 乔秀兰 was on the list from her tags when the family asked."""
    w = world
    rnd = _plan(w)
    followup.generate_home_list(Actor.system(w.users.staff), rnd)  # 夏明 (卧床) from the tags
    tagged = HomeVisit.objects.get(round=rnd, resident=w.xia)
    _past_end(rnd)
    r = _api(_client(w.users.grid), "post", "/services/requests", {
        "household": w.hh102.id, "category": "home_sampling", "text": "卧床三个月"})
    assert r.status_code == 201, r.content
    tagged.refresh_from_db()
    assert tagged.request_id == r.json()["id"] and tagged.status == "open"
    assert HomeVisit.objects.filter(round=rnd, resident=w.xia).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        _swab(w, rnd, w.xia)
    req = Request.objects.get(pk=r.json()["id"])
    assert req.state == "done" and req.result.startswith("已上门采样 ")


def test_an_ended_round_lists_nobody_and_the_request_waits_for_the_next(world):
    w = world
    rnd = _past_end(_plan(w))
    planning.set_status(Actor.system(w.users.staff), rnd, "closed")
    assert rounds_over(w.hh101) == []
    r = _ask(_client(w.users.resident), w.hh101, people=[w.su])
    said = _said(r)
    assert NOT_LISTED in said
    assert not HomeVisit.objects.filter(resident=w.su).exists()


def test_a_planned_round_past_its_end_or_an_antigen_round_past_its_deadline_is_not_running(world):
    w = world
    planned = _plan(w, running=False)
    Round.objects.filter(pk=planned.pk).update(ends_at=timezone.now() - datetime.timedelta(hours=1))
    planned.refresh_from_db()
    assert not planned.running() and rounds_over(w.hh101) == []
    planned.kind = "antigen"
    planned.status = "running"
    assert not planned.running()
    assert not Round.objects.filter(Round.running_q(), pk=planned.pk).exists()


def test_a_round_nobody_ended_is_not_work_for_ever(world):
    """Past its planned end by more than `RUNNING_GRACE` and still running: a request now waits
    for the next round, as the household page no longer asks for that round's swab."""
    w = world
    rnd = _plan(w)
    end = timezone.now() - RUNNING_GRACE - datetime.timedelta(minutes=5)
    Round.objects.filter(pk=rnd.pk).update(starts_at=end - datetime.timedelta(hours=7), ends_at=end)
    rnd.refresh_from_db()
    assert rnd.overrun and not rnd.running() and rounds_over(w.hh101) == []
    assert not Round.objects.filter(Round.running_q(), pk=rnd.pk).exists()


def test_a_round_running_through_the_night_still_takes_requests_after_midnight(world):
    """Shanghai's rounds ran through the night: a round due to end at 22:00 that staff have
    not ended still lists a family's home-sampling request at 00:30, and the page and the
    filter agree (`running` and `running_q`, at any clock time), until 10:00."""
    w = world
    rnd = _plan(w)
    tz = timezone.get_current_timezone()
    end = datetime.datetime(2026, 12, 7, 22, 0, tzinfo=tz)
    Round.objects.filter(pk=rnd.pk).update(starts_at=end - datetime.timedelta(hours=15), ends_at=end)
    rnd.refresh_from_db()
    for at, running in ((datetime.datetime(2026, 12, 8, 0, 30, tzinfo=tz), True),
                        (datetime.datetime(2026, 12, 8, 9, 59, tzinfo=tz), True),
                        (datetime.datetime(2026, 12, 8, 10, 1, tzinfo=tz), False)):
        assert rnd.running(at) is running, at
        assert Round.objects.filter(Round.running_q(at), pk=rnd.pk).exists() is running, at
        assert (rounds_over(w.hh101, now=at) == [rnd]) is running, at
    rnd.status = "closed"  # ended by staff: over at once
    rnd.save(update_fields=["status"])
    assert not rnd.running(datetime.datetime(2026, 12, 8, 0, 30, tzinfo=tz))
