"""Volunteers in the demo: 光明社区 has approved volunteers (residents of the compound of
working age), a few waiting for approval, a team (封控五组) led by the `volunteer_demo`
account, a call for tomorrow 07:00 that is half filled, and this morning's sampling round
with verified hours (so the roll of honour and the exports have figures).

The demo's volunteers part (after the accounts part); everything goes through the
actions (as the system actor, or as each volunteer for their own sign-up).
"""

import datetime

from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.core import pii
from fangkong.core.actor import Actor
from fangkong.registry.models import Household, Kind, Place, Resident
from fangkong.volunteers.actions import answers, attendance, calls, registration, teams
from fangkong.volunteers.models import Assignment, Volunteer

from .context import Demo

COMMUNITY = "光明社区"
WORK_UNITS = ["太原第二热电厂", "迎泽区人民医院", "太原市第五中学", "山西省电力公司", "个体",
              "桥东街道办事处", "太原银行迎泽支行"]
SKILLS = [["driving"], ["medical"], [], ["sampling"], ["it"], [], ["psych"], ["driving", "it"]]


def build(demo: Demo):
    add_volunteers(demo.district)


def add_volunteers(district: Place, *, approved=14, pending=3) -> int:
    """Add the volunteers of 光明社区 under `district`; returns how many."""
    actor = Actor.system(via="cli")
    community = Place.objects.filter(kind=Kind.COMMUNITY, name=COMMUNITY, district_id=district.id).first()
    if community is None:
        return 0
    people = list(Resident.objects.filter(community_id=community.id, presence="home",
                                          phone__startswith="1", id_hash__isnull=False)
                  .exclude(id_hash__in=Volunteer.objects.values("id_hash"))
                  .exclude(phone__in=Volunteer.objects.values("phone"))
                  .select_related("household").order_by("id"))
    today = timezone.localdate()
    people = [r for r in people if r.birth_date and 20 <= _age(r.birth_date, today) <= 62]
    made = []
    for n, r in enumerate(people[:approved + pending]):
        data = {"name": r.name, "phone": r.phone, "id_number": pii.decrypt(r.id_enc),
                "household": r.household_id, "work_unit": WORK_UNITS[n % len(WORK_UNITS)],
                "party_member": n % 3 == 0, "party_branch": f"光明社区第{n % 2 + 1}党支部" if n % 3 == 0 else "",
                "skills": SKILLS[n % len(SKILLS)], "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][n % 3:],
                "hours_from": "07:00", "hours_to": "21:00" if n % 2 else "12:00", "consent": True}
        v = registration.add_volunteer(actor, community, data)
        if n < approved:
            v = registration.approve(actor, v)
        made.append(v)
    me = _demo_volunteer(actor, community)
    if me is None:
        return len(made)
    team = teams.create_team(actor, community, "封控五组",
                               area=Place.objects.filter(community_id=community.id, kind=Kind.BUILDING)
                               .order_by("sort_key").first(), leader=me)
    for v in made[:6]:
        if v.status == Volunteer.Status.APPROVED:
            teams.add_member(actor, team, v)
    crew = [v for v in made if v.status == Volunteer.Status.APPROVED]
    now = timezone.localtime()
    # This morning's sampling round: assigned, attendance confirmed by the office, hours credited.
    start = now - datetime.timedelta(hours=3)
    past = calls.create_call(actor, community, {
        "task": "sampling", "title": "核酸采样秩序维护（今晨）", "place": community.id,
        "starts_at": start, "ends_at": now + datetime.timedelta(minutes=30), "slots": 8,
        "deadline": start, "briefing": "扫码签到，保持一米间距，引导老人优先。"})
    for k, v in enumerate(crew[:6] + [me]):
        a = calls.assign(actor, past, v)
        # assigned the evening before, as the story goes (the action stamps "now")
        eve = start - datetime.timedelta(hours=10)
        Assignment.objects.filter(pk=a.pk).update(signed_at=eve, confirmed_at=eve)
        attendance.confirm_attendance(actor, a, start + datetime.timedelta(minutes=5 * (k % 3)),
                                   now - datetime.timedelta(minutes=10 * (k % 4)))
    # Tomorrow 07:00: the call the demo volunteer sees, half filled.
    tomorrow = timezone.make_aware(datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                                             datetime.time(7, 0)))
    building = Place.objects.filter(community_id=community.id, kind=Kind.BUILDING).order_by("sort_key").first()
    call = calls.create_call(actor, community, {
        "task": "sampling", "title": "明早7点全员核酸：需20人", "place": (building or community).id,
        "starts_at": tomorrow, "ends_at": tomorrow + datetime.timedelta(hours=4), "slots": 20,
        "deadline": tomorrow - datetime.timedelta(minutes=30),
        "briefing": "6:45 到楼下集合，领取防护服；负责扫码登记和秩序维护。"})
    for v in crew[6:13]:
        answers.sign_up(Actor.system(v.user, via="cli"), call)
    calls.create_call(actor, community, {
        "task": "delivery", "title": "15:30 保供物资送上门", "place": community.id,
        "starts_at": tomorrow + datetime.timedelta(hours=8, minutes=30),
        "ends_at": tomorrow + datetime.timedelta(hours=11), "slots": 6, "audience": "team",
        "team": team.id, "briefing": "卡口对单后分楼栋送到门口，晚饭前送完。"})
    return len(made) + 1


def _age(born, today):
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _demo_volunteer(actor, community) -> Volunteer | None:
    """The Volunteer record behind the `volunteer_demo` account (approved, so it sees calls)."""
    user = User.objects.filter(username="volunteer_demo").first()
    if user is None or not user.phone:
        return None
    v = Volunteer.objects.filter(user=user).first()
    if v is not None:
        return v
    household = Household.objects.filter(community_id=community.id).order_by("id").first()
    idn = pii.make_id_number("140106", datetime.date(1986, 5, 4), 288)
    v = registration.add_volunteer(actor, community, {
        "name": user.display_name or "田晓燕", "phone": user.phone, "id_number": idn,
        "household": household.id, "work_unit": "迎泽区人民医院", "party_member": True,
        "party_branch": "光明社区第1党支部", "skills": ["medical", "sampling"],
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "consent": True})
    return registration.approve(actor, v)
