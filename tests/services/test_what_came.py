"""What a household sees of an order once the gate has checked it (found in a walk through
the demo: the vegetables of an order were short to nothing, and the resident's page still
said "¥39.90 delivered"). The order of which nothing came stays a problem; an order of
which part came is delivered and shows what it came to, on the household's page and in
the API, by the same definition as the amount owed."""

import uuid
from decimal import Decimal

from django.test import Client
from django.utils import timezone

from fangkong.services import queries
from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Order, Stop
from tests.conftest import PASSWORD, actor_for


def test_an_order_of_which_nothing_came_is_not_shown_delivered(world, svc):
    w = world
    resident = actor_for(w.users.resident)
    hh = w.hh101
    nothing = orders.place_order(resident, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    part = orders.place_order(resident, hh, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 2)],
                              client_id=uuid.uuid4())
    staff = actor_for(w.users.staff)
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    lines = {(ln.order_id, ln.name[:2]): ln for ln in queries.batch_lines(batch)}
    from fangkong.core.errors import Invalid

    for wrong in (5, -1):  # a line of 1: short can only be 0 came, and says so
        try:
            handoff.check_line(vol, lines[(nothing.id, "蔬菜")], "short", received=wrong)
        except Invalid as e:
            assert e.fields["received"] == ["短缺是指实到少于清单上的 1 件：请填实到数量，0 到 0。"]
        else:
            raise AssertionError(wrong)
    handoff.check_line(vol, lines[(nothing.id, "蔬菜")], "short", received=0)
    handoff.check_line(vol, lines[(part.id, "鸡蛋")], "short", received=1)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    stop = Stop.objects.get(run=run, household=hh)
    carrier = Client()
    carrier.force_login(svc.vol_user)
    sheet = carrier.get(f"/services/runs/{run.id}/").content.decode()
    assert "未到货，请告知住户" in sheet and "× 0" not in sheet  # what to tell the door, not "× 0"
    delivery.confirm_stop(vol, stop, delivered=True, client_id=uuid.uuid4())

    nothing.refresh_from_db()
    part.refresh_from_db()
    assert nothing.state == Order.State.PROBLEM
    assert part.state == Order.State.DELIVERED
    owed = queries.owed(actor_for(w.users.staff).scope, batch=batch)
    assert [r["amount"] for r in owed] == [Decimal("65.40")]  # 39.90 + 1 × 25.50

    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    api = {o["id"]: o for o in c.get("/api/v1/services/orders").json()}
    assert (api[nothing.id]["state"], api[nothing.id]["amount_due"]) == ("problem", "0.00")
    assert (api[part.id]["total"], api[part.id]["amount_due"]) == ("90.90", "65.40")
    assert sum(Decimal(o["amount_due"]) for o in api.values()) == owed[0]["amount"]  # one definition
    page = c.get(f"/services/households/{hh.id}/").content.decode()
    assert "实到 ¥0.00" in page and "实到 ¥65.40" in page
    # and why: the short line in words (found walking the demo: "实到 ¥107.90" said nothing of
    # the pack that did not come)
    assert "鸡蛋 30枚：订 2，到 1" in page
    assert "我家的订单" in page  # the family's own page says "our"; staff acting for it do not
    c_staff = Client()
    c_staff.force_login(w.users.staff)
    staff_page = c_staff.get(f"/services/households/{hh.id}/").content.decode()
    assert "本户订单" in staff_page and "我家的订单" not in staff_page
    # the resident finds this page from their household's page and from the menu
    home = c.get(f"/households/{hh.id}/").content.decode()
    assert f'href="/services/households/{hh.id}/"' in home and 'href="/services/"' in home

    # the volunteer opens the run again once it is done: told it is finished (its
    # addresses are closed to them), not "not found"; someone else still gets 404
    vc = Client()
    vc.force_login(svc.vol_user)
    r = vc.get(f"/services/runs/{run.id}/", follow=True)
    assert r.status_code == 200 and "这一趟已配送完成" in r.content.decode()
    other = Client()
    other.force_login(w.users.volunteer)
    assert other.get(f"/services/runs/{run.id}/").status_code == 404

    # staff resolve the vegetables' exception as carried again: the order is delivered
    from fangkong.services.models import Problem

    p = Problem.objects.get(line=lines[(nothing.id, "蔬菜")])
    delivery.resolve_problem(staff, p, resolution="晚上补送", delivered=True)
    nothing.refresh_from_db()
    assert nothing.state == Order.State.DELIVERED


