"""Requests escalate when overdue and come first; pets are fed while their owners are away
and no longer when they are back; the morning's check-ins; a confirmed case creates the
building's terminal disinfection once."""

import datetime

import pytest
from django.utils import timezone

from fangkong.core.errors import Invalid
from fangkong.registry import actions as reg
from fangkong.services import queries
from fangkong.services.actions import care, requests
from fangkong.services.actions import disinfection as dis
from fangkong.services.models import Category, CheckIn, Disinfection, Feeding, Request
from fangkong.services.tasks import recover_services
from fangkong.zones.actions.escalate import record_case
from tests.conftest import actor_for


class Live:
    def __init__(self, now):
        self.now = now


def test_an_urgent_medicine_request_escalates_when_overdue_and_comes_first(world, svc):
    w = world
    resident = actor_for(w.users.resident)
    grid = actor_for(w.users.grid)
    medicine = Category.objects.get(code="medicine")
    urgent = Category.objects.get(code="urgent_medical")
    t0 = timezone.now() - datetime.timedelta(hours=1)
    rubbish = requests.raise_request(grid, w.hh201, Category.objects.get(code="rubbish"), "垃圾未收", now=t0)
    pills = requests.raise_request(resident, w.hh101, medicine, "降压药吃完了，需要硝苯地平", now=t0)
    fresh = requests.raise_request(grid, w.hh102, urgent, "胸口疼")
    assert pills.priority == 2 and pills.vulnerable == 8  # 苏霞 is tagged: living alone (5), limited mobility (3)
    # a retry of the same request raises nothing new
    cid = "6f1c1e38-1d9e-4b7e-9a53-2c1c6e0b7a11"
    a = requests.raise_request(resident, w.hh101, medicine, "再要一盒", client_id=cid)
    assert requests.raise_request(resident, w.hh101, medicine, "再要一盒", client_id=cid) == a

    # 3 hours on, only 胸口疼 (30 min) is overdue; past 4 hours the medicine request too
    assert requests.escalate_overdue(t0 + datetime.timedelta(hours=3)) == 1
    now = t0 + datetime.timedelta(hours=4, minutes=1)
    out = recover_services(Live(now))  # the worker's periodic pass
    assert out["services_escalated"] == 1
    pills.refresh_from_db()
    assert pills.overdue and pills.escalated_at == now
    rubbish.refresh_from_db()
    assert not rubbish.overdue  # 12 h
    staff = actor_for(w.users.staff).scope
    order = [r.id for r in queries.request_queue(staff, place=w.community)]
    assert order[:3] == [fresh.id, pills.id, a.id] and order[-1] == rubbish.id
    # taken by a volunteer of the team, done, confirmed by the household
    req = requests.assign(actor_for(w.users.staff), pills, team=svc.team)
    vol = actor_for(svc.vol_user)
    assert queries.get_request(vol.scope, pills.id) == pills
    requests.take(vol, req)
    requests.done(vol, req, "已送药上门")
    assert requests.confirm(resident, req).state == Request.State.CONFIRMED


def test_pets_are_fed_while_the_owners_are_away_and_not_when_they_are_back(world, svc):
    w = world
    cat = care.add_pet(actor_for(w.users.resident), w.hh101, {"name": "咪咪", "species": "猫",
                                                              "care": "每天一次猫粮，换水"})
    today = timezone.localdate()
    assert care.feed_today(today)["feedings"] == 0  # both owners at home
    system = actor_for(w.users.staff)
    reg.update_resident(system, w.su, {"presence": "quarantine"})
    assert care.feed_today(today)["feedings"] == 0  # 于海涛 is still at home
    reg.update_resident(system, w.yu, {"presence": "hospital"})
    care.feed_today(today)
    care.feed_today(today)  # twice: one task
    f = Feeding.objects.get(pet=cat, day=today)
    care.feed(system, f, "已喂")
    assert Feeding.objects.get(pk=f.pk).done_at is not None
    tomorrow = today + datetime.timedelta(days=1)
    care.feed_today(tomorrow)
    reg.update_resident(system, w.su, {"presence": "home"})
    assert care.feed_today(tomorrow)["feedings_stopped"] == 1
    assert Feeding.objects.get(pet=cat, day=tomorrow).stopped
    assert care.feed_today(tomorrow + datetime.timedelta(days=1))["feedings"] == 0


