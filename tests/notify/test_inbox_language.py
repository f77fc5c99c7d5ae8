"""The inbox reads in the language its reader reads now, not the one their account last
remembered when the message was written (a shared or handed-over phone): every language is
kept on the row; the text message stays in the account's language."""

import datetime

import pytest
from django.test import Client
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.actor import Actor
from fangkong.notify import actions
from fangkong.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db

DAY = datetime.date(2022, 4, 18)
ZH = ("混管阳性 GM00017：10 人需单采复核", "2022年4月18日 日报被退回")
EN = ("Positive pooled tube GM00017: 10 people to re-test", "Nightly report of 2022-04-18 returned")


def _pool_title():
    return ngettext("Positive pooled tube %(code)s: %(n)d person to re-test",
                    "Positive pooled tube %(code)s: %(n)d people to re-test", 10) \
        % {"code": "GM00017", "n": 10}


def _body():
    return _("Nightly report of %(day)s returned") % {"day": date_format(DAY)}


def _reader(user, lang):
    c = Client(HTTP_ACCEPT_LANGUAGE=lang)
    c.force_login(user)
    return c


def _send_in_english(world):
    grid = world.users.grid
    grid.language = "en"  # the account last used in English
    grid.phone = "13900000077"
    grid.save()
    with translation.override("zh-hans"):  # whoever sends reads Chinese
        actions.notify(Actor.system(), [grid], kind="screening.positive_pool", title=_pool_title,
                       body=_body, url="/search/", key="pool-1")
    return grid


def test_a_message_written_in_english_reads_in_chinese_on_a_chinese_phone(world):
    grid = _send_in_english(world)
    zh = _reader(grid, "zh-CN")
    html = zh.get("/inbox/").content.decode()
    assert ZH[0] in html and ZH[1] in html
    assert EN[0] not in html and EN[1] not in html
    doc = zh.get("/api/v1/me/notifications").json()
    assert [(n["title"], n["body"]) for n in doc["results"]] == [ZH]
    # the same row read in English reads in English
    en = _reader(grid, "en")
    html = en.get("/inbox/").content.decode()
    assert EN[0] in html and EN[1] in html and ZH[0] not in html
    assert [(n["title"], n["body"]) for n in en.get("/api/v1/me/notifications").json()["results"]] == [EN]
    # the text message to the phone stays in the account's language when it was sent
    assert Delivery.objects.get(kind="screening.positive_pool").title == EN[0]


def test_typed_words_read_as_typed_in_either_language(world):
    actions.notify(Actor.system(), [world.users.grid], kind="k", title="明早七点集合", body="typed")
    n = Notification.objects.get(kind="k")
    assert n.translations == {}  # the same in every language: nothing more kept
    for lang in ("en", "zh-CN"):
        doc = _reader(world.users.grid, lang).get("/api/v1/me/notifications").json()
        assert [(r["title"], r["body"]) for r in doc["results"]] == [("明早七点集合", "typed")]


def test_old_rows_without_translations_still_show(world):
    grid = _send_in_english(world)
    Notification.objects.filter(user=grid).update(translations={})  # written before the column
    Notification.objects.create(user=grid, kind="old", title="旧消息", body="旧的正文")
    for lang in ("zh-CN", "en"):
        c = _reader(grid, lang)
        html = c.get("/inbox/").content.decode()
        assert EN[0] in html and "旧消息" in html and "旧的正文" in html
        doc = c.get("/api/v1/me/notifications").json()
        assert {(r["title"], r["body"]) for r in doc["results"]} == {EN, ("旧消息", "旧的正文")}
