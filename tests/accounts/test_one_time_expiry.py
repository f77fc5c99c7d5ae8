"""A one-time password expires (found walking the demo as the office: a password written
on a slip of paper at 2 a.m. stayed usable for ever). The one the office sets — a first
password (add_person) or a reset — works FANGKONG_ONE_TIME_PASSWORD_HOURS (72); after that
the login refuses it, in the reader's language, and only to someone who typed it right: a
wrong password gets the usual answer and counts toward the lock. The people page and API
say until when it works, or that it has expired."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts import actions
from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor

pytestmark = pytest.mark.django_db

EXPIRED_ZH = "这个一次性密码已过期，请找社区工作人员重新设置。"
EXPIRED_EN = "This one-time password has expired. Ask your community staff to set a new one."
WRONG_ZH = "手机号/用户名或密码错误。"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def log_in(username, password, **headers):
    client = Client(headers=headers)
    return client, client.post(reverse("login"), {"username": username, "password": password})


def hours_pass(user, hours):
    """The clock moves on: the one-time password was set `hours` earlier than it was."""
    user.refresh_from_db()
    User.objects.filter(pk=user.pk).update(
        one_time_password_at=user.one_time_password_at - datetime.timedelta(hours=hours))


def reset(world, login, user=None):
    staff = login(world.users.staff)
    user = user or world.users.grid
    r = staff.post(f"/api/v1/people/accounts/{user.id}/password-reset")
    assert r.status_code == 200
    return r.json()


def test_a_reset_password_works_for_72_hours_then_the_login_says_it_has_expired(world, login, settings):
    assert settings.FANGKONG_ONE_TIME_PASSWORD_HOURS == 72
    body = reset(world, login)
    until = datetime.datetime.fromisoformat(body["user"]["one_time_password_until"])
    assert abs(until - (timezone.now() + datetime.timedelta(hours=72))) < datetime.timedelta(minutes=1)
    assert body["user"]["one_time_password_expired"] is False
    hours_pass(world.users.grid, 71)
    assert log_in("grid_a", body["password"])[1].status_code == 302  # still works
    hours_pass(world.users.grid, 2)
    _c, resp = log_in("grid_a", body["password"])
    html = resp.content.decode()
    assert resp.status_code == 200 and EXPIRED_ZH in html and WRONG_ZH not in html
    assert "_auth_user_id" not in _c.session
    _c, resp = log_in("grid_a", body["password"], accept_language="en")
    assert EXPIRED_EN in resp.content.decode()
    # by phone as well as by username
    User.objects.filter(pk=world.users.grid.pk).update(phone="13877776543")
    assert EXPIRED_ZH in log_in("13877776543", body["password"])[1].content.decode()


def test_a_first_password_from_the_people_page_expires_after_the_setting(world, login, settings):
    settings.FANGKONG_ONE_TIME_PASSWORD_HOURS = 24
    staff = login(world.users.staff)
    resp = staff.post(reverse("people"), {"display_name": "新网格员", "role": Role.GRID,
                                          "place": world.grid.id, "username": "grid_new"})
    html = resp.content.decode()
    password = re.search(r'id="new-password">([^<]+)<', html).group(1)
    until = timezone.localtime(User.objects.get(username="grid_new").one_time_password_until)
    assert f"此密码有效期至 {until:%m-%d %H:%M}" in html  # told to the office with the password
    user = User.objects.get(username="grid_new")
    hours_pass(user, 23)
    client, resp = log_in("grid_new", password)
    assert resp.status_code == 302
    client.post(reverse("logout"))
    hours_pass(user, 2)
    assert EXPIRED_ZH in log_in("grid_new", password)[1].content.decode()


def test_a_wrong_password_after_expiry_gets_the_usual_answer_and_counts_toward_the_lock(world, login):
    body = reset(world, login)
    hours_pass(world.users.grid, 73)
    for _n in range(4):
        _c, resp = log_in("grid_a", "not-the-password")
        html = resp.content.decode()
        assert resp.status_code == 200 and WRONG_ZH in html and EXPIRED_ZH not in html
    # the right but expired one says so, and neither locks nor clears the count
    for _n in range(6):
        assert EXPIRED_ZH in log_in("grid_a", body["password"])[1].content.decode()
    _c, resp = log_in("grid_a", "not-the-password")  # the fifth wrong one locks, as ever
    assert resp.status_code == 429
    _c, resp = log_in("grid_a", body["password"])  # locked: nothing is said of the password
    assert resp.status_code == 429 and EXPIRED_ZH not in resp.content.decode()


def test_the_office_resets_an_expired_one_and_the_new_one_works(world, login):
    body = reset(world, login)
    hours_pass(world.users.grid, 80)
    assert EXPIRED_ZH in log_in("grid_a", body["password"])[1].content.decode()
    again = reset(world, login)
    client, resp = log_in("grid_a", again["password"])
    assert resp.status_code == 302
    page = client.get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("password_change"))
    client.post(reverse("password_change"), {"new_password": "quiet-river-27",
                                             "new_password2": "quiet-river-27"})
    grid = User.objects.get(pk=world.users.grid.pk)
    assert not grid.must_change_password and grid.one_time_password_at is None
    assert grid.one_time_password_until is None
    # one's own password never expires
    User.objects.filter(pk=grid.pk).update(date_joined=timezone.now() - datetime.timedelta(days=400))
    assert log_in("grid_a", "quiet-river-27")[1].status_code == 302


def test_the_people_page_and_api_show_until_when_or_that_it_has_expired(world, login):
    staff = login(world.users.staff)
    reset(world, login)
    leader, _pw = actions.add_person(Actor.system(world.users.staff), username="leader_new",
                                     password="", display_name="新楼栋长", phone="",
                                     role=Role.LEADER, place=world.building)
    hours_pass(leader.user, 100)

    html = staff.get(reverse("people")).content.decode()

    def row(username):
        return re.search(rf'<li class="row">(?:(?!</li>).)*{username}.*?</li>', html, re.S).group(0)

    until = timezone.localtime(User.objects.get(pk=world.users.grid.pk).one_time_password_until)
    assert f"一次性密码有效期至 {until:%m-%d %H:%M}，本人尚未设置自己的密码" in row("grid_a")
    assert "一次性密码已过期" in row("leader_new")
    assert "一次性密码" not in row("leader_a")  # on their own password
    rows = {r["user"]["username"]: r["user"] for r in staff.get("/api/v1/people").json()["results"]}
    assert rows["leader_new"]["one_time_password_expired"] is True
    assert rows["grid_a"]["one_time_password_expired"] is False
    assert rows["grid_a"]["one_time_password_until"]
    assert rows["leader_a"]["one_time_password_until"] is None
    assert rows["leader_a"]["one_time_password_expired"] is False
    en = Client(headers={"accept-language": "en"})
    en.force_login(world.users.staff)
    assert "One-time password expired" in en.get(reverse("people")).content.decode()


def test_one_time_passwords_given_before_the_upgrade_count_from_the_migration():
    """Migration accounts/0006: a must-change account without a time gets now."""
    import importlib

    from django.apps import apps as global_apps

    migration = importlib.import_module("fangkong.accounts.migrations.0006_user_one_time_password_at")
    old = User.objects.create(username="old_slip", must_change_password=True)
    own = User.objects.create(username="own_pw")
    migration.count_from_now(global_apps, None)
    old.refresh_from_db()
    own.refresh_from_db()
    assert timezone.now() - old.one_time_password_at < datetime.timedelta(minutes=1)
    assert own.one_time_password_at is None
