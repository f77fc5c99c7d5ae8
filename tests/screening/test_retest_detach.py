"""A single re-test tube recorded on the wrong person is taken off her before the lab has it
(walk_lab 5: "a tube attached to the wrong neighbour cannot be moved", so its result — a
release or a case — would land on the wrong person unless the lab sacrificed it as 无效).

Who: who manages the person's follow-up (the community's staff, her grid worker) until the
lab has the tube; the volunteer who recorded it, her own swab only, until it is handed to
the courier; anyone else is told the follow-up is not found. A reason is required, the page
asks first, the person waits for her re-test again (the hold as it was), the barcode is free
to record on the right person, and the recording's client id is never recorded again."""

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.screening.actions import followup
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.models import DetachedRetest, FollowUp, HomeVisit, Sample, Tube
from tests.conftest import actor_for

from .conftest import api, cid
from .test_alert import positive_pool
from .test_followup_tasks import _give, _sampler

pytestmark = pytest.mark.django_db


def _held(world, rnd):
    positive_pool(world, rnd)  # 苏霞 and 于海涛 held
    return (FollowUp.objects.get(round=rnd, resident=world.su),
            FollowUp.objects.get(round=rnd, resident=world.yu))


def _fresh(fu):
    return FollowUp.objects.select_related("round", "resident__household", "retest_tube").get(pk=fu.pk)


def test_staff_take_the_tube_off_the_wrong_person_and_record_it_on_the_right_one(world, rnd):
    su, yu = _held(world, rnd)
    staff = actor_for(world.users.staff)
    held_since = su.created_at
    key = cid()
    followup.record_retest(staff, su, "RT0011", client_id=key)  # the wrong neighbour
    assert HomeVisit.objects.get(round=rnd, resident=world.su, source="retest").status == "done"

    off = followup.detach_retest(staff, _fresh(su), "记错人", barcode="rt0011")
    su = _fresh(su)
    assert (su.status, su.retest_tube_id, su.created_at) == ("awaiting", None, held_since)  # held as before
    assert HomeVisit.objects.get(round=rnd, resident=world.su, source="retest").status == "open"
    assert not Tube.objects.filter(round=rnd, barcode="RT0011").exists()
    assert not Sample.objects.filter(round=rnd, resident=world.su, retest=True).exists()
    assert (off.barcode, off.reason, off.resident_id, str(off.client_id)) == ("RT0011", "记错人", world.su.id, key)
    assert off.sampler_id == off.detached_by_id == world.users.staff.id
    ev = AuditEvent.objects.get(action="screening.retest.detach")
    assert ev.changes["tube"] == "RT0011" and ev.changes["reason"] == "记错人" and ev.changes["round"] == rnd.id

    # the barcode is free: recorded on 于海涛, the right person; its result is his
    followup.record_retest(staff, yu, "RT0011", client_id=cid())
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "RT0011", "result": "positive"}],
                               source="api")
    assert (_fresh(yu).status, _fresh(su).status) == ("case", "awaiting")

    # the phone that recorded it on 苏霞 sends it again late: never recorded again
    with pytest.raises(Conflict) as e:
        followup.record_retest(staff, _fresh(su), "RT0011", client_id=key)
    assert e.value.code == "retest_detached"
    # and 苏霞 gets her own tube
    followup.record_retest(staff, _fresh(su), "RT0012", client_id=cid())
    assert _fresh(su).status == "resampled"


def test_a_reason_is_required_and_nothing_is_taken_off_without_it(world, rnd):
    su, _yu = _held(world, rnd)
    staff = actor_for(world.users.staff)
    followup.record_retest(staff, su, "RT0011")
    for reason in ("", "   ", None):
        with pytest.raises(Invalid) as e:
            followup.detach_retest(staff, _fresh(su), reason)
        assert "reason" in e.value.fields
    with pytest.raises(Conflict) as e:  # the page showed another tube than the one on her now
        followup.detach_retest(staff, _fresh(su), "记错人", barcode="RT0099")
    assert e.value.code == "retest_changed"
    assert _fresh(su).status == "resampled" and not DetachedRetest.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.retest.detach").exists()


