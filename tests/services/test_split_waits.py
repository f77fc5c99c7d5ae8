"""Found walking the demo: after the checkpoint hand-off was signed the batch sat there and
nobody knew, while 300 sealed households waited for their food. Now whoever may split it
(the community's staff, the gate's grid workers) is told once, with the batch's link; the
staff's home says "N 批物资待分配" and how long each has waited; the API lists them
(`GET /services/batches?to_split=true`)."""

import datetime
from unittest import mock

from django.test import Client
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.notify.models import Notification
from fangkong.services.actions import handoff, orders
from tests.conftest import actor_for, make_user
from tests.services.conftest import households


def _client(user, lang=None):
    c = Client()
    c.force_login(user)
    if lang:
        c.cookies["django_language"] = lang
    return c


def _text(response) -> str:
    return response.content.decode()


def _batch(w, svc, hh, team=None):
    staff = actor_for(w.users.staff)
    for h in hh:
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    b = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=team)
    handoff.receive_rest(staff, b)
    return b


def _told(user):
    return list(Notification.objects.filter(user=user, kind="services.batch").values_list("title", "body", "url"))


def test_a_batch_signed_at_the_gate_tells_who_may_split_it_once_with_its_link(world, svc, system):
    w = world
    reader = make_user(system, "staff_en", Role.STAFF, w.community)
    reader.language = "en"
    reader.save()
    b = _batch(w, svc, [w.hh101, w.hh102, w.hh201, *households(w, 2, buildings=1)], team=svc.team)
    url = f"/services/batches/{b.id}/"
    # the supplier's own login signs its side: the list is not closed, nobody is told yet
    handoff.sign(actor_for(w.users.supplier), b, supplier_name="王经理")
    assert not Notification.objects.filter(kind="services.batch").exists()
    # the team on duty's volunteer signs at the gate (the usual case: staff are not there)
    v = _client(svc.vol_user)
    v.post(url, {"do": "sign", "confirm": "1"})
    v.post(url, {"do": "sign", "confirm": "1"})  # a retry
    b.refresh_from_db()
    assert b.state == "signed" and b.checked_by == svc.vol_user
    handoff.sign(actor_for(w.users.staff), b)  # and the action again
    want = [("待分配：美特好超市 的物资已在东门签收",
             "5 户在等这批物资。请打开交接批次，按楼分配配送（2 条路线），把物资送到各户门口。", url)]
    assert _told(w.users.staff) == want and _told(w.users.grid) == want  # the gate is in the grid
    assert _told(reader) == [("To split: 美特好超市's goods are signed for at 东门",
                              "5 households wait for them. Open the hand-off and split it into runs by "
                              "building (2), so the goods go to the doors.", url)]
    # not who signed, nor who cannot split it: another community, command, the leader, the team
    for u in (svc.vol_user, w.users.other_staff, w.users.street, w.users.district, w.users.leader,
              w.users.supplier, w.users.volunteer, w.users.resident):
        assert _told(u) == [], u
    # the message opens the batch, where "split" is
    page = _text(_client(w.users.grid).get(url))
    assert 'id="split"' in page


def test_who_signs_at_the_gate_is_not_told_and_a_grid_worker_of_another_grid_neither(world, svc, system):
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind

    w = world
    grid2 = reg.create_place(system, w.community, Kind.GRID, "第二网格")
    elsewhere = make_user(system, "grid_b", Role.GRID, grid2)
    b = _batch(w, svc, [w.hh101])
    handoff.sign(actor_for(w.users.staff), b, supplier_name="李师傅")
    assert _told(w.users.staff) == [] and len(_told(w.users.grid)) == 1
    assert _told(elsewhere) == []  # the gate is not in their grid: they could not open it


def test_the_staff_home_says_how_many_batches_wait_to_be_split_and_for_how_long(world, svc):
    w = world
    b = _batch(w, svc, [w.hh101, w.hh102, w.hh201])
    signed_at = timezone.now() - datetime.timedelta(hours=2, minutes=5)
    with mock.patch("django.utils.timezone.now", return_value=signed_at):
        handoff.sign(actor_for(w.users.staff), b, supplier_name="李师傅")
    waiting = _batch(w, svc, [w.hh101])  # checked, not signed: not waiting to be split
    home = _client(w.users.staff).get("/", follow=True)
    assert home.redirect_chain[-1][0] == f"/places/{w.community.id}/"
    panel = _text(home).split('id="to-split"')[1].split("</section>")[0]
    assert "1 批物资待分配" in panel and "美特好超市 · 东门" in panel and "3 户在等" in panel
    assert "签收后已等 2 小时 5 分钟" in panel and f'href="/services/batches/{b.id}/"' in panel
    assert f"/services/batches/{waiting.id}/" not in panel
    # the grid worker's home (the gate is in their grid) says it too; in English as written
    grid = _text(_client(w.users.grid, "en").get(f"/places/{w.grid.id}/"))
    assert "1 batch of supplies waits to be split" in grid and "signed 2 h 5 min ago" in grid
    # command sees the community but may not split: not a task of theirs
    assert 'id="to-split"' not in _text(_client(w.users.street).get(f"/places/{w.community.id}/"))
    # split: nothing waits any more
    handoff.split(actor_for(w.users.staff), b)
    assert 'id="to-split"' not in _text(_client(w.users.staff).get(f"/places/{w.community.id}/"))


def test_two_batches_waiting_are_counted_and_each_listed(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    first, second = _batch(w, svc, [w.hh101]), _batch(w, svc, [w.hh102, w.hh201])
    handoff.sign(staff, second, supplier_name="李师傅")
    handoff.sign(staff, first, supplier_name="李师傅")
    panel = _text(_client(w.users.staff).get(f"/places/{w.community.id}/")).split('id="to-split"')[1]
    assert "2 批物资待分配" in panel
    # the longest waiting first
    assert panel.index(f"/services/batches/{second.id}/") < panel.index(f"/services/batches/{first.id}/")


def test_how_long_reads_in_minutes_then_hours():
    from fangkong.services.panels import waited

    now = timezone.now()
    assert waited(now - datetime.timedelta(seconds=20), now) == "1 分钟"
    assert waited(now - datetime.timedelta(minutes=59), now) == "59 分钟"
    assert waited(now - datetime.timedelta(hours=13, minutes=2), now) == "13 小时 2 分钟"


def test_the_api_lists_the_batches_waiting_to_be_split(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    signed = _batch(w, svc, [w.hh101, w.hh102])
    handoff.sign(staff, signed, supplier_name="李师傅")
    checking = _batch(w, svc, [w.hh201])
    split = _batch(w, svc, [w.hh102])
    handoff.sign(staff, split, supplier_name="李师傅")
    handoff.split(staff, split)
    s = _client(w.users.staff)
    got = s.get("/api/v1/services/batches?to_split=true")
    assert got.status_code == 200
    assert [(b["id"], b["state"]) for b in got.json()] == [(signed.id, "signed")]
    assert got.json()[0]["checked_at"] is not None  # waiting since
    everything = {b["id"] for b in s.get("/api/v1/services/batches").json()}
    assert everything == {signed.id, checking.id, split.id}
    assert s.get(f"/api/v1/services/batches?to_split=true&place={w.community.id}").json()[0]["id"] == signed.id
    # another community's staff: none of these
    assert _client(w.users.other_staff).get("/api/v1/services/batches?to_split=true").json() == []
    # a filter not declared is refused, not ignored
    r = s.get("/api/v1/services/batches?awaiting=1")
    assert r.status_code == 400 and "awaiting" in r.json()["error"]["fields"]
