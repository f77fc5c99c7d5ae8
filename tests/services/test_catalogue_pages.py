"""The catalogue page (a supplier's own login and the community's staff) and the request
categories page (read by whoever sees services, set by the district's command): every
change through the API's actions, audited, with clear Chinese errors; a second supplier,
another community's staff and the wrong roles see 404 (or 403 where they may read but not
change)."""

from decimal import Decimal

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.services.actions import catalogue, orders
from fangkong.services.models import Category, Item
from tests.conftest import actor_for, make_user
from tests.conftest import client_of as _client


def _messages(r) -> str:
    return " ".join(str(m) for m in r.context["messages"]) if r.context else ""


def test_the_supplier_keeps_its_catalogue_on_its_phone(world, svc):
    w = world
    c = _client(w.users.supplier)
    home = c.get("/supplier/").content.decode()
    url = f"/services/suppliers/{svc.supplier.id}/catalogue/"
    assert url in home and "商品目录和价格" in home
    page = c.get(url).content.decode()
    for name in ("蔬菜包", "大米 5kg", "鸡蛋 30枚", "硝苯地平缓释片"):
        assert name in page
    assert "39.90" in page and "套餐" in page and "买药" in page and "下架" in page  # kinds shown

    # change a price and a name: the same action as the API, audited
    r = c.post(f"/services/items/{svc.eggs.id}/", {"do": "save", "name": "鸡蛋 30枚装", "price": "27.80"},
               follow=True)
    assert "已保存：鸡蛋 30枚装，¥27.80" in _messages(r)
    svc.eggs.refresh_from_db()
    assert (svc.eggs.name, svc.eggs.price) == ("鸡蛋 30枚装", Decimal("27.80"))
    ev = AuditEvent.objects.filter(action="services.item.update").latest("id")
    assert ev.changes == {"price": "27.80", "name": "鸡蛋 30枚装"} and ev.actor_id == w.users.supplier.id

    # wrong input: clear Chinese, nothing written
    for data, msg in ((({"price": "abc"}), "请输入金额"), ({"price": "-3"}, "金额不能为负数"),
                      ({"price": "1.234"}, "请输入金额"), ({"name": "蛋" * 81, "price": "1"}, "81")):
        body = {"do": "save", "name": data.get("name", "鸡蛋"), "price": data["price"]}
        got = _messages(c.post(f"/services/items/{svc.eggs.id}/", body, follow=True))
        assert "鸡蛋 30枚装：" in got, got
        if msg == "81":
            assert "最多 80 个字符" in got or "80" in got, got
        else:
            assert msg in got, got
        svc.eggs.refresh_from_db()
        assert (svc.eggs.name, svc.eggs.price) == ("鸡蛋 30枚装", Decimal("27.80"))

    # take it off sale: households can no longer order it, the order placed keeps it
    order = orders.place_order(actor_for(w.users.staff), w.hh101, svc.supplier, [(svc.eggs.id, 1)])
    r = c.post(f"/services/items/{svc.eggs.id}/", {"do": "off"}, follow=True)
    assert "已下架：鸡蛋 30枚装" in _messages(r)
    assert 'id="off-sale"' in r.content.decode()
    svc.eggs.refresh_from_db()
    assert svc.eggs.is_active is False and order.lines.get().name.startswith("鸡蛋")
    api = c.get(f"/api/v1/services/suppliers/{svc.supplier.id}/items").json()
    assert svc.eggs.id not in [i["id"] for i in api]
    assert Item.objects.filter(pk=svc.eggs.id).exists()  # never deleted
    r = c.post(f"/services/items/{svc.eggs.id}/", {"do": "on"}, follow=True)
    assert "已重新上架：鸡蛋 30枚装" in _messages(r)
    svc.eggs.refresh_from_db()
    assert svc.eggs.is_active is True

    # add an item; a bad one is refused with the form kept
    r = c.post(url, {"name": "牛奶 1L", "kind": "item", "unit": "盒", "price": "12.50"}, follow=True)
    assert "已新增：牛奶 1L，¥12.50" in _messages(r)
    milk = Item.objects.get(supplier=svc.supplier, name="牛奶 1L")
    assert (milk.unit, milk.price, milk.kind) == ("盒", Decimal("12.50"), "item")
    r = c.post(url, {"name": "", "kind": "package", "unit": "袋", "price": "-1"})
    assert r.status_code == 200 and "请填写此项" in _messages(r)
    assert 'value="袋"' in r.content.decode()  # what was typed stays
    r = c.post(url, {"name": "面条", "kind": "item", "unit": "袋", "price": "-1"})
    assert "金额不能为负数" in _messages(r)
    assert Item.objects.filter(supplier=svc.supplier).count() == 5


