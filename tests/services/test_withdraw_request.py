"""A family withdraws its own request (found on the family walk: a mistaken home-sampling
request, or medicine a relative already brought, stayed in the grid worker's queue until the
deadline escalated it; the family's request page had no way to take it back). "撤回" — asked
first, a few optional words — while it is not done yet (new, or taken: whoever has it is
told); once done the family confirms it or says it was not resolved. The household's own
login, or the neighbour who asked it; the API's `POST /services/requests/{id}/withdraw` is
the same action; another family's request answers 404, staff use "cancel" (403 here)."""

import uuid

from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.services.actions import requests
from fangkong.services.models import Category, Request
from tests.conftest import PASSWORD, actor_for, make_user


def ask(w, code="medicine", text="降压药吃完了"):
    return requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code=code), text,
                                  client_id=uuid.uuid4())


def family(w):
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    return c


def told_of(r):
    return set(Notification.objects.filter(url=f"/services/requests/{r.id}/", title__startswith="已撤回")
               .values_list("user_id", flat=True))


def test_the_family_withdraws_a_taken_request_asked_first_and_whoever_took_it_is_told(world, svc):
    w = world
    r = ask(w)
    requests.assign(actor_for(w.users.staff), r, team=svc.team)
    requests.take(actor_for(svc.vol_user), Request.objects.get(pk=r.pk))
    c = family(w)
    url = f"/services/requests/{r.id}/"
    page = c.get(url).content.decode()
    assert 'value="withdraw"' in page and "撤回求助" in page
    asked = c.post(url, {"step": "withdraw"}).content.decode()  # asked first: nothing yet
    assert "撤回这条求助？" in asked and "降压药吃完了" in asked and 'name="reason"' in asked
    assert "志愿者7 · 封控五组 已接单，会收到通知。" in asked
    assert Request.objects.get(pk=r.pk).state == "taken"
    done = c.post(url, {"step": "withdraw", "confirm": "1", "reason": "亲戚已经送来了"}, follow=True)
    assert "已撤回" in done.content.decode()
    r.refresh_from_db()
    assert (r.state, r.withdrawn_by_id, r.withdraw_reason) == ("cancelled", w.users.resident.id, "亲戚已经送来了")
    assert r.withdrawn_at is not None
    assert svc.vol_user.id in told_of(r) and w.users.resident.id not in told_of(r)
    n = Notification.objects.get(user=svc.vol_user, url=url, title__startswith="已撤回")
    assert n.title == "已撤回，不再需要，买药：光明小区 1号楼 1单元 101" and n.body == "亲戚已经送来了"
    event = AuditEvent.objects.get(action="services.request.withdrawn")
    assert (event.actor_id, event.changes["reason"], event.changes["was"]) == (
        w.users.resident.id, "亲戚已经送来了", "taken")
    page = c.get(url).content.decode()
    assert 'id="withdrawn"' in page and "亲戚已经送来了" in page and 'value="withdraw"' not in page
    staff = Client()
    staff.force_login(w.users.staff)
    assert "住户已撤回" in staff.get(url).content.decode()
    # a second tap: the same, nobody told twice
    c.post(url, {"step": "withdraw", "confirm": "1"})
    assert AuditEvent.objects.filter(action="services.request.withdrawn").count() == 1
    assert Notification.objects.filter(user=svc.vol_user, title__startswith="已撤回").count() == 1


def test_a_new_request_nobody_took_tells_the_grid_worker_who_had_it_in_the_queue(world, svc):
    w = world
    r = ask(w, "repair", "门锁坏了")
    requests.withdraw(actor_for(w.users.resident), r)
    assert w.users.grid.id in told_of(r)
    assert Request.objects.get(pk=r.pk).state == "cancelled"


def test_once_done_it_is_not_withdrawn(world, svc):
    w = world
    r = ask(w)
    staff = actor_for(w.users.staff)
    requests.done(staff, requests.take(staff, r), "已送到")
    c = family(w)
    page = c.get(f"/services/requests/{r.id}/").content.decode()
    assert 'value="withdraw"' not in page
    api = c.post(f"/api/v1/services/requests/{r.id}/withdraw", {}, content_type="application/json")
    assert api.status_code == 409 and api.json()["error"]["message"] == (
        "这条求助已办完，不能撤回：请确认已解决，或点“没解决”。")
    # a tap from a page opened before it was done: said on its page, nothing changed
    page = c.post(f"/services/requests/{r.id}/", {"step": "withdraw"}, follow=True).content.decode()
    assert "这条求助已办完，不能撤回" in page and 'value="confirm"' in page
    assert Request.objects.get(pk=r.pk).state == "done"


