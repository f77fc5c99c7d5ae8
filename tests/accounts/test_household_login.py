"""Staff give a household a login from the household page; the family then sees it."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_staff_create_a_family_login_and_the_family_logs_in(world, login):
    client = login(world.users.staff)
    page = client.get(reverse("household", args=[world.hh102.pk])).content.decode()
    assert reverse("household_login", args=[world.hh102.pk]) in page
    resp = client.post(reverse("household_login", args=[world.hh102.pk]),
                       {"phone": "15083776308"})
    assert resp.status_code == 200 and resp["Cache-Control"] == "no-store"
    password = re.search(r'class="secret">([a-z0-9]{10})<', resp.content.decode()).group(1)
    user = User.objects.get(phone="15083776308")
    m = Membership.objects.get(user=user)
    assert (m.role, m.household_id) == (Role.RESIDENT, world.hh102.pk)
    assert AuditEvent.objects.filter(action="membership.grant", actor=world.users.staff).exists()
    assert password not in str(list(AuditEvent.objects.values_list("changes", flat=True)))

    family = Client()
    assert family.login(username="15083776308", password=password)
    home = family.get(reverse("home"), follow=True)
    assert "夏明" in home.content.decode() and "苏霞" not in home.content.decode()

    # again: refused with a message, nothing doubled
    again = client.post(reverse("household_login", args=[world.hh102.pk]), {"phone": "15083776308"},
                        follow=True)
    assert "该手机号已经可以登录本户。" in again.content.decode()
    assert Membership.objects.filter(user=user).count() == 1
    # an existing account gets the second household without a new password
    resp = client.post(reverse("household_login", args=[world.hh201.pk]), {"phone": "15083776308"})
    assert resp.status_code == 302
    assert Membership.objects.filter(user=user, role=Role.RESIDENT).count() == 2
    # and staff can remove it from the household page, after saying yes
    back = reverse("household", args=[world.hh102.pk])
    resp = client.post(reverse("membership_revoke", args=[m.pk]), {"next": back})
    assert resp.status_code == 200 and f'href="{back}"' in resp.content.decode()
    assert Membership.objects.get(pk=m.pk).is_active
    resp = client.post(reverse("membership_revoke", args=[m.pk]), {"next": back, "confirm": "1"})
    assert resp["Location"] == back
    assert not Membership.objects.get(pk=m.pk).is_active


def test_family_login_refuses_bad_numbers_wrong_roles_and_other_communities(world, login):
    client = login(world.users.staff)
    url = reverse("household_login", args=[world.hh102.pk])
    for bad in ("", "12345", "03514001234"):
        client.post(url, {"phone": bad})
    assert not Membership.objects.filter(role=Role.RESIDENT, household=world.hh102).exists()
    assert client.post(reverse("household_login", args=[world.other_hh.pk]),
                       {"phone": "15900000000"}).status_code == 404
    for user in (world.users.grid, world.users.leader):  # they see the household, cannot grant
        assert login(user).post(url, {"phone": "15900000000"}).status_code == 404
        page = login(user).get(reverse("household", args=[world.hh102.pk])).content.decode()
        assert "夏明" in page and url not in page
    for user in (world.users.volunteer, world.users.resident, world.users.other_staff):
        assert login(user).post(url, {"phone": "15900000000"}).status_code == 404
    assert login(world.users.staff).get(url).status_code == 405
    assert not User.objects.filter(phone="15900000000").exists()


def test_a_volunteer_account_without_a_password_is_told_to_use_a_text_code(world, login, system):
    """Walk (family): a son's only account was made when he became a volunteer (no
    password); staff were told he "can log in with the existing password", and nothing he
    typed on the login page worked. Now staff read how he logs in: by a text code."""
    from fangkong.accounts import actions

    son = actions.create_user(system, "vol-son", None, place=world.community, phone="18853728116",
                              check_password=False)  # as a volunteer's approval makes it
    assert not son.has_usable_password()
    client = login(world.users.staff)
    page = client.post(reverse("household_login", args=[world.hh102.pk]), {"phone": "18853728116"},
                       follow=True).content.decode()
    assert "原有密码" not in page
    assert "此账号没有密码，请在登录页点“志愿者？用短信验证码登录”" in page
    assert Membership.objects.filter(user=son, role=Role.RESIDENT, household=world.hh102).exists()


def test_a_family_login_staff_made_must_set_its_own_password_at_its_first_login(world, login):
    """Walk (family): staff made a family login and read its password aloud; the family
    went straight to its household page and never had to change it, though that login sees
    members, phones and the sampling codes that register samples in their names. Like every
    other account staff make (`add_person`), it now sets its own at its first login, and the
    password works only until the one-time limit."""
    client = login(world.users.staff)
    resp = client.post(reverse("household_login", args=[world.hh102.pk]), {"phone": "15083776308"})
    html = resp.content.decode()
    password = re.search(r'class="secret">([a-z0-9]{10})<', html).group(1)
    user = User.objects.get(phone="15083776308")
    assert user.must_change_password and user.one_time_password_at is not None
    assert "第一次登录时须设置自己的密码" in html
    assert 'id="one-time-until"' in html

    family = Client()
    resp = family.post(reverse("login"), {"username": "15083776308", "password": password})
    assert resp.status_code == 302
    home = family.get(reverse("household", args=[world.hh102.pk]))
    assert home.status_code == 302 and home["Location"].startswith(reverse("password_change"))
    api = family.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["error"]["code"] == "password_change_required"
    # its own password set, the household page opens
    resp = family.post(reverse("password_change"), {"new_password": "family-spring-42", "new_password2": "family-spring-42"})
    assert resp.status_code == 302
    assert not User.objects.get(pk=user.pk).must_change_password
    page = family.get(reverse("household", args=[world.hh102.pk]))
    assert page.status_code == 200 and "夏明" in page.content.decode()
