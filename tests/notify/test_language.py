"""Messages are written in the reader's language (User.language, remembered from the pages
they read), not the sender's: renderables are rendered once per language of the readers."""

import ast
import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fangkong.accounts.models import User
from fangkong.core.actor import Actor
from fangkong.notify import actions
from fangkong.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db

DAY = datetime.date(2022, 4, 18)


def returned():
    return _("Nightly report of %(day)s returned") % {"day": date_format(DAY)}


def test_each_reader_gets_their_language_whatever_the_senders(world):
    world.users.grid.language = "en"
    world.users.grid.save()
    users = [world.users.staff, world.users.grid]
    with translation.override("en"):  # the sender reads English
        n = actions.notify(Actor.system(), users, kind="k", title=returned, body="照原样，typed",
                           key="k-1")
    assert n == 2
    rows = dict(Notification.objects.filter(kind="k").values_list("user_id", "title"))
    assert rows == {world.users.staff.pk: "2022年4月18日 日报被退回",  # the date as Chinese writes it
                    world.users.grid.pk: "Nightly report of 2022-04-18 returned"}
    assert set(Notification.objects.values_list("body", flat=True)) == {"照原样，typed"}  # as typed
    # the phone's text message too (the grid worker has no phone: the staff member's)
    assert Delivery.objects.get(kind="k").title == "2022年4月18日 日报被退回"
    # a retried action never notifies twice, in any language; a lazy translation renders too
    assert actions.notify(Actor.system(), users, kind="k", title=returned, key="k-1") == 0
    actions.notify(Actor.system(), users, kind="lazy", title=gettext_lazy("Inbox"))
    assert sorted(Notification.objects.filter(kind="lazy").values_list("title", flat=True)) == ["Inbox", "消息"]


def test_groups_read_the_sites_language_and_a_code_the_requesters(world):
    actions.add_group_channel(Actor.system(), world.community, name="群", channel="webhook",
                              target="https://example.org/hook")
    with translation.override("en"):
        assert actions.announce(Actor.system(), world.community, kind="g", title=returned) == 1
        actions.notify_phone("13900000001", kind="code", title=returned)
    assert Delivery.objects.get(kind="g").title == "2022年4月18日 日报被退回"
    assert Delivery.objects.get(kind="code").title == "Nightly report of 2022-04-18 returned"


def test_many_readers_in_two_languages_cost_what_one_language_costs(world):
    """Readers are grouped by language: the text is rendered once a language and the rows are
    written in bulk, so 300 readers take the statements 30 take."""
    def people(prefix, n):
        User.objects.bulk_create([User(username=f"{prefix}{i}", phone=f"{137 if prefix == 'a' else 136}{i:08d}",
                                       language="en" if i % 2 else "") for i in range(n)])
        return list(User.objects.filter(username__startswith=prefix).values_list("pk", flat=True))

    few, many = people("a", 30), people("b", 300)
    rendered = []

    def title():
        rendered.append(translation.get_language())
        return returned()

    counts = []
    for ids, key in ((few, "few"), (many, "many")):
        with CaptureQueriesContext(connection) as q:
            assert actions.notify(Actor.system(), ids, kind="call", title=title, key=key) == len(ids)
        counts.append(len(q.captured_queries))
    assert counts[0] == counts[1], counts
    assert sorted(rendered) == ["en", "en", "zh-hans", "zh-hans"]  # once a language a call
    titles = dict(Notification.objects.filter(key="many").values_list("user_id", "title"))
    assert sum(t.startswith("Nightly") for t in titles.values()) == 150
    assert Delivery.objects.filter(title__startswith="Nightly").count() == 15 + 150


def test_the_language_a_signed_in_person_reads_is_remembered(world):
    staff = world.users.staff
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(staff)
    c.get("/inbox/")
    staff.refresh_from_db()
    assert staff.language == "en"
    with CaptureQueriesContext(connection) as q:  # unchanged: nothing written
        c.get("/inbox/")
    assert not [x for x in q.captured_queries if x["sql"].startswith('UPDATE "accounts_user"')]
    # switched on the page (the footer's buttons): remembered at once
    c.post("/i18n/setlang/", {"language": "zh-hans", "next": "/inbox/"})
    staff.refresh_from_db()
    assert staff.language == "zh-hans"
    actions.notify(Actor.system(), [staff], kind="k", title=returned)
    assert Notification.objects.get(kind="k").title == "2022年4月18日 日报被退回"
    # someone not signed in: nothing to remember, nothing fails
    anon = Client()
    assert anon.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert anon.get("/login/", HTTP_ACCEPT_LANGUAGE="en").status_code == 200


# --- the rule, for every caller ---------------------------------------------------------

SENDERS = {"notify", "announce", "notify_users"}  # notify_phone: the requester reads it
TRANSLATE = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def _finished(node, names) -> bool:
    """Words translated now, in the sender's language (a gettext call, text made of one,
    or a local name given such text)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id in TRANSLATE
    if isinstance(node, ast.BinOp):
        return _finished(node.left, names) or _finished(node.right, names)
    if isinstance(node, ast.IfExp):
        return _finished(node.body, names) or _finished(node.orelse, names)
    return isinstance(node, ast.Name) and node.id in names


def test_no_caller_passes_words_translated_in_the_senders_language():
    """Messages are written in the reader's language: a title or body from the code is a
    renderable (a callable, a lazy translation), never text translated in the request that
    sends it (docs/notify.md)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found = []
    for path in sorted((root / "fangkong").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            names = set()
            for node in ast.walk(fn):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                        and isinstance(node.targets[0], ast.Name) and _finished(node.value, names):
                    names.add(node.targets[0].id)
                elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name) \
                        and _finished(node.value, names):
                    names.add(node.target.id)
            for node in ast.walk(fn):
                callee = getattr(node, "func", None)
                if isinstance(node, ast.Call) and getattr(callee, "id", getattr(callee, "attr", None)) in SENDERS:
                    found += [f"{path.relative_to(root)}:{node.lineno} {kw.arg}" for kw in node.keywords
                              if kw.arg in ("title", "body") and _finished(kw.value, names)]
    assert not found, "pass a renderable (lambda: _(...) % {...}), not finished text:\n" + "\n".join(found)
