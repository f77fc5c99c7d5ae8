"""Who gets what on every page: one row per URL pattern of the site (the API has its own
table in tests/api/test_security.py), each tried by every kind of user.

The URL patterns are read from the URLconf Django serves, so a new page — of zones,
services, reports or any app — fails `test_every_page_has_a_row` until it has a row here
or in its app's table (`tests/<app>/page_routes.py`, a dict PAGES of the same Page rows,
merged below). A row names the page's URL for the shared scene (community A with a running
round, an antigen round, a call, volunteers…) and the status each user must get, in the
order of ROLES:

    anonymous  no_role  resident  volunteer  supplier  lab  leader  grid  staff  other_staff
    street (command)  district (command)

A GET for pages; an empty POST for the routes that only take POST (permission first: a
user who may not act must be refused before the form is read). 404 is "missing or not
yours" (never 403 for something the user cannot see); 302 sends the anonymous to log in.
Set PAGE_ROUTES_PRINT=<file> to write the answers there as rows (to review a new page's row, never
to copy blindly).
"""

import datetime
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from fangkong.core.actor import Actor
from tests.api.test_security import make_job  # first: it loads the apps' API tables

ROLES = ["anonymous", "nobody", "resident", "volunteer", "supplier", "lab", "leader", "grid",
         "staff", "other_staff", "street", "district"]
NOT_PAGES = ("admin/", "api/v1/", "^api/v1/", "i18n/")  # Django's admin, the API, set_language


