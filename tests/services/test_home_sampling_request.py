"""A family's request for home sampling reaches the round's home-sampling list (found on the
family walk: 苏霞, 82, living alone, cannot go down to the sampling point; her son asked on
the help form at 2 a.m., there was no 上门采样 category, and staff had to re-type it into the
round's list by hand — at night nobody did, and she was missed).

Now 上门采样 is a request category (priority 2, 12 hours) that names who of the household is
to be sampled at home (ticked on the help form or sent as `people`; by default the
bedridden, limited-mobility or elderly-living-alone, or the one person at home). Raised, its
people go on the home-sampling list of every PCR round planned or running over the household
in which they are not sampled yet ("家属申请", the family's words as the note), through a
signal of the registry (services and screening never import each other). With no round, a
round planned later lists them. Once the sampler registers the swab at the door the
request is done by itself ("已上门采样 08:12") and the family asked to confirm, as for any
request; the request page says where each person stands ("已列入 … 上门采样名单", a door
outcome, sampled)."""

import datetime
import json
import re
import uuid

import pytest
from django.utils import timezone

from fangkong.audit.models import AuditEvent as Event
from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import followup, planning
from fangkong.screening.actions.door import record_door
from fangkong.screening.models import HomeVisit, Round
from fangkong.screening.tasks import recover_screening
from fangkong.services.actions import requests
from fangkong.services.models import Category, Request
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db

WORDS = "82岁独居，下不了楼，请上门采样"


@pytest.fixture(autouse=True)
def categories(world):
    requests.install_categories()


def _plan(world, name="第3轮核酸", *, running=True, place=None, hours=1):
    """A PCR round over community A (or `place`), its sampling point and a sampler, volunteer_a."""
    system = Actor.system()
    place = place or world.community
    point = reg.create_place(system, place, Kind.SAMPLING_POINT, f"{name}采样点")
    start = timezone.now() - datetime.timedelta(hours=1) if running else timezone.now() + datetime.timedelta(hours=hours)
    rnd = planning.plan_round(system, place, {
        "name": name, "kind": "pcr", "starts_at": start, "ends_at": start + datetime.timedelta(hours=7),
        "pool_size": 10}, points=[(point, 2)])
    if running:
        planning.set_status(system, rnd, "running")
    rnd.point = rnd.points.get()
    return rnd



def _api(client, method, path, data=None):
    fn = getattr(client, method)
    if data is None:
        return fn(f"/api/v1{path}")
    return fn(f"/api/v1{path}", data=json.dumps(data), content_type="application/json")


def _ask(client, hh, *, people=None, cid=None, text=WORDS):
    post = {"do": "request", "category": "home_sampling", "text": text, "client_id": cid or str(uuid.uuid4())}
    if people is not None:
        post["people"] = [p.id for p in people]
    return client.post(f"/services/households/{hh.id}/", post, follow=True)


def _swab(world, rnd, person, barcode="T0101"):
    """The round's sampler registers `person` at the door through the station's API."""
    planning.assign_sampler(Actor.system(world.users.staff), rnd, rnd.point, world.users.volunteer, 1)
    c = _client(world.users.volunteer)
    r = _api(c, "post", f"/screening/rounds/{rnd.id}/tubes", {"barcode": barcode, "point": rnd.point.id, "table": 1})
    assert r.status_code in (200, 201), r.content
    r = _api(c, "post", f"/screening/rounds/{rnd.id}/scan",
             {"client_id": str(uuid.uuid4()), "barcode": barcode, "person": f"r:{person.id}"})
    assert r.status_code == 200 and r.json()["status"] == "ok", r.content


def _row(html, name):
    at = html.index(name)
    start = html.rindex("<li", 0, at)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:html.index("</li>", at)]).split())


def test_the_category_is_installed_with_its_priority_and_time_and_the_migration_adds_it_to_old_installations():
    import importlib

    from django.apps import apps

    c = Category.objects.get(code="home_sampling")
    assert (c.priority, c.response_minutes, c.label) == (2, 720, "上门采样")
    codes = list(Category.objects.values_list("code", flat=True))
    assert codes.index("home_sampling") == codes.index("medicine") + 1
    # an installation from before: no 上门采样, the defaults numbered without it
    c.delete()
    for pos, code in enumerate(x for x in codes if x != "home_sampling"):
        Category.objects.filter(code=code).update(position=pos)
    migration = importlib.import_module("fangkong.services.migrations.0017_home_sampling_category")
    migration.install(apps, None)
    migration.install(apps, None)  # run again (a new installation has it from 0002): nothing twice
    assert Category.objects.filter(code="home_sampling").count() == 1
    assert list(Category.objects.values_list("code", flat=True)) == codes
    assert Category.objects.get(code="home_sampling").response_minutes == 720


