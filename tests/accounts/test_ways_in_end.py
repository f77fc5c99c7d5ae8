"""A new password ends every other way in (found walking the demo as the office: after a
reset, the grid worker's API token on the lost phone still read the households). The office
resetting a password, and a person changing their own, revoke their API tokens and end their
other sessions (the person who changed it stays logged in on that device, and is told the
others were logged out); audited as `user.logged_out_elsewhere`."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from fangkong.accounts import actions
from fangkong.accounts.models import ApiToken, User
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from tests.accounts.test_two_step import password_step, set_up
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def logged_in(username, password=PASSWORD):
    """A device where the person logged in with their password, as on the login page."""
    client = Client()
    assert client.post(reverse("login"), {"username": username, "password": password}).status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    return client


def token_for(user, name="phone"):
    _tok, raw = actions.create_token(Actor.system(user, via="api"), name)
    headers = {"Authorization": f"Bearer {raw}"}
    assert Client().get("/api/v1/me", headers=headers).status_code == 200
    return headers


def test_a_reset_by_the_office_revokes_the_api_tokens_and_ends_every_session(world, login):
    grid = world.users.grid
    phone, laptop = logged_in("grid_a"), logged_in("grid_a")
    tokens = [token_for(grid, "phone"), token_for(grid, "station")]
    staff = login(world.users.staff)
    r = staff.post(reverse("account_password_reset", args=[grid.id]), {"confirm": "1"})
    assert r.status_code == 200
    for headers in tokens:
        assert Client().get("/api/v1/me", headers=headers).status_code == 401
    for device in (phone, laptop):
        assert device.get("/api/v1/me").status_code == 401
        assert device.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert not ApiToken.objects.filter(user=grid, revoked_at__isnull=True).exists()
    assert ApiToken.objects.filter(user=grid).count() == 2  # kept, marked revoked (tokens page)
    event = AuditEvent.objects.get(action="user.logged_out_elsewhere")
    assert event.actor == world.users.staff and event.target_id == grid.id
    assert event.changes == {"tokens_revoked": 2} and event.target_label == str(grid)
    assert event.community_id == world.community.id  # the command above sees it
    # the office's own session and tokens are untouched
    assert staff.get("/api/v1/me").status_code == 200


def test_the_api_reset_revokes_tokens_too(world, login):
    headers = token_for(world.users.grid)
    staff = login(world.users.staff)
    assert staff.post(f"/api/v1/people/accounts/{world.users.grid.id}/password-reset").status_code == 200
    assert Client().get("/api/v1/me", headers=headers).status_code == 401
    # the confirm step says so
    ask = staff.post(reverse("account_password_reset", args=[world.users.grid.id]))
    assert "API 令牌也一并吊销" in ask.content.decode() and "72 小时内有效" in ask.content.decode()


def test_changing_ones_own_password_logs_out_the_other_devices_and_tokens_not_this_one(world):
    grid = world.users.grid
    here, other = logged_in("grid_a"), logged_in("grid_a")
    headers = token_for(grid)
    page = here.get(reverse("password_change")).content.decode()
    assert "保存后，您在其他手机和电脑上将退出登录，API 令牌也将失效" in page
    resp = here.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password": "quiet-river-27",
        "new_password2": "quiet-river-27"}, follow=True)
    html = resp.content.decode()
    assert "密码已修改。您在其他设备上已退出登录，本设备保持登录。" in html
    assert "您的 1 个 API 令牌已吊销" in html
    assert here.get("/api/v1/me").status_code == 200  # this device stays logged in
    assert here.get(reverse("password_change")).status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert other.get(reverse("home"))["Location"].startswith(reverse("login"))
    assert Client().get("/api/v1/me", headers=headers).status_code == 401
    event = AuditEvent.objects.get(action="user.logged_out_elsewhere")
    assert event.actor == grid and event.changes == {"tokens_revoked": 1}
    assert AuditEvent.objects.filter(action="user.password_change", actor=grid).exists()


def test_without_tokens_the_message_says_only_the_devices_in_english_too(world):
    here = Client(headers={"accept-language": "en"})
    here.force_login(world.users.leader)
    resp = here.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password": "quiet-river-27",
        "new_password2": "quiet-river-27"}, follow=True)
    html = resp.content.decode()
    assert "You are logged out on your other devices; this one stays logged in." in html
    assert "API token" not in html.split("</nav>")[-1]
    assert AuditEvent.objects.get(action="user.logged_out_elsewhere").changes == {"tokens_revoked": 0}


def test_a_forced_change_after_a_reset_keeps_the_new_session_and_ends_nothing_new(world, login):
    staff = login(world.users.staff)
    password = staff.post(f"/api/v1/people/accounts/{world.users.grid.id}/password-reset").json()["password"]
    client = Client()
    assert client.post(reverse("login"), {"username": "grid_a", "password": password}).status_code == 302
    resp = client.post(reverse("password_change"), {"new_password": "quiet-river-27",
                                                    "new_password2": "quiet-river-27"}, follow=True)
    assert "本设备保持登录" in resp.content.decode()
    assert client.get("/api/v1/me").status_code == 200
    assert AuditEvent.objects.filter(action="user.logged_out_elsewhere").count() == 2  # reset, change


def test_a_login_waiting_for_its_two_step_code_ends_with_a_reset(world, login):
    _key, recovery = set_up(login(world.users.grid))
    waiting, r = password_step("grid_a")
    assert r["Location"] == reverse("login_code")
    login(world.users.staff).post(f"/api/v1/people/accounts/{world.users.grid.id}/password-reset")
    r = waiting.post(reverse("login_code"), {"code": recovery[0]})
    assert r.status_code == 302 and r["Location"] == reverse("login")
    assert waiting.get("/api/v1/me").status_code == 401
    assert User.objects.get(pk=world.users.grid.pk).must_change_password


def test_the_audit_log_says_it_in_words(world, login):
    token_for(world.users.grid)
    staff = login(world.users.staff)
    staff.post(f"/api/v1/people/accounts/{world.users.grid.id}/password-reset")
    html = staff.get(reverse("audit") + "?kind=accounts").content.decode()
    assert "换密码后退出其他所有登录" in html and "吊销的接口密钥：1" in html
    rows = staff.get("/api/v1/audit/events?action=user.logged_out_elsewhere").json()["results"]
    assert rows[0]["lines"] == ["吊销的接口密钥：1"]
