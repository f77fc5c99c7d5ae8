"""A family's home-sampling request (上门采样) and the sampler at its door with no swab: nobody
answered, the swab was refused, the person is not at this address. Before, the family was not
told — it only showed on the request page, which nobody opens at 08:12 — so an 82-year-old's
son learnt in the evening that the sampler had come and gone.

Now the family is messaged once per outcome (their language, the inbox and their phone, like
any family message): what happened and what to do next ("上门采样人员 08:12 到门无人应答（苏霞），
请联系网格员另约上门时间。" and the duty phone their pages already show), and the request's
timeline keeps it (page and API). A retry or a double tap never tells twice; a visit no family
asked for tells no family; a failure on the services side never loses the sampler's outcome."""

import uuid

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.screening.actions import followup, home_assign, planning
from fangkong.screening.models import HomeVisit
from fangkong.services.actions import requests
from fangkong.services.models import Request, RequestEvent
from tests.services.test_home_sampling_request import _api, _ask, _client, _plan

pytestmark = pytest.mark.django_db

DUTY = "03514120999"


@pytest.fixture(autouse=True)
def categories(world):
    requests.install_categories()


def _asked(w):
    """A running round, 苏霞's family asks for her home sampling on the help form, and the
    community has a duty phone: (round, request, her visit)."""
    rnd = _plan(w)
    reg.set_duty_phone(Actor.system(w.users.staff), w.community, DUTY)
    _ask(_client(w.users.resident), w.hh101, people=[w.su])
    req = Request.objects.get(category__code="home_sampling")
    return rnd, req, HomeVisit.objects.get(round=rnd, request_id=req.id)


def _door_api(c, hv, outcome, cid=None, note=""):
    body = {"outcome": outcome, "note": note}
    if cid is not None:
        body["client_id"] = cid
    r = _api(c, "post", f"/screening/home-visits/{hv.id}/door", body)
    assert r.status_code == 200, r.content
    return r.json()


def _door_page(c, hv, outcome, cid):
    """"上门未采到…" on the sampler's list: the confirm step's "yes" (one client id for the step)."""
    return c.post(f"/screening/home-visits/{hv.id}/door/", {"outcome": outcome, "confirm": "1", "client_id": cid,
                                                            "note": ""})


def _clock(at):
    return timezone.localtime(at).strftime("%H:%M")


def _told(w, req):
    return Notification.objects.filter(user=w.users.resident, key__startswith=f"services.request.{req.id}.door.")


def test_no_answer_at_the_door_is_told_to_the_family_once_and_kept_on_the_timeline(world):
    w = world
    rnd, req, hv = _asked(w)
    planning.assign_sampler(Actor.system(w.users.staff), rnd, rnd.points.get(), w.users.volunteer, 1)
    sampler = _client(w.users.volunteer)
    home_assign.assign_home_visits(Actor.system(w.users.staff), rnd, [hv.id],
                                   home_assign.round_sampler(rnd, rnd.samplers.get().id))
    cid = str(uuid.uuid4())
    r = _door_page(sampler, hv, "no_answer", cid)
    assert r.status_code == 302
    again = _door_page(sampler, hv, "no_answer", cid)  # "yes" tapped twice: one outcome
    assert again.status_code == 302
    hv.refresh_from_db()
    assert (hv.door, hv.door_attempts) == ("no_answer", 1)
    at = _clock(hv.door_at)
    told = _told(w, req).get()
    assert told.title == "上门采样：苏霞未完成采样"
    assert told.body == (f"上门采样人员 {at} 到门无人应答（苏霞），请联系网格员另约上门时间。"
                         f"光明社区值班电话：{DUTY}。")
    assert told.url == f"/services/requests/{req.id}/"
    # in English for a reader of English (the inbox keeps both; the text message is theirs)
    assert told.translations["en"]["body"] == (
        f"The home sampler came to your door at {at} and nobody answered (苏霞). Please contact your grid "
        f"worker to arrange another visit. Duty phone of 光明社区: {DUTY}.")
    assert told.translations["en"]["title"] == "Home sampling: 苏霞 was not sampled"
    # the family only: not the grid worker, not the sampler
    assert not Notification.objects.filter(key__startswith=f"services.request.{req.id}.door.").exclude(
        user=w.users.resident).exists()
    # the request's timeline, page and API
    family = _client(w.users.resident)
    page = family.get(f"/services/requests/{req.id}/").content.decode()
    timeline = page[page.index('id="timeline"'):page.index("</dd>", page.index('id="timeline"'))]
    assert "进展记录" in page and "苏霞：上门采样人员到门无人应答" in timeline and timeline.count("<li") == 1
    got = _api(family, "get", f"/services/requests/{req.id}").json()
    assert [(e["kind"], e["outcome"], e["resident"], e["text"]) for e in got["timeline"]] == [
        ("door", "no_answer", w.su.id, "苏霞：上门采样人员到门无人应答")]
    assert AuditEvent.objects.filter(action="services.request.door", changes__request=req.id).count() == 1


