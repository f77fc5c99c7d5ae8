"""Who gets what on every page: one row per URL pattern of the site (the API has its own
table in tests/api/test_security.py), each tried by every kind of user.

The URL patterns are read from the URLconf Django serves, so a new page — of zones,
services, reports or any app — fails `test_every_page_has_a_row` until it has a row in
its app's table (`tests/<app>/page_routes.py`, a dict PAGES of the Page rows defined here,
merged below). A row names the page's URL for the shared scene (community A with a running
round, an antigen round, a call, volunteers…) and the status each user must get, in the
order of ROLES:

    anonymous  no_role  resident  volunteer  supplier  lab  leader  grid  staff  other_staff
    street (command)  district (command)

and one more user, `sampler` (a volunteer of the community given a table in the running
round and a home visit): as `volunteer` unless the row says otherwise (`Page(…, sampler=200)`),
so only the pages a sampler sees differently name it.

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
from fangkong.screening.actions import antigen as antigen_actions
from tests.api.test_security import make_job  # first: it loads the apps' API tables

ROLES = ["anonymous", "nobody", "resident", "volunteer", "supplier", "lab", "leader", "grid",
         "staff", "other_staff", "street", "district"]
SAMPLER = "sampler"  # beside ROLES: declared on a row only where it differs from `volunteer`
NOT_PAGES = ("admin/", "api/v1/", "^api/v1/", "i18n/")  # Django's admin, the API, set_language


@dataclass
class Page:
    url: Callable  # scene -> URL
    expect: str  # one status per ROLES entry, separated by spaces
    method: str = "GET"
    body: Callable | None = None  # scene -> POST data
    sampler: int | None = None  # the round's sampler's answer; None: as `volunteer`

    def statuses(self) -> dict:
        codes = [int(c) for c in self.expect.split()]
        assert len(codes) == len(ROLES), self.expect
        out = dict(zip(ROLES, codes, strict=True))
        out[SAMPLER] = out["volunteer"] if self.sampler is None else self.sampler
        return out


@pytest.fixture(scope="module")
def scene(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world and `_scene`, built once for the module (each test still runs in its own
    transaction, rolled back after it) and removed at the end."""
    from tests.conftest import build_world, built_once

    def build():
        w = _scene(build_world(Actor.system()))
        w.sessions = {}  # role → session cookie, logged in once for the module
        for role in [*ROLES[1:], SAMPLER]:
            client = Client()
            client.force_login(_user(w, role))
            w.sessions[role] = client.cookies[django_settings.SESSION_COOKIE_NAME].value
        return w

    with built_once(django_db_blocker, tmp_path_factory, build) as w:
        yield w


@pytest.fixture
def in_scene(scene, db, settings):
    settings.MEDIA_ROOT = scene.media  # where the scene's photo was kept
    return scene


def _scene(w):
    """Everything the pages show, made through the actions as people would."""
    from fangkong.accounts import actions as accounts
    from fangkong.notify import actions as notify
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
    w.photo, _changed = antigen_actions.record_result(
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
    _sampler(w, staff)
    return w


def _sampler(w, staff):
    """w.users.sampler: a volunteer of community A given table 2 of the running round's
    point and 夏明's home visit (the sampler's own list, /screening/home-visits/mine/)."""
    from fangkong.accounts.roles import Role
    from fangkong.screening.actions import followup, home_assign, planning
    from tests.conftest import make_user

    w.users.sampler = make_user(Actor.system(), "sampler_a", Role.VOLUNTEER, w.community)
    row = planning.assign_sampler(staff, w.round, w.round.points.get(), w.users.sampler, 2)
    w.home_visit = followup.add_home_visit(staff, w.round, w.xia)
    home_assign.assign_home_visits(staff, w.round, [w.home_visit.id], row)


PUBLIC = "200 " * 12
ANYONE = "302 " + "200 " * 11
POST = "POST"

PAGES = {}  # each app's rows: tests/<app>/page_routes.py (merged below)


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
    for role in [*ROLES, SAMPLER]:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.cookies[django_settings.SESSION_COOKIE_NAME] = w.sessions[role]
        if page.method == "POST":
            r = client.post(url, page.body(w) if page.body else {})
        else:
            r = client.get(url)
        got[role] = r.status_code
    if os.environ.get("PAGE_ROUTES_PRINT"):  # a file to append the answers to, as rows
        sampler = f", sampler={got[SAMPLER]}" if got[SAMPLER] != got["volunteer"] else ""
        with open(os.environ["PAGE_ROUTES_PRINT"], "a") as f:
            f.write(f'"{name}": "{" ".join(str(got[r]) for r in ROLES)}"{sampler},\n')
    wrong = {r: f"{got[r]} (declared {want})" for r, want in page.statuses().items()
             if got[r] != want}
    assert not wrong, f"{url}: {wrong}"
    assert 500 not in got.values()


def test_the_scene_has_a_sampler_with_a_home_visit(in_scene):
    """The sampler column is a real sampler: their own home-visit list shows 夏明's visit
    (a volunteer of the same community with no table gets 404 there)."""
    w = in_scene
    got = {}
    for role in ("volunteer", SAMPLER):
        client = Client(raise_request_exception=False)
        client.cookies[django_settings.SESSION_COOKIE_NAME] = w.sessions[role]
        got[role] = client.get("/screening/home-visits/mine/")
    assert got["volunteer"].status_code == 404
    assert got[SAMPLER].status_code == 200 and w.xia.name in got[SAMPLER].content.decode()


def _rows_everywhere() -> int:
    """The rows of every table of the site, in one query (to see that a refusal wrote nothing)."""
    from django.apps import apps
    from django.db import connection

    q = connection.ops.quote_name
    tables = sorted({m._meta.db_table for m in apps.get_models() if m._meta.managed})
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + " + ".join(f"(SELECT COUNT(*) FROM {q(t)})" for t in tables))
        return cursor.fetchone()[0]


@pytest.mark.parametrize("name", sorted(n for n, p in PAGES.items() if p.method == "GET" and
                                        {403, 404} & set(p.statuses().values())))
def test_a_post_from_a_user_the_page_refuses_is_refused_alike_and_writes_nothing(in_scene, name):
    """Pages that also take a form (POST): everyone the page refuses on GET (403, 404) gets
    the same answer to a POST — permission first, before the form is read — and nothing is
    written. Pages that take no POST answer 405 to the owner, and are left out."""
    page = PAGES[name]
    w = in_scene
    url = page.url(w)
    owner = Client(raise_request_exception=False)
    owner.cookies[django_settings.SESSION_COOKIE_NAME] = w.sessions["staff"]
    refused = {r: want for r, want in page.statuses().items() if want in (403, 404)}
    before = _rows_everywhere()
    got = {}
    for role in refused:
        client = Client(raise_request_exception=False)
        client.cookies[django_settings.SESSION_COOKIE_NAME] = w.sessions[role]
        got[role] = client.post(url, {}).status_code
    if set(got.values()) == {405} and owner.post(url, {}).status_code == 405:
        return  # a page only read: 405 to a POST from anyone
    wrong = {r: f"{got[r]} (on GET {want})" for r, want in refused.items() if got[r] != want}
    assert not wrong, f"POST {url}: {wrong}"
    assert _rows_everywhere() == before, f"POST {url}: a refused POST wrote"
