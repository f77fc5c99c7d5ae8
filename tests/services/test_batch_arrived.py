"""已到达卡口 (walk "zone", defect 9): at 15:30 the supplier's batch page offered only the
manifest and, once every line was checked, the signature; the gate team read "待到货" until
it began checking, and no arrival time was kept. Now the supplier (or the gate) says the
goods are at the checkpoint — asked first, page and API, audited —, the team on duty is told
once, and both sides' pages, the team's home, the family's order and the API say it."""

import uuid

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.services.actions import catalogue, handoff, orders
from fangkong.services.models import Batch
from tests.conftest import actor_for, make_user

pytestmark = pytest.mark.django_db


def _batch(w, svc):
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    return handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now() + timezone.timedelta(minutes=5),
                                team=svc.team)


def test_the_supplier_says_the_goods_arrived_and_the_gate_team_is_told_once(login, world, svc):
    w = world
    b = _batch(w, svc)
    sup = login(w.users.supplier)
    home = sup.get("/supplier/").content.decode()
    assert f'href="/services/batches/{b.id}/#arrival"' in home
    page = sup.get(f"/services/batches/{b.id}/").content.decode()
    assert 'id="arrival"' in page and "已到达卡口" in page
    ask = sup.post(f"/services/batches/{b.id}/", {"do": "arrived"}).content.decode()
    assert "物资已到达东门？" in ask and "通知封控五组的 1 名队员前来核对" in ask
    assert Batch.objects.get(pk=b.pk).arrived_at is None  # only asked
    assert sup.post(f"/services/batches/{b.id}/", {"do": "arrived", "confirm": "1"}).status_code == 302
    assert sup.post(f"/services/batches/{b.id}/", {"do": "arrived", "confirm": "1"}).status_code == 302  # again
    b.refresh_from_db()
    assert b.arrived_at is not None and b.arrived_by_id == w.users.supplier.id and b.state == Batch.State.EXPECTED
    assert AuditEvent.objects.filter(action="services.batch.arrived").count() == 1
    (note,) = Notification.objects.filter(user=svc.vol_user, kind="services.handoff", title__contains="已到达")
    assert note.title == "美特好超市 已到达东门：请前来核对物资" and note.url == f"/services/batches/{b.id}/"
    at = timezone.localtime(b.arrived_at).strftime("%H:%M")
    after = sup.get(f"/services/batches/{b.id}/").content.decode()
    assert 'id="arrived"' not in after and f"{at} 到达卡口" in after

    vol = login(svc.vol_user)
    mine = vol.get("/volunteers/").content.decode()
    assert f"{at} 已到达卡口" in mine and "待到货" not in mine[mine.index('id="my-services"'):]
    assert f"{at} 已到达卡口" in vol.get(f"/services/batches/{b.id}/").content.decode()
    family = login(w.users.resident).get(f"/services/households/{w.hh101.id}/").content.decode()
    assert "已到达卡口，等待核对" in family
    api = login(w.users.staff).get(f"/api/v1/services/batches/{b.id}").json()
    assert api["arrived_at"] and api["state"] == "expected" and api["state_text"].endswith(f"{at} 已到达卡口")


def test_the_api_and_who_may_say_it(login, world, svc):
    w = world
    b = _batch(w, svc)
    other = catalogue.create_supplier(actor_for(w.users.other_staff), w.other, {"name": "老百姓大药房"},
                                      users=[make_user(Actor.system(), "supplier_b", Role.SUPPLIER, w.other)])
    stranger = other.users.get()
    url = f"/api/v1/services/batches/{b.id}/arrived"
    assert login(stranger).post(url).status_code == 404
    assert login(w.users.resident).post(url).status_code == 404
    assert login(w.users.other_staff).post(url).status_code == 404
    assert login(w.users.street).post(url).status_code == 403
    assert login(stranger).post(f"/services/batches/{b.id}/", {"do": "arrived", "confirm": "1"}).status_code == 404
    assert Batch.objects.get(pk=b.pk).arrived_at is None
    done = login(svc.vol_user).post(url)  # the team on duty may say it too
    assert done.status_code == 200 and done.json()["arrived_at"]
    b2 = _batch(w, svc)
    handoff.receive_rest(actor_for(w.users.staff), b2)  # checking has begun
    assert login(w.users.supplier).post(f"/api/v1/services/batches/{b2.id}/arrived").status_code == 409
