"""Two-step login: set up with a QR code, log in with the app's code or a recovery code,
required for the roles a setting names."""

import re
import time

import pytest
import segno
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fangkong.accounts import twostep
from fangkong.audit.models import AuditEvent
from tests.conftest import PASSWORD, actor_for
from tests.volunteers.conftest import codes, make_volunteer  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


def app_code(key_text: str, steps_ahead=0) -> str:
    """What an authenticator app shows for the key typed from the page."""
    import base64

    key = base64.b32decode(key_text.replace(" ", ""))
    t = TOTP(key)
    t.time = time.time() + 30 * steps_ahead
    return f"{t.token():06d}"


def next_code(key_text: str, user) -> str:
    """The app's code a person types for the next login: the one showing now, or, when that
    step's code was already used (codes work once), the next one. Read from the device as
    the server keeps it (last step used, clock drift learnt), so a set-up that crossed a
    30-second boundary does not make the login flaky."""
    d = TOTPDevice.objects.get(user=user, confirmed=True)
    now_step = int(time.time()) // 30
    return app_code(key_text, steps_ahead=max(0, d.last_t + 1 - now_step))


def set_up(client) -> tuple[str, list[str]]:
    """Turn two-step login on from the page, as a person does; (key, recovery codes)."""
    page = client.post(reverse("two_step"), {"op": "start"}, headers=EN).content.decode()
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page).group(1)
    done = client.post(reverse("two_step"), {"op": "confirm", "code": app_code(key)}, headers=EN)
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    recovery = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4})</li>", done.content.decode())
    return key, recovery


def password_step(username="staff_a", password=PASSWORD):
    c = Client()
    r = c.post(reverse("login"), {"username": username, "password": password})
    return c, r