def test_the_familys_request_reaches_the_round_and_is_done_once_sampled(world):
    w = world
    rnd = _plan(w)
    family = _client(w.users.resident)
    form = family.get(f"/services/households/{w.hh101.id}/").content.decode()
    # the help form offers 上门采样 with who is at home, 苏霞 (独居老人、行动不便) ticked
    assert 'value="home_sampling"' in form and "哪些人无法下楼到采样点" in form
    assert re.search(rf'name="people" value="{w.su.id}" checked', form)
    assert not re.search(rf'name="people" value="{w.yu.id}" checked', form)
    assert f'name="people" value="{w.yu.id}"' in form

    cid = str(uuid.uuid4())
    r = _ask(family, w.hh101, people=[w.su], cid=cid)
    said = " ".join(str(m) for m in r.context["messages"])
    assert "诉求已发给您的网格员" in said and "苏霞：已列入" in said and rnd.name in said
    req = Request.objects.get(category__code="home_sampling")
    assert list(req.people.values_list("id", flat=True)) == [w.su.id]
    assert (req.priority, req.state) == (2, "new")
    hv = HomeVisit.objects.get(round=rnd, resident=w.su)
    assert (hv.source, hv.status, hv.request_id, hv.note) == ("request", "open", req.id, WORDS)
    assert not HomeVisit.objects.filter(resident=w.yu).exists()
    assert Event.objects.filter(action="screening.home.request", changes__request=req.id).count() == 1
    # the grid worker is told of the new request as of any
    assert Notification.objects.filter(user=w.users.grid, key=f"services.request.{req.id}.raised").exists()

    # a retry (the same client id) and a second ask without one: no second request, no second visit
    again = _ask(family, w.hh101, people=[w.su], cid=cid)
    assert again.status_code == 200 and Request.objects.filter(category__code="home_sampling").count() == 1
    twice = _api(family, "post", "/services/requests", {"household": w.hh101.id, "category": "home_sampling",
                                                        "text": WORDS, "people": [w.su.id]})
    assert twice.status_code == 400
    assert "苏霞的上门采样已经申请、尚未完成" in twice.json()["error"]["fields"]["people"][0]
    assert HomeVisit.objects.filter(resident=w.su).count() == 1

    # the round's home list (page and API): 家属申请 and the family's words
    staff = _client(w.users.staff)
    home = staff.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert "家属申请" in _row(home, "苏霞") and WORDS in _row(home, "苏霞")
    out = _api(staff, "get", f"/screening/rounds/{rnd.id}/home-visits").json()["results"]
    mine = next(v for v in out if v["id"] == hv.id)
    assert (mine["source"], mine["source_label"], mine["note"]) == ("request", "家属申请", WORDS)
    # the request page and its API say where she stands
    page = family.get(f"/services/requests/{req.id}/").content.decode()
    assert "苏霞：已列入" in page and f"{rnd.name} 上门采样名单" in page and "所有人员上门采样后自动办结" in page
    got = _api(family, "get", f"/services/requests/{req.id}").json()
    assert got["people"] == [{"id": w.su.id, "name": "苏霞"}]
    assert [(x["resident"], x["round"], x["status"]) for x in got["home_sampling"]] == [(w.su.id, rnd.id, "open")]

    # the sampler registers her swab at the door: on the worker's pass the request is done by itself
    _swab(w, rnd, w.su)
    assert "苏霞" not in staff.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert recover_screening(None)["screening_home_requests_sampled"] == 1
    hv.refresh_from_db()
    req.refresh_from_db()
    at = timezone.localtime(hv.done_at).strftime("%H:%M")
    assert hv.status == "done" and req.state == "done" and req.result == f"已上门采样 {at}"
    told = Notification.objects.get(user=w.users.resident, key=f"services.request.{req.id}.done")
    assert told.title.startswith("已处理，请确认。上门采样") and told.body == f"已上门采样 {at}"
    assert Notification.objects.filter(user=w.users.grid, key=f"services.request.{req.id}.done.told").exists()
    assert Event.objects.filter(action="services.request.done", changes__request=req.id).exists()
    page = family.get(f"/services/requests/{req.id}/").content.decode()
    assert f"已上门采样 {at}" in page and 'name="step" value="confirm"' in page
    # another pass, or the round's visit again: nothing more
    assert recover_screening(None)["screening_home_requests_sampled"] == 0
    assert Notification.objects.filter(key=f"services.request.{req.id}.done").count() == 1


