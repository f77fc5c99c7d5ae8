"""Lifting a sealed area needs the level above (found walking a lockdown day: staff_guangming
drafted 3号楼's lift, typed notice 19 "桥东街道疫情防控指挥部" and published it with one confirm;
the street's and the district's command inboxes said "暂无消息" about the lift, about a new
case and about its escalation draft). Now lifting or stepping down a 封控区 (the policy's
`lift_approval`, on for sealed types) is submitted, waits "awaiting approval", and the street's
command approves it or returns it with a reason — confirmed taps, audited, page and API the
same action; a stricter change is still published at once; and the street's command is told,
once and in its own language, of every publication in its street and every case with its
escalation draft."""

import datetime

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Conflict
from fangkong.notify.models import Notification
from fangkong.zones.actions import approval, escalate
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, Designation, ZoneType
from tests.conftest import actor_for
from tests.zones.test_publish import adjust, types, zone_now

Op = pub.Op


def sealed_then_lift(w, op=Op.LIFT, to=None):
    """1号楼 sealed by the community's staff (a seal needs nobody's approval), and a draft
    lifting it (or stepping it down to `to`) under a new notice."""
    staff = actor_for(w.users.staff)
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.building, types()["sealed"])]))
    return adjust(staff, w, [(op, w.building, types()[to] if to else None)])


def told(user, kind):
    return list(Notification.objects.filter(user=user, kind=kind).order_by("id"))