def test_a_refused_order_keeps_what_was_typed_and_names_the_item(world, svc):
    w = world
    hh = w.hh101
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    page = c.post(f"/services/households/{hh.id}/", {
        "do": "order", "supplier": svc.supplier.id, "client_id": str(uuid.uuid4()),
        f"q{svc.rice.id}": "-1", f"q{svc.veg.id}": "2", "medicine": "布洛芬"}).content.decode()
    assert "大米 5kg：数量请填 1 到 999。" in page and page.count("数量请填") == 1
    assert 'value="2"' in page and 'value="布洛芬"' in page and 'value="-1"' in page
    assert not Order.objects.filter(household=hh).exists()
    # a deadline already past is said, under the form it belongs to
    page = c.post(f"/services/households/{hh.id}/", {
        "do": "order", "supplier": svc.supplier.id, "client_id": str(uuid.uuid4()),
        f"q{svc.veg.id}": "1", "deadline": "2020-01-01T08:00"}).content.decode()
    assert "所填的时限已经过了。" in page


def test_a_request_is_not_done_without_saying_what_was_done(world, svc):
    from fangkong.services.actions import requests
    from fangkong.services.models import Category, Request

    w = world
    hh = w.hh101
    req = requests.raise_request(actor_for(w.users.resident), hh, Category.objects.get(code="repair"),
                                 "水管漏水", client_id=uuid.uuid4())
    c = Client()
    assert c.login(username=w.users.staff.username, password=PASSWORD)
    r = c.post(f"/api/v1/services/requests/{req.id}/done", {"result": "  "}, content_type="application/json")
    assert r.status_code == 400 and "请写明做了什么" in r.json()["error"]["fields"]["result"][0]
    page = c.post(f"/services/requests/{req.id}/", {"step": "done", "result": ""}, follow=True).content.decode()
    assert "请写明做了什么" in page
    req.refresh_from_db()
    assert req.state == Request.State.NEW
    r = c.post(f"/api/v1/services/requests/{req.id}/done", {"result": "已换阀门"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "done"


def test_a_resident_cancels_an_order_on_the_page_asked_first(world, svc):
    """Found walking the demo: 999 bags of rice could be ordered and nothing on the page
    could cancel them (only the API)."""
    w = world
    hh = w.hh101
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    url = f"/services/households/{hh.id}/"
    c.post(url, {"do": "order", "supplier": svc.supplier.id, "client_id": str(uuid.uuid4()),
                 f"q{svc.rice.id}": "999"})
    o = Order.objects.get(household=hh)
    page = c.get(url).content.decode()
    assert 'name="do" value="cancel"' in page and "取消订单" in page
    asked = c.post(url, {"do": "cancel", "order": o.id}).content.decode()
    assert "取消这个订单？" in asked and "大米 5kg × 999" in asked
    assert Order.objects.get(pk=o.pk).state == "placed"
    done = c.post(url, {"do": "cancel", "order": o.id, "confirm": "1"}, follow=True).content.decode()
    assert "订单已取消。" in done and Order.objects.get(pk=o.pk).state == "cancelled"
    assert 'name="do" value="cancel"' not in done  # nothing left to cancel
    # not another household's order, whatever the id says
    other = Client()
    other.force_login(w.users.other_staff)
    assert other.post(url, {"do": "cancel", "order": o.id, "confirm": "1"}).status_code == 404


def test_a_household_registers_its_pet_on_its_page(world, svc):
    """Found walking the demo: pets could only be registered through the API, so the
    feeding volunteers never heard of the cat left behind."""
    from fangkong.services.models import Pet

    w = world
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    url = f"/services/households/{w.hh101.id}/"
    bad = c.post(url, {"do": "pet", "name": "", "species": "猫", "care": "每天两次猫粮"}).content.decode()
    assert 'value="猫"' in bad and "每天两次猫粮" in bad and not Pet.objects.exists()  # kept as typed
    done = c.post(url, {"do": "pet", "name": "咪咪", "species": "猫", "care": "每天两次猫粮，钥匙在门卫"},
                  follow=True).content.decode()
    assert "咪咪已登记。" in done and Pet.objects.get().household_id == w.hh101.id
    assert "咪咪" in done.split('id="pets"')[1].split("</ul>")[0]
    staff = Client()
    staff.force_login(w.users.staff)
    assert "咪咪" in staff.get(f"/services/p/{w.community.id}/pets/").content.decode()


def test_typed_medicine_stands_apart_from_the_items(world, svc):
    """"布洛芬" typed and a vegetable box from the list: the order reads as two things, not as one
    drug called "布洛芬 蔬菜"."""
    w = world
    c = Client()
    assert c.login(username=w.users.resident.username, password=PASSWORD)
    page = c.post(f"/services/households/{w.hh101.id}/", {
        "do": "order", "supplier": svc.supplier.id, "client_id": str(uuid.uuid4()),
        f"q{svc.veg.id}": "1", "medicine": "布洛芬"}, follow=True).content.decode()
    row = page[page.index('id="orders"'):]
    assert "<strong>布洛芬</strong><br>" in row and f"{svc.veg.name} × 1" in row, row[:600]