def test_morning_check_ins_for_the_elderly_living_alone(world, svc):
    w = world
    n = care.check_ins_today()
    assert n == 1  # 苏霞 (独居老人); 夏明 is bedridden but not in a sealed area
    c = CheckIn.objects.get()
    assert c.resident_id == w.su.id
    with pytest.raises(Invalid) as e:  # "needs" with nothing written: says whose and what
        care.record_check_in(actor_for(w.users.grid), c, "needs", " ")
    assert e.value.fields["note"] == ["请写明苏霞需要什么：这会成为给这户的诉求。"]
    care.record_check_in(actor_for(w.users.grid), c, "needs", "需要买菜", category="other")
    c.refresh_from_db()
    assert c.result == "needs" and c.request.household_id == w.hh101.id
    care.record_check_in(actor_for(w.users.grid), c, "fine")  # a request raised: it stays
    c.refresh_from_db()
    assert c.result == "needs"


def test_a_building_sealed_after_the_morning_list_has_its_vulnerable_called_the_same_day(world, svc):
    """Found on the vulnerable walk: 1号楼 sealed at 05:57, after the day's list was made; its
    disabled and chronically ill residents got no morning call all day, because the worker
    made the list once a day. Each pass from 06:00 adds whoever became watched over since,
    and nobody twice."""
    from tests.conftest import seal_now

    w = world
    local = timezone.localtime()
    seven = local.replace(hour=7, minute=0, second=0, microsecond=0)
    day = seven.date()
    early = recover_services(Live(seven.replace(hour=5)))  # before 06:00: no list yet
    assert "services_check_ins" not in early and not CheckIn.objects.exists()
    assert recover_services(Live(seven))["services_check_ins"] == 1  # 苏霞 (独居老人)
    grid = actor_for(w.users.grid)
    care.record_check_in(grid, CheckIn.objects.get(resident=w.su), "fine")
    assert recover_services(Live(seven + datetime.timedelta(minutes=5)))["services_check_ins"] == 0

    seal_now(world)  # 夏明 (卧床) is now sealed in: watched over from this moment
    later = recover_services(Live(seven + datetime.timedelta(hours=2)))
    assert later["services_check_ins"] == 1
    assert set(CheckIn.objects.filter(day=day).values_list("resident_id", "result")) == {
        (w.su.id, "fine"), (w.xia.id, "open")}  # 苏霞's call kept, 夏明 to call
    assert recover_services(Live(seven + datetime.timedelta(hours=2, minutes=5)))["services_check_ins"] == 0
    assert CheckIn.objects.filter(day=day).count() == 2
    # the page lists him among those to call
    from django.test import Client

    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/services/p/{w.community.id}/").content.decode()
    assert "夏明" in page and "应问 2，已问 1，未问 1，无人应答 0" in page