def test_staff_cannot_publish_or_schedule_a_sealed_lift_unapproved_page_and_api(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    staff = actor_for(w.users.staff)
    c = login(w.users.staff)
    # the page offers to submit it, not to publish it
    page = c.get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert 'id="needs-approval"' in page and "须经街道指挥部审批" in page
    assert f'/zones/adjustments/{lift.id}/submit/' in page and f'/zones/adjustments/{lift.id}/publish/' not in page
    # a publish tapped anyway: refused before any confirm step, nothing written
    r = c.post(f"/zones/adjustments/{lift.id}/publish/", follow=True).content.decode()
    assert "confirm-yes" not in r and "解除或降级1号楼（封控区）须经街道指挥部审批" in r, r
    for path, body in ((f"/api/v1/zones/adjustments/{lift.id}/publish", {"confirm": True}),
                       (f"/api/v1/zones/adjustments/{lift.id}/schedule",
                        {"at": (timezone.now() + datetime.timedelta(hours=2)).isoformat(), "confirm": True})):
        r = c.post(path, body, content_type="application/json")
        assert r.status_code == 409 and r.json()["error"]["code"] == "approval_required", r.content
    try:
        pub.publish(staff, lift)
        raise AssertionError("published unapproved")
    except Conflict as e:
        assert e.code == "approval_required"
    assert zone_now(w.hh101) == "sealed" and Adjustment.objects.get(pk=lift.pk).state == "draft"
    # stepping it down is the same
    step = adjust(staff, w, [(Op.CHANGE, w.building, types()["controlled"])])
    r = c.post(f"/api/v1/zones/adjustments/{step.id}/publish", {"confirm": True}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "approval_required"


def test_submitted_the_street_is_told_and_sees_it_then_approves_it_on_the_page(world, presets, login):
    w = world
    User.objects.filter(pk=w.users.street.pk).update(language="en")  # told in its own language
    lift = sealed_then_lift(w)
    c = login(w.users.staff)
    asked = c.post(f"/zones/adjustments/{lift.id}/submit/")
    assert asked.status_code == 200 and "confirm-yes" in asked.content.decode()
    assert Adjustment.objects.get(pk=lift.pk).state == "draft"  # asked first
    done = c.post(f"/zones/adjustments/{lift.id}/submit/", {"confirm": "1"})
    assert done.status_code == 302
    lift.refresh_from_db()
    assert lift.state == "awaiting" and lift.submitted_by == w.users.staff
    c.post(f"/zones/adjustments/{lift.id}/submit/", {"confirm": "1"})  # a second tap: told once
    (m,) = told(w.users.street, "zones.approval")
    assert m.title == f"To approve: {lift.title}" and "1号楼" in m.body and "Sealed area" in m.body, m.title
    assert m.url == f"/zones/adjustments/{lift.id}/"
    assert not told(w.users.other_staff, "zones.approval")
    # while it waits it cannot be changed
    try:
        pub.add_item(actor_for(w.users.staff), lift, Op.CREATE, w.unit2, types()["controlled"])
        raise AssertionError("changed while awaiting")
    except Conflict as e:
        assert e.code == "not_draft"
    # the street's home shows it; the community's staff may not approve it (403 page and API)
    s = login(w.users.street)
    home = s.get(f"/places/{w.street.id}/").content.decode()
    assert 'id="awaiting-approval"' in home and f"/zones/adjustments/{lift.id}/" in home
    c = login(w.users.staff)
    assert c.post(f"/zones/adjustments/{lift.id}/approve/", {"confirm": "1"}).status_code == 403
    assert c.post(f"/api/v1/zones/adjustments/{lift.id}/approve").status_code == 403
    assert 'id="awaiting-approval"' not in c.get(f"/places/{w.community.id}/").content.decode()
    # the street approves, asked first
    s = login(w.users.street)
    page = s.get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert f"/zones/adjustments/{lift.id}/approve/" in page and f"/zones/adjustments/{lift.id}/return/" in page
    asked = s.post(f"/zones/adjustments/{lift.id}/approve/").content.decode()
    assert "confirm-yes" in asked and "规则未满足" in asked  # the rule not met, said before approving
    assert Adjustment.objects.get(pk=lift.pk).state == "awaiting"
    s.post(f"/zones/adjustments/{lift.id}/approve/", {"confirm": "1"})
    lift.refresh_from_db()
    assert lift.state == "draft" and lift.approved_by == w.users.street and lift.approved_at
    assert AuditEvent.objects.filter(action="zones.adjustment.approve", target_id=lift.id).count() == 1
    (ok,) = told(w.users.staff, "zones.approval")
    assert ok.title == f"已批准：{lift.title}" and "现在可以发布或定时发布" in ok.body, ok.body
    # now the staff publish it (the rule not met: asked, as always)
    c = login(w.users.staff)
    assert "批准" in c.get(f"/zones/adjustments/{lift.id}/").content.decode()
    r = c.post(f"/api/v1/zones/adjustments/{lift.id}/publish", {"confirm": True}, content_type="application/json")
    assert r.status_code == 200 and r.json()["state"] == "published", r.content
    assert zone_now(w.hh101) is None


def test_returned_with_a_reason_over_the_api(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    c = login(w.users.staff)
    r = c.post(f"/api/v1/zones/adjustments/{lift.id}/submit")
    assert r.status_code == 200 and r.json()["state"] == "awaiting"
    assert r.json()["approval"]["needed"] and "1号楼（封控区）" in r.json()["approval"]["what"]
    s = login(w.users.street)
    r = s.post(f"/api/v1/zones/adjustments/{lift.id}/return", {"reason": " "}, content_type="application/json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = s.post(f"/api/v1/zones/adjustments/{lift.id}/return", {"reason": "第13天核酸未完成，请补齐后再报"},
               content_type="application/json")
    assert r.status_code == 200, r.content
    out = r.json()
    assert out["state"] == "draft" and out["approval"]["return_reason"] == "第13天核酸未完成，请补齐后再报"
    assert "退回：第13天核酸未完成" in out["approval"]["said"]
    (m,) = told(w.users.staff, "zones.approval")
    assert m.title == f"已退回：{lift.title}" and "第13天核酸未完成" in m.body
    assert AuditEvent.objects.get(action="zones.adjustment.return").changes["reason"] == "第13天核酸未完成，请补齐后再报"
    c = login(w.users.staff)
    page = c.get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert 'id="approval-state"' in page and "第13天核酸未完成" in page
    # still not publishable: returned is not approved
    r = c.post(f"/api/v1/zones/adjustments/{lift.id}/publish", {"confirm": True}, content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "approval_required"
    # approving something not awaiting: 409
    s = login(w.users.street)
    assert s.post(f"/api/v1/zones/adjustments/{lift.id}/approve").status_code == 409


def test_another_community_and_other_roles_get_404(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    approval.submit(actor_for(w.users.staff), lift)
    for user in (w.users.other_staff, w.users.volunteer, w.users.supplier, w.users.resident):
        c = login(user)
        for path in ("submit", "approve", "return"):
            assert c.post(f"/api/v1/zones/adjustments/{lift.id}/{path}", {"reason": "x"},
                          content_type="application/json").status_code == 404, (user, path)
            assert c.post(f"/zones/adjustments/{lift.id}/{path}/", {"confirm": "1", "reason": "x"}).status_code == 404
    assert Adjustment.objects.get(pk=lift.pk).state == "awaiting"


def test_a_change_after_approval_takes_the_approval_away(world, presets):
    w = world
    lift = sealed_then_lift(w)
    staff = actor_for(w.users.staff)
    approval.submit(staff, lift)
    approval.approve(actor_for(w.users.street), lift)
    pub.add_item(staff, lift, Op.CREATE, w.unit2, types()["controlled"])
    lift.refresh_from_db()
    assert lift.approved_at is None
    assert AuditEvent.objects.filter(action="zones.adjustment.unapproved").count() == 1
    try:
        pub.publish(staff, lift)
        raise AssertionError("published after a change")
    except Conflict as e:
        assert e.code == "approval_required"


def test_an_escalation_is_published_at_once_and_the_street_may_publish_a_lift_itself(world, presets):
    w = world
    staff, street = actor_for(w.users.staff), actor_for(w.users.street)
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.compound, types()["controlled"])]))
    # stricter: no approval
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.building, types()["sealed"])]))
    assert zone_now(w.hh101) == "sealed"
    # the street's command is the level above: it publishes a lift at once, recorded as approving
    lift = adjust(street, w, [(Op.LIFT, w.building, None)])
    lift = pub.publish(street, lift)
    assert lift.state == "published" and lift.approved_by == w.users.street
    assert AuditEvent.objects.filter(action="zones.adjustment.publish").latest("id").changes["approved"] is True
    # a controlled area is lifted by the community alone (its type needs nobody)
    lift = adjust(staff, w, [(Op.LIFT, w.compound, None)])
    assert pub.publish(staff, lift).state == "published"