def test_each_outcome_is_told_once_a_retry_or_a_double_tap_never_twice(world):
    w = world
    _rnd, req, hv = _asked(w)
    staff = _client(w.users.staff)  # told by phone, staff record it from the home list's API
    cid = str(uuid.uuid4())
    _door_api(staff, hv, "no_answer", cid, note="敲门无人")
    _door_api(staff, hv, "no_answer", cid, note="敲门无人")  # a retry of the same call: recorded once
    assert _told(w, req).count() == 1
    # another attempt later: the swab refused — told again, with what to do
    _door_api(staff, hv, "refused", str(uuid.uuid4()))
    hv.refresh_from_db()
    refused = _told(w, req).get(key__endswith=f".{hv.door_attempts}")
    assert refused.body == (f"上门采样人员 {_clock(hv.door_at)} 到门，苏霞拒绝采样。仍需完成核酸检测，请联系网格员安排"
                            f"再次上门。光明社区值班电话：{DUTY}。")
    # then not at this address, tapped twice without a client id (screening counts two attempts)
    _door_api(staff, hv, "not_here")
    hv.refresh_from_db()
    at = _clock(hv.door_at)
    _door_api(staff, hv, "not_here")
    hv.refresh_from_db()
    assert hv.door_attempts == 4
    bodies = list(_told(w, req).order_by("id").values_list("body", flat=True))
    assert len(bodies) == 3 and bodies[2] == (f"上门采样人员 {at} 到门，苏霞不在此地址。请告诉网格员苏霞现在在哪里。"
                                              f"光明社区值班电话：{DUTY}。")
    got = _api(_client(w.users.resident), "get", f"/services/requests/{req.id}").json()
    assert [e["outcome"] for e in got["timeline"]] == ["no_answer", "refused", "not_here"]
    assert RequestEvent.objects.filter(request=req).count() == 3


def test_a_visit_no_family_asked_for_tells_no_family_and_a_request_without_door_news_has_no_timeline(world):
    w = world
    rnd = _plan(w)
    followup.generate_home_list(Actor.system(w.users.staff), rnd)  # 夏明 (卧床) from the registry's tags
    tagged = HomeVisit.objects.get(round=rnd, resident=w.xia)
    assert tagged.request_id is None
    _door_api(_client(w.users.staff), tagged, "no_answer", str(uuid.uuid4()))
    assert not Notification.objects.filter(key__contains=".door.").exists()
    assert not RequestEvent.objects.exists()
    _ask(_client(w.users.resident), w.hh101, people=[w.su])
    req = Request.objects.get(category__code="home_sampling")
    page = _client(w.users.resident).get(f"/services/requests/{req.id}/").content.decode()
    assert 'id="timeline"' not in page
    assert _api(_client(w.users.resident), "get", f"/services/requests/{req.id}").json()["timeline"] == []


def test_a_failure_on_the_services_side_never_loses_the_samplers_outcome(world, monkeypatch):
    from fangkong.services.actions import home_door

    def broken(*args, **kwargs):
        raise RuntimeError("the family could not be told")

    w = world
    _rnd, req, hv = _asked(w)
    monkeypatch.setattr(home_door, "door_outcome", broken)
    out = _door_api(_client(w.users.staff), hv, "no_answer", str(uuid.uuid4()))
    assert out["door_outcome"]["outcome"] == "no_answer"
    hv.refresh_from_db()
    assert (hv.door, hv.door_attempts) == ("no_answer", 1)
    assert not _told(w, req).exists() and not RequestEvent.objects.exists()
    # the request page says it all the same (screening's line)
    page = _client(w.users.resident).get(f"/services/requests/{req.id}/").content.decode()
    assert "上门无人应答" in page