def test_once_the_tube_has_a_result_it_is_refused_and_the_lab_is_named(world, rnd):
    su, _yu = _held(world, rnd)
    staff = actor_for(world.users.staff)
    followup.record_retest(staff, su, "RT0011")
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "RT0011", "result": "negative"}],
                               source="api")
    with pytest.raises(Conflict) as e:
        followup.detach_retest(staff, _fresh(su), "记错人")
    assert e.value.code == "retest_at_lab"
    assert "实验室" in str(e.value.message) and "无效" in str(e.value.message)
    assert _fresh(su).status == "released" and Tube.objects.filter(barcode="RT0011").exists()


def test_once_the_lab_signed_for_its_box_it_is_refused(world, rnd):
    from .conftest import to_lab

    su, _yu = _held(world, rnd)
    staff = actor_for(world.users.staff)
    followup.record_retest(staff, su, "RT0011")
    to_lab(world, rnd, "RT0011", code="URGENT1")  # received at the lab, no result yet
    with pytest.raises(Conflict) as e:
        followup.detach_retest(staff, _fresh(su), "记错人")
    assert e.value.code == "retest_at_lab"
    assert _fresh(su).status == "resampled"


def test_staff_may_take_it_off_while_its_box_travels_out_of_the_box(world, rnd):
    su, _yu = _held(world, rnd)
    staff = actor_for(world.users.staff)
    followup.record_retest(staff, su, "RT0011")
    box = lab_actions.create_box(staff, rnd, "URGENT1", lab=world.users.lab.pk)
    lab_actions.pack_tubes(staff, box, ["RT0011"])
    lab_actions.hand_over(staff, box, "pickup", "赵静", "快递员 陈刚")
    followup.detach_retest(staff, _fresh(su), "记错人")
    assert not box.tubes.exists()
    assert AuditEvent.objects.get(action="screening.retest.detach").changes["box"] == "URGENT1"


def test_wrong_role_and_wrong_community_are_told_not_found(world, rnd):
    su, _yu = _held(world, rnd)
    followup.record_retest(actor_for(world.users.staff), su, "RT0011")
    for user in (world.users.other_staff, world.users.leader, world.users.volunteer, world.users.lab):
        with pytest.raises(NotFound):
            followup.detach_retest(actor_for(user), _fresh(su), "记错人")
    assert _fresh(su).status == "resampled" and not DetachedRetest.objects.exists()


def test_a_sampler_takes_off_only_her_own_tube_and_only_before_it_is_handed_over(world, rnd, client):
    su, yu = _held(world, rnd)
    s = _sampler(world, rnd)
    _give(world, rnd, s, world.su, world.yu)
    client.force_login(world.users.volunteer)
    assert api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0011"}).status_code == 200
    # 于海涛's tube recorded by the staff: not hers to take off
    followup.record_retest(actor_for(world.users.staff), yu, "RT0012")
    r = api(client, "post", f"/followups/{yu.id}/retest/detach", {"reason": "记错人"})
    assert r.status_code == 404
    # her own, still with her: taken off
    r = api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": "记错人", "barcode": "RT0011"})
    assert r.status_code == 200, r.content
    assert r.json()["followup"]["status"] == "awaiting" and r.json()["detached"]["barcode"] == "RT0011"
    # recorded again, packed and handed to the courier: the staff's now
    assert api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0011"}).status_code == 200
    staff = actor_for(world.users.staff)
    box = lab_actions.create_box(staff, rnd, "URGENT1", lab=world.users.lab.pk)
    lab_actions.pack_tubes(staff, box, ["RT0011"])
    lab_actions.hand_over(staff, box, "pickup", "赵静", "快递员 陈刚")
    r = api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": "记错人"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "retest_handed_over"
    assert "社区工作人员" in r.json()["error"]["message"]