def test_set_up_shows_a_qr_code_of_the_key_and_ten_recovery_codes_once(world, login):
    client = login(world.users.staff)
    page = client.post(reverse("two_step"), {"op": "start"}, headers=EN).content.decode()
    device = TOTPDevice.objects.get(user=world.users.staff, confirmed=False)
    # the QR on the page is the otpauth address of this very key, as an app reads it
    assert "otpauth://totp/" in device.config_url and "secret=" in device.config_url
    expected = segno.make(device.config_url, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", svgclass="qr", lineclass=None, omitsize=True)
    assert expected in page
    # on the phone itself (no second screen to scan): the same address as a link for the app
    assert f'id="totp-open" href="{device.config_url.replace("&", "&amp;")}"' in page
    wrong = client.post(reverse("two_step"), {"op": "confirm", "code": "000000"}, headers=EN)
    assert wrong.status_code == 400 and "The code is wrong" in wrong.content.decode()
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', wrong.content.decode()).group(1)
    done = client.post(reverse("two_step"), {"op": "confirm", "code": app_code(key)}, headers=EN)
    recovery = re.findall(r"<li>([a-z2-9]{4}-[a-z2-9]{4})</li>", done.content.decode())
    assert len(set(recovery)) == 10
    assert TOTPDevice.objects.get(user=world.users.staff).confirmed
    assert AuditEvent.objects.filter(action="totp.enable", target_id=world.users.staff.id).exists()
    # the codes are kept only as keyed hashes
    from django_otp.plugins.otp_static.models import StaticToken

    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {c.replace("-", "") for c in recovery}
    # and are never shown again
    assert not re.findall(r"<li>[a-z2-9]{4}-[a-z2-9]{4}</li>",
                          client.get(reverse("two_step")).content.decode())


def test_after_the_password_the_app_code_is_asked_and_a_code_works_once(world, login):
    key, _codes = set_up(login(world.users.staff))
    c, r = password_step()
    assert r.status_code == 302 and r["Location"] == reverse("login_code")
    assert c.get(reverse("search")).status_code == 302  # not logged in yet
    wrong = c.post(reverse("login_code"), {"code": "123456"}, headers=EN)
    assert wrong.status_code == 400 and "The code is wrong" in wrong.content.decode()
    code = next_code(key, world.users.staff)  # the set-up used a code: not that one again
    assert c.post(reverse("login_code"), {"code": code})["Location"] == reverse("home")
    assert c.get(reverse("search")).status_code == 200
    # the same code again (someone who watched it being typed): refused
    c2, _r = password_step()
    assert c2.post(reverse("login_code"), {"code": code}).status_code == 400


def test_a_recovery_code_logs_in_once(world, login):
    _key, recovery = set_up(login(world.users.staff))
    c, _r = password_step()
    assert c.post(reverse("login_code"), {"code": recovery[3].upper()}).status_code == 302
    assert c.get(reverse("search")).status_code == 200
    used = AuditEvent.objects.get(action="totp.recovery_code_used")
    assert used.changes == {"left": 9}
    c2, _r = password_step()
    assert c2.post(reverse("login_code"), {"code": recovery[3]}).status_code == 400


def test_wrong_codes_lock_the_account_like_wrong_passwords(world, login):
    key, _codes = set_up(login(world.users.staff))
    c, _r = password_step()
    for _n in range(5):
        last = c.post(reverse("login_code"), {"code": "000001"}, headers=EN)
    assert last.status_code == 429 and "Try again at" in last.content.decode()
    assert c.post(reverse("login_code"), {"code": app_code(key)}).status_code == 429
    assert c.get(reverse("search")).status_code == 302


def test_the_code_step_expires(world, login, monkeypatch):
    key, _codes = set_up(login(world.users.staff))
    c, _r = password_step()
    now = time.time()
    monkeypatch.setattr(twostep.time, "time", lambda: now + twostep.PENDING_SECONDS + 1)
    r = c.post(reverse("login_code"), {"code": app_code(key)})
    assert r["Location"] == reverse("login")


def test_required_roles_must_set_it_up_before_anything_else(world, settings):
    settings.FANGKONG_TOTP_REQUIRED_ROLES = ["staff", "command"]
    c, r = password_step()
    assert r["Location"].startswith(reverse("two_step"))
    assert c.get(reverse("search"))["Location"] == reverse("two_step")
    api = c.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_step_required"
    page = c.get(reverse("two_step"), headers=EN).content.decode()
    assert "Your role needs two-step login" in page
    _key, recovery = set_up(c)
    assert len(recovery) == 10 and c.get(reverse("search")).status_code == 200
    # cannot be turned off while the role needs it
    off = c.post(reverse("two_step"), {"op": "off", "code": recovery[0]}, headers=EN)
    assert off.status_code == 400 and TOTPDevice.objects.filter(user=world.users.staff).exists()
    # a grid worker is not made to
    g, r = password_step("grid_a")
    assert r["Location"] == reverse("home") and g.get(reverse("search")).status_code == 200


def test_turning_it_off_needs_a_code_and_is_audited(world, login):
    client = login(world.users.grid)
    key, _codes = set_up(client)
    assert client.post(reverse("two_step"), {"op": "off", "code": "000000"}).status_code == 400
    client.post(reverse("two_step"), {"op": "off", "code": next_code(key, world.users.grid)})
    assert not TOTPDevice.objects.filter(user=world.users.grid).exists()
    assert AuditEvent.objects.filter(action="totp.disable", target_id=world.users.grid.id).exists()
    _c, r = password_step("grid_a")
    assert r["Location"] == reverse("home")


def test_a_new_phone_replaces_the_old_only_once_confirmed(world, login):
    client = login(world.users.staff)
    old_key, _codes = set_up(client)
    page = client.post(reverse("two_step"), {"op": "start"}, headers=EN).content.decode()
    new_key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page).group(1)
    assert new_key != old_key
    assert TOTPDevice.objects.filter(user=world.users.staff, confirmed=True).count() == 1
    client.post(reverse("two_step"), {"op": "confirm", "code": app_code(new_key)})
    devices = TOTPDevice.objects.filter(user=world.users.staff)
    assert devices.count() == 1 and devices.get().confirmed
    c, _r = password_step()
    assert c.post(reverse("login_code"), {"code": app_code(old_key, 1)}).status_code == 400


def test_the_volunteer_text_code_login_asks_for_the_app_code_too(world, make_volunteer, codes):  # noqa: F811
    v = make_volunteer(5)
    key, _codes = set_up(_logged_in(v.user))
    c = Client()
    c.post(reverse("volunteers_login"), {"phone": v.phone})
    r = c.post(reverse("volunteers_login"), {"phone": v.phone, "code": codes[v.phone]})
    assert r["Location"] == reverse("login_code")
    assert c.post(reverse("login_code"), {"code": app_code(key, 1)})["Location"] == \
        reverse("volunteers_home")


def test_the_admin_login_form_is_not_a_way_around_it(world, system):
    from fangkong.accounts.models import User

    User.objects.create_superuser("root_admin", password="admin-pass-1234")
    r = Client().get("/admin/login/?next=/admin/")
    assert r.status_code == 302 and r["Location"].startswith(reverse("login"))
    # and the menu shows the page to everyone logged in
    assert reverse("two_step") in _logged_in(world.users.resident).get(reverse("home"),
                                                                       follow=True).content.decode()
    assert twostep.required(world.users.staff) is False
    assert actor_for(world.users.staff).user == world.users.staff


def _logged_in(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_pages_need_a_login_or_a_pending_password_step(world):
    anon = Client()
    assert anon.get(reverse("two_step"))["Location"].startswith(reverse("login"))
    assert anon.post(reverse("two_step"), {"op": "start"})["Location"].startswith(reverse("login"))
    assert not TOTPDevice.objects.exists()
    assert anon.get(reverse("login_code"))["Location"] == reverse("login")
    assert anon.post(reverse("login_code"), {"code": "123456"})["Location"] == reverse("login")
