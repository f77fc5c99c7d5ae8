"""Staff's exception list says which door (found on a phone: rows read only "未送达: 敲门无人
应答，电话也没人接" or "破损: 蔬菜包（8种）：破损"): each row says what happened in one
phrase, the household's address, whom to call (the household's phone, then a resident's
mobile — through audit.disclosure, the phones shown in clear audited) and links its run;
the API gives the address, the phrase and the run too."""

import uuid

from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent as Event
from fangkong.services import queries
from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Stop
from tests.conftest import actor_for


def scene(w, svc):
    """101's vegetables damaged at the gate; 102 (no landline, 夏明 has a mobile) not delivered."""
    staff = actor_for(w.users.staff)
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1), (svc.rice.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.check_line(vol, queries.batch_lines(batch).get(household=w.hh101, name="蔬菜包"), "damaged")
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh102), delivered=False, client_id=uuid.uuid4(),
                          reason="敲门无人应答，电话也没人接")
    return batch, run


def test_each_exception_names_its_door_whom_to_call_and_its_run(world, svc):
    w = world
    _batch, run = scene(w, svc)
    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/services/p/{w.community.id}/").content.decode()
    problems = page[page.index('id="problems"'):page.index("</ul>", page.index('id="problems"'))]
    assert "蔬菜包：破损" in problems and "破损: " not in problems and "破损：蔬菜包" not in problems
    assert "未送达：敲门无人应答，电话也没人接" in problems and "未送达: " not in problems
    assert "光明小区 1号楼 1单元 101" in problems and "光明小区 1号楼 1单元 102" in problems
    assert "住户电话" in problems and 'href="tel:03514001234"' in problems  # 101's landline
    assert "夏明" in problems and 'href="tel:15083776308"' in problems  # 102 has none: the resident's mobile
    assert problems.count(f'href="/services/runs/{run.id}/"') == 2
    shown = Event.objects.filter(action="resident.view_phones", changes__where=f"services.problems:{w.community.id}")
    assert shown.count() == 1  # 101: its landline and 苏霞 (the head); 102: 夏明
    assert (sorted(shown.get().changes["residents"]), shown.get().changes["households"]) == \
        (sorted([w.su.id, w.xia.id]), [w.hh101.id])

    api = Client()
    api.force_login(w.users.staff)
    rows = {r["household"]: r for r in api.get("/api/v1/services/problems").json()}
    assert rows[w.hh102.id]["address"] == "光明小区 1号楼 1单元 102"
    assert rows[w.hh102.id]["summary"] == "未送达：敲门无人应答，电话也没人接"
    assert rows[w.hh101.id]["summary"] == "蔬菜包：破损" and rows[w.hh101.id]["run"] == run.id


def test_a_leader_reads_the_exceptions_phones_masked_by_his_role_and_no_resolve(world, svc):
    """The building's leader sees them (his building's doors) with the phones his role shows."""
    w = world
    scene(w, svc)
    c = Client()
    c.force_login(w.users.leader)
    page = c.get(f"/services/p/{w.building.id}/").content.decode()
    problems = page[page.index('id="problems"'):page.index("</ul>", page.index('id="problems"'))]
    assert "光明小区 1号楼 1单元 102" in problems and "蔬菜包：破损" in problems
    assert 'name="resolution"' not in problems
