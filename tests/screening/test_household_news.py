"""People in a positive pool told what is happening, in plain words (a demo walker's
findings): the family's own landing page says each person's testing now with the next step,
the family's inbox is told when the pool turns positive and when the single re-test comes
back (once each), a confirmed case is not asked for an antigen self-report, the staff's
household page shows the follow-up, the case's housemates are marked close contacts (not
simply released) on the follow-up page and its API, the staff's case alert links the
drafted zone escalation, and people without a phone of their own show the household's."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.screening.actions import followup, lab, planning
from fangkong.screening.models import FollowUp

from .conftest import api
from .test_alert import positive_pool


def panel_of(html):
    m = re.search(r'<section class="card testing-now" id="testing-now">.*?</section>', html, re.S)
    return m.group(0) if m else ""


def line_of(html, resident):
    m = re.search(rf'<li class="status tone-(\w+)" id="st{resident.id}">(.*?)</li>', html, re.S)
    assert m, f"no line for {resident.name}"
    return m.group(1), re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", m.group(2)))


def retests(world, rnd, su="positive", yu="negative"):
    """The pool of 苏霞 and 于海涛 (both of 1单元 101) positive, then their single re-tests."""
    positive_pool(world, rnd)
    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=world.su), "S0001")
    followup.record_retest(staff, FollowUp.objects.get(resident=world.yu), "S0002")
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": su},
        {"_row": 2, "barcode": "S0002", "result": yu}], source="upload")


def family_notes(world, kind):
    return list(Notification.objects.filter(user=world.users.resident, kind=kind).order_by("id"))


def test_the_family_landing_page_says_held_and_what_to_do(world, rnd, login):
    """Before: the landing page had no results; 我家的检测结果 said only 混管阳性，待单采复核."""
    positive_pool(world, rnd)
    resp = login(world.users.resident).get(reverse("home"), follow=True)
    assert resp.redirect_chain[-1][0] == reverse("household", args=[world.hh101.id])
    html = resp.content.decode()
    panel = panel_of(html)
    assert "我家现在的检测情况" in panel
    tone, both = line_of(panel, world.su)
    assert tone == "held"
    # one block for the two of them, in the words a family uses
    assert "苏霞、于海涛" in both and "混管阳性，等待单独复核" in both
    assert "这不代表已经感染" in both and "不要外出" in both and "不要去采样点" in both and "上门" in both
    # whom to call, the community office's staff
    assert "有问题请打社区电话" in panel and "13800000001" in panel
    # the panel comes before the people's cards
    assert html.index('id="testing-now"') < html.index('class="card person-card"')


def test_the_family_is_told_once_when_the_pool_turns_positive(world, rnd, login):
    positive_pool(world, rnd)
    [note] = family_notes(world, "screening.family_held")
    assert "苏霞、于海涛" in note.title and "单独复核" in note.title
    assert "在家" in note.body and "不要去采样点" in note.body and "上门" in note.body
    assert note.url == reverse("household", args=[world.hh101.id])
    # the same file again: no second message
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "T0001", "result": "positive"}], source="upload")
    assert len(family_notes(world, "screening.family_held")) == 1
    # the family reads it in its inbox (the walker found 暂无消息)
    inbox = login(world.users.resident).get(reverse("inbox")).content.decode()
    assert "苏霞、于海涛" in inbox
    # nobody outside the household is told as a family
    assert not Notification.objects.filter(kind="screening.family_held").exclude(
        user=world.users.resident).exists()


def test_a_case_and_the_housemate_released_negative_are_told_in_plain_words(world, rnd, login):
    """Before: 武雅琴 阳性 in the same orange as 未上报结果, housemates 阴性 with no mention."""
    retests(world, rnd)
    html = login(world.users.resident).get(reverse("household", args=[world.hh101.id])).content.decode()
    panel = panel_of(html)
    assert "家里有人确诊阳性" in panel and "不要出门" in panel
    tone, su = line_of(panel, world.su)
    assert tone == "case" and "确诊阳性" in su and "社区工作人员会尽快打电话" in su
    tone, yu = line_of(panel, world.yu)
    assert tone == "held"  # amber, never green
    assert "单采复核阴性" in yu and "密切接触者" in yu and "已解除" not in yu
    assert "即使检测阴性也请在家" in yu
    # the inbox: one message for each re-test, the case's and the close contact's
    notes = family_notes(world, "screening.family_retest")
    assert len(notes) == 2
    case = next(n for n in notes if "苏霞" in n.title)
    contact = next(n for n in notes if "于海涛" in n.title)
    assert "单采复核阳性" in case.title and "社区工作人员会尽快" in case.body
    assert "密接" in contact.title and "不解除" in contact.body
    # the results page: a case in red, apart from "not sampled"
    results = login(world.users.resident).get(reverse("screening_household", args=[world.hh101.id]))
    text = results.content.decode()
    assert re.search(r'class="badge bad">阳性<', text)
    assert "与确诊病例同户：密切接触者" in text


def test_a_housemate_released_before_the_case_was_told_released_then_the_case_tells_all(world, rnd):
    positive_pool(world, rnd)
    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=world.su), "S0001")
    followup.record_retest(staff, FollowUp.objects.get(resident=world.yu), "S0002")
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0002", "result": "negative"}], source="upload")
    [first] = family_notes(world, "screening.family_retest")
    assert "于海涛" in first.title and "单采复核阴性" in first.title and "密接" not in first.title
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": "positive"}], source="upload")
    notes = family_notes(world, "screening.family_retest")
    assert len(notes) == 2 and "家里其他人都是密接" in notes[1].body
    # staff are told how many live with the case
    note = Notification.objects.get(user=world.users.staff, kind="screening.case")
    assert "1 人与苏霞同住" in note.body and "密接" in note.body


def test_a_confirmed_case_is_not_asked_for_an_antigen_self_report(world, rnd, login, system):
    retests(world, rnd)
    now = timezone.now()
    ag = planning.plan_round(system, world.community, {
        "name": "抗原自测", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 1})
    planning.set_status(system, ag, "running")
    html = login(world.users.resident).get(reverse("screening_antigen_mine")).content.decode()
    su = html[html.index("苏霞"):html.index("于海涛")]
    assert 'name="result"' not in su and "确诊病例不用自测上报" in su
    yu = html[html.index("于海涛"):]
    assert 'name="result"' in yu  # the others still report


def test_the_staff_household_page_shows_the_follow_up(world, rnd, login):
    """Before: the alert linked each name to /households/<id>/, whose page showed no result."""
    positive_pool(world, rnd)
    url = reverse("household", args=[world.hh101.id])
    html = login(world.users.staff).get(url).content.decode()
    panel = panel_of(html)
    assert "检测与随访" in panel
    tone, su = line_of(panel, world.su)
    assert tone == "held" and "混管阳性，等待单独复核" in su and "在随访页记录" in su
    assert reverse("screening_followups", args=[rnd.id]) in panel
    assert "这不代表已经感染" not in panel  # the family's words are the family's
    # a building leader sees it, without the follow-up page (not theirs to work)
    leader = panel_of(login(world.users.leader).get(url).content.decode())
    assert "混管阳性，等待单独复核" in leader
    assert reverse("screening_followups", args=[rnd.id]) not in leader
    # the case and the close contact, after the re-tests
    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=world.su), "S0001")
    followup.record_retest(staff, FollowUp.objects.get(resident=world.yu), "S0002")
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": "positive"},
        {"_row": 2, "barcode": "S0002", "result": "negative"}], source="upload")
    panel = panel_of(login(world.users.staff).get(url).content.decode())
    tone, su = line_of(panel, world.su)
    assert tone == "case" and "确诊病例" in su
    tone, yu = line_of(panel, world.yu)
    assert tone == "held" and "同户，密接" in yu and "单采复核阴性，不解除" in yu


def test_the_follow_up_page_and_api_mark_the_cases_housemates(world, rnd, login):
    """Before: two people living with the case showed 已解除：单采复核阴性 and nothing else."""
    # 夏明 (1单元 102) in the same pool, released: not a housemate of the case
    positive_pool(world, rnd, people=(world.su, world.yu, world.xia))
    staff = Actor.system(world.users.staff)
    for r, code in ((world.su, "S0001"), (world.yu, "S0002"), (world.xia, "S0003")):
        followup.record_retest(staff, FollowUp.objects.get(resident=r), code)
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": "positive"},
        {"_row": 2, "barcode": "S0002", "result": "negative"},
        {"_row": 3, "barcode": "S0003", "result": "negative"}], source="upload")
    client = login(world.users.staff)
    html = client.get(reverse("screening_followups", args=[rnd.id])).content.decode()
    rows = {name: re.sub(r"<[^>]+>", " ", row) for row in re.findall(r'<li class="row">(.*?)</li>', html, re.S)
            for name in ("苏霞", "于海涛", "夏明") if f"<strong>{name}</strong>" in row}
    assert "同户，密接" in rows["于海涛"] and "已解除" not in rows["于海涛"]
    assert "单采复核阴性，不解除" in rows["于海涛"]
    assert "同户，密接" not in rows["夏明"] and "已解除：单采复核阴性" in rows["夏明"]
    assert "同户，密接" not in rows["苏霞"]
    out = {f["resident"]["name"]: f for f in api(client, "get", f"/rounds/{rnd.id}/followups").json()["results"]}
    # not "released" (a system reading `status` alone took her as released): a close contact
    assert out["于海涛"]["close_contact"] is True and out["于海涛"]["status"] == "close_contact"
    assert out["于海涛"]["released"] is False and out["于海涛"]["followup_status"] == "released"
    assert out["夏明"]["status"] == "released" and out["夏明"]["released"] is True
    assert "不解除" in out["于海涛"]["status_label"]
    assert out["夏明"]["close_contact"] is False and out["苏霞"]["close_contact"] is False


def test_the_staff_home_case_links_the_drafted_zone_escalation(world, rnd, login, system):
    from fangkong.zones.actions import publish as pub
    from fangkong.zones.actions.policy import install_presets
    from fangkong.zones.models import Adjustment, Policy, ZoneType

    install_presets()
    Policy.objects.update(is_active=False)
    Policy.objects.filter(code="shanghai-2022-04").update(is_active=True)
    staff = Actor.system(world.users.staff)
    n = pub.create_notice(staff, world.community, {"number": "第17号", "issued_by": "指挥部",
                                                   "title": "通告", "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, world.community, "管控", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, world.compound,
                 ZoneType.objects.get(policy__is_active=True, code="controlled"))
    pub.publish(staff, adj)
    retests(world, rnd)
    proposal = Adjustment.objects.get(reason="escalation")
    home = login(world.users.staff).get(reverse("home"), follow=True).content.decode()
    alert = re.search(r'<section id="positive-alert".*?</section>', home, re.S).group(0)
    assert reverse("zones_adjustment", args=[proposal.id]) in alert and "核对并发布区域升级" in alert
    # and on the household's page
    panel = panel_of(login(world.users.staff).get(reverse("household", args=[world.hh101.id])).content.decode())
    assert reverse("zones_adjustment", args=[proposal.id]) in panel


@pytest.fixture
def child(world, system):
    """小宝, 102's child without a phone of their own (102 has no household phone: 夏明's)."""
    return reg.create_resident(system, world.hh102, {"name": "小宝", "relation": "子女"})


def test_people_without_a_phone_show_the_households(world, rnd, login, child, system):
    """Before: the follow-up and home-sampling lists showed nothing to call for them."""
    positive_pool(world, rnd, people=(world.su, child))
    followup.add_home_visit(Actor.system(world.users.staff), rnd, child)
    reg.update_resident(system, world.su, {"phone": ""})  # 101 has its own phone
    staff = login(world.users.staff)
    before = AuditEvent.objects.filter(action="resident.view_phones").count()
    html = staff.get(reverse("screening_followups", args=[rnd.id])).content.decode()
    assert "15083776308" in html and "夏明（同户）" in html  # 小宝: 夏明's phone
    assert "03514001234" in html and "住户电话" in html  # 苏霞: 101's phone
    ev = AuditEvent.objects.filter(action="resident.view_phones").order_by("-id").first()
    assert AuditEvent.objects.filter(action="resident.view_phones").count() == before + 1
    assert world.xia.id in ev.changes["residents"] and world.hh101.id in ev.changes["households"]
    home = staff.get(reverse("screening_home_list", args=[rnd.id])).content.decode()
    assert "15083776308" in home and "夏明（同户）" in home
    out = api(staff, "get", f"/rounds/{rnd.id}/followups").json()["results"]
    kid = next(f for f in out if f["resident"]["name"] == "小宝")["resident"]
    assert kid["phone"] == "" and kid["contact_phone"] == {
        "phone": "15083776308", "phone_masked": False, "of": "housemate", "name": "夏明"}
    visits = api(staff, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    assert next(v for v in visits if v["resident"]["name"] == "小宝")["resident"]["contact_phone"]["name"] == "夏明"
    # a sampler of the round with no re-test given to her (a volunteer, no phones by role)
    # reads nobody on the list, and no phone (walk "lab" #2, 2026-12: her task only)
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, world.users.volunteer)
    masked = login(world.users.volunteer).get(reverse("screening_followups", args=[rnd.id])).content.decode()
    assert "小宝" not in masked and "15083776308" not in masked and "150****6308" not in masked