def test_the_api_takes_the_tube_off_and_says_why_it_cannot(world, rnd, client):
    su, _yu = _held(world, rnd)
    client.force_login(world.users.staff)
    r = api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0011", "client_id": cid()})
    assert r.status_code == 200
    # recording another tube on her: the answer says the staff can take the wrong one off
    again = api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0013"})
    assert again.status_code == 400 and again.json()["error"]["code"] == "retest_pending"
    assert "撤下" in again.json()["error"]["message"]
    bad = api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": ""})
    assert bad.status_code == 400 and "reason" in bad.json()["error"]["fields"]
    r = api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": "记错人", "barcode": "RT0011"})
    assert r.status_code == 200
    out = r.json()
    assert out["followup"]["status"] == "awaiting" and out["followup"]["retest_tube"] is None
    assert out["detached"]["reason"] == "记错人"
    r = api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": "记错人"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "no_retest_tube"
    # at the lab: refused, the lab named; the retest answer no longer offers taking it off
    api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0011"})
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "RT0011", "result": "invalid"}],
                               source="api")
    api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0014"})
    to_lab_box = lab_actions.create_box(actor_for(world.users.staff), rnd, "URGENT2", lab=world.users.lab.pk)
    lab_actions.pack_tubes(actor_for(world.users.staff), to_lab_box, ["RT0014"])
    lab_actions.hand_over(actor_for(world.users.staff), to_lab_box, "pickup", "赵静", "快递员 陈刚")
    lab_actions.hand_over(actor_for(world.users.lab), to_lab_box, "lab", "快递员 陈刚", "化验员 韩磊")
    r = api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": "记错人"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "retest_at_lab"
    pending = api(client, "post", f"/followups/{su.id}/retest", {"barcode": "RT0015"}).json()["error"]["message"]
    assert "撤下" not in pending and "已送实验室" in pending
    # another community's staff: not found
    client.force_login(world.users.other_staff)
    assert api(client, "post", f"/followups/{su.id}/retest/detach", {"reason": "记错人"}).status_code == 404


def test_the_page_asks_first_then_takes_the_tube_off(world, rnd, client):
    su, _yu = _held(world, rnd)
    followup.record_retest(actor_for(world.users.staff), su, "RT0011")
    client.force_login(world.users.staff)
    url = f"/screening/rounds/{rnd.id}/followups/"
    page = client.get(url).content.decode()
    assert page.count('name="detach"') == 1 and "撤下此管" in page
    form = {"detach": su.id, "tube": "RT0011", "reason": "记错人"}
    asked = client.post(url, form).content.decode()
    assert "将试管 RT0011 从 苏霞 名下撤下？" in asked and "撤下后该人仍须复核。" in asked
    assert 'class="confirm-yes"' in asked and 'value="记错人"' in asked
    assert _fresh(su).status == "resampled"  # nothing yet
    done = client.post(url, {**form, "confirm": "1"}, follow=True).content.decode()
    assert "已从 苏霞 名下撤下" in done
    assert _fresh(su).status == "awaiting"
    assert done.count('name="detach"') == 0 and done.count('name="barcode" required') == 2  # both to record
    # without a reason on the confirm page: refused, said, nothing taken off
    followup.record_retest(actor_for(world.users.staff), _fresh(su), "RT0016")
    said = client.post(url, {**form, "tube": "RT0016", "reason": "", "confirm": "1"}, follow=True)
    assert "请说明撤下原因" in said.content.decode() and _fresh(su).status == "resampled"
    # a grid worker of another grid, another community's staff: not found
    client.force_login(world.users.other_staff)
    assert client.post(url, form).status_code == 404


def test_erasing_the_round_erases_what_was_taken_off(world, rnd, system):
    from fangkong.ops.erasure import erase
    from fangkong.screening.actions import planning

    su, _yu = _held(world, rnd)
    staff = actor_for(world.users.staff)
    followup.record_retest(staff, su, "RT0011")
    followup.detach_retest(staff, _fresh(su), "记错人")
    planning.set_status(system, rnd, "closed")
    rnd.refresh_from_db()
    erase(rnd=rnd, dry_run=False)
    assert not DetachedRetest.objects.filter(round=rnd).exists()
