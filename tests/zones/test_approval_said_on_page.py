"""The zone-lift approval, said on the draft's own page (walk_street 6: the street's command
saw "规则未满足：无新增第0/14天、末轮核酸未完成" only on the question page after tapping approve,
and an edit after approval silently dropped the approval — "已加入光明小区。", the "已由…批准"
line gone, the publish buttons back to "提交街道审批…" without a word)."""

from django.utils import timezone

from fangkong.zones import lifting
from fangkong.zones.actions import approval
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment
from tests.conftest import actor_for
from tests.screening.security_routes import make_round
from tests.zones.conftest import use_policy
from tests.zones.test_lift_approval import sealed_then_lift
from tests.zones.test_lifting_rule_met import seal, swab
from tests.zones.test_publish import types

Op = pub.Op


def test_the_unmet_rule_is_on_the_page_before_any_tap(world, presets, login):
    w = world
    lift = sealed_then_lift(w)  # sealed today: day 0 of its count, the rule not met
    c = login(w.users.staff)
    page = c.get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert 'id="rule-now"' in page and "规则未满足" in page  # the community, before submitting
    approval.submit(actor_for(w.users.staff), lift)
    s = login(w.users.street)
    page = s.get(f"/zones/adjustments/{lift.id}/").content.decode()
    head, _sep, card = page.partition('id="approve"')
    assert 'id="rule-now-approver"' in card and "规则未满足" in card, card  # beside the approve button
    assert card.index("rule-now-approver") < card.index("/approve/")
    assert Adjustment.objects.get(pk=lift.pk).state == "awaiting"  # reading it changes nothing


def test_a_lift_whose_rule_is_met_says_no_alarm(world, presets, login):
    """Sealed 14 days back and every one of its people swabbed negative in the round: the
    rule is met (the recommendation says lift), and neither the community's page nor the
    street's approve card raises the alarm."""
    use_policy("shanghai-2022-04")
    w, staff = world, actor_for(world.users.staff)
    d = seal(w, staff, w.building, "sealed", days_ago=14)
    make_round(w)
    swab(w, [w.su, w.yu, w.xia, w.wang], "T0001")
    assert lifting.recommendations([d])[0].action == lifting.LIFT
    n = pub.create_notice(staff, w.community, {"number": "第12号", "issued_by": "指挥部",
                                               "title": "解除1号楼封控",
                                               "effective_at": timezone.now().isoformat()})
    lift = pub.draft(staff, w.community, "解除1号楼封控", notice=n)
    pub.add_item(staff, lift, Op.LIFT, w.building, None)
    page = login(w.users.staff).get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert 'id="needs-approval"' in page  # still the street's to approve: the rule being met changes not that
    assert 'id="rule-now"' not in page and "规则未满足" not in page
    approval.submit(staff, lift)
    page = login(w.users.street).get(f"/zones/adjustments/{lift.id}/").content.decode()
    assert 'id="approve"' in page
    assert 'id="rule-now-approver"' not in page and "规则未满足" not in page


def test_an_edit_after_approval_says_the_approval_is_gone(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    approval.submit(actor_for(w.users.staff), lift)
    approval.approve(actor_for(w.users.street), lift)
    c = login(w.users.staff)
    r = c.post(f"/zones/adjustments/{lift.id}/items/", {"place": w.unit2.id,
                                                          "zone_type": types()["controlled"].id}, follow=True)
    page = r.content.decode()
    assert "街道的批准已失效" in page and "重新提交审批" in page, page
    assert Adjustment.objects.get(pk=lift.pk).approved_at is None
    # a further edit of the now unapproved draft does not say it again
    item = lift.items.get(place=w.unit2)
    page = c.post(f"/zones/adjustments/{lift.id}/items/{item.id}/remove/", follow=True).content.decode()
    assert "街道的批准已失效" not in page


def test_taking_a_place_out_of_an_approved_draft_says_it_too(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    staff = actor_for(w.users.staff)
    pub.add_item(staff, lift, Op.CREATE, w.unit2, types()["controlled"])
    approval.submit(staff, lift)
    approval.approve(actor_for(w.users.street), lift)
    item = lift.items.get(place=w.unit2)
    page = login(w.users.staff).post(f"/zones/adjustments/{lift.id}/items/{item.id}/remove/",
                                     follow=True).content.decode()
    assert "街道的批准已失效" in page
