"""Nobody answering the door of someone watched over is a visit within the hour, at the
morning call and at a delivery alike (found on a phone: an elderly woman living alone did
not answer the carrier, and it became a generic exception with no deadline, while the same
"no answer" at the morning call raises a 老人探视 visit due within 60 minutes). And the
carrier has a phone to call at every door: the household's, else a resident's mobile, shown
through audit.disclosure and audited."""

import datetime
import uuid

from django.test import Client
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.notify.models import Notification as Message
from fangkong.services.actions import care, delivery, handoff, orders
from fangkong.services.models import CheckIn, Request, Stop
from tests.conftest import actor_for


def split_run(w, svc, homes):
    staff = actor_for(w.users.staff)
    for hh in homes:
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    return run


def test_no_answer_at_the_door_of_an_elderly_person_alone_raises_the_same_visit_as_the_morning_call(world, svc):
    w = world
    split_run(w, svc, [w.hh101, w.hh201])
    vol = actor_for(svc.vol_user)
    cid = uuid.uuid4()
    before = timezone.now()
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh101), delivered=False, client_id=cid,
                          reason="敲门无人应答")
    visit = Request.objects.get(household=w.hh101)
    assert visit.category.code == "check_in" and visit.state == "new"
    assert before + datetime.timedelta(minutes=59) <= visit.due_at <= timezone.now() + datetime.timedelta(minutes=60)
    assert "苏霞" in visit.text and "敲门无人应答" in visit.text
    assert Message.objects.filter(user=w.users.grid, url=f"/services/requests/{visit.id}/").exists()  # told
    # the phone's queue sends the door again: nothing more
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh101), delivered=False, client_id=cid,
                          reason="敲门无人应答")
    assert Request.objects.filter(household=w.hh101).count() == 1
    # a household with nobody watched over: the exception only
    delivery.confirm_stop(vol, Stop.objects.get(household=w.hh201), delivered=False, client_id=uuid.uuid4(),
                          reason="敲门无人应答")
    assert not Request.objects.filter(household=w.hh201).exists()

    # the morning call's "no answer" is the same rule: same category, same hour
    care.check_ins_today()
    c = CheckIn.objects.get(resident=w.su)
    care.record_check_in(actor_for(w.users.staff), c, "no_answer")
    call = CheckIn.objects.get(pk=c.pk).request
    assert call.category_id == visit.category_id
    assert (call.due_at - call.raised_at) == (visit.due_at - visit.raised_at) == datetime.timedelta(minutes=60)


def test_the_carrier_sees_a_phone_at_a_door_without_a_landline_and_it_is_audited(world, svc):
    w = world
    run = split_run(w, svc, [w.hh101, w.hh102])
    c = Client()
    c.force_login(svc.vol_user)
    page = c.get(f"/services/runs/{run.id}/").content.decode()
    row = page.split(f'id="stop-{Stop.objects.get(household=w.hh102).id}"', 1)[1].split("</li>", 1)[0]
    assert "夏明" in row and 'href="tel:15083776308"' in row  # 102: no landline, her mobile
    row = page.split(f'id="stop-{Stop.objects.get(household=w.hh101).id}"', 1)[1].split("</li>", 1)[0]
    assert 'href="tel:03514001234"' in row and 'href="tel:17446416120"' in row
    shown = AuditEvent.objects.get(action="resident.view_phones", actor=svc.vol_user)
    assert shown.changes["where"] == f"services.run:{w.building.id}"
    assert sorted(shown.changes["residents"]) == sorted([w.su.id, w.xia.id])
    assert shown.changes["households"] == [w.hh101.id]
    api = c.get(f"/api/v1/services/runs/{run.id}").json()
    door = next(x for x in api["checklist"] if x["household"] == w.hh102.id)
    assert door["phones"] == [{"name": "夏明", "phone": "15083776308", "masked": False}]
    assert AuditEvent.objects.filter(action="resident.view_phones", actor=svc.vol_user).count() == 2
