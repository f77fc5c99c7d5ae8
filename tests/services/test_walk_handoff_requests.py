"""Four defects found walking the demo in sealed-area services, each tested as the user met it.

1. The team on duty's volunteer who signed a hand-off landed on "Not found" (the batch is
   closed to the team once signed): now they land on their home, where their team's runs
   come, and are told why; opening the batch again later says the same, not "not found".
2. A request page never said who had it, and "Assign" after "I take it" left it taken by
   nobody, with no message: now the page, the queue and the API say who has it, giving it to
   a team hands it over (nobody of the team has taken it yet: 'new', the person cleared),
   said on the page, audited, the team told.
3. The API could not read one request back; an unknown step answered 404.
4. Splitting a batch told the team nothing: now each volunteer of the run's team (not those
   kept home) gets one inbox message per run, once.
"""

from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification
from fangkong.services.actions import handoff, orders, requests
from fangkong.services.models import Category, Request
from tests.conftest import actor_for
from tests.conftest import client_of as _client
from tests.services.conftest import households, volunteer


def _text(response) -> str:
    return response.content.decode()


def _batch(w, svc, team=None, hh=None):
    staff = actor_for(w.users.staff)
    for h in hh or [w.hh101, w.hh201]:
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    return handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=team)


# --- 1. the volunteer who signed ------------------------------------------------------------

def test_the_team_volunteer_who_signs_lands_on_their_home_not_on_not_found(world, svc):
    w = world
    b = _batch(w, svc, team=svc.team)
    v = _client(svc.vol_user)
    url = f"/services/batches/{b.id}/"
    assert v.get(url).status_code == 200  # the team on duty checks the lines
    assert v.post(url, {"do": "rest", "confirm": "1"}).status_code == 302
    r = v.post(url, {"do": "sign", "supplier_name": "李师傅", "confirm": "1"}, follow=True)
    page = _text(r)
    assert r.status_code == 200 and r.redirect_chain[-1][0] == "/volunteers/"
    assert "未找到" not in page and "此页面不存在" not in page
    assert "已签收。社区工作人员接下来按楼分配配送" in page
    b.refresh_from_db()
    assert b.state == "signed" and b.checked_by == svc.vol_user
    # the batch opened again (the back button, an old tab): told, not "not found"
    r = v.get(url, follow=True)
    assert r.redirect_chain[-1][0] == "/volunteers/" and "未找到" not in _text(r)
    assert "这个交接批次已签收" in _text(r)
    # staff still land on the batch, where splitting it is theirs
    s = _client(w.users.staff)
    b2 = _batch(w, svc, team=svc.team, hh=[w.hh102])
    s.post(f"/services/batches/{b2.id}/", {"do": "rest", "confirm": "1"})
    r = s.post(f"/services/batches/{b2.id}/", {"do": "sign", "supplier_name": "李师傅", "confirm": "1"},
               follow=True)
    assert r.redirect_chain[-1][0] == f"/services/batches/{b2.id}/" and "已签收。可以按楼分配配送了。" in _text(r)
    # once split, the run is on the volunteer's home
    s.post(url, {"do": "split", "confirm": "1"})
    assert "1号楼" in _text(v.get("/volunteers/"))
    # someone of another team, or nobody's, still gets the plain 404
    assert _client(w.users.volunteer).get(url).status_code == 404


# --- 2. who has a request ----------------------------------------------------------------------

