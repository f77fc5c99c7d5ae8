"""Morning calls still open at the deadline (10:00) go as one list per grid to its grid
workers and the staff, once; the page, the panel, the API and the dashboard say one figure
(晨间探视 应问 M，已问 N，未问 K，无人应答 J); a door delivered to a household nobody can read
the message in tells who ordered and the grid worker (found on the vulnerable walk)."""

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification
from fangkong.registry.models import Resident
from fangkong.services import check_ins
from fangkong.services.actions import care, delivery, handoff, orders
from fangkong.services.figures import PROVIDER
from fangkong.services.models import CheckIn, Stop
from fangkong.services.tasks import recover_services
from tests.conftest import actor_for, seal_now

pytestmark = pytest.mark.django_db


class Live:
    def __init__(self, now):
        self.now = now


def _at(hour, minute=0):
    return timezone.localtime().replace(hour=hour, minute=minute, second=0, microsecond=0)


def test_calls_still_open_at_ten_are_listed_once_per_grid_to_its_worker_and_the_staff(world, svc):
    w = world
    seal_now(world)  # 夏明 (卧床) sealed in: watched over beside 苏霞 (独居老人)
    assert recover_services(Live(_at(7)))["services_check_ins"] == 2
    assert recover_services(Live(_at(9, 59)))["services_check_ins_late"] == 0  # not yet
    care.record_check_in(actor_for(w.users.grid), CheckIn.objects.get(resident=w.su), "fine")

    out = recover_services(Live(_at(10, 1)))
    assert out["services_check_ins_late"] == 1  # 夏明 only: 苏霞 was called
    for user in (w.users.grid, w.users.staff):
        (n,) = Notification.objects.filter(user=user, key__startswith="services.check_ins.late")
        assert n.title == "10:00 仍未问询 1 人", n.title
        assert "夏明 光明小区 1号楼 1单元 102 15083776308" in n.body and "苏霞" not in n.body, n.body
        assert n.url == f"/services/p/{w.grid.id}/#check-in-count"
    assert not Notification.objects.filter(user=w.users.other_staff, key__startswith="services.check_ins.late")
    ev = AuditEvent.objects.get(action="services.check_ins.late")
    assert ev.changes["residents"] == [w.xia.id]
    # the next passes (and a second worker) tell nobody again
    assert recover_services(Live(_at(10, 6)))["services_check_ins_late"] == 0
    assert Notification.objects.filter(key__startswith="services.check_ins.late").count() == 2
    # in English for a reader who reads English
    n = Notification.objects.get(user=w.users.grid, key__startswith="services.check_ins.late")
    assert n.translations["en"]["title"] == "10:00: 1 person still not called"


def test_someone_watched_over_after_the_deadline_is_called_but_on_no_late_list(world, svc):
    w = world
    recover_services(Live(_at(7)))
    seal_now(world)  # 夏明 sealed in at 11:00: his call is on the page, not on a late list
    out = recover_services(Live(_at(11)))
    assert out["services_check_ins"] == 1
    assert out["services_check_ins_late"] == 1  # 苏霞, open since 07:00
    assert CheckIn.objects.get(resident=w.xia).late_told_at is not None
    (n,) = Notification.objects.filter(user=w.users.grid, key__startswith="services.check_ins.late")
    assert "苏霞" in n.body and "夏明" not in n.body