@dataclass
class Page:
    url: Callable  # scene -> URL
    expect: str  # one status per ROLES entry, separated by spaces
    method: str = "GET"
    body: Callable | None = None  # scene -> POST data

    def statuses(self) -> dict:
        codes = [int(c) for c in self.expect.split()]
        assert len(codes) == len(ROLES), self.expect
        return dict(zip(ROLES, codes, strict=True))


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world and `_scene`, built once for the module (each test still runs in its own
    transaction, rolled back after it) and removed at the end."""
    from django.core.management import call_command
    from django.test import override_settings

    from tests.conftest import build_world

    media = str(tmp_path_factory.mktemp("media"))
    with django_db_blocker.unblock(), override_settings(
            MEDIA_ROOT=media, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TASKS={"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}):
        w = _scene(build_world(Actor.system()))
        w.media = media
        w.sessions = {}  # role → session cookie, logged in once for the module
        for role in ROLES[1:]:
            client = Client()
            client.force_login(_user(w, role))
            w.sessions[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        try:
            yield w
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def in_scene(scene, db, settings):
    settings.MEDIA_ROOT = scene.media  # where the scene's photo was kept
    return scene


def _scene(w):
    """Everything the pages show, made through the actions as people would."""
    from fangkong.accounts import actions as accounts
    from fangkong.notify import actions as notify
    from fangkong.screening import antigen
    from fangkong.screening.actions.sync import sync
    from fangkong.volunteers.actions import calls, registration, teams
    from tests.screening.photos import png
    from tests.screening.security_routes import antigen_round, with_tube
    from tests.volunteers.security_routes import setup

    system = Actor.system()
    staff = Actor.system(w.users.staff)
    with_tube(w)  # w.round: running PCR round, tube T0001 with 于海涛's swab
    sync(staff, w.round, [  # and an offline scan into a tube never opened
        {"client_id": str(uuid.uuid4()), "type": "scan", "barcode": "T0404",
         "person": w.su.token}])
    w.conflict = w.round.conflicts.get()
    antigen_round(w)  # w.antigen
    w.photo, _changed = antigen.record_result(
        Actor.system(w.users.resident), w.antigen, w.su, "negative", photo=png(),
        client_id=str(uuid.uuid4()))
    setup(w)  # w.call, w.approved, w.pending, w.link
    w.assignment = calls.assign(staff, w.call, w.approved)
    w.team = teams.create_team(staff, w.community, "封控五组")
    w.loan = registration.lend(staff, w.approved, w.other, timezone.localdate()
                             + datetime.timedelta(days=3))
    w.job = make_job(w)
    w.token, _raw = accounts.create_token(Actor.system(w.users.staff, via="api"), "laptop")
    w.membership = w.users.grid.memberships.first()
    notify.notify(system, [w.users.staff], kind="test", title="核酸通知", place=w.community)
    w.notification = w.users.staff.notifications.first()
    w.delivery = w.notification and __import__(
        "fangkong.notify.models", fromlist=["Delivery"]).Delivery.objects.first()
    w.group = notify.add_group_channel(staff, w.community, name="光明社区群", channel="webhook",
                                       target="https://example.invalid/hook")
    return w


PUBLIC = "200 " * 12
ANYONE = "302 " + "200 " * 11
POST = "POST"

PAGES = {
    # --- accounts, audit ------------------------------------------------------------------
    "login": Page(lambda w: "/login/", "200 302 302 302 302 302 302 302 302 302 302 302"),
    "logout": Page(lambda w: "/logout/", "302 " * 12, method=POST),
    "people": Page(lambda w: "/people/", "302 404 404 404 404 404 404 404 200 200 404 404"),
    "membership_revoke": Page(lambda w: f"/people/{w.membership.id}/revoke/",
                              "302 404 404 404 404 404 404 404 200 404 404 404", method=POST),
    "household_login": Page(lambda w: f"/households/{w.hh101.id}/login/",
                            "302 404 404 404 404 404 404 404 302 404 404 404", method=POST),
    "tokens": Page(lambda w: "/tokens/", ANYONE),
    "token_revoke": Page(lambda w: f"/tokens/{w.token.id}/revoke/",
                         "302 404 404 404 404 404 404 404 200 404 404 404", method=POST),
    "supplier_home": Page(lambda w: "/supplier/", "302 404 404 404 200 404 404 404 404 404 404 404"),
    "login_code": Page(lambda w: "/login/code/", "302 " * 12),  # only after a password, else to log in
    "two_step": Page(lambda w: "/two-step/", ANYONE),
    "audit": Page(lambda w: "/audit/", "302 404 404 404 404 404 404 404 200 200 200 200"),
    # --- registry -------------------------------------------------------------------------
    "home": Page(lambda w: "/", "302 200 302 302 302 302 302 302 302 302 302 302"),
    "search": Page(lambda w: "/search/?q=苏", ANYONE),
    "place": Page(lambda w: f"/places/{w.building.id}/",
                  "302 404 404 404 404 404 200 200 200 404 200 200"),
    "place_create": Page(lambda w: f"/places/{w.building.id}/add/",
                         "302 404 404 404 404 404 403 403 302 404 403 403", method=POST),
    "resident_list": Page(lambda w: f"/places/{w.building.id}/residents/",
                          "302 404 404 404 404 404 200 200 200 404 200 200"),
    "vulnerable": Page(lambda w: f"/places/{w.building.id}/vulnerable/",
                       "302 404 404 404 404 404 200 200 200 404 200 200"),
    "export_residents": Page(lambda w: f"/places/{w.building.id}/export.xlsx",
                             "302 404 404 404 404 404 404 200 200 404 200 200"),
    "household_create": Page(lambda w: f"/places/{w.unit1.id}/households/new/",
                             "302 404 404 404 404 404 403 200 200 404 403 403"),
    "import_start": Page(lambda w: f"/places/{w.community.id}/import/",
                         "302 404 404 404 404 404 404 404 200 404 404 404"),
    "import_job": Page(lambda w: f"/imports/{w.job.id}/",
                       "302 404 404 404 404 404 404 404 200 404 404 404"),
    "import_template": Page(lambda w: "/imports/template.xlsx", PUBLIC),
    "household": Page(lambda w: f"/households/{w.hh101.id}/",
                      "302 404 200 404 404 404 200 200 200 404 200 200"),
    "household_edit": Page(lambda w: f"/households/{w.hh101.id}/edit/",
                           "302 404 403 404 404 404 403 200 200 404 403 403"),
    "resident_create": Page(lambda w: f"/households/{w.hh101.id}/residents/new/",
                            "302 404 403 404 404 404 403 200 200 404 403 403"),
    "resident_edit": Page(lambda w: f"/residents/{w.su.id}/edit/",
                          "302 404 403 404 404 404 403 200 200 404 403 403"),
    "resident_move": Page(lambda w: f"/residents/{w.su.id}/move/",
                          "302 404 403 404 404 404 403 200 200 404 403 403"),
    "resident_reveal": Page(lambda w: f"/residents/{w.su.id}/reveal-id/",
                            "302 404 403 404 404 404 403 200 200 404 403 403", method=POST),
    "code_cards": Page(lambda w: f"/places/{w.building.id}/code-cards/",
                       "302 404 404 404 404 404 403 200 200 404 403 403"),
    "code_cards_pdf": Page(lambda w: f"/places/{w.building.id}/code-cards.pdf",
                           "302 404 404 404 404 404 403 200 200 404 403 403"),
    "household_cards_pdf": Page(lambda w: f"/households/{w.hh101.id}/code-cards.pdf",
                                "302 404 403 404 404 404 403 200 200 404 403 403"),
    "household_codes": Page(lambda w: f"/households/{w.hh101.id}/codes/",
                            "302 404 200 404 404 404 403 200 200 404 403 403"),
    "my_codes": Page(lambda w: "/my/codes/", "302 404 302 404 404 404 404 404 404 404 404 404"),
    "resident_reissue_code": Page(lambda w: f"/residents/{w.su.id}/reissue-code/",
                                  "302 404 403 404 404 404 403 302 302 404 403 403",
                                  method=POST),
    # --- notifications --------------------------------------------------------------------
    "inbox": Page(lambda w: "/inbox/", ANYONE),
    "inbox_open": Page(lambda w: f"/inbox/{w.notification.id}/",
                       "302 404 404 404 404 404 404 404 302 404 404 404"),
    "inbox_badge": Page(lambda w: "/inbox/badge/", PUBLIC),
    "inbox_read_all": Page(lambda w: "/inbox/read/", "302 " * 12, method=POST),
    "outbox": Page(lambda w: "/outbox/", "302 404 404 404 404 404 404 404 200 200 200 200"),
    "outbox_retry": Page(lambda w: f"/outbox/{w.delivery.id}/retry/",
                         "302 404 404 404 404 404 404 404 302 404 302 302", method=POST),
    "outbox_group_active": Page(lambda w: f"/outbox/groups/{w.group.id}/active/",
                                "302 404 404 404 404 404 404 404 302 404 302 302", method=POST),
}


def _served_page_names() -> set[str]:
    names = set()

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                here = prefix + str(p.pattern)
                if not here.startswith(NOT_PAGES):
                    walk(p.url_patterns, here)
            elif isinstance(p, URLPattern) and not (prefix + str(p.pattern)).startswith(NOT_PAGES):
                assert p.name, f"page {prefix}{p.pattern} has no name"
                names.add(p.name)

    walk(get_resolver().url_patterns)
    return names


def _app_tables():
    from tests.tables import app_tables

    for table in app_tables("page_routes"):
        clash = set(table.PAGES) & set(PAGES)
        assert not clash, f"pages listed twice: {clash}"
        PAGES.update(table.PAGES)


_app_tables()


def test_every_page_has_a_row():
    served = _served_page_names()
    assert served - set(PAGES) == set(), "add a row for these pages (tests/<app>/page_routes.py)"
    assert set(PAGES) - served == set(), "these rows name pages that no longer exist"


def _user(w, role):
    return {"nobody": w.users.nobody, "street": w.users.street, "district": w.users.district}.get(
        role) or getattr(w.users, role)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_each_user_gets_the_declared_answer(in_scene, name):
    page = PAGES[name]
    w = in_scene
    url = page.url(w)
    got = {}
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.cookies[django_settings.SESSION_COOKIE_NAME] = w.sessions[role]
        if page.method == "POST":
            r = client.post(url, page.body(w) if page.body else {})
        else:
            r = client.get(url)
        got[role] = r.status_code
    if os.environ.get("PAGE_ROUTES_PRINT"):  # a file to append the answers to, as rows
        with open(os.environ["PAGE_ROUTES_PRINT"], "a") as f:
            f.write(f'"{name}": "{" ".join(str(got[r]) for r in ROLES)}",\n')
    wrong = {r: f"{got[r]} (declared {want})" for r, want in page.statuses().items()
             if got[r] != want}
    assert not wrong, f"{url}: {wrong}"
    assert 500 not in got.values()