def test_a_request_says_who_has_it_and_giving_it_to_a_team_hands_it_over(world, svc):
    w = world
    w.users.staff.display_name = "赵静"
    w.users.staff.save()
    req = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"),
                                 "单元门门锁坏了")
    s = _client(w.users.staff)
    url = f"/services/requests/{req.id}/"
    api = f"/api/v1/services/requests/{req.id}"
    assert "尚无人接单" in _text(s.get(url))
    r = s.post(url, {"step": "take"}, follow=True)
    assert "已接单：由您处理" in _text(r) and "赵静 已接单" in _text(r)
    queue = _text(s.get(f"/services/p/{w.community.id}/requests/"))
    assert "赵静 已接单" in queue.split('id="queue"')[1]
    # given to the team: said, handed over (nobody of the team has taken it yet), audited
    r = s.post(url, {"step": "assign", "team": svc.team.id}, follow=True)
    page = _text(r)
    assert "已交给封控五组" in page and "已交给 封控五组，尚未接单" in page
    req.refresh_from_db()
    assert (req.state, req.assignee_id, req.team_id, req.taken_at) == ("new", None, svc.team.id, None)
    event = AuditEvent.objects.filter(action="services.request.assign").latest("id")
    assert event.changes["team"] == svc.team.id and event.changes["was"]["assignee"] == w.users.staff.id
    assert Notification.objects.filter(user=svc.vol_user, kind="services.request",
                                       url=url).count() == 1  # its volunteer is told, as before
    got = s.get(api).json()
    assert (got["state"], got["assignee"], got["team"], got["team_name"]) == ("new", None, svc.team.id, "封控五组")
    assert "已交给 封控五组，尚未接单" in _text(s.get(f"/services/p/{w.community.id}/requests/"))
    # its volunteer takes it: theirs, with the team
    v = _client(svc.vol_user)
    v.post(url, {"step": "take"})
    got = v.get(api).json()
    assert (got["state"], got["assignee"], got["assignee_name"]) == ("taken", svc.vol_user.id,
                                                                     svc.vol_user.display_name or "志愿者7")
    assert "封控五组" in _text(s.get(url)).split('id="holder"')[1].split("</dd>")[0]
    # the household reads who has it on its request page too
    assert "已接单" in _text(_client(w.users.resident).get(url)).split('id="holder"')[1].split("</dd>")[0]


