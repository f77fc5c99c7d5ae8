"""A date inside a message is said in its reader's language, with the project's short formats
(`core.when`: "7 Dec 13:09" in English, "12-07 13:09" in Chinese), when the message is
rendered for that reader — never "12-07 13:09" (read as 12 July) or 月/日 inside an English
sentence. Before, a volunteer call, its cancellation, an antigen reminder and a hand-off
notice wrote "%m-%d %H:%M" by hand for everyone. Zone notices to families keep their month
and day in words ("December 7 13:09", "12月7日 13:09"), each in its reader's language too.
The inbox row keeps the other language's words with that language's dates
(`Notification.translations`)."""

import datetime
import re
import uuid

import pytest
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import remind
from fangkong.services.actions import handoff, orders
from fangkong.volunteers.actions import answers, call_news
from fangkong.volunteers.actions import calls as vol_calls
from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for, make_user
from tests.screening.test_antigen import running_antigen_round
from tests.services.conftest import build_services, volunteer

pytestmark = pytest.mark.django_db

HAND_WRITTEN = re.compile(r"\b\d\d-\d\d \d\d:\d\d")  # "12-07 13:09": the Chinese short form


def english(at) -> str:
    at = timezone.localtime(at)
    return f"{at.day} {at:%b} {at:%H:%M}"  # DAY_TIME_FORMAT "j M H:i"


def chinese(at) -> str:
    return f"{timezone.localtime(at):%m-%d %H:%M}"  # DAY_TIME_FORMAT "m-d H:i"


def english_words(text: str) -> None:
    assert not HAND_WRITTEN.search(text) and "月" not in text, text


def chinese_words(text: str) -> None:
    assert not re.search(r"\d{1,2} [A-Z][a-z]{2} \d\d:\d\d", text), text


def inbox(kind, user) -> Notification:
    (n,) = Notification.objects.filter(kind=kind, user=user)
    return n


def both(kind, en_user, zh_user, at, *, field="body"):
    """The English reader's message says `at` in English, the Chinese reader's in Chinese;
    each inbox row keeps the other language with its own dates."""
    en, zh = inbox(kind, en_user), inbox(kind, zh_user)
    en_text, zh_text = getattr(en, field), getattr(zh, field)
    assert english(at) in en_text, en_text
    english_words(en_text)
    assert chinese(at) in zh_text, zh_text
    chinese_words(zh_text)
    assert chinese(at) in zh.translations["zh-hans"][field] and english(at) in zh.translations["en"][field]
    assert english(at) in en.translations["en"][field] and chinese(at) in en.translations["zh-hans"][field]
    return en_text, zh_text


@pytest.fixture
def svc(world):
    return build_services(world)


@pytest.fixture
def en_volunteer(world, svc):
    """A second volunteer of the gate team, who reads English; the first (svc.vol_user) Chinese."""
    user = volunteer(world, 8, svc.team).user
    User.objects.filter(pk=user.pk).update(language="en")
    return user


@pytest.fixture
def en_family(world):
    """Household 201's own login, reading English; 101's (resident_a) reads Chinese."""
    user = make_user(Actor.system(), "resident_b", Role.RESIDENT, household=world.hh201)
    User.objects.filter(pk=user.pk).update(language="en")
    return user


def test_a_volunteer_call_and_its_cancellation(world, svc, en_volunteer):
    start = (timezone.now() + datetime.timedelta(days=2)).replace(second=0, microsecond=0)
    staff = actor_for(world.users.staff)
    call = vol_calls.create_call(staff, world.community, {
        "task": "sampling", "title": "1号点 采样辅助", "place": world.building.id, "slots": 2,
        "starts_at": start.isoformat(), "ends_at": (start + datetime.timedelta(hours=3)).isoformat()})
    en, zh = both("volunteers.call", en_volunteer, svc.vol_user, start)
    assert f"Answer by {english(call.deadline)}" in en and f"请在 {chinese(call.deadline)} 前" in zh
    answers.sign_up(actor_for(svc.vol_user), call)
    answers.sign_up(actor_for(en_volunteer), call)
    call_news.cancel_call(staff, call, "改期")
    both("volunteers.call_cancelled", en_volunteer, svc.vol_user, start)


def test_a_testing_round_reminder(world, en_family):
    rnd = running_antigen_round(world, Actor.system())
    antigen_actions.record_result(Actor.system(world.users.staff), rnd, world.yu, "negative")
    remind.remind(Actor.system(world.users.staff, via="web"), rnd, world.community, confirm=True)
    both("screening.antigen_remind", en_family, world.users.resident, rnd.ends_at)


def test_a_hand_off_notice_to_the_gate_team(world, svc, en_volunteer):
    staff = actor_for(world.users.staff)
    for hh in (world.hh101, world.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    due = (timezone.now() + datetime.timedelta(hours=26)).replace(second=0, microsecond=0)
    handoff.create_batch(staff, svc.supplier, svc.gate, due_at=due, team=svc.team, client_id=uuid.uuid4())
    both("services.handoff", en_volunteer, svc.vol_user, due, field="title")
    both("services.handoff", en_volunteer, svc.vol_user, due, field="body")


def test_a_zone_notice_to_the_families(world, en_family):
    install_presets()
    staff = actor_for(world.users.staff)
    at = timezone.now().replace(second=0, microsecond=0)
    notice = pub.create_notice(staff, world.community, {
        "number": "迎泽防控〔2022〕19号", "issued_by": "桥东街道疫情防控指挥部", "title": "封控通告",
        "effective_at": at.isoformat()})
    adj = pub.draft(staff, world.community, "封控", notice=notice)
    pub.add_item(staff, adj, pub.Op.CREATE, world.building,
                 ZoneType.objects.get(policy__is_active=True, code="sealed"))
    pub.publish(staff, adj)
    local = timezone.localtime(at)
    en, zh = inbox("zones.published", en_family), inbox("zones.published", world.users.resident)
    assert f"from {local:%B} {local.day} {local:%H:%M}" in en.title, en.title
    english_words(en.title + en.body)
    assert f"自{local.month}月{local.day}日 {local:%H:%M}起" in zh.title, zh.title
    chinese_words(zh.title + zh.body)


# --- the rule, for every module ---------------------------------------------------------------

KEPT = {  # a month-day written by hand that no reader reads as a sentence of theirs
    "fangkong/services/models.py": "Batch.__str__: the audit log's label, stored once",
    "fangkong/screening/views.py": "figures_line: the title row of the missing list's .xlsx",
}


def test_no_module_writes_a_month_and_day_by_hand():
    """Dates for people go through `core.when` (or a named format of `fangkong/formats`);
    "%m-%d" by hand is one language's date in every reader's text. Full ISO dates
    ("%Y-%m-%d": files, audit values, API) are not this."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    by_hand = re.compile(r"""(?<!%Y-)%m-%d|%-?m月|["']m-d["']|\.month\}-""")
    found = []
    for path in sorted((root / "fangkong").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("fangkong/formats/") or "/migrations/" in rel or rel.startswith("fangkong/demo/"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if by_hand.search(line) and rel not in KEPT:
                found.append(f"{rel}:{n}: {line.strip()}")
    assert not found, "\n".join(found)