def test_the_api_is_the_same_action_and_only_the_family_may(world, svc):
    w = world
    r = ask(w, "home_sampling", "卧床，下不了楼")
    url = f"/api/v1/services/requests/{r.id}/withdraw"
    other = make_user(Actor.system(), "resident_102", "resident", household=w.hh102)
    stranger = Client()
    stranger.force_login(other)  # another family: as if there were no such request
    assert stranger.post(url, {}, content_type="application/json").status_code == 404
    staff = Client()
    staff.force_login(w.users.staff)  # staff cancel it (`cancel`), they do not withdraw it for the family
    assert staff.post(url, {}, content_type="application/json").status_code == 403
    c = family(w)
    ok = c.post(url, {"reason": "家人已带她去采样点"}, content_type="application/json")
    assert ok.status_code == 200
    body = ok.json()
    assert (body["state"], body["withdraw_reason"]) == ("cancelled", "家人已带她去采样点") and body["withdrawn_at"]
    assert AuditEvent.objects.filter(action="services.request.withdrawn", actor=w.users.resident).count() == 1


def test_the_neighbour_who_asked_it_may_withdraw_it_too(world, svc):
    from tests.services.test_request_for_a_neighbour import the_old_man

    w = world
    hh302 = the_old_man(w)
    r = requests.raise_for_neighbour(actor_for(w.users.resident), w.hh101, "2-302",
                                     Category.objects.get(code="check_in"), "302没人应门")
    assert r.household_id == hh302.id
    c = family(w)
    page = c.get(f"/services/requests/{r.id}/").content.decode()
    assert 'value="withdraw"' in page
    c.post(f"/services/requests/{r.id}/", {"step": "withdraw", "confirm": "1"})
    assert Request.objects.get(pk=r.pk).state == "cancelled"


def test_in_english(world, svc):
    w = world
    r = ask(w)
    c = family(w)
    c.cookies["django_language"] = "en"
    url = f"/services/requests/{r.id}/"
    assert "Withdraw the request" in c.get(url).content.decode()
    asked = c.post(url, {"step": "withdraw"}).content.decode()
    assert "Withdraw this request?" in asked


def test_a_withdrawn_home_sampling_request_ends_its_timeline_and_leaves_the_round_list(world, svc):
    """The request's timeline (what happened at the door on the way, `RequestEvent`) ends with
    the withdrawal and the family's words, on the page and in the API, in the reader's
    language; the person's visit still to make leaves the round's home-sampling list."""
    import datetime

    from django.utils import timezone

    from fangkong.screening.models import HomeVisit
    from fangkong.services.models import RequestEvent
    from tests.services.test_home_sampling_request import _api, _ask, _plan

    w = world
    rnd = _plan(w)
    c = family(w)
    _ask(c, w.hh101, people=[w.su])
    r = Request.objects.get(category__code="home_sampling")
    hv = HomeVisit.objects.get(round=rnd, request_id=r.id)
    # the sampler came earlier and nobody answered (as `actions.home_door` keeps it)
    RequestEvent.objects.create(request=r, kind=RequestEvent.Kind.DOOR, resident=w.su, outcome="no_answer",
                                at=timezone.now() - datetime.timedelta(minutes=30), visit=hv.id, attempt=1)
    url = f"/services/requests/{r.id}/"
    c.post(url, {"step": "withdraw", "confirm": "1", "reason": "家人已带她去采样点"})
    assert Request.objects.get(pk=r.pk).state == "cancelled"
    page = c.get(url).content.decode()
    timeline = page[page.index('id="timeline"'):page.index("</dd>", page.index('id="timeline"'))]
    assert timeline.count("<li") == 2
    last = timeline.split("<li")[-1]
    assert 'data-kind="withdrawn"' in last and "住户撤回，不再需要：家人已带她去采样点" in last
    got = _api(c, "get", f"/services/requests/{r.id}").json()
    assert [(e["kind"], e["text"]) for e in got["timeline"]] == [
        ("door", "苏霞：上门采样人员到门无人应答"), ("withdrawn", "住户撤回，不再需要：家人已带她去采样点")]
    c.cookies["django_language"] = "en"
    assert "withdrawn by those who asked, no longer needed: 家人已带她去采样点" in c.get(url).content.decode()
    hv.refresh_from_db()
    assert hv.status == HomeVisit.Status.CANCELLED