def test_the_api_gives_a_request_to_someone_who_works_there_only(world, svc):
    w = world
    req = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"), "漏水")
    s = _client(w.users.staff)
    api = f"/api/v1/services/requests/{req.id}/assign"
    r = s.post(api, {}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"]["team"] == ["请选择队伍或人员。"]
    r = s.post(api, {"assignee": w.users.other_staff.id}, content_type="application/json")
    assert r.status_code == 400 and "assignee" in r.json()["error"]["fields"]
    req.refresh_from_db()
    assert req.assignee_id is None
    r = s.post(api, {"assignee": w.users.grid.id}, content_type="application/json")
    assert r.status_code == 200 and r.json()["assignee"] == w.users.grid.id and r.json()["state"] == "new"


# --- 3. the API reads one request back ---------------------------------------------------------

def test_the_api_reads_a_request_back_and_names_the_steps(world, svc):
    w = world
    res = _client(w.users.resident)
    r = res.post("/api/v1/services/requests", {"household": w.hh101.id, "category": "medicine", "text": "降压药"},
                 content_type="application/json")
    assert r.status_code == 201
    made = r.json()
    got = res.get(f"/api/v1/services/requests/{made['id']}")
    assert got.status_code == 200 and got.json() == made
    # another community's request reads exactly as a missing one
    other = requests.raise_request(actor_for(w.users.other_staff), w.other_hh, Category.objects.get(code="repair"),
                                   "门锁坏了")
    s = _client(w.users.staff)
    hidden = s.get(f"/api/v1/services/requests/{other.id}")
    missing = s.get("/api/v1/services/requests/987654321")
    assert hidden.status_code == missing.status_code == 404 and hidden.content == missing.content
    # an unknown step: refused in the one error shape, naming the steps, nothing changed
    r = s.post(f"/api/v1/services/requests/{made['id']}/grab", {}, content_type="application/json")
    assert r.status_code == 422
    said = r.json()["error"]["fields"]["step"][0]
    assert all(step in said for step in ("take", "done", "confirm", "cancel", "assign"))
    assert Request.objects.get(pk=made["id"]).state == "new"
    # the schema documents both: the steps as an enum, the category as a code of /services/categories
    schema = s.get("/api/v1/openapi.json").json()
    op = schema["paths"]["/api/v1/services/requests/{pk}/{step}"]["post"]
    step = next(p for p in op["parameters"] if p["name"] == "step")
    enum = step["schema"].get("enum") or schema["components"]["schemas"][
        step["schema"]["$ref"].rsplit("/", 1)[1]]["enum"]
    assert set(enum) == {"take", "done", "confirm", "reopen", "cancel", "assign", "triage", "redeliver"}
    category = schema["components"]["schemas"]["RequestIn"]["properties"]["category"]
    assert "/api/v1/services/categories" in category["description"] and "urgent_medical" in category["description"]


# --- 4. splitting tells the runs' carriers -------------------------------------------------------

def test_splitting_tells_each_run_to_its_teams_volunteers_once_not_those_kept_home(world, svc):
    from fangkong.core.actor import Actor
    from fangkong.screening.actions import station
    from fangkong.volunteers.actions import registration as va
    from fangkong.volunteers.actions import teams
    from tests.conftest import IDS

    w = world
    staff = actor_for(w.users.staff)
    mate = volunteer(w, 8, svc.team)
    home = va.approve(staff, va.add_volunteer(staff, w.community, {
        "name": "王新勇", "phone": "13903510999", "id_number": IDS["wang_xinyong"],
        "household": w.hh201.id, "consent": "1"}))
    teams.add_member(staff, svc.team, home)
    station.set_health_code(Actor.system(), w.wang, "red")  # 王新勇 is kept home
    reader = volunteer(w, 9, svc.team).user
    reader.language = "en"  # reads English: told in English
    reader.save()
    far = households(w, 3, buildings=1)  # 2号楼: three more doors
    b = _batch(w, svc, team=svc.team, hh=[w.hh101, w.hh102, *far])
    s = _client(w.users.staff)
    url = f"/services/batches/{b.id}/"
    s.post(url, {"do": "rest", "confirm": "1"})
    s.post(url, {"do": "sign", "supplier_name": "李师傅", "confirm": "1"})
    asked = _text(s.post(url, {"do": "split"}))
    assert "分成 2 条配送路线（每栋楼一条），共 5 户。" in asked and "封控五组" in asked
    s.post(url, {"do": "split", "confirm": "1"})
    s.post(url, {"do": "split", "confirm": "1"})  # a retry
    b.refresh_from_db()
    handoff.split(staff, b)  # and the action again

    def told(user):
        return sorted(Notification.objects.filter(user=user, kind="services.run").values_list("title", "url"))

    runs = {r.place.name: r for r in b.runs.all()}
    want = sorted([("配送任务：1号楼，2 户", f"/services/runs/{runs['1号楼'].id}/"),
                   ("配送任务：2号楼，3 户", f"/services/runs/{runs['2号楼'].id}/")])
    assert told(svc.vol_user) == want and told(mate.user) == want
    assert told(home.user) == []  # kept home: not told, cannot see the run
    assert [t for t, _u in told(reader)] == ["Delivery run: 1号楼, 2 doors", "Delivery run: 2号楼, 3 doors"]
    assert told(w.users.staff) == []
    # the message opens the run
    assert _client(mate.user).get(want[0][1]).status_code == 200


def test_english_says_one_request_and_one_run(world, svc):
    w = world
    req = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"), "漏水")
    requests.assign(actor_for(w.users.staff), req, team=svc.team)
    v = _client(svc.vol_user)
    v.cookies["django_language"] = "en"
    home = _text(v.get("/volunteers/"))
    assert "1 request given to you" in home and "1 requests" not in home
    b = _batch(w, svc, team=svc.team, hh=[w.hh101])
    s = _client(w.users.staff)
    s.cookies["django_language"] = "en"
    url = f"/services/batches/{b.id}/"
    s.post(url, {"do": "rest", "confirm": "1"})
    s.post(url, {"do": "sign", "supplier_name": "Li", "confirm": "1"})
    asked = _text(s.post(url, {"do": "split"}))
    assert "1 run (one per building), 1 door in total." in asked
    assert "except those who must stay home (sealed in, or a health code that is not green)" in asked

