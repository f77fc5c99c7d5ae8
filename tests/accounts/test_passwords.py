"""A grid worker who forgot her password at 2 a.m., or locked herself out (found walking the
demo: staff had only 添加 and 取消角色; the lock said 请单位帮忙核查 but the office saw
nothing of it). The office resets a password (a one-time one, shown once, to be replaced at
the next login) or clears a lock, for accounts whose every role it gives; everyone changes
their own password from the menu; the login page says what to do."""

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from tests.conftest import PASSWORD, make_user
from tests.pages.test_menu import ROLES, menu_links

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def log_in(username, password, client=None):
    client = client or Client()
    resp = client.post(reverse("login"), {"username": username, "password": password})
    return client, resp


def lock(username):
    for _n in range(5):
        log_in(username, "wrong-wrong")
    _c, resp = log_in(username, PASSWORD)
    assert resp.status_code == 429


def test_staff_reset_a_grid_workers_password_she_sets_her_own_at_login(world, login):
    grid = world.users.grid
    staff = login(world.users.staff)
    url = reverse("account_password_reset", args=[grid.id])
    assert url in staff.get(reverse("people")).content.decode()
    ask = staff.post(url)  # asked first
    assert ask.status_code == 200 and "重设密码" in ask.content.decode()
    assert User.objects.get(pk=grid.pk).check_password(PASSWORD)
    resp = staff.post(url, {"confirm": "1"})
    assert resp.status_code == 200 and "no-store" in resp["Cache-Control"]
    html = resp.content.decode()
    assert re.search(r'class="secret" id="new-username">grid_a<', html)
    password = re.search(r'class="secret" id="new-password">([a-z2-9]{10})<', html).group(1)
    event = AuditEvent.objects.get(action="user.password_reset", actor=world.users.staff)
    assert event.target_id == grid.id and event.community_id == world.community.id
    assert password not in str(event.changes)

    assert log_in("grid_a", PASSWORD)[1].status_code == 200  # the old one no longer works
    client, resp = log_in("grid_a", password)
    assert resp.status_code == 302
    page = client.get(reverse("home"), follow=True)  # anything else: set your own first
    assert page.redirect_chain[-1][0].startswith(reverse("password_change"))
    html = page.content.decode()
    assert "请设置您自己的密码" in html and 'name="old_password"' not in html
    assert client.get("/api/v1/me").json()["error"]["code"] == "password_change_required"
    resp = client.post(reverse("password_change"), {"new_password": "quiet-river-27",
                                                    "new_password2": "quiet-river-27"})
    assert resp.status_code == 302
    assert client.get(reverse("home"), follow=True).redirect_chain[-1][0] == \
        reverse("place", args=[world.grid.id])
    assert not User.objects.get(pk=grid.pk).must_change_password
    assert AuditEvent.objects.filter(action="user.password_change", actor=grid).exists()
    assert log_in("grid_a", "quiet-river-27")[1].status_code == 302


def test_nobody_resets_an_account_above_their_own_level(world, login):
    staff = login(world.users.staff)
    reset = lambda c, u: c.post(reverse("account_password_reset", args=[u.id]), {"confirm": "1"})  # noqa: E731
    html = staff.get(reverse("people")).content.decode()
    assert reverse("account_password_reset", args=[world.users.staff.id]) not in html  # one's own
    for user in (world.users.street, world.users.district, world.users.other_staff):
        assert reset(staff, user).status_code == 404  # not theirs: as if missing
    # a grid worker of A who is also staff in B: A's staff may not (403), B's staff neither
    two = make_user(Actor.system(), "both_ab", Role.GRID, world.grid)
    from fangkong.accounts import actions
    actions.grant(Actor.system(), two, Role.STAFF, world.other)
    assert reset(staff, two).status_code == 403
    assert reset(login(world.users.other_staff), two).status_code == 403
    assert reset(login(world.users.street), two).status_code == 200  # the street gives both
    # the street's command never a district's; a superuser's account nobody but a superuser
    street = login(world.users.street)
    assert reset(street, world.users.district).status_code == 404
    root = User.objects.create_superuser("root_admin", password="admin-pass-1234")
    from fangkong.accounts import actions as acc
    acc.grant(Actor.system(), root, Role.STAFF, world.community)
    assert reset(login(world.users.staff), root).status_code == 403
    assert reset(login(world.users.staff), world.users.staff).status_code == 400
    assert not AuditEvent.objects.filter(action="user.password_reset").exclude(target_id=two.id).exists()
    # the API answers the same
    api = login(world.users.staff)
    assert api.post(f"/api/v1/people/accounts/{world.users.street.id}/password-reset").status_code == 404
    r = api.post(f"/api/v1/people/accounts/{world.users.grid.id}/password-reset")
    assert r.status_code == 200 and r.json()["user"]["username"] == "grid_a"
    assert Client().login(username="grid_a", password=r.json()["password"])


