"""After checking herself out of a shift (found walking the demo), the same call came back
under "正在召集 / Open calls" on the volunteer's home while "我的任务" said there was none.
A call she holds a place on (to do, waitlisted or done) is never offered again, and the
done task stays under my tasks, with its hours, until the call ends."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.volunteers.actions import answers, attendance
from fangkong.volunteers.actions import calls as vol_calls
from tests.conftest import actor_for


def at(monkeypatch, when):
    monkeypatch.setattr(timezone, "now", lambda: when)


@pytest.fixture
def done(world, make_volunteer, monkeypatch):
    """A call under way (T-0:30 to T+3:00, open until its end, 3 places); 刘静 answers at T,
    checks in at T+0:05 and out at T+0:40; it is T+0:45."""
    t = (timezone.now() + datetime.timedelta(days=1)).replace(second=0, microsecond=0)
    m = lambda n: t + datetime.timedelta(minutes=n)  # noqa: E731
    v = make_volunteer(1, name="刘静")
    at(monkeypatch, m(0))
    call = vol_calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "order", "place": world.building.id, "title": "东门秩序维护", "slots": 3,
        "starts_at": m(-30).isoformat(), "ends_at": m(180).isoformat()})
    answers.sign_up(actor_for(v.user), call)
    attendance.check_in(actor_for(v.user), call.token, now=m(5))
    attendance.check_out(actor_for(v.user), call.token, now=m(40))
    at(monkeypatch, m(45))
    return dict(v=v, call=call, m=m)


def _sections(page):
    tasks, _sep, rest = page.partition("正在召集")
    return tasks, rest


def test_a_call_checked_out_of_is_not_offered_again_and_stays_under_my_tasks(done, login, monkeypatch):
    page = login(done["v"].user).get(reverse("volunteers_home")).content.decode()
    tasks, open_calls = _sections(page)
    link = reverse("volunteers_call", args=[done["call"].id])
    assert link in tasks and "东门秩序维护" in tasks and "0.6 h" in tasks
    assert "目前没有任务" not in tasks
    assert link not in open_calls and "东门秩序维护" not in open_calls
    # once the call has ended: in the history, neither under my tasks nor open calls
    at(monkeypatch, done["m"](181))
    page = login(done["v"].user).get(reverse("volunteers_home")).content.decode()
    assert "东门秩序维护" not in page


def test_the_me_page_counts_only_tasks_still_to_do_as_upcoming(done, login):
    page = login(done["v"].user).get(reverse("volunteers_me")).content.decode()
    assert "东门秩序维护" in page and "0.6 h" in page
    assert "<strong>0</strong><span>待执行</span>" in page
