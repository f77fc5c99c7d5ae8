"""The vulnerable walk's smaller things on the services pages (wip/walk_vulnerable.md): the
request page's note about a typed-medicine order read "…尚未排定送达时间： · 老百姓大药房 · …";
the new-batch page counted a typed medicine as "0 项"; "已记录到达，已通知卡口值守小组。" was
said of a batch made with "由工作人员核对" (no team); the check-in section said 晨间探视 in its
heading and again in its figure."""

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.services.actions import care, handoff, orders, requests
from fangkong.services.models import Category
from tests.conftest import actor_for, seal_now
from tests.services.test_order_news import medicine_order, pharmacy

pytestmark = pytest.mark.django_db


def test_the_request_page_note_of_a_typed_medicine_order_has_no_stray_separator(world, login):
    w = world
    requests.install_categories()
    med = requests.raise_request(actor_for(w.users.staff), w.hh101, Category.objects.get(code="medicine"),
                                 "降压药快吃完了")
    medicine_order(w, pharmacy(w))  # typed by name: no catalogue line
    page = login(w.users.grid).get(reverse("services_request", args=[med.id])).content.decode()
    note = page.split('id="orders-like"')[1].split("</p>")[0]
    assert "： · " not in note and "。 · " not in note, note
    assert "尚未排定送达时间： 二甲双胍片 0.5g · 老百姓大药房" in note, note


def test_the_request_page_note_still_separates_catalogue_lines_from_the_supplier(world, svc, login):
    w = world
    requests.install_categories()
    med = requests.raise_request(actor_for(w.users.staff), w.hh101, Category.objects.get(code="medicine"),
                                 "降压药快吃完了")
    orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [(svc.pills.id, 2)],
                       medicine="硝苯地平缓释片 10mg", deadline=timezone.now() + timezone.timedelta(hours=3),
                       client_id=uuid.uuid4())
    page = login(w.users.grid).get(reverse("services_request", args=[med.id])).content.decode()
    note = page.split('id="orders-like"')[1].split("</p>")[0]
    assert "： 硝苯地平缓释片 × 2、硝苯地平缓释片 10mg · 美特好超市" in note, note


def test_the_new_batch_page_counts_a_typed_medicine_as_a_line(world, svc, login):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [], medicine="胰岛素 诺和锐 3盒（冷藏）",
                           deadline=timezone.now() + timezone.timedelta(hours=5), client_id=uuid.uuid4())
    page = login(w.users.staff).get(
        f"/services/p/{w.community.id}/batches/new/?supplier={svc.supplier.id}").content.decode()
    row = page.split('id="waiting"')[1].split("</li>")[0]
    assert "胰岛素 诺和锐 3盒（冷藏）" in row and "1 项" in row and "0 项" not in row, row
    assert o.lines.count() == 0


def _batch(w, svc, team):
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    return handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now() + timezone.timedelta(minutes=5),
                                team=team)


def test_arrival_of_a_batch_staff_check_does_not_say_a_team_was_told(world, svc, login):
    w = world
    b = _batch(w, svc, None)  # 由工作人员核对
    sup = login(w.users.supplier)
    assert "物资到达后请点击；本批次没有值守小组" in sup.get(f"/services/batches/{b.id}/").content.decode()
    ask = sup.post(f"/services/batches/{b.id}/", {"do": "arrived"}).content.decode()
    assert "值守小组前来核对" not in ask and "本批次没有值守小组，由社区工作人员核对物资。" in ask
    done = sup.post(f"/services/batches/{b.id}/", {"do": "arrived", "confirm": "1"}, follow=True).content.decode()
    assert "已通知卡口值守小组" not in done
    assert "已记录到达。本批次没有值守小组，由社区工作人员核对物资。" in done


def test_arrival_says_how_many_of_the_team_were_told_and_none_when_all_are_kept_home(world, svc, login):
    w = world
    b = _batch(w, svc, svc.team)
    sup = login(w.users.supplier)
    done = sup.post(f"/services/batches/{b.id}/", {"do": "arrived", "confirm": "1"}, follow=True).content.decode()
    assert "已记录到达。通知封控五组的 1 名队员前来核对。" in done
    seal_now(w)  # the team's only volunteer lives in 1号楼: kept home, told nothing
    b2 = _batch(w, svc, svc.team)
    done = sup.post(f"/services/batches/{b2.id}/", {"do": "arrived", "confirm": "1"}, follow=True).content.decode()
    assert "已记录到达。封控五组目前没有可外出的队员，不通知任何人，由社区工作人员核对物资。" in done


def test_the_check_in_figure_does_not_repeat_its_heading(world, svc, login):
    w = world
    seal_now(w)
    care.check_ins_today()
    page = login(w.users.staff).get(f"/services/p/{w.community.id}/").content.decode()
    section = page.split('id="check-ins"')[1].split("</section>")[0]
    assert "<h2>晨间探视</h2>" in section and section.count("晨间探视") == 1, section
    assert section.split('id="check-in-count"')[1].split("</strong>")[0].endswith("应问 2，已问 0，未问 2，无人应答 0")
    # the figure said alone elsewhere (the API) keeps its label
    api = login(w.users.staff).get(f"/api/v1/services/check-ins/figure?place={w.community.id}").json()
    assert api["words"] == "晨间探视 应问 2，已问 0，未问 2，无人应答 0"
