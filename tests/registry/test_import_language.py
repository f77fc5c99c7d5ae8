"""Found walking the demo: a roster import's row errors were kept as finished text in the
language of the request that ran it, so an English-speaking user reading a Chinese-made
import's errors (or the reverse) read the other language, on the page and in the API. They
are kept as codes and parameters (`core.said`, `importer.messages`) and said in the
reader's language; rows kept before keep their text."""

from django.conf import settings
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext, ngettext

from fangkong.registry.models import ImportJob
from tests.registry.test_import import do_import, new_id, person, xlsx_bytes

BAD_CHECK = new_id(1)[:-1] + ("0" if new_id(1)[-1] != "0" else "1")


def bad_roster() -> bytes:
    """One mistake a row (rows 3–9 as Excel shows them)."""
    return xlsx_bytes([
        person(1, "甲", BAD_CHECK),  # the check digit
        person(2, "乙", new_id(2), sex="未知"),  # not a sex
        person(3, "丙", new_id(3), tags="独居老人、会飞"),  # not a tag
        person(4, "丁", new_id(4), door=""),  # no door
        person(5, "戊", new_id(5), phone="12345"),  # not a phone
        person(6, "己", new_id(6)),
        person(7, "庚", new_id(6)),  # the same ID number as row 8
    ])


# (row, column, code, the English text or a part of it)
EXPECTED = [
    (3, "身份证号", "id_checksum", "The check digit of the ID number is wrong: please check every digit."),
    (4, "性别", "unknown_choice", "“未知” is not a known sex."),
    (5, "重点人群", "unknown_tags", "Unknown vulnerability tag(s): 会飞. Known tags: 独居老人, "),
    (6, "门牌号", "door_required", "Door number is required."),
    (7, "联系电话", "phone_invalid", "“12345” is not a phone number"),
    (9, "身份证号", "import.id_twice", "The same ID number is already on row 8."),
]


def zh(text: str) -> str:
    with translation.override("zh-hans"):
        return gettext(text)


def _client(user, **headers):
    c = Client(**headers)
    c.force_login(user)
    return c


def _import(world, language) -> ImportJob:
    with translation.override(language):
        job = do_import(world.users.staff, world.community, bad_roster())
    assert job.status == ImportJob.Status.REJECTED and job.error_count == len(EXPECTED), job.errors
    return job


def _said(rows) -> list[tuple]:
    return [(e["row"], e["column"], e["code"], e["message"]) for e in rows]


