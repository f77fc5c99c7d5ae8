"""A superuser reads the whole audit log (found walking the demo: /audit/ answered the
installation's superuser 404, though the people page, operations and /admin/ are theirs):
every event of every place and those at no place, every account to filter by; the .xlsx and
GET /api/v1/audit/events alike; read only. The registry stays the registry's: a superuser
without a role looks no resident up (404 for a resident filter, as for a missing one).
Everyone else keeps the answers of the route tables (404 for roles that may not read it)."""

import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from fangkong.accounts.models import User
from fangkong.audit.models import AuditEvent
from tests.api.routes import bearer
from tests.pages.test_menu import menu_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(world, login):
    """The installation's superuser (no role anywhere), and something done in each
    community and at no place."""
    login(world.users.staff).get(reverse("household", args=[world.hh101.id]))  # phones shown in A
    other = Client()
    other.force_login(world.users.other_staff)
    other.get(reverse("household", args=[world.other_person.household_id]))  # phones shown in B
    c = Client()
    c.force_login(world.users.supplier)  # a password change at a community (their role's)
    c.post(reverse("password_change"), {"old_password": "correct-horse-42",
                                        "new_password": "quiet-river-27",
                                        "new_password2": "quiet-river-27"})
    return User.objects.create_superuser("root_admin", password="admin-pass-1234")


def test_a_superuser_reads_every_event_from_the_home_and_the_menu(world, login, root):
    client = login(root)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("audit")}"' in home and "所有地方的全部操作记录（只读）" in home
    assert reverse("audit") in menu_links(client)
    resp = client.get(reverse("audit"))
    assert resp.status_code == 200
    assert resp.context["page"].paginator.count == AuditEvent.objects.count()
    communities = {e.community_id for e in AuditEvent.objects.all()}
    assert {world.community.id, world.other.id, None} <= communities  # every place, and none
    html = resp.content.decode()
    assert 'name="who"' in html and 'name="person"' not in html  # no resident look-up


def test_a_superuser_filters_by_any_account_and_kind(world, login, root):
    client = login(root)
    resp = client.get(reverse("audit"), {"actor": world.users.other_staff.id})
    assert resp.status_code == 200
    assert {e.actor_id for e in resp.context["page"]} == {world.users.other_staff.id}
    found = client.get(reverse("audit"), {"who": "staff_b"})
    assert found.status_code == 200 and found.context["page"].paginator.count == \
        AuditEvent.objects.filter(actor=world.users.other_staff).count()
    kinds = client.get(reverse("audit"), {"kind": "phones"}).context["page"]
    assert kinds.paginator.count == AuditEvent.objects.filter(action="resident.view_phones").count() > 0
    # the registry is not the superuser's: a resident to filter by is not found
    assert client.get(reverse("audit"), {"resident": world.su.id}).status_code == 404


def test_a_superuser_exports_the_whole_log_and_reads_it_over_the_api(world, login, root, client):
    every = AuditEvent.objects.count()
    r = client.get("/api/v1/audit/events", {"page_size": 500}, headers=bearer(root))
    assert r.status_code == 200 and r.json()["count"] == every + 1  # + the token made for it
    assert {e["community"] for e in r.json()["results"]} >= {world.community.id, world.other.id, None}
    page = login(root)
    resp = page.get(reverse("audit_export"))
    assert resp.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(resp.content)).active.iter_rows(values_only=True))
    assert len(rows) - 2 == every + 1
    export = AuditEvent.objects.get(action="audit.export", actor=root)
    assert export.community_id is None and export.district_id is None  # the whole log's
    # read only: the API has nothing to write the log with
    assert page.post("/api/v1/audit/events").status_code == 405


def test_a_django_staff_flag_or_a_disabled_superuser_reads_nothing(world, login, root):
    staff_flag = User.objects.create_user("desk", password="desk-pass-1234", is_staff=True)
    assert login(staff_flag).get(reverse("audit")).status_code == 404
    assert login(staff_flag).get(reverse("audit_export")).status_code == 404
    assert Client().get("/api/v1/audit/events", headers=bearer(staff_flag)).status_code == 404
    headers = bearer(root)
    User.objects.filter(pk=root.pk).update(is_active=False)
    assert Client().get("/api/v1/audit/events", headers=headers).status_code == 401
    for who in ("resident", "leader", "volunteer", "nobody"):
        assert login(getattr(world.users, who)).get(reverse("audit")).status_code == 404, who