def test_one_figure_on_the_page_the_panel_the_api_and_the_dashboard(world, svc):
    w = world
    seal_now(world)
    care.check_ins_today()
    grid = actor_for(w.users.grid)
    care.record_check_in(grid, CheckIn.objects.get(resident=w.xia), "no_answer")
    words = "晨间探视 应问 2，已问 1，未问 1，无人应答 1"
    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/services/p/{w.community.id}/").content.decode()
    # under the section's heading 晨间探视, the figure without it (not said twice)
    assert "<strong>应问 2，已问 1，未问 1，无人应答 1</strong>" in page and words not in page
    # the calls still to make come first on the page, before the long lists
    assert page.index('id="check-ins"') < page.index('id="batches"')
    panel = c.get(f"/places/{w.community.id}/").content.decode()
    assert words in panel
    api = c.get(f"/api/v1/services/check-ins/figure?place={w.community.id}").json()
    assert (api["due"], api["done"], api["open"], api["no_answer"]) == (2, 1, 1, 1)
    assert api["words"] == words
    figures = PROVIDER.compute([w.community, w.other], timezone.now())
    assert {k: figures[w.community.id][k] for k in check_ins.KEYS} == {
        "check_ins_due": 2, "check_ins_done": 1, "check_ins_open": 1, "check_ins_no_answer": 1}
    assert figures[w.other.id]["check_ins_due"] == 0
    # as of before the call was recorded: nothing called yet
    before = PROVIDER.compute([w.community], CheckIn.objects.get(resident=w.xia).done_at
                              - datetime.timedelta(seconds=1))
    assert before[w.community.id]["check_ins_done"] == 0 and before[w.community.id]["check_ins_open"] == 2


def test_after_the_deadline_open_rows_are_marked_overdue(world, svc, settings):
    w = world
    care.check_ins_today()
    c = Client()
    c.force_login(w.users.grid)
    settings.FANGKONG_CHECK_IN_BY = "23:59"
    if timezone.localtime() < check_ins.deadline():
        page = c.get(f"/services/p/{w.grid.id}/").content.decode()
        assert "check-in-late" not in page and "请在 23:59 前问询完毕" in page
    settings.FANGKONG_CHECK_IN_BY = "00:00"
    page = c.get(f"/services/p/{w.grid.id}/").content.decode()
    assert "check-in-late" in page and "已过 00:00：尚未问询的已超时" in page
    row = page.split('id="check-ins-open"', 1)[1].split("</ul>", 1)[0]
    assert "苏霞" in row and "已超时" in row


def _deliver(w, svc, household, placed_by):
    staff = actor_for(w.users.staff)
    orders.place_order(actor_for(placed_by), household, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    handoff.split(staff, batch, teams=[svc.team])
    stop = Stop.objects.get(household=household)
    cid = uuid.uuid4()
    delivery.confirm_stop(vol, stop, delivered=True, client_id=cid)
    delivery.confirm_stop(vol, stop, delivered=True, client_id=cid)  # the phone's queue again
    return stop


def test_a_door_with_no_login_tells_who_ordered_and_the_grid_worker_once(world, svc):
    w = world
    stop = _deliver(w, svc, w.hh102, w.users.staff)  # 夏明's household: no login
    key = f"services.stop.{stop.id}.delivered.helpers"
    for user in (w.users.staff, w.users.grid):  # who ordered, the grid worker
        (n,) = Notification.objects.filter(user=user, key=key)
        assert n.title == "已送达光明小区 1号楼 1单元 102：美特好超市的订单已放在门口", n.title
        assert "该户没有能收到通知的账号" in n.body
        assert n.translations["en"]["title"].startswith("Delivered to ")
    assert not Notification.objects.filter(user=svc.vol_user, key=key)  # the carrier knows


def test_a_door_whose_people_have_no_smartphone_tells_the_grid_worker_naming_them(world, svc):
    w = world
    Resident.objects.filter(pk=w.su.pk).update(has_smartphone=False)
    stop = _deliver(w, svc, w.hh101, w.users.resident)  # the family ordered; 苏霞 reads no messages
    key = f"services.stop.{stop.id}.delivered.helpers"
    (n,) = Notification.objects.filter(user=w.users.grid, key=key)
    assert "苏霞没有智能手机" in n.body
    assert not Notification.objects.filter(user=w.users.resident, key=key)  # the family has its own
    assert Notification.objects.filter(user=w.users.resident, key=f"services.stop.{stop.id}.delivered")


def test_a_family_that_reads_its_messages_tells_nobody_else(world, svc):
    w = world
    stop = _deliver(w, svc, w.hh101, w.users.resident)
    assert not Notification.objects.filter(key=f"services.stop.{stop.id}.delivered.helpers")