def test_a_chinese_import_reads_in_english_on_the_page_and_in_the_api(world):
    job = _import(world, "zh-hans")
    assert zh("Door number is required.") in [e["message"] for e in job.errors]  # written in Chinese
    # the API, asked in English: every message in English, with its code
    api = _client(world.users.staff, HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/imports/{job.id}").json()
    got = _said(api["errors"])
    for (row, column, code, english), (r, c, k, message) in zip(EXPECTED, got, strict=True):
        assert (r, c, k) == (row, column, code) and message.startswith(english), (message, english)
    assert api["message"] == ("6 problems found; nothing was imported. Correct the file and "
                              "import it again.")
    # the page, with the language cookie set to English
    page_client = _client(world.users.staff)
    page_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = page_client.get(f"/imports/{job.id}/").content.decode()
    assert "Door number is required." in page and "The same ID number is already on row 8." in page
    assert "The check digit of the ID number is wrong" in page and "6 problems found" in page
    assert zh("Door number is required.") not in page
    # and in Chinese, as it was written
    page = _client(world.users.staff).get(f"/imports/{job.id}/").content.decode()
    assert zh("Door number is required.") in page and "Door number is required." not in page


def test_an_english_import_reads_in_chinese(world):
    job = _import(world, "en")
    assert "Door number is required." in [e["message"] for e in job.errors]  # written in English
    api = _client(world.users.staff).get(f"/api/v1/imports/{job.id}").json()  # Chinese: the default
    messages = {e["code"]: e["message"] for e in api["errors"]}
    assert messages["door_required"] == zh("Door number is required.")
    assert messages["id_checksum"] == zh("The check digit of the ID number is wrong: please check "
                                         "every digit.")
    assert messages["import.id_twice"] == zh("The same ID number is already on row %(row)d.") % {"row": 8}
    assert messages["unknown_choice"] == zh("“%(value)s” is not a known %(field)s.") % {
        "value": "未知", "field": zh("sex")}
    assert "会飞" in messages["unknown_tags"] and "独居老人、行动不便" in messages["unknown_tags"]
    with translation.override("zh-hans"):
        assert api["message"] == ngettext(
            "%(n)d problem found; nothing was imported. Correct the file and import it again.",
            "%(n)d problems found; nothing was imported. Correct the file and import it again.", 6) % {"n": 6}
    page = _client(world.users.staff).get(f"/imports/{job.id}/").content.decode()
    assert zh("Door number is required.") in page and "Door number is required." not in page


def test_the_refused_upload_answers_in_its_own_language_with_codes(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    r = _client(world.users.staff, HTTP_ACCEPT_LANGUAGE="en").post("/api/v1/imports", {
        "place": world.community.id, "file": SimpleUploadedFile("roster.xlsx", bad_roster())})
    assert r.status_code == 422, r.content
    rows = r.json()["error"]["rows"]
    assert [(e["row"], e["code"]) for e in rows] == [(row, code) for row, _c, code, _t in EXPECTED]
    assert rows[3]["message"] == "Door number is required."


def test_a_done_import_and_a_file_problem_are_said_in_the_readers_language(world):
    with translation.override("zh-hans"):
        done = do_import(world.users.staff, world.community, xlsx_bytes(
            [person(1, "甲", new_id(11), door="901")], header=[*_header(), "民族"]))  # a new flat
        missing = do_import(world.users.staff, world.community, xlsx_bytes(
            [["甲", new_id(12)]], header=["姓名", "身份证号"]))
    assert done.status == ImportJob.Status.DONE and missing.status == ImportJob.Status.REJECTED
    en = _client(world.users.staff, HTTP_ACCEPT_LANGUAGE="en")
    assert en.get(f"/api/v1/imports/{done.id}").json()["message"] == (
        "Imported 1 row: 1 new, 0 updated, 0 unchanged. Columns not imported: 民族.")  # not "1 rows"
    report = en.get(f"/api/v1/imports/{missing.id}").json()
    assert report["errors"][0]["code"] == "import.columns_missing"
    assert report["message"].startswith("Required column missing: 小区 (accepted spellings: "
                                         "小区, 小区名称"), report["message"]
    assert report["message"] == report["errors"][0]["message"]


def test_rows_kept_before_codes_keep_their_text(world):
    """An import kept by an older version (text only) or with a code no longer known reads as
    it was written."""
    job = ImportJob.objects.create(
        user=world.users.staff, place=world.community, filename="old.xlsx", content=b"",
        sha256="0" * 64, status=ImportJob.Status.REJECTED, error_count=2,
        message="发现 2 处问题，未导入任何数据。", errors=[
            {"row": 3, "column": "门牌号", "value": "", "message": "门牌号必填。"},
            {"row": 4, "column": "姓名", "value": "", "message": "旧的说法。", "code": "gone.away",
             "params": {}}])
    api = _client(world.users.staff, HTTP_ACCEPT_LANGUAGE="en").get(f"/api/v1/imports/{job.id}").json()
    assert [(e["message"], e["code"]) for e in api["errors"]] == [("门牌号必填。", ""),
                                                                 ("旧的说法。", "gone.away")]
    assert api["message"] == "发现 2 处问题，未导入任何数据。"


def test_every_message_kept_by_code_has_its_chinese():
    """Every message kept by code (the import's, the registry checks', the ID number's and
    phone's) is said in Chinese, the default."""
    from fangkong.core.said import CATALOGUE
    from fangkong.registry.importer import messages as import_messages

    assert import_messages.IMPORTED in CATALOGUE and "id_checksum" in CATALOGUE
    untranslated = [c for c, msgid in CATALOGUE.items() if _said_in(msgid, "zh-hans") == _said_in(msgid, "en")]
    assert not untranslated, untranslated


def _said_in(msgid, language) -> str:
    """A kept message's text in `language`; a counted one (ngettext_lazy) for a count of 0."""
    from collections import defaultdict

    with translation.override(language):
        return gettext(msgid) if isinstance(msgid, str) else str(msgid % defaultdict(int))


def _header():
    from tests.registry.test_import import HEADER

    return HEADER