def test_a_confirmed_case_creates_terminal_disinfection_once(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    case, _proposal = record_case(staff, w.xia, source_ref="卫健委-001")
    d = Disinfection.objects.get(case=case)
    assert d.kind == "terminal" and d.place_id == w.building.id
    record_case(staff, w.xia, source_ref="卫健委-001")  # the same report again
    assert Disinfection.objects.filter(case=case).count() == 1
    assert list(queries.overdue_disinfections(staff.scope)) == []
    dis.sign_off(staff, d, area="1号楼全部楼道、电梯", agent="含氯消毒剂 1000mg/L")
    d.refresh_from_db()
    assert d.done_at and d.agent.startswith("含氯")


def test_staff_record_check_ins_sign_off_disinfection_and_resolve_exceptions_on_the_place_page(world, svc):
    from django.test import Client

    from fangkong.services.actions import handoff, orders
    from fangkong.services.models import Problem

    w = world
    staff = actor_for(w.users.staff)
    care.check_ins_today()
    d = dis.schedule(staff, w.building, due_at=timezone.now() - datetime.timedelta(hours=1), allow_past=True)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now())
    handoff.check_line(staff, batch.lines.get(), "damaged")
    c = Client()
    c.force_login(w.users.staff)
    url = f"/services/p/{w.community.id}/"
    page = c.get(url).content.decode()
    assert "苏霞" in page and "已超时" in page and "破损" in page
    # whom to call and where: the door and the phone (found walking the demo: a name only)
    row = page.split('id="check-ins-open"', 1)[1].split("苏霞", 1)[1].split("</li>")[0]
    assert "光明小区 1号楼 1单元 101" in row and "17446416120" in row
    check_in = CheckIn.objects.get()
    r = c.post(url, {"do": "check_in", "check_in": check_in.id, "result": "fine"})
    # back at the list of calls, saying what was recorded (not the top of a long page)
    assert r.status_code == 302 and r.url == f"{url}?last={check_in.id}#check-in-count"
    assert "已记录：苏霞，一切正常。" in c.get(r.url).content.decode()
    assert CheckIn.objects.get().result == "fine"
    # a wrong tap ("fine" for nobody answering) is put right on the page, audited
    row = c.get(url).content.decode().split('id="check-ins-done"', 1)[1].split("苏霞", 1)[1].split("</li>")[0]
    assert "修改" in row and 'value="no_answer"' in row
    r = c.post(url, {"do": "check_in", "check_in": check_in.id, "result": "no_answer"}, follow=True)
    assert CheckIn.objects.get().result == "no_answer"
    due = timezone.localtime(CheckIn.objects.get().request.due_at).strftime("%H:%M")
    assert f"已为苏霞建了诉求（老人探视）：请在 {due} 前处理" in r.content.decode()  # the tap says what it made
    # the calls made fold away under the ones still to make (found walking the demo: 50 rows
    # sorted by result, and each call made pushed one still to make off the page)
    page = r.content.decode()
    assert "应问 1，已问 1，未问 0，无人应答 1" in page and "今天的问询都已完成" in page
    assert "苏霞" in page.split('id="check-ins-done"')[1]
    from fangkong.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="services.check_in").order_by("id").last().changes == {
        "result": ["fine", "no_answer"]}
    asked = c.post(url, {"do": "disinfected", "disinfection": d.id, "area": "1号楼楼道", "agent": "84消毒液"})
    assert asked.status_code == 200 and "确认这次消杀已完成" in asked.content.decode()
    assert Disinfection.objects.get(pk=d.pk).done_at is None
    c.post(url, {"do": "disinfected", "disinfection": d.id, "area": "1号楼楼道", "agent": "84消毒液", "confirm": "1"})
    assert Disinfection.objects.get(pk=d.pk).agent == "84消毒液"
    p = Problem.objects.get()
    asked = c.post(url, {"do": "resolve", "problem": p.id, "resolution": "超市明天补一份"})
    assert asked.status_code == 200 and Problem.objects.get().resolved_at is None  # asked first
    c.post(url, {"do": "resolve", "problem": p.id, "resolution": "超市明天补一份", "confirm": "1"})
    assert Problem.objects.get().resolution == "超市明天补一份"
    # another community's staff: the page and its forms are missing
    other = Client()
    other.force_login(w.users.other_staff)
    assert other.post(url, {"do": "resolve", "problem": p.id, "resolution": "x"}).status_code == 404


def test_staff_give_a_request_to_a_team_and_its_volunteer_takes_it_on_the_page(world, svc):
    from django.test import Client

    w = world
    req = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"),
                                 "单元门门锁坏了")
    c = Client()
    c.force_login(w.users.staff)
    assert c.post(f"/services/requests/{req.id}/", {"step": "assign", "team": svc.team.id}).status_code == 302
    v = Client()
    v.force_login(svc.vol_user)
    page = v.get(f"/services/requests/{req.id}/").content.decode()
    assert "03514001234" in page and "我来接单" in page  # assigned: the phone is shown
    v.post(f"/services/requests/{req.id}/", {"step": "take"})
    v.post(f"/services/requests/{req.id}/", {"step": "done", "result": "已换锁"})
    r = Client()
    r.force_login(w.users.resident)
    r.post(f"/services/requests/{req.id}/", {"step": "confirm", "confirm": "1"})
    req.refresh_from_db()
    assert req.state == "confirmed" and req.result == "已换锁"


