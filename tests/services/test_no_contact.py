"""Whoever answers a request or carries to the door is told the household has someone
antigen-positive (a resident's walk: after 乔秀兰's positive the grid worker took the family's
medicine request and left it "at the door" with nothing on the request page, the queue or the
run saying so). One read (`screening.status.positive_households`) marks the request page,
the queue's row and the run's door: hand over without contact."""

import uuid

from django.test import Client
from django.utils import timezone

from fangkong.screening.actions import antigen as antigen_actions
from fangkong.services.actions import handoff, orders, requests
from fangkong.services.models import Category
from tests.conftest import actor_for
from tests.screening.photos import png
from tests.screening.test_antigen import running_antigen_round

MARK = "本户有人抗原阳性，待核酸复检：请无接触交接"


def _positive(w, system):
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.su, "positive", photo=png())


def test_request_queue_and_run_say_hand_over_without_contact(world, svc, system):
    w = world
    staff = actor_for(w.users.staff)
    req = requests.raise_request(staff, w.hh101, Category.objects.get(code="repair"), "需要降压药")
    other = requests.raise_request(staff, w.hh102, Category.objects.get(code="repair"), "门锁坏了")
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    c = Client()
    c.force_login(w.users.grid)
    assert MARK not in c.get(f"/services/requests/{req.id}/").content.decode()  # nobody positive yet

    _positive(w, system)
    page = c.get(f"/services/requests/{req.id}/").content.decode()
    assert 'id="no-contact"' in page and MARK in page
    assert MARK not in c.get(f"/services/requests/{other.id}/").content.decode()
    queue = c.get(f"/services/p/{w.grid.id}/requests/").content.decode()
    rows = {r.split('href="/services/requests/', 1)[1].split("/", 1)[0]: r
            for r in queue.split('<li class="row">')[1:]}
    assert str(req.id) in rows, queue
    assert MARK in rows[str(req.id)] and MARK not in rows[str(other.id)]
    c.force_login(svc.vol_user)
    run_page = c.get(f"/services/runs/{run.id}/").content.decode()
    stops = run_page.split('<li class="row stop"')[1:]
    marked = [s for s in stops if MARK in s]
    assert len(marked) == 1 and "101" in marked[0].split("</strong>", 1)[0]
