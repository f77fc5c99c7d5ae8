"""A family's home-sampling request (上门采样) closes as soon as the swab at the door is
committed, not "up to one worker pass (~30 s)" later: the family's page says "已上门采样 08:12"
when the sampler's phone says the scan went in.

The station's registration (the single scan, a batch, a conflict accepted) hands the people a
request lists to `screening.actions.home_request.swabbed`, which closes their visits on the
transaction's commit and tells services (`registry.signals.home_sampled`): the request is done
at once. The worker's pass (`close_sampled`) stays the safety net: a close that failed after
the commit is made there, and nothing is closed or told twice."""

import uuid

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import home_request, planning
from fangkong.screening.models import HomeVisit
from fangkong.screening.tasks import recover_screening
from fangkong.services.actions import requests
from fangkong.services.models import Request
from tests.services.test_home_sampling_request import _api, _ask, _client, _plan

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def categories(world):
    requests.install_categories()


def _sampler(w, rnd, barcode):
    """The round's sampler (volunteer_a) with tube `barcode` open at the round's point."""
    planning.assign_sampler(Actor.system(w.users.staff), rnd, rnd.point, w.users.volunteer, 1)
    c = _client(w.users.volunteer)
    r = _api(c, "post", f"/screening/rounds/{rnd.id}/tubes", {"barcode": barcode, "point": rnd.point.id, "table": 1})
    assert r.status_code in (200, 201), r.content
    return c


def _scan(c, rnd, barcode, person):
    r = _api(c, "post", f"/screening/rounds/{rnd.id}/scan",
             {"client_id": str(uuid.uuid4()), "barcode": barcode, "person": f"r:{person.id}"})
    assert r.status_code == 200 and r.json()["status"] == "ok", r.content
    return r


def _clock(at):
    return timezone.localtime(at).strftime("%H:%M")


def test_the_request_is_done_when_the_scan_commits_with_no_worker_pass(world, django_capture_on_commit_callbacks):
    w = world
    rnd = _plan(w)
    family = _client(w.users.resident)
    _ask(family, w.hh101, people=[w.su])
    req = Request.objects.get(category__code="home_sampling")
    hv = HomeVisit.objects.get(round=rnd, request_id=req.id)
    station = _sampler(w, rnd, "T0301")
    # the scan's transaction not committed yet: nothing closed
    with django_capture_on_commit_callbacks() as callbacks:
        _scan(station, rnd, "T0301", w.su)
    req.refresh_from_db()
    assert req.state == "new" and HomeVisit.objects.get(pk=hv.pk).status == "open"
    # committed: the visit and the request are done at once, at the swab's time
    for fn in callbacks:
        fn()
    hv.refresh_from_db()
    req.refresh_from_db()
    at = _clock(hv.done_at)
    assert hv.status == "done" and req.state == "done" and req.result == f"已上门采样 {at}"
    page = family.get(f"/services/requests/{req.id}/").content.decode()
    assert f"已上门采样 {at}" in page and 'name="step" value="confirm"' in page
    got = _api(family, "get", f"/services/requests/{req.id}").json()
    assert (got["state"], got["result"]) == ("done", f"已上门采样 {at}")
    assert [x["status"] for x in got["home_sampling"]] == ["done"]
    told = Notification.objects.get(user=w.users.resident, key=f"services.request.{req.id}.done")
    assert told.body == f"已上门采样 {at}"
    # the worker's pass finds nothing left; nothing is told twice
    assert recover_screening(None)["screening_home_requests_sampled"] == 0
    assert Notification.objects.filter(key=f"services.request.{req.id}.done").count() == 1