def test_staff_manage_it_and_nobody_else_does(world, svc):
    w = world
    url = f"/services/suppliers/{svc.supplier.id}/catalogue/"
    staff = _client(w.users.staff)
    place = staff.get(f"/services/p/{w.community.id}/").content.decode()
    assert url in place and "/services/categories/" in place
    assert staff.get(url).status_code == 200
    assert staff.post(f"/services/items/{svc.rice.id}/", {"do": "save", "name": "大米 5kg", "price": "30"}
                      ).status_code == 302
    svc.rice.refresh_from_db()
    assert svc.rice.price == Decimal("30.00")

    # a second supplier of the same community: 404 for the first's catalogue and items
    other_user = make_user(Actor.system(), "supplier_b", "supplier", w.community)
    other = catalogue.create_supplier(actor_for(w.users.staff), w.community, {"name": "大药房", "kind": "pharmacy"},
                                      users=[other_user])
    ibu = catalogue.add_item(actor_for(w.users.staff), other, {"name": "布洛芬", "kind": "medicine", "price": "15"})
    b = _client(other_user)
    assert b.get(url).status_code == 404
    assert b.post(url, {"name": "x", "price": "1"}).status_code == 404
    for do in ("save", "off", "on"):
        assert b.post(f"/services/items/{svc.veg.id}/", {"do": do, "name": "x", "price": "1"}).status_code == 404
    assert b.get(f"/services/suppliers/{other.id}/catalogue/").status_code == 200
    a = _client(w.users.supplier)
    assert a.get(f"/services/suppliers/{other.id}/catalogue/").status_code == 404
    assert a.post(f"/services/items/{ibu.id}/", {"do": "off"}).status_code == 404

    # another community's staff, a volunteer, a lab: 404; a leader (reads to order): 403
    for user in (w.users.other_staff, w.users.volunteer, w.users.lab, w.users.nobody):
        cl = _client(user)
        assert cl.get(url).status_code == 404, user
        assert cl.post(f"/services/items/{svc.veg.id}/", {"do": "off"}).status_code == 404, user
    assert _client(w.users.leader).post(f"/services/items/{svc.veg.id}/", {"do": "off"}).status_code == 403
    svc.veg.refresh_from_db()
    assert svc.veg.is_active is True and svc.veg.price == Decimal("39.90")


def test_the_district_command_sets_each_category_priority_and_response_time(world, svc):
    w = world
    c = _client(w.users.district)
    # reached from their home (the district's page: the services card) and the services page
    home = c.get("/", follow=True).content.decode()
    assert 'href="/services/categories/"' in home
    assert "/services/categories/" in c.get(f"/services/p/{w.district.id}/").content.decode()
    page = c.get("/services/categories/").content.decode()
    repair = Category.objects.get(code="repair")
    assert f'id="category-{repair.id}"' in page and repair.label in page
    assert f'id="priority-{repair.id}"' in page and "保存" in page and 'id="who-sets"' not in page
    r = c.post("/services/categories/", {"category": repair.id, "priority": "2", "minutes": "120"}, follow=True)
    assert "已保存" in _messages(r)
    repair.refresh_from_db()
    assert (repair.priority, repair.response_minutes) == (2, 120)
    ev = AuditEvent.objects.filter(action="services.category.edit").latest("id")
    assert ev.changes == {"priority": "2", "response_minutes": "120"} and ev.actor_id == w.users.district.id
    # the API reads the same, and its PATCH is the same rule
    api = {x["code"]: x for x in c.get("/api/v1/services/categories").json()}
    assert api["repair"]["priority"] == 2 and api["repair"]["response_minutes"] == 120
    r = c.patch(f"/api/v1/services/categories/{repair.id}", {"response_minutes": 90},
                content_type="application/json")
    assert r.status_code == 200 and r.json()["response_minutes"] == 90
    repair.refresh_from_db()
    assert repair.response_minutes == 90

    for body, msg in (({"priority": "0", "minutes": "120"}, "1 到 9"),
                      ({"priority": "2", "minutes": "abc"}, "整数"),
                      ({"priority": "2", "minutes": "1"}, "5 到")):
        got = _messages(c.post("/services/categories/", {"category": repair.id, **body}, follow=True))
        assert msg in got, got
        repair.refresh_from_db()
        assert (repair.priority, repair.response_minutes) == (2, 90)
    assert c.post("/services/categories/", {"category": "x", "priority": "1", "minutes": "60"}).status_code == 404


def test_community_staff_read_the_categories_and_cannot_change_them(world, svc):
    """One community's staff would change every community's response times: they (and
    the street's command, grid workers, leaders, a household's login) read the values with
    who sets them; a POST or PATCH is refused (403) before the form is read and writes
    nothing, not even an audit row. Who does not see services at all: 404."""
    w = world
    repair = Category.objects.get(code="repair")
    before = (repair.priority, repair.response_minutes)
    audited = AuditEvent.objects.filter(action="services.category.edit").count()
    staff = _client(w.users.staff)
    assert "/services/categories/" in staff.get(f"/services/p/{w.community.id}/").content.decode()
    page = staff.get("/services/categories/").content.decode()
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert f'id="category-{repair.id}"' in main and repair.label in main
    assert f"优先级 {repair.priority} · {repair.response_minutes} 分钟内响应" in main
    assert "由区指挥部统一设定" in main and 'id="who-sets"' in main
    assert "<form" not in main and 'name="priority"' not in main and "保存" not in main

    for user in (w.users.staff, w.users.other_staff, w.users.grid, w.users.street, w.users.leader,
                 w.users.resident):
        cl = _client(user)
        assert cl.get("/services/categories/").status_code == 200, user
        assert cl.post("/services/categories/", {"category": repair.id, "priority": "1",
                                                 "minutes": "60"}).status_code == 403, user
        r = cl.patch(f"/api/v1/services/categories/{repair.id}", {"priority": 1},
                     content_type="application/json")
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", user
    for user in (w.users.supplier, w.users.volunteer, w.users.lab, w.users.nobody):
        cl = _client(user)
        assert cl.get("/services/categories/").status_code == 404, user
        assert cl.post("/services/categories/", {"category": repair.id, "priority": "1",
                                                 "minutes": "60"}).status_code == 404, user
        assert cl.patch(f"/api/v1/services/categories/{repair.id}", {"priority": 1},
                        content_type="application/json").status_code == 404, user
    repair.refresh_from_db()
    assert (repair.priority, repair.response_minutes) == before
    assert AuditEvent.objects.filter(action="services.category.edit").count() == audited
