"""A case confirmed before a lift but reported after it (found walking a lockdown day: 3号楼
lifted at 18:43 by notice 19, "已连续14天无新增"; then a 3号楼 case confirmed at 16:00 was
reported. The confirm step and the escalation draft said nothing of the lift, the draft
waited like any other, the lift still read as sound). Now the report's confirm step says the
lift rested on wrong facts, the escalation is urgent at once (red, first), the lift and its
notice are marked "解除依据有误：16:00 确诊病例于 18:50 补报", the staff and the street are
told, and the compound's lifting count restarts from the case."""

import datetime

from django.utils import timezone, translation

from fangkong.core.when import short_time
from fangkong.notify.models import Notification
from fangkong.zones import lifting
from fangkong.zones.actions import escalate
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, Designation, ZoneCase
from tests.conftest import IDS, actor_for
from tests.zones.test_lift_home import _adjust


def _lifted(w):
    """光明小区 controlled and 1号楼 sealed since yesterday (the street's notices 17 and 18);
    1号楼 lifted now by the community's notice 19 (approved by the street)."""
    street, staff = actor_for(w.users.street), actor_for(w.users.staff)
    now = timezone.now().replace(second=0, microsecond=0)
    _adjust(street, w.street, w.compound, "controlled", "第17号", now - datetime.timedelta(hours=20), from_notice=True)
    _adjust(street, w.street, w.building, "sealed", "第18号", now - datetime.timedelta(hours=19), from_notice=True)
    return _adjust(staff, w.community, w.building, None, "第19号", now, op=pub.Op.LIFT)


def _zh(at):
    with translation.override("zh-hans"):
        return short_time(at)


def test_a_case_confirmed_before_the_lift_says_so_and_makes_the_reseal_urgent(world, presets, login):
    w = world
    lift = _lifted(w)
    confirmed = (timezone.localtime(lift.effective_at) - datetime.timedelta(hours=3)).replace(second=0)
    url = f"/zones/p/{w.community.id}/cases/new/"
    c = login(w.users.staff)
    form = {"person": IDS["xia_ming"], "source": "区疾控中心报告", "confirmed_at": confirmed.strftime("%Y-%m-%dT%H:%M")}
    asked = c.post(url, form).content.decode()
    said = (f"1号楼（封控区）于 {_zh(lift.effective_at)} 由第19号解除，而本病例已于 {_zh(confirmed)} 确诊："
            "解除依据有误，须紧急重新封控。")
    alarm = asked[asked.index('id="confirm-alarm"'):]
    assert "<h2>解除依据有误</h2>" in alarm and said in alarm, alarm[:800]
    assert not ZoneCase.objects.exists()  # asked first
    done = c.post(url, {**form, "confirm": "1"})
    case = ZoneCase.objects.get()
    proposal = Adjustment.objects.get(case=case)
    assert done["Location"] == f"/zones/adjustments/{proposal.id}/"
    # the escalation: urgent at once, saying why
    assert proposal.urgent and proposal.lift_flaws[0]["lift"] == lift.id
    page = c.get(done["Location"]).content.decode()
    box = page[page.index('id="lift-flaws"'):]
    assert "紧急：区域解除依据有误" in box[:200] and said in box, box[:600]
    # the lift and its notice: marked
    lift.refresh_from_db()
    mark = f"解除依据有误：{_zh(confirmed)} 确诊的病例于 {_zh(case.created_at)}（解除之后）补报。"
    assert [r["case"] for r in lift.lift_flaws] == [case.id]
    assert mark in c.get(f"/zones/adjustments/{lift.id}/").content.decode()
    notice = c.get(f"/zones/notices/{lift.notice_id}/").content.decode()
    assert 'id="lift-flaws"' in notice and mark in notice
    assert c.get(f"/api/v1/zones/notices/{lift.notice_id}").json()["lift_flaws"] == [mark]
    out = c.get(f"/api/v1/zones/adjustments/{lift.id}").json()
    assert out["lift_flaws"] == [mark]
    out = c.get(f"/api/v1/zones/adjustments/{proposal.id}").json()
    assert out["urgent"] is True and out["lift_flaws"] == [said]
    # first and red in the lists, at once (not after FANGKONG_ESCALATION_WAIT_HOURS)
    home = c.get(f"/places/{w.community.id}/").content.decode()
    panel = home[home.index('id="waiting-escalations"'):]
    assert proposal.title in panel and "紧急：重新封控依据有误而解除的区域" in panel
    zones = c.get(f"/zones/p/{w.community.id}/").content.decode()
    drafts = zones[zones.index("草稿和定时发布"):]
    assert drafts.index(proposal.title) < drafts.index("</ul>") and 'class="alert"' in drafts[:drafts.index(proposal.title)]
    # the staff and the street are told, urgently, with the lift named
    for user in (w.users.staff, w.users.grid, w.users.street):
        (m,) = Notification.objects.filter(user=user, kind="zones.case")
        assert m.title == "紧急：解除前已确诊的病例：夏明" and said in m.body, (user, m.title, m.body)
    # another community's staff see nothing of it
    o = login(w.users.other_staff)
    assert o.get(f"/zones/adjustments/{lift.id}/").status_code == 404
    assert o.get(f"/zones/adjustments/{proposal.id}/").status_code == 404


def test_the_api_says_it_and_a_second_case_keeps_the_draft_urgent(world, presets, login):
    w = world
    lift = _lifted(w)
    c = login(w.users.staff)
    before = (lift.effective_at - datetime.timedelta(hours=2)).isoformat()
    r = c.post("/api/v1/zones/cases", {"resident": w.wang.id, "source": "市卫健委", "confirmed_at": before},
               content_type="application/json")
    assert r.status_code == 201, r.content
    out = r.json()
    assert len(out["lift_flaws"]) == 1 and "由第19号解除" in out["lift_flaws"][0], out
    proposal = Adjustment.objects.get(pk=out["proposal"])
    assert proposal.urgent
    # the lifted building's case counts for the compound's zone still in force: its count restarts
    compound = Designation.objects.get(place=w.compound, ends_at=None)
    rec = lifting.recommendations([compound])[0]
    assert rec.last_case is not None and rec.last_case.resident_id == w.wang.id


def test_a_case_confirmed_after_the_lift_marks_nothing(world, presets, login):
    w = world
    lift = _lifted(w)
    case, proposal = escalate.record_case(actor_for(w.users.staff), w.xia, source="区疾控中心报告")
    assert case.confirmed_at > lift.effective_at
    lift.refresh_from_db()
    assert lift.lift_flaws == [] and proposal is not None and not proposal.urgent
    c = login(w.users.staff)
    assert 'id="lift-flaws"' not in c.get(f"/zones/adjustments/{proposal.id}/").content.decode()
    (m,) = Notification.objects.filter(user=w.users.staff, kind="zones.case")
    assert m.title == "确诊病例：夏明"