def test_a_locked_account_shows_on_the_people_page_and_staff_clear_it(world, login):
    lock("grid_a")
    staff = login(world.users.staff)
    html = staff.get(reverse("people")).content.decode()
    row = re.search(r'<li class="row">(?:(?!</li>).)*grid_a.*?</li>', html, re.S).group(0)
    assert re.search(r"已锁定，至 \d\d:\d\d", row)
    unlock = reverse("account_unlock", args=[world.users.grid.id])
    assert unlock in row
    assert "已锁定" not in re.search(r'<li class="row">(?:(?!</li>).)*leader_a.*?</li>', html, re.S).group(0)
    ask = staff.post(unlock)
    assert ask.status_code == 200 and "解除锁定" in ask.content.decode()
    assert log_in("grid_a", PASSWORD)[1].status_code == 429  # asked, not done
    done = staff.post(unlock, {"confirm": "1"}, follow=True)
    assert "现在可以重新登录了" in done.content.decode()
    assert log_in("grid_a", PASSWORD)[1].status_code == 302
    assert AuditEvent.objects.filter(action="user.unlock", actor=world.users.staff,
                                     target_id=world.users.grid.id,
                                     changes__was_locked=True).exists()
    # other staff: not theirs
    assert login(world.users.other_staff).post(unlock, {"confirm": "1"}).status_code == 404


def test_a_reset_also_clears_the_lock_and_the_api_shows_and_clears_it(world, login):
    lock("grid_a")
    staff = login(world.users.staff)
    rows = staff.get("/api/v1/people").json()["results"]
    mine = next(r for r in rows if r["user"]["username"] == "grid_a")
    assert mine["locked_until"] and mine["may_reset"]
    assert not next(r for r in rows if r["user"]["username"] == "staff_a")["may_reset"]
    r = staff.post(f"/api/v1/people/accounts/{world.users.grid.id}/unlock")
    assert r.status_code == 200 and r.json()["was_locked"] is True
    lock("grid_a")
    password = staff.post(f"/api/v1/people/accounts/{world.users.grid.id}/password-reset").json()["password"]
    assert log_in("grid_a", password)[1].status_code == 302


@pytest.mark.parametrize("who", ROLES)
def test_everyone_changes_their_own_password_from_the_menu(world, login, who):
    user = getattr(world.users, who)
    client = login(user)
    assert reverse("password_change") in menu_links(client)
    url = reverse("password_change")
    assert 'name="old_password"' in client.get(url).content.decode()
    for data, says in (({"old_password": "nope", "new_password": "quiet-river-27",
                         "new_password2": "quiet-river-27"}, "当前密码不正确"),
                       ({"old_password": PASSWORD, "new_password": "quiet-river-27",
                         "new_password2": "quiet-river-28"}, "两次输入的新密码不一致"),
                       ({"old_password": PASSWORD, "new_password": "12345678",
                         "new_password2": "12345678"}, "密码")):
        resp = client.post(url, data)
        assert resp.status_code == 400 and says in resp.content.decode()
    resp = client.post(url, {"old_password": PASSWORD, "new_password": "quiet-river-27",
                             "new_password2": "quiet-river-27"}, follow=True)
    assert "密码已修改" in resp.content.decode()
    assert client.get(url).status_code == 200  # still logged in
    assert User.objects.get(pk=user.pk).check_password("quiet-river-27")


def test_the_login_page_says_what_to_do_when_the_password_is_forgotten(world):
    html = Client().get(reverse("login")).content.decode()
    assert "忘记密码？请联系社区工作人员为您重设" in html
    assert reverse("volunteers_login") in html  # volunteers: a text code instead
