"""The approval steps' pages (submit, approve, return) after they were folded into one helper
(`core.views.act`): each confirmed tap runs its action, says so and goes back to the draft; an
action's refusal is said there, nothing done; only a draft awaiting approval is approved or
returned; a return without a reason asks again."""

from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment
from tests.conftest import actor_for
from tests.zones.test_lift_approval import sealed_then_lift

Op = pub.Op


def _tap(client, path, data):
    """POST, follow the redirect: (where it went, the messages the page said)."""
    r = client.post(path, data, follow=True)
    return [u for u, _s in r.redirect_chain], [str(m) for m in r.context["messages"]]


def test_submit_approve_and_return_on_their_pages(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    back = f"/zones/adjustments/{lift.id}/"
    s = login(w.users.street)
    # not awaiting yet: neither approved nor returned
    for step in ("approve", "return"):
        assert _tap(s, f"{back}{step}/", {"confirm": "1", "reason": "不行"}) == (
            [back], ["只有待审批的草稿可以批准或退回。"]), step
    c = login(w.users.staff)
    assert _tap(c, f"{back}submit/", {"confirm": "1"}) == ([back], ["已提交，已通知街道指挥部。"])
    assert Adjustment.objects.get(pk=lift.pk).state == "awaiting"
    s = login(w.users.street)
    # a return without a reason asks again, saying why
    r = s.post(f"{back}return/", {"confirm": "1", "reason": "  "})
    assert r.status_code == 200 and "请写明退回原因：社区工作人员会在草稿上看到。" in r.content.decode()
    assert _tap(s, f"{back}return/", {"confirm": "1", "reason": "第13天核酸未完成"}) == (
        [back], ["已退回，已通知社区。"])
    lift.refresh_from_db()
    assert lift.state == "draft" and lift.return_reason == "第13天核酸未完成"
    c = login(w.users.staff)
    assert _tap(c, f"{back}submit/", {"confirm": "1"})[1] == ["已提交，已通知街道指挥部。"]
    s = login(w.users.street)
    assert _tap(s, f"{back}approve/", {"confirm": "1"}) == ([back], ["已批准，已通知社区。"])
    lift.refresh_from_db()
    assert lift.state == "draft" and lift.approved_by == w.users.street


def test_an_action_refused_is_said_on_the_draft_and_nothing_is_done(world, presets, login):
    w = world
    lift = sealed_then_lift(w)
    staff = actor_for(w.users.staff)
    plain = pub.draft(staff, w.community, "无需审批")  # seals nothing away: no approval needed, no notice
    pub.add_item(staff, plain, Op.CREATE, w.unit2, lift.items.first().designation.zone_type)
    c = login(w.users.staff)
    back = f"/zones/adjustments/{plain.id}/"
    # the action itself refuses it (no notice attached)
    assert _tap(c, f"{back}submit/", {"confirm": "1"}) == ([back], ["请附上发布此调整所依据的通告。"])
    assert Adjustment.objects.get(pk=plain.pk).state == "draft"
