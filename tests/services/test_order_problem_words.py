"""An order-problem report said to each reader (walk "family" 7): it was stored as text in the
reporter's language ("物资问题：订单 1（美特好超市（光明店）），美特好超市（光明店）：完全没收到。"),
named the supplier twice when the whole order was meant, quoted an internal order id the
family never sees, and English readers read the Chinese. Now the report keeps the facts it is
said from and `order_words.sentence` says it to each reader — the order by its supplier, goods
and day, the supplier once — on the request page, the lists and the grid worker's panel, the
inbox message and the API. A row reported before keeps its stored text."""

import uuid

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from fangkong.accounts.models import User
from fangkong.notify.models import Notification
from fangkong.services.models import Line, Request
from tests.services.test_order_problem import _delivered

pytestmark = pytest.mark.django_db


def _report(c, o, **more):
    body = {"what": "missing", "client_id": str(uuid.uuid4()), **more}
    r = c.post(f"/api/v1/services/orders/{o.id}/problem", body, content_type="application/json")
    assert r.status_code == 201, r.content
    return Request.objects.get(pk=r.json()["id"])


def _days(o):
    day = timezone.localdate(o.placed_at)
    from django.utils import translation
    with translation.override("zh-hans"):
        zh = date_format(day, "MONTH_DAY_FORMAT")
    with translation.override("en"):
        en = date_format(day, "MONTH_DAY_FORMAT")
    return zh, en


def test_the_whole_order_is_said_by_its_supplier_goods_and_day_in_each_readers_language(login, world, svc):
    w = world
    o, rice, _problem = _delivered(w, svc)
    zh_day, en_day = _days(o)
    goods = [f"{ln.name} × {ln.quantity}" for ln in o.lines.order_by("id")]
    c = login(w.users.resident)
    req = _report(c, o, text="一样都没到")
    zh = f"美特好超市 {zh_day}的订单（{'、'.join(goods)}）：完全没收到。 一样都没到"
    en = f"Order from 美特好超市 of {en_day} ({', '.join(goods)}): not received at all. 一样都没到"
    assert req.message == zh
    assert f"订单 {o.id}" not in req.message and req.message.count("美特好超市") == 1
    # the request page, in each language
    page = c.get(f"/services/requests/{req.id}/").content.decode()
    assert zh in page and f"订单 {o.id}" not in page
    page = c.get(f"/services/requests/{req.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert en in page and "完全没收到" not in page
    # the API, in each language
    assert c.get(f"/api/v1/services/requests/{req.id}").json()["text"] == zh
    assert c.get(f"/api/v1/services/requests/{req.id}", HTTP_ACCEPT_LANGUAGE="en").json()["text"] == en
    # the grid worker's panel and inbox, in English
    User.objects.filter(pk=w.users.grid.pk).update(language="en")
    grid = login(w.users.grid)
    place = grid.get(f"/services/p/{w.grid.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Order from 美特好超市" in place and "完全没收到" not in place and "订单" not in place
    told = Notification.objects.get(user=w.users.grid, key=f"services.request.{req.id}.raised")
    assert told.said("en")[1] == en and told.said("zh-hans")[1] == zh


def test_one_line_is_said_with_the_supplier_once(login, world, svc):
    w = world
    o, rice, _problem = _delivered(w, svc)
    zh_day, en_day = _days(o)
    c = login(w.users.resident)
    req = _report(c, o, what="damaged", line=rice.id)
    assert req.message == f"美特好超市 {zh_day}的订单，大米 5kg × 1：破损。"
    page = c.get(f"/services/requests/{req.id}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Order from 美特好超市 of {en_day}, 大米 5kg × 1: damaged." in page


def test_a_report_kept_before_shows_its_stored_text(login, world, svc):
    w = world
    o, rice, _problem = _delivered(w, svc)
    c = login(w.users.resident)
    req = _report(c, o)
    old = f"订单 {o.id}（美特好超市），美特好超市：完全没收到。"
    Request.objects.filter(pk=req.pk).update(text=old, said={})
    req.refresh_from_db()
    assert req.message == old
    assert c.get(f"/api/v1/services/requests/{req.id}", HTTP_ACCEPT_LANGUAGE="en").json()["text"] == old
    # its "Order" line on the page says the order as the family knows it
    page = c.get(f"/services/requests/{req.id}/").content.decode()
    dd = page[page.index('id="order"'):]
    assert dd[:dd.index("</dd>")].count(f"订单 {o.id}") == 0
    assert Line.objects.filter(order=o).exists()