def test_the_policy_says_which_zones_need_approval(world, presets, login):
    w = world
    sealed = types()["sealed"]
    assert sealed.lift_approval and not types()["controlled"].lift_approval
    assert ZoneType.objects.filter(kind="sealed", lift_approval=False).count() == 0  # every preset's
    c = login(w.users.district)
    r = c.patch(f"/api/v1/zones/types/{sealed.id}", {"lift_approval": False}, content_type="application/json")
    assert r.status_code == 200 and r.json()["lift_approval"] is False, r.content
    page = c.get(f"/zones/types/{sealed.id}/").content.decode()
    assert 'name="lift_approval"' in page
    lift = sealed_then_lift(w)
    assert pub.publish(actor_for(w.users.staff), lift).state == "published"  # configured off: at once


def test_the_street_is_told_of_a_case_and_its_escalation_draft(world, presets):
    w = world
    User.objects.filter(pk=w.users.street.pk).update(language="en")
    staff = actor_for(w.users.staff)
    pub.publish(staff, adjust(staff, w, [(Op.CREATE, w.compound, types()["controlled"])]))
    _case, proposal = escalate.record_case(staff, w.xia, source="区疾控中心报告")
    (m,) = told(w.users.street, "zones.case")
    assert m.title == "A confirmed case: 夏明", m.title
    assert f"Zone escalation drafted: {proposal.title}" in m.body and m.url == f"/zones/adjustments/{proposal.id}/"
    assert not told(w.users.other_staff, "zones.case")
    # reported again: told once
    escalate.record_case(staff, w.xia, source="区疾控中心报告")
    assert len(told(w.users.street, "zones.case")) == 1
    assert Designation.objects.filter(place=w.building).count() == 0  # drafted, not published