def test_a_request_tells_who_answers_it_and_an_overdue_one_tells_staff(world, svc):
    """Found walking the demo: a resident's 紧急就医 request reached nobody's inbox, nor did
    it when it went overdue. Now: the grid worker at once (staff too for an urgent category),
    with the address and "call 120" for urgent medical care; the assignee or team when given
    it; staff when it is overdue. Once each, never the person who did it."""
    from fangkong.notify.models import Notification

    w = world
    resident = actor_for(w.users.resident)

    def told(user, step=""):
        return list(Notification.objects.filter(user=user, kind="services.request", key__endswith=step)
                    .values_list("title", "body", "url"))

    urgent = requests.raise_request(resident, w.hh101, Category.objects.get(code="urgent_medical"),
                                    "老伴胸口疼，喘不上气")
    [(title, body, url)] = told(w.users.grid)
    assert title.startswith("新诉求，紧急就医：") and "1单元 101" in title
    assert body.startswith("紧急：请立即致电住户") and "120" in body and "老伴胸口疼" in body and url == f"/services/requests/{urgent.id}/"
    assert len(told(w.users.staff)) == 1 and told(w.users.other_staff) == []
    from django.test import Client

    grid = Client()
    grid.force_login(w.users.grid)  # the page the message opens: urgent, with 120 at hand
    alarm = grid.get(url).content.decode()
    assert "紧急：请立即致电住户" in alarm and 'href="tel:120"' in alarm
    assert told(w.users.resident) == []
    # a repair: the grid worker only; raised by the grid worker: nobody told twice, not themself
    requests.raise_request(resident, w.hh101, Category.objects.get(code="repair"), "马桶堵了")
    assert len(told(w.users.grid)) == 2 and len(told(w.users.staff)) == 1
    requests.raise_request(actor_for(w.users.grid), w.hh102, Category.objects.get(code="repair"), "门锁坏了")
    assert len(told(w.users.grid)) == 2
    # given to the team: its volunteer is told; overdue: staff are told, once however often it runs
    requests.assign(actor_for(w.users.staff), urgent, team=svc.team)
    assert [t for t, _b, _u in told(svc.vol_user)] == [title.replace("新诉求", "分派给您的诉求")]
    later = timezone.now() + datetime.timedelta(hours=1)
    assert requests.escalate_overdue(later) == 1
    assert requests.escalate_overdue(later) == 0
    overdue = told(w.users.staff, ".overdue")
    assert len(overdue) == 1 and overdue[0][0].startswith("已超时，已派给封控五组但尚未接单")  # given, not taken
    # done: the household is told what was done and asked to confirm (found walking the demo:
    # its inbox stayed empty and it never learned a confirmation was waiting)
    requests.done(actor_for(svc.vol_user), urgent, "已陪同就医")
    [(title, body, url)] = told(w.users.resident, ".done")
    assert title.startswith("已处理，请确认。紧急就医") and body == "已陪同就医"
    assert url == f"/services/requests/{urgent.id}/"
    # on the page: the family confirms; a grid worker may only confirm for it, and says so
    from django.test import Client

    grid = Client()
    grid.force_login(w.users.grid)
    page = grid.get(url).content.decode()
    assert "代住户确认已解决" in page and "紧急：请立即致电住户" not in page  # done: no alarm
    family = Client()
    family.force_login(w.users.resident)
    assert "代住户确认" not in family.get(url).content.decode()


def test_no_answer_to_an_elderly_persons_morning_call_sends_someone_to_the_door(world, svc):
    """Found walking the demo: 无人应答 for a 77-year-old living alone raised nothing. It is
    now a request due within the hour, which tells the grid worker; corrected to "fine" by a
    wrong tap, the visit is called off."""
    from fangkong.notify.models import Notification

    w = world
    care.check_ins_today()
    c = CheckIn.objects.get()
    staff = actor_for(w.users.staff)
    before = timezone.now()
    care.record_check_in(staff, c, "no_answer")
    c.refresh_from_db()
    req = c.request
    assert c.result == "no_answer" and req.household_id == w.hh101.id and req.state == "new"
    assert "苏霞" in req.text and before + datetime.timedelta(minutes=59) < req.due_at
    assert req.due_at <= timezone.now() + datetime.timedelta(minutes=60)
    assert Notification.objects.filter(user=w.users.grid, kind="services.request").count() == 1
    care.record_check_in(staff, c, "fine")  # a wrong tap: she answered after all
    c.refresh_from_db()
    req.refresh_from_db()
    assert c.result == "fine" and c.request is None and req.state == "cancelled"


def test_an_overdue_request_someone_took_is_not_called_unanswered(world, svc):
    """The overdue message says who has it: a request a volunteer took before its answer-by
    time and has not done yet reads 'taken by … at HH:MM but not done yet', never 'nobody has
    answered yet' (staff were told nobody was handling medicine a volunteer was carrying)."""
    from fangkong.notify.models import Notification

    w = world
    medicine = Category.objects.get(code="medicine")
    t0 = timezone.now() - datetime.timedelta(hours=5)
    taken = requests.raise_request(actor_for(w.users.resident), w.hh101, medicine, "降压药", now=t0)
    untouched = requests.raise_request(actor_for(w.users.grid), w.hh201, medicine, "胰岛素", now=t0)
    requests.assign(actor_for(w.users.staff), taken, team=svc.team)
    requests.take(actor_for(svc.vol_user), taken)
    assert requests.escalate_overdue() == 2
    staff_titles = {n.title for n in Notification.objects.filter(user=w.users.staff)}
    taken_title = next(t for t in staff_titles if "已接单但尚未办完" in t)
    assert svc.vol_user.display_name in taken_title
    assert any("尚无人处理" in t for t in staff_titles)
    assert not any("尚无人处理" in t and "降压药" in t for t in staff_titles)
    assert sum("尚无人处理" in t for t in staff_titles) == 1  # the untouched one only
    assert untouched.id != taken.id