def test_a_station_batch_closes_it_on_its_commit_too(world, django_capture_on_commit_callbacks):
    w = world
    rnd = _plan(w)
    grid = _client(w.users.grid)
    r = _api(grid, "post", "/services/requests", {"household": w.hh101.id, "category": "home_sampling",
                                                  "text": "两位老人都下不了楼", "people": [w.su.id, w.yu.id]})
    assert r.status_code == 201, r.content
    station = _sampler(w, rnd, "T0302")
    events = [{"client_id": str(uuid.uuid4()), "type": "scan", "barcode": "T0302", "person": f"r:{p.id}"}
              for p in (w.su, w.yu)]
    with django_capture_on_commit_callbacks(execute=True):
        out = _api(station, "post", f"/screening/rounds/{rnd.id}/sync", {"events": events})
    assert out.status_code == 200 and [e["status"] for e in out.json()["results"]] == ["ok", "ok"], out.content
    req = Request.objects.get(pk=r.json()["id"])
    assert req.state == "done" and req.result.startswith("已上门采样：苏霞 ") and "、于海涛 " in req.result
    assert set(HomeVisit.objects.filter(round=rnd).values_list("status", flat=True)) == {"done"}
    assert recover_screening(None)["screening_home_requests_sampled"] == 0


def test_a_close_that_fails_after_the_commit_keeps_the_swab_and_the_worker_pass_closes_it(
        world, monkeypatch, django_capture_on_commit_callbacks):
    w = world
    rnd = _plan(w)
    _ask(_client(w.users.resident), w.hh101, people=[w.su])
    req = Request.objects.get(category__code="home_sampling")
    station = _sampler(w, rnd, "T0303")

    def broken(*args, **kwargs):
        raise RuntimeError("services could not be told")

    monkeypatch.setattr(home_request, "tell", broken)
    with django_capture_on_commit_callbacks(execute=True):
        _scan(station, rnd, "T0303", w.su)  # the scan stands
    req.refresh_from_db()
    assert req.state == "new" and HomeVisit.objects.get(round=rnd, resident=w.su).status == "open"
    monkeypatch.undo()
    assert recover_screening(None)["screening_home_requests_sampled"] == 1
    req.refresh_from_db()
    assert req.state == "done" and req.result.startswith("已上门采样 ")


def test_someone_no_request_lists_is_scanned_as_before(world, django_capture_on_commit_callbacks):
    """The scan of someone the family did not ask for leaves nothing to do on commit (the read
    the scan already makes says so)."""
    w = world
    rnd = _plan(w)
    station = _sampler(w, rnd, "T0304")
    with django_capture_on_commit_callbacks() as callbacks:
        _scan(station, rnd, "T0304", w.wang)
    assert [fn for fn in callbacks if getattr(fn, "func", None) is home_request.close_swabbed] == []


def test_a_batch_of_people_no_request_lists_leaves_nothing_to_do_on_commit(
        world, django_capture_on_commit_callbacks):
    """The batch's read says who of its people a family asked for (`scanning.ASKED`): a batch
    of others adds no closing on commit (it was a third of a 500-event batch's CPU), and in a
    batch mixing both only the asked-for person is closed."""
    w = world
    rnd = _plan(w)
    station = _sampler(w, rnd, "T0305")
    events = [{"client_id": str(uuid.uuid4()), "type": "scan", "barcode": "T0305", "person": f"r:{p.id}"}
              for p in (w.wang, w.su)]
    with django_capture_on_commit_callbacks() as callbacks:
        out = _api(station, "post", f"/screening/rounds/{rnd.id}/sync", {"events": events})
    assert [e["status"] for e in out.json()["results"]] == ["ok", "ok"], out.content
    assert [fn for fn in callbacks if getattr(fn, "func", None) is home_request.close_swabbed] == []
    _ask(_client(w.users.resident), w.hh101, people=[w.yu])
    station = _sampler(w, rnd, "T0306")
    events = [{"client_id": str(uuid.uuid4()), "type": "scan", "barcode": "T0306", "person": f"r:{p.id}"}
              for p in (w.yu, w.xia)]
    with django_capture_on_commit_callbacks() as callbacks:
        out = _api(station, "post", f"/screening/rounds/{rnd.id}/sync", {"events": events})
    assert [e["status"] for e in out.json()["results"]] == ["ok", "ok"], out.content
    closing = [fn for fn in callbacks if getattr(fn, "func", None) is home_request.close_swabbed]
    assert [fn.args for fn in closing] == [(rnd.id, [w.yu.id])]
