"""Usernames are not personal data; volunteers' phones shown in clear are audited."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from fangkong.accounts import actions as account_actions
from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.accounts.usernames import scrub
from fangkong.audit.actions import record
from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid
from tests.conftest import actor_for
from tests.volunteers.conftest import codes, make_volunteer  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def audit_text() -> str:
    return json.dumps([[e.target_label, e.changes] for e in AuditEvent.objects.all()],
                      ensure_ascii=False)


def test_a_family_login_gets_a_random_username_and_logs_in_by_phone(world):
    staff = actor_for(world.users.staff)
    user, password = account_actions.household_login(staff, world.hh102, phone="150 8377 6308")
    assert user.username.startswith("hh-") and "15083776308" not in user.username
    assert user.phone == "15083776308" and str(user) == "150****6308"
    assert not MOBILE.search(audit_text())
    family = Client()
    assert family.login(username="+86 150-8377-6308", password=password)
    # and a second household for the same phone finds the same account
    again, none = account_actions.household_login(staff, world.hh201, phone="15083776308")
    assert (again.pk, none) == (user.pk, None)


def test_an_approved_volunteer_gets_a_username_without_their_phone(world, make_volunteer):  # noqa: F811
    v = make_volunteer(7)
    assert v.user.username.startswith("vol-") and v.phone not in v.user.username
    assert not MOBILE.search(audit_text())


def test_a_username_that_is_a_phone_number_is_refused(world):
    staff = actor_for(world.users.staff)
    for name in ("13912345678", "+86 139 1234 5678", "v13912345678", "03514001234"):
        with pytest.raises(Invalid) as e:
            account_actions.create_user(staff, name, "long-enough-pass-1")
        assert "username" in e.value.fields
    assert not User.objects.filter(phone__isnull=True, username__contains="1391234").exists()


def test_existing_phone_usernames_are_renamed_and_scrubbed_from_the_audit_trail(world):
    """Accounts and events as the earlier code wrote them (`v<phone>`, the phone itself),
    then the data migration's function."""
    staff = actor_for(world.users.staff)
    vol = User.objects.create(username="v13912345678", phone="13912345678", display_name="张伟")
    fam = User.objects.create(username="15083776308", phone="15083776308",
                              display_name="15083776308")
    fam.set_password("family-pass")
    fam.save()
    account_actions.grant(staff, vol, Role.VOLUNTEER, world.community)
    account_actions.grant(staff, fam, Role.RESIDENT, None, household=world.hh102)
    for u in (vol, fam):
        record(staff, "user.create", u, {"username": u.username})
    record(staff, "volunteer.approve", None, {"status": ["pending", "approved"],
                                              "user": "v13912345678"})
    assert len(MOBILE.findall(audit_text())) >= 5

    renamed = scrub(User, Membership, AuditEvent)

    vol.refresh_from_db()
    fam.refresh_from_db()
    assert renamed == {"v13912345678": vol.username, "15083776308": fam.username}
    assert vol.username.startswith("vol-") and fam.username.startswith("hh-")
    assert (vol.display_name, fam.display_name) == ("张伟", "")
    assert not MOBILE.search(audit_text())
    created = AuditEvent.objects.filter(action="user.create", target_id=fam.pk).get()
    assert created.changes == {"username": fam.username}
    grant = AuditEvent.objects.filter(action="membership.grant", changes__user=fam.username).get()
    assert grant.target_label.startswith(fam.username + " ")  # still names the account
    # phones untouched, login by phone still works; a second run changes nothing
    assert Client().login(username="15083776308", password="family-pass")
    assert scrub(User, Membership, AuditEvent) == {}
    # the other accounts keep their names
    assert User.objects.filter(username="staff_a").exists()


def test_the_volunteer_list_with_phones_is_audited_on_the_api_and_the_pages(
        world, make_volunteer, login):  # noqa: F811
    vols = [make_volunteer(n) for n in (1, 2)]
    client = login(world.users.staff)
    r = client.get("/api/v1/volunteers/people", {"community": world.community.id,
                                                  "status": "approved"})
    assert r.status_code == 200 and {p["phone"] for p in r.json()["results"]} == \
        {v.phone for v in vols}
    event = AuditEvent.objects.filter(action="volunteer.view_phones").latest("id")
    assert event.actor == world.users.staff and event.via == "api"
    assert sorted(event.changes["volunteers"]) == sorted(v.id for v in vols)
    assert event.community_id == world.community.id

    before = AuditEvent.objects.filter(action="volunteer.view_phones").count()
    page = client.get(reverse("volunteers_people", args=[world.community.id]) + "?status=approved")
    assert vols[0].phone in page.content.decode()
    client.get(reverse("volunteers_person", args=[vols[0].id]))
    events = list(AuditEvent.objects.filter(action="volunteer.view_phones").order_by("id"))[before:]
    assert [e.changes["volunteers"] for e in events] == [
        [v.id for v in sorted(vols, key=lambda v: (v.name, v.id))], [vols[0].id]]
    # an empty list shows no phone and writes nothing
    client.get("/api/v1/volunteers/people", {"community": world.community.id, "status": "rejected"})
    assert AuditEvent.objects.filter(action="volunteer.view_phones").count() == before + 2
