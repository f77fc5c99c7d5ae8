"""Calls short of people (found on the volunteer walk, 23:00 to the hours export): at 05:50
the staff's landing showed the first three calls by start — full ones — and not the two
short ones; a team leader whose members were on a community-wide call landed on "目前没有任务";
after the deadline or the start there was no way to call more people (raising the number
left it "已截止", nobody told; a new deadline was refused; 指派 offered 19 names, most of them
busy and refused one by one)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.notify.models import Notification
from fangkong.volunteers.actions import answers, attendance, call_news, registration, teams
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.volunteers.models import Assignment, Call
from tests.conftest import actor_for, seal_now
from tests.volunteers.conftest import register
from tests.volunteers.test_call_news import api, bearer


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


def call_at(world, start, hours, slots, **over):
    data = {"task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
            "ends_at": (start + datetime.timedelta(hours=hours)).isoformat(), "slots": slots}
    data.update(over)
    return vol_calls.create_call(actor_for(world.users.staff), world.community, data)


def told(kind, v):
    return Notification.objects.filter(kind=kind, user_id=v.user_id).count()


@pytest.fixture
def morning(world, make_volunteer, monkeypatch):
    """06:00 tomorrow (T): 采样点协助 T–T+8h for 2, taken by 陈 and 王 (王 checked in, 陈 not);
    入户上门跑腿 T–T+6h for 3, 孙 on it (busy for the sampling call); 刘 answered the sampling
    call and gave it up; 周 waits on its waitlist; 韩 lives in a sealed unit; 张 is free and has
    answered nothing. Now is T+20 min: the sampling call began, its sign-up closed at T."""
    t = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    names = ["陈", "王", "孙", "刘", "周", "韩", "张"]
    p = {n: make_volunteer(i + 1, name=n, **({"household": world.hh201.id} if n == "韩" else {}))
         for i, n in enumerate(names)}
    at(monkeypatch, t - datetime.timedelta(hours=7))  # 23:00 the night before
    sampling = call_at(world, t, 8, 2, title="采样点协助")
    runs = call_at(world, t, 6, 3, title="入户上门跑腿")
    for n in ("陈", "王"):
        answers.sign_up(actor_for(p[n].user), sampling)
    answers.sign_up(actor_for(p["孙"].user), runs)
    gone = answers.sign_up(actor_for(p["刘"].user), sampling)
    assert gone.status == "waitlisted"
    answers.cancel(actor_for(p["刘"].user), gone)
    assert answers.sign_up(actor_for(p["周"].user), sampling).status == "waitlisted"
    seal_now(world, world.unit2)  # 韩's home: 封控区, kept home
    at(monkeypatch, t + datetime.timedelta(minutes=20))
    attendance.check_in(actor_for(p["王"].user), sampling.token)
    return dict(t=t, p=p, sampling=sampling, runs=runs)


def test_refill_reopens_a_started_call_and_tells_only_the_free_who_have_not_answered(morning, world):
    s, p = morning, morning["p"]
    call = Call.objects.get(pk=s["sampling"].pk)
    assert call.state == Call.Status.CLOSED and not call.accepting  # 20/20 · 已截止, the walk's state
    staff = actor_for(world.users.staff)
    c = vol_calls.refill(staff, call, 2, from_slots=2)
    assert (c.slots, c.confirmed, c.deadline, c.state) == (4, 3, call.ends_at, Call.Status.OPEN)
    assert Assignment.objects.get(call=call, volunteer=p["周"]).status == "confirmed"  # the waitlist first
    assert c.told == 1
    assert told("volunteers.call_refill", p["张"]) == 1
    for n in ("陈", "王", "孙", "刘", "周", "韩"):  # answered, busy elsewhere, or kept home: not told
        assert told("volunteers.call_refill", p[n]) == 0, n
    body = Notification.objects.get(kind="volunteers.call_refill", user_id=p["张"].user_id).body
    assert "现在还需 1 人" in body
    # the free volunteer can answer now, after the start
    assert answers.sign_up(actor_for(p["张"].user), Call.objects.get(pk=call.pk)).status == "confirmed"
    # a second tap (the same number seen) adds nothing and tells nobody again
    again = vol_calls.refill(staff, call, 2, from_slots=2)
    assert again.repeated and Call.objects.get(pk=call.pk).slots == 4
    assert Notification.objects.filter(kind="volunteers.call_refill").count() == 1
    with pytest.raises(Conflict) as e:  # someone else changed it meanwhile
        vol_calls.refill(staff, call, 5, from_slots=3)
    assert e.value.code == "changed"


def test_refill_is_refused_to_command_and_hidden_from_another_community(morning, world):
    call = morning["sampling"]
    with pytest.raises(Forbidden):
        vol_calls.refill(actor_for(world.users.street), call, 1)
    with pytest.raises(NotFound):
        vol_calls.refill(actor_for(world.users.other_staff), call, 1)
    with pytest.raises(NotFound):  # a volunteer holding a place does not run it (as set_slots)
        vol_calls.refill(actor_for(morning["p"]["陈"].user), call, 1)
    call_news.cancel_call(actor_for(world.users.staff), call, "取消")
    with pytest.raises(Conflict) as e:
        vol_calls.refill(actor_for(world.users.staff), Call.objects.get(pk=call.pk), 1)
    assert e.value.code == "cancelled"


def test_refill_on_the_page_asks_first_then_says_what_was_done(morning, world, login):
    call, p = morning["sampling"], morning["p"]
    client = login(world.users.staff)
    page = client.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert 'id="refill"' in page and reverse("volunteers_call_refill", args=[call.id]) in page
    url = reverse("volunteers_call_refill", args=[call.id])
    r = client.post(url, {"add": "3", "from_slots": "2"})
    html = r.content.decode()
    assert r.status_code == 200 and "补充召集 3 人" in html and "所需人数：2 → 5" in html
    assert "候补中的 1 人先递补" in html and "1 名尚未报名、该时段空闲的志愿者" in html
    assert Call.objects.get(pk=call.pk).slots == 2  # nothing done before "yes"
    r = client.post(url, {"add": "3", "from_slots": "2", "confirm": "1"}, follow=True)
    assert Call.objects.get(pk=call.pk).slots == 5
    assert "已通知 1 名志愿者" in r.content.decode()
    # the free volunteer now sees the button on the call and it among her open calls
    vol = login(p["张"].user)
    assert "我来！" in vol.get(reverse("volunteers_call", args=[call.id])).content.decode()
    assert "采样点协助" in vol.get(reverse("volunteers_home")).content.decode()
    # command follows the call: refused; another community's staff: missing
    assert login(world.users.street).post(url, {"add": "1", "from_slots": "5"}).status_code == 403
    assert login(world.users.other_staff).post(url, {"add": "1"}).status_code == 404


def test_refill_in_the_api(morning, world):
    call, p = morning["sampling"], morning["p"]
    url = f"/api/v1/volunteers/calls/{call.id}/refill"
    r = api(bearer(world.users.staff), url, {"add": 2, "from_slots": 2})
    assert r.status_code == 200, r.content
    out = r.json()
    assert (out["slots"], out["confirmed"], out["status"], out["told"], out["repeated"]) == (4, 3, "open", 1, False)
    assert api(bearer(world.users.staff), url, {"add": 2, "from_slots": 2}).json()["repeated"] is True
    assert api(bearer(world.users.street), url, {"add": 1}).status_code == 403
    assert api(bearer(world.users.other_staff), url, {"add": 1}).status_code == 404
    assert api(bearer(p["陈"].user), url, {"add": 1}).status_code == 404
    assert api(bearer(world.users.staff), url, {"add": 0}).status_code == 400


def test_the_assign_list_offers_the_free_first_and_marks_the_busy_with_why(morning, world, login):
    call, p = morning["sampling"], morning["p"]
    page = login(world.users.staff).get(reverse("volunteers_call", args=[call.id])).content.decode()
    picker = page.split('name="volunteer"', 1)[1].split("</select>", 1)[0]
    free, busy = picker.split("该时段已有任务", 1)
    assert f'<option value="{p["张"].id}">' in free and f'<option value="{p["刘"].id}">' in free
    assert f'value="{p["孙"].id}"' not in free
    assert f'<option value="{p["孙"].id}" disabled>孙 · 已报名：“入户上门跑腿”' in busy
    assert f'value="{p["韩"].id}"' not in picker  # kept home: not offered at all


def test_a_published_calls_deadline_may_move_past_its_start_until_its_end(world, monkeypatch):
    t = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    at(monkeypatch, t - datetime.timedelta(hours=7))
    call = call_at(world, t, 8, 20)
    at(monkeypatch, t - datetime.timedelta(minutes=10))
    c, _n = call_news.change_call(actor_for(world.users.staff), call,
                                  {"deadline": (t + datetime.timedelta(hours=2)).isoformat()})
    assert c.deadline == t + datetime.timedelta(hours=2)
    with pytest.raises(Invalid) as e:  # never past its end
        call_news.change_call(actor_for(world.users.staff), call,
                              {"deadline": (t + datetime.timedelta(hours=9)).isoformat()})
    assert e.value.fields["deadline"] == ["报名截止时间不能晚于结束时间。"]


def test_the_landing_puts_the_calls_short_of_people_first_with_the_gap(world, make_volunteer, monkeypatch, login):
    """05:50: a night shift full and arrived, two full calls starting earlier, then the two
    that are short: the panel shows those first, with "缺 N 人" / "未到 N 人"."""
    t = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    people = [make_volunteer(n) for n in range(1, 7)]
    at(monkeypatch, t - datetime.timedelta(hours=7))
    night = call_at(world, t - datetime.timedelta(hours=6), 6.5, 1, title="夜班值守")
    full_a = call_at(world, t - datetime.timedelta(minutes=30), 1, 1, title="东门秩序")
    started = call_at(world, t - datetime.timedelta(minutes=20), 4, 2, title="采样点协助")
    short = call_at(world, t + datetime.timedelta(hours=1), 2, 5, title="入户上门跑腿")
    over = call_at(world, t - datetime.timedelta(hours=6), 1, 3, title="昨夜的召集")
    answers.sign_up(actor_for(people[0].user), night)
    answers.sign_up(actor_for(people[1].user), full_a)
    answers.sign_up(actor_for(people[2].user), started)
    answers.sign_up(actor_for(people[3].user), started)
    answers.sign_up(actor_for(people[4].user), short)
    at(monkeypatch, t - datetime.timedelta(hours=6) + datetime.timedelta(minutes=5))
    attendance.check_in(actor_for(people[0].user), night.token)
    at(monkeypatch, t - datetime.timedelta(minutes=10))  # 05:50
    attendance.check_in(actor_for(people[2].user), started.token)
    html = login(world.users.staff).get(reverse("place", args=[world.community.id])).content.decode()
    panel = html.split("志愿者", 1)[1]
    where = {c.title: panel.find(c.title) for c in (night, full_a, started, short)}
    assert where["采样点协助"] < where["入户上门跑腿"] < where["夜班值守"]
    assert -1 not in where.values()
    assert "昨夜的召集" not in panel  # over: not today's work
    assert "未到 1 人" in panel and "缺 4 人" in panel
    assert over.id


@pytest.fixture
def leader_day(world, make_volunteer, monkeypatch):
    """杨娟 leads 采样保障组 (孔俊勇, 韩洁; 韩洁 lives in a sealed unit). 孔俊勇 is on the
    community-wide 采样点协助, which began 10 minutes ago, not yet arrived."""
    staff = actor_for(world.users.staff)
    t = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    yang, kong = make_volunteer(1, name="杨娟"), make_volunteer(2, name="孔俊勇")
    han = make_volunteer(3, name="韩洁", household=world.hh201.id)
    other = make_volunteer(4, name="李强")
    team = teams.create_team(staff, world.community, "采样保障组", leader=yang)
    teams.add_member(staff, team, kong)
    teams.add_member(staff, team, han)
    at(monkeypatch, t - datetime.timedelta(hours=7))
    call = call_at(world, t, 8, 5, title="采样点协助")
    answers.sign_up(actor_for(kong.user), call)
    answers.sign_up(actor_for(other.user), call)
    seal_now(world, world.unit2)
    at(monkeypatch, t + datetime.timedelta(minutes=10))
    return dict(t=t, yang=yang, kong=kong, han=han, other=other, team=team, call=call)


def test_a_leader_lands_on_her_members_calls_with_who_has_arrived(leader_day, login):
    s = leader_day
    link = reverse("volunteers_call", args=[s["call"].id])
    client = login(s["yang"].user)
    home = client.get(reverse("volunteers_home")).content.decode()
    assert "本队今日任务" in home and link in home and "到岗 0/1" in home and "未到 1 人" in home
    team = client.get(reverse("volunteers_team", args=[s["team"].id])).content.decode()
    assert "本队今日任务" in team and link in team and "到岗 0/1" in team
    assert client.get(link).status_code == 200  # the link opens: her member's row
    # a member who leads nothing lands as before, and is shown no team work on the team page
    member = login(s["kong"].user)
    assert "本队今日任务" not in member.get(reverse("volunteers_home")).content.decode()
    assert "本队今日任务" not in member.get(reverse("volunteers_team", args=[s["team"].id])).content.decode()
    # checked in: counted
    attendance.check_in(actor_for(s["kong"].user), s["call"].token)
    assert "到岗 1/1" in login(s["yang"].user).get(reverse("volunteers_home")).content.decode()


def test_the_team_page_marks_members_kept_home_for_the_leader(leader_day, login):
    s = leader_day
    page = login(s["yang"].user).get(reverse("volunteers_team", args=[s["team"].id])).content.decode()
    row = page.split("韩洁", 1)[1].split("</li>", 1)[0]
    assert "封控区" in row and "须居家" in row
    assert "须居家" not in page.split("孔俊勇", 1)[1].split("</li>", 1)[0]


def test_staff_see_the_kept_home_mark_and_a_member_does_not(leader_day, world, login):
    s = leader_day
    url = reverse("volunteers_team", args=[s["team"].id])
    page = login(world.users.staff).get(url).content.decode()
    row = page.split("韩洁", 1)[1].split("</li>", 1)[0]
    assert "封控区" in row and "须居家" in row
    assert "本队今日任务" in page and "到岗 0/1" in page
    assert "须居家" not in login(s["kong"].user).get(url).content.decode()
    assert login(world.users.other_staff).get(url).status_code == 404


def test_changing_the_leader_or_removing_a_member_asks_first_and_says_what_was_done(leader_day, world, login):
    s = leader_day
    client = login(world.users.staff)
    url = reverse("volunteers_team", args=[s["team"].id])
    r = client.post(url, {"volunteer": s["kong"].id, "op": "leader"})
    html = r.content.decode()
    assert r.status_code == 200 and "把“采样保障组”的组长 杨娟 换成 孔俊勇？" in html
    s["team"].refresh_from_db()
    assert s["team"].leader_id == s["yang"].id  # nothing before "yes"
    r = client.post(url, {"volunteer": s["kong"].id, "op": "leader", "confirm": "1"}, follow=True)
    s["team"].refresh_from_db()
    assert s["team"].leader_id == s["kong"].id and "已将组长改为 孔俊勇" in r.content.decode()
    r = client.post(url, {"volunteer": s["han"].id, "op": "remove"})
    assert "把 韩洁 移出“采样保障组”？" in r.content.decode()
    assert s["team"].members.filter(pk=s["han"].id).exists()
    r = client.post(url, {"volunteer": s["han"].id, "op": "remove", "confirm": "1"}, follow=True)
    assert "已将 韩洁 移出本队" in r.content.decode()
    assert not s["team"].members.filter(pk=s["han"].id).exists()
    # the leader does not manage the team; another community's staff do not see it
    assert login(s["kong"].user).post(url, {"volunteer": s["yang"].id, "op": "remove"}).status_code == 403
    assert login(world.users.other_staff).post(url, {"volunteer": s["yang"].id, "op": "remove"}).status_code == 404


def test_a_volunteer_approved_at_night_is_told_of_the_open_call_with_a_link(world, codes, monkeypatch):
    t = (timezone.now() + datetime.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    at(monkeypatch, t - datetime.timedelta(hours=7))
    call = call_at(world, t, 8, 20, title="明早7点全员核酸")
    v = register(world, codes, 9, name="孙晓雯")
    at(monkeypatch, t - datetime.timedelta(hours=6, minutes=30))
    registration.approve(actor_for(world.users.staff), v)
    n = Notification.objects.get(kind="volunteers.approved", user_id=v.__class__.objects.get(pk=v.pk).user_id)
    assert "明早7点全员核酸" in n.body and "现在可以报名" in n.body
    assert n.url == reverse("volunteers_login") + "?next=" + reverse("volunteers_call", args=[call.id])


def test_raising_the_number_after_sign_up_closed_says_nobody_was_told(morning, world, login):
    """The walk raised 所需人数 20 → 24 at 05:50 and read "已保存" on a call still 已截止."""
    call = morning["sampling"]
    r = login(world.users.staff).post(reverse("volunteers_call_slots", args=[call.id]), {"slots": "5"},
                                      follow=True)
    assert "报名已截止：空出的名额无人能报，也没有通知任何人" in r.content.decode()
    assert not Notification.objects.filter(kind="volunteers.call_refill").exists()
