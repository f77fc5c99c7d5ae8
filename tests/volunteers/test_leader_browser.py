"""On a phone in Chromium: a team leader opens a community-wide call under way, sees her own
member's row (and nobody else's), types the time he actually arrived and confirms it; a time
in the future is refused saying so. Screenshots: test-output/screenshots/
volunteers-leader-*.png."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.volunteers.actions import answers, calls, teams
from fangkong.volunteers.models import Assignment
from tests.conftest import actor_for

from .test_confirm_browser import log_in_by_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_confirms_her_members_arrival_time_on_a_community_call(phone_page, world, make_volunteer,
                                                                         codes):
    page = phone_page
    staff = actor_for(world.users.staff)
    leader, member, other = (make_volunteer(1, name="田晓燕"), make_volunteer(2, name="赵文静"),
                             make_volunteer(3, name="李强"))
    team = teams.create_team(staff, world.community, "封控五组", area=world.building, leader=leader)
    teams.add_member(staff, team, member)
    start = (timezone.now() - datetime.timedelta(minutes=20)).replace(second=0, microsecond=0)
    call = calls.create_call(staff, world.community, {
        "title": "1号楼楼道消杀", "task": "disinfection", "place": world.building.id,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=2)).isoformat(),
        "slots": 5, "audience": "community"})
    mine = answers.sign_up(actor_for(member.user), call)
    answers.sign_up(actor_for(other.user), call)

    log_in_by_code(page, leader.phone, codes)
    page.goto(f"{page.base}/volunteers/calls/{call.id}/")
    roster = page.locator("#confirmed + ul")
    expect(roster).to_contain_text("赵文静")
    expect(roster).not_to_contain_text("李强")
    expect(page.locator("main")).to_contain_text("本队队员")
    page.shot("volunteers-leader-01-her-members")

    later = timezone.localtime(timezone.now() + datetime.timedelta(minutes=30))
    page.fill("form.arrive input[type=time]", later.strftime("%H:%M"))
    page.click("form.arrive button")
    expect(page.locator(".msg.error").first).to_contain_text("晚于现在")
    page.shot("volunteers-leader-02-future-refused")
    assert Assignment.objects.get(pk=mine.pk).check_in_at is None

    # before he had the place (he signed up 20 minutes into the shift): refused, saying so
    before = timezone.localtime(start + datetime.timedelta(minutes=7))
    page.fill("form.arrive input[type=time]", before.strftime("%H:%M"))
    page.click("form.arrive button")
    expect(page.locator(".msg.error").first).to_contain_text("早于赵文静获得名额的时间")
    assert Assignment.objects.get(pk=mine.pk).check_in_at is None

    arrived = timezone.localtime(mine.confirmed_at).replace(second=0, microsecond=0)
    page.fill("form.arrive input[type=time]", arrived.strftime("%H:%M"))
    page.click("form.arrive button")
    # asked first, naming him and the time
    expect(page.locator("#confirm-title")).to_have_text("确认 赵文静 已到岗？")
    expect(page.locator("main")).to_contain_text(f"到达时间 {arrived:%H:%M}")
    page.shot("volunteers-leader-03-asked")
    assert Assignment.objects.get(pk=mine.pk).check_in_at is None
    page.click("text=是，赵文静 已到")
    expect(roster).to_contain_text(f"签到 {arrived:%H:%M}")
    expect(page.locator("#arrivals")).to_contain_text("已到 1 / 应到 1")
    expect(roster.locator("text=撤销签到")).to_be_visible()  # a wrong row is undone for a few minutes
    page.shot("volunteers-leader-04-confirmed")
    a = Assignment.objects.get(pk=mine.pk)
    assert a.check_in_at == arrived and a.check_in_by == leader.user
    assert page.problems == [], page.problems


def test_a_member_calls_her_leader_from_the_teams_page(phone_page, world, make_volunteer, codes):
    page = phone_page
    staff = actor_for(world.users.staff)
    leader, member, other = (make_volunteer(1, name="田晓燕"), make_volunteer(2, name="赵文静"),
                             make_volunteer(3, name="李强"))
    team = teams.create_team(staff, world.community, "封控五组", area=world.building, leader=leader)
    teams.add_member(staff, team, member)
    teams.add_member(staff, team, other)
    log_in_by_code(page, member.phone, codes)
    page.goto(f"{page.base}/volunteers/teams/{team.id}/")
    expect(page.locator("main .hint").first).to_contain_text("组长：田晓燕")
    expect(page.locator("main .hint").first).to_contain_text("负责区域：1号楼")
    assert page.locator(f'a[href="tel:{leader.phone}"]').count() == 2  # at the top and on her row
    assert page.locator(f'a[href="tel:{other.phone}"]').count() == 0
    page.shot("volunteers-leader-04-team-as-member")
    assert page.problems == [], page.problems