def test_with_no_round_the_request_waits_and_the_next_round_planned_lists_them(world):
    w = world
    grid = _client(w.users.grid)
    # another community's round does not list them
    other = _plan(w, "惠泽苑核酸", place=w.other)
    r = _api(grid, "post", "/services/requests", {"household": w.hh101.id, "category": "home_sampling",
                                                  "text": "两位老人都下不了楼", "people": [w.su.id, w.yu.id],
                                                  "client_id": str(uuid.uuid4())})
    assert r.status_code == 201, r.content
    out = r.json()
    assert out["people"] == [{"id": w.su.id, "name": "苏霞"}, {"id": w.yu.id, "name": "于海涛"}]
    assert out["home_sampling"] == [] and out["state"] == "new"
    assert not HomeVisit.objects.exists()
    assert "尚未列入上门采样名单" in grid.get(f"/services/requests/{out['id']}/").content.decode()
    assert other.home_visits.count() == 0

    # the next round planned over the household lists both, and says so
    staff = _client(w.users.staff)
    start = timezone.localtime(timezone.now() + datetime.timedelta(hours=2))
    r = staff.post("/screening/plan/", {"place": w.community.id, "name": "第4轮核酸", "kind": "pcr",
                                        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
                                        "ends_at": (start + datetime.timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M"),
                                        "pool_size": "10", "client_id": str(uuid.uuid4())}, follow=True)
    said = " ".join(str(m) for m in r.context["messages"])
    assert "已将 2 名家属申请上门采样的人员列入上门采样名单" in said, said
    rnd = Round.objects.get(name="第4轮核酸")
    assert rnd.status == "planned"
    visits = HomeVisit.objects.filter(round=rnd).order_by("resident_id")
    assert [(v.resident_id, v.source, v.request_id) for v in visits] == [
        (w.su.id, "request", out["id"]), (w.yu.id, "request", out["id"])]
    lines = _api(grid, "get", f"/services/requests/{out['id']}").json()["home_sampling"]
    assert [x["name"] for x in lines] == ["苏霞", "于海涛"] and all("已列入" in x["text"] for x in lines)

    # one sampled: still open, the page says who is done; both: done, each with their time
    planning.set_status(Actor.system(), rnd, "running")
    rnd.point = planning.add_point(Actor.system(), rnd, reg.create_place(
        Actor.system(), w.community, Kind.SAMPLING_POINT, "光明广场"), 2)
    _swab(w, rnd, w.su, "T0201")
    recover_screening(None)
    req = Request.objects.get(pk=out["id"])
    assert req.state == "new"
    assert "苏霞：已上门采样" in grid.get(f"/services/requests/{req.id}/").content.decode()
    _swab(w, rnd, w.yu, "T0202")
    recover_screening(None)
    req.refresh_from_db()
    assert req.state == "done" and re.fullmatch(r"已上门采样：苏霞 \d\d:\d\d、于海涛 \d\d:\d\d", req.result), req.result


def test_only_people_of_the_household_at_home_may_be_chosen(world):
    w = world
    rnd = _plan(w)
    family = _client(w.users.resident)
    refused = "上门采样只能选择本户的成员。"
    for someone in (w.xia.id, w.other_person.id, 999999, "x"):  # a neighbour, another community, nobody
        r = _api(family, "post", "/services/requests", {"household": w.hh101.id, "category": "home_sampling",
                                                        "text": WORDS, "people": [w.su.id, someone]})
        if someone == "x":
            assert r.status_code in (400, 422)
            continue
        assert r.status_code == 400 and r.json()["error"]["fields"]["people"] == [refused], r.content
    page = _ask(family, w.hh101, people=[w.xia])
    assert refused in page.content.decode()
    # people with another kind of help: refused; someone in hospital: said by name
    r = _api(family, "post", "/services/requests", {"household": w.hh101.id, "category": "medicine",
                                                    "text": "降压药", "people": [w.su.id]})
    assert r.status_code == 400 and "只有上门采样申请需要选择人员" in r.json()["error"]["fields"]["people"][0]
    reg.update_resident(Actor.system(w.users.staff), w.yu, {"presence": "hospital"})
    r = _api(family, "post", "/services/requests", {"household": w.hh101.id, "category": "home_sampling",
                                                    "text": WORDS, "people": [w.yu.id]})
    assert r.status_code == 400 and "台账中于海涛不在家（住院）" in r.json()["error"]["fields"]["people"][0]
    assert not Request.objects.filter(category__code="home_sampling").exists()
    assert not HomeVisit.objects.filter(round=rnd).exists()


def test_by_default_the_vulnerable_or_the_one_person_at_home(world):
    w = world
    rnd = _plan(w)
    grid = _client(w.users.grid)

    def ask(hh):
        return _api(grid, "post", "/services/requests", {"household": hh.id, "category": "home_sampling",
                                                         "text": "下不了楼"})

    assert [p["name"] for p in ask(w.hh101).json()["people"]] == ["苏霞"]  # 独居老人、行动不便
    assert [p["name"] for p in ask(w.hh201).json()["people"]] == ["王新勇"]  # the one person
    two = reg.create_household(Actor.system(), w.unit2, "202")
    for n, name in enumerate(("李桂兰", "李强")):
        idn = pii.make_id_number("140106", datetime.date(1950 + 30 * n, 3, 7), 31 + n)
        reg.create_resident(Actor.system(), two, {"name": name, "id_number": idn})
    r = ask(two)
    assert r.status_code == 400 and r.json()["error"]["fields"]["people"] == ["请选择需要上门采样的人员。"]
    assert sorted(HomeVisit.objects.filter(round=rnd).values_list("resident__name", flat=True)) == ["王新勇", "苏霞"]


def test_someone_listed_already_is_noted_not_listed_twice_and_staff_marking_it_done_closes_the_request(world):
    w = world
    rnd = _plan(w)
    followup.generate_home_list(Actor.system(w.users.staff), rnd)  # 夏明 (卧床) from the tags
    tagged = HomeVisit.objects.get(round=rnd, resident=w.xia)
    r = _api(_client(w.users.grid), "post", "/services/requests", {
        "household": w.hh102.id, "category": "home_sampling", "text": "卧床，请上门"})
    assert r.status_code == 201 and r.json()["people"] == [{"id": w.xia.id, "name": "夏明"}]
    assert HomeVisit.objects.filter(round=rnd, resident=w.xia).count() == 1
    tagged.refresh_from_db()
    assert tagged.request_id == r.json()["id"] and tagged.note == "卧床，请上门"
    home = _client(w.users.staff).get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert "来自台账标签 · 家属申请" in _row(home, "夏明")
    # staff mark the visit done once her swab is registered: the request is done at once
    _swab(w, rnd, w.xia)
    followup.set_home_visit(Actor.system(w.users.staff), tagged, HomeVisit.Status.DONE)
    req = Request.objects.get(pk=r.json()["id"])
    assert req.state == "done" and req.result.startswith("已上门采样 ")


def test_a_door_outcome_shows_on_the_request_and_cancelling_takes_the_visit_off(world):
    w = world
    rnd = _plan(w)
    _ask(_client(w.users.resident), w.hh101)
    req = Request.objects.get(category__code="home_sampling")
    hv = HomeVisit.objects.get(round=rnd, request_id=req.id)
    record_door(Actor.system(w.users.staff), hv, "no_answer", "敲门无人")
    page = _client(w.users.resident).get(f"/services/requests/{req.id}/").content.decode()
    assert "苏霞：已列入" in page and "上门无人应答" in page and "敲门无人" in page
    line = _api(_client(w.users.resident), "get", f"/services/requests/{req.id}").json()["home_sampling"][0]
    assert line["status"] == "open" and "上门无人应答" in line["door"]
    # staff cancel the request: its visit comes off the list; the page says so
    staff = _client(w.users.staff)
    r = staff.post(f"/services/requests/{req.id}/", {"step": "cancel", "confirm": "1"})
    assert r.status_code == 302
    hv.refresh_from_db()
    assert hv.status == "cancelled"
    assert "苏霞" not in staff.get(f"/screening/rounds/{rnd.id}/home/").content.decode().split("<h2>")[0]
    assert "已从" in staff.get(f"/services/requests/{req.id}/").content.decode()


def test_no_one_outside_sees_the_visit_or_the_request(world):
    w = world
    rnd = _plan(w)
    _ask(_client(w.users.resident), w.hh101)
    req = Request.objects.get(category__code="home_sampling")
    hv = HomeVisit.objects.get(round=rnd, request_id=req.id)
    for user in (w.users.other_staff, w.users.volunteer, w.users.supplier):  # another community, wrong roles
        c = _client(user)
        assert c.get(f"/screening/rounds/{rnd.id}/home/").status_code == 404, user
        assert _api(c, "get", f"/screening/rounds/{rnd.id}/home-visits").status_code == 404, user
        assert _api(c, "post", f"/screening/home-visits/{hv.id}/door", {"outcome": "no_answer"}).status_code == 404
    for user in (w.users.other_staff, w.users.supplier):
        assert _client(user).get(f"/services/requests/{req.id}/").status_code == 404
        assert _api(_client(user), "get", f"/services/requests/{req.id}").status_code == 404
    # the family reads its own request, never the round's home list
    family = _client(w.users.resident)
    assert family.get(f"/screening/rounds/{rnd.id}/home/").status_code == 404
    assert family.get(f"/services/requests/{req.id}/").status_code == 200


def test_the_request_list_reads_the_home_lines_in_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = world
    rnd = _plan(w)
    grid = _client(w.users.grid)
    form = grid.get(f"/services/households/{w.hh101.id}/").content.decode()  # the worker's form: the same ticks
    assert re.search(rf'name="people" value="{w.su.id}" checked', form)

    def ask(hh):
        r = _api(grid, "post", "/services/requests", {"household": hh.id, "category": "home_sampling", "text": "上门"})
        assert r.status_code == 201, r.content

    def read():
        with CaptureQueriesContext(connection) as q:
            out = _api(grid, "get", f"/services/requests?place={w.grid.id}").json()
        assert isinstance(out, list), out
        assert all(x["home_sampling"] for x in out)
        return len(out), len(q.captured_queries)

    ask(w.hh101)
    one = read()
    ask(w.hh102)
    ask(w.hh201)
    three = read()
    assert (one[0], three[0]) == (1, 3) and one[1] == three[1], (one, three)
    assert HomeVisit.objects.filter(round=rnd, source="request").count() == 3


def test_a_failure_on_the_screening_side_never_loses_the_familys_request(world, monkeypatch):
    from fangkong.screening.actions import home_request

    def broken(*args, **kwargs):
        raise RuntimeError("the list could not be written")

    rnd = _plan(world)
    monkeypatch.setattr(home_request, "add", broken)
    r = _api(_client(world.users.resident), "post", "/services/requests", {
        "household": world.hh101.id, "category": "home_sampling", "text": WORDS})
    assert r.status_code == 201 and r.json()["state"] == "new"  # an open request, staff see it as any
    assert Request.objects.filter(pk=r.json()["id"]).exists() and not HomeVisit.objects.filter(round=rnd).exists()
    monkeypatch.undo()
    # the next round planned over the household lists her all the same
    nxt = _plan(world, "第4轮核酸", running=False, hours=8)
    assert nxt.home_asked == 1 and HomeVisit.objects.get(round=nxt).request_id == r.json()["id"]


def test_a_morning_call_that_needs_home_sampling_asks_it_for_the_person_called(world):
    from fangkong.services.actions import care
    from fangkong.services.models import CheckIn

    rnd = _plan(world)
    care.check_ins_today()
    c = CheckIn.objects.get(resident=world.su)
    care.record_check_in(Actor.system(world.users.grid), c, "needs", "腿疼下不了楼，今天的核酸要上门",
                         category="home_sampling")
    c.refresh_from_db()
    assert c.request.category.code == "home_sampling"
    assert list(c.request.people.values_list("name", flat=True)) == ["苏霞"]
    assert HomeVisit.objects.get(round=rnd, resident=world.su).request_id == c.request_id
