"""Every user-facing string has its Chinese translation (Chinese is the default language)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

from fangkong.core.management.commands.compilemessages_py import merged_catalogue

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.skipif(not shutil.which("xgettext"), reason="GNU gettext (xgettext) not installed")
def test_every_string_in_the_code_is_translated(tmp_path):
    shutil.copytree(ROOT / "fangkong", tmp_path / "fangkong",
                    ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    (tmp_path / "locale").mkdir()
    env = dict(os.environ, PYTHONPATH=str(tmp_path), FANGKONG_VAR_DIR=str(tmp_path / "var"),
               DJANGO_SETTINGS_MODULE="fangkong.settings")
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location"],
                   cwd=tmp_path, env=env, check=True, capture_output=True)
    found = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    # a message with a count is found by both its English forms (ngettext looks up the pair):
    # an entry with the singular alone, or with another plural, leaves it in English
    have = {(e.msgctxt, e.msgid, e.msgid_plural) for e in merged_catalogue(CATALOGUE)}
    missing = sorted(" / ".join(filter(None, (e.msgid, e.msgid_plural))) for e in found
                     if (e.msgctxt, e.msgid, e.msgid_plural) not in have)
    assert not missing, "untranslated strings (add them to a .po in locale/zh_Hans/LC_MESSAGES):\n" \
        + "\n".join(missing)


def test_catalogues_agree_with_each_other():
    merged_catalogue(CATALOGUE)  # raises if one msgid has two different translations


def test_english_dates_use_the_24_hour_clock_of_the_chinese_pages():
    """Found walking the demo: English pages said "12/06/2026 2:32 p.m." beside "12-06 14:50"."""
    import datetime

    from django.utils import formats, translation

    at = datetime.datetime(2022, 4, 18, 14, 32)
    with translation.override("en"):
        assert formats.date_format(at, "DATETIME_FORMAT") == "2022-04-18 14:32"
        assert formats.date_format(at, "SHORT_DATETIME_FORMAT") == "2022-04-18 14:32"
        assert formats.time_format(at.time()) == "14:32"


def test_a_shift_past_midnight_says_the_day_it_ends():
    """Found walking the demo: "12-06 13:27–01:27" read as ending before it began."""
    import datetime

    from django.utils import timezone

    from fangkong.accounts.templatetags.fk import until

    tz = timezone.get_current_timezone()
    start = datetime.datetime(2022, 4, 18, 22, 0, tzinfo=tz)
    assert until(start, start + datetime.timedelta(hours=3)) == "04-18 22:00–04-19 01:00"
    assert until(start, start + datetime.timedelta(hours=1)) == "04-18 22:00–23:00"


# --- English plurals ---------------------------------------------------------------------
# "%(n)d tubes packed." reads "1 tubes packed." in English: a count followed by a plural
# noun needs its singular too (ngettext / npgettext, {% blocktranslate count %}; Chinese
# has one form, msgstr[0]). These counts are never 1 — limits, sizes, counts past a limit,
# numbers shown with a decimal — so their messages stay plural only:
PLURAL_ONLY = {
    "Tube %(tube)s is open at this table with %(count)s of %(capacity)s people.":
        "offered only for a pooled tube with swabs in it and room left: its capacity is 2 or more",
    "Write at most %(max_length)s characters.": "a limit",
    "At most %(n)d rows a page.": "a limit",
    "This building has %(n)d rooms %(door)s: write the unit too, like %(example)s.":
        "said only when several units have that room: always 2 or more",
    "Each operation takes only the query parameters it documents: any other answers 400 naming it "
    "and listing the ones it takes, so a misspelt filter never returns everything. Lists with `page` "
    "and `page_size` answer `count`, `page`, `page_size` and `results`: %(size)d rows a page unless "
    "you ask for another size, at most %(max)d (more is a 400); `page` counts from 1. A few lists take "
    "`limit` instead, as documented on them.": "the API's page size",
    "%(n)d events: more than %(limit)d can be exported at once. Choose a shorter time range.":
        "past the limit",
    "%(n)d people, %(person)s among them": "two or more (one is said by name)",
    "That is more than %(n)d cards: print one building at a time.": "a limit",
    "A card carries the person's QR code, name and address; %(per_page)s cards to an A4 page, cut "
    "along the dashed lines. Show it at the sampling table instead of a phone.": "the sheet's layout",
    "No header row found: the first %(n)d rows of every sheet were searched for column names such as "
    "姓名, 身份证号, 楼栋, 门牌号. Use the import template.": "how far the importer looks",
    "No header row found in this CSV file. Either its text encoding is not supported (save it as "
    "“CSV UTF-8” or as GBK/GB18030 CSV from Excel or WPS), or it has no row of column names such as "
    "姓名, 楼栋, 门牌号 in its first %(n)d rows.": "how far the importer looks",
    "The file has more than %(max)d rows; split it into several files.": "a limit",
    "Row %(row)d has a value in column %(column)s; a file may use at most %(max)d columns (up to "
    "column %(last)s). Delete the columns to the right of your data.": "a limit",
    "Row %(row)d, column %(column)s: more than %(max)d characters in one cell. Shorten it, or delete "
    "what does not belong in the file.": "a limit",
    "The file has more than %(max)d rows. Delete the empty rows below your data, or split it into "
    "several files.": "a limit",
    "This workbook unpacks %(ratio)d times larger than its file (to %(size)d MB), far more than a "
    "spreadsheet does: it is refused as possibly harmful (a “zip bomb”). Open it in Excel or WPS and "
    "save it again as .xlsx, or as .csv.": "past the limit",
    "The database is not empty (%(n)d tables): restore into a new, empty database (e.g. createdb, or "
    "a new SQLite file) and point DATABASE_URL at it.": "a database has many tables",
    "The last backup is %(age)s old (more than %(hours)d hours): check fangkong-backup.timer.":
        "a limit (FANGKONG_BACKUP_MAX_AGE_HOURS)",
    "The worker on %(host)s (pid %(pid)s) has not given a sign of life for %(age)s seconds: presumed "
    "dead.": "past the limit",
    "At most %(n)d events a batch.": "a limit",
    "Seal tube %(tube)s now with %(n)s of %(k)s people? A sealed tube cannot be opened again.":
        "asked of a tube not full, so of two or more",
    "Best within the limit of %(cap)s per tube: %(k)s per tube (%(e)s tests per person).":
        "a decimal (0.287)",
    "Without the limit the arithmetic would pool %(k)s per tube (%(e)s tests per person): more than "
    "the test can be trusted to detect.": "a decimal",
    "Without a limit: %(k)s per tube, %(e)s tests per person.": "a decimal",
    "The photo is %(w)d × %(h)d pixels; at most %(max)s million pixels are accepted. Take it again, "
    "or send a smaller copy.": "a photo too large",
    "No header row with the columns 订单号 (order), 商品 (item) and 数量 (quantity) in the first "
    "%(n)d rows. Use the manifest exported from Fangkong as the template.": "how far the import looks",
    "The first %(shown)s of %(n)s orders are shown; all of them go in.": "past the list's length",
    "%(h)s hours served so far.": "a decimal (1.0 hours)",
    "In %(i)s, out %(o)s: %(h)s hours credited. Thank you!": "a decimal",
    "In %(i)s, out %(o)s: %(h)s hours will be credited.": "a decimal",
    "%(n)d people are already confirmed; cancel some first.": "more than the places (at least 1)",
    "At most %(most)d minutes for this shift (%(start)s–%(end)s): from the earliest check-in to the "
    "latest check-out it allows.": "a shift and its margins",
    "%(m)d minutes (%(h).1f h) is more than the whole shift (%(start)s–%(end)s, %(shift)d minutes). "
    "Credit it anyway?": "more than a shift",
    "A name has at most %(n)d characters.": "a limit",
    "Notes have at most %(n)d characters.": "a limit",
    "Write at most %(limit)d characters (this has %(length)d).": "a limit",
    "At most %(n)d characters.": "a limit",
    "At most %(n)d features at once.": "a limit",
    "%(name)s names %(n)d places here: give its id.": "two or more of one name",
    "lives in a %(zone)s: at most %(size)d people per tube": "a size of 1 says “single tube”",
    "is in a key group (%(group)s): at most %(size)d people per tube": "a size of 1 says “single tube”",
    "A zone can count from at most %(days)d days back.": "a limit (7)",
}
COUNT_THEN_WORD = re.compile(r"%(?:\(\w+\))?[ds] ([a-z]+)\b")
# words after a placeholder that end in -s but are not plural nouns ("%(name)s needs …")
NOT_NOUNS = {"as", "has", "is", "was", "does", "goes", "carries", "holds", "lives", "names", "needs",
             "samples", "stays", "works"}


def _counts_a_plural_noun(msgid: str) -> bool:
    for word in COUNT_THEN_WORD.findall(msgid):
        if word in {"people", "children"}:
            return True
        if len(word) > 1 and word.endswith("s") and not word.endswith(("ss", "us", "is")) \
                and word not in NOT_NOUNS:
            return True
    return False


def test_a_count_before_a_plural_noun_has_its_singular_in_english():
    shaped = {e.msgid for e in merged_catalogue(CATALOGUE)
              if not e.msgid_plural and _counts_a_plural_noun(e.msgid)}
    new = sorted(shaped - set(PLURAL_ONLY))
    assert not new, ("a count before a plural noun reads \"1 tubes\" in English: use ngettext / "
                     "{% blocktranslate count %} (or, if the count is never 1, add it to PLURAL_ONLY "
                     "with the reason):\n" + "\n".join(new))
    gone = sorted(set(PLURAL_ONLY) - shaped)
    assert not gone, "no longer in the catalogues (take them off PLURAL_ONLY):\n" + "\n".join(gone)


def test_the_shape_is_found():
    assert _counts_a_plural_noun("%(n)d tubes packed.")
    assert _counts_a_plural_noun("%(n)s of %(m)s doors to go")
    assert _counts_a_plural_noun("Sent to %(n)s people.")
    assert not _counts_a_plural_noun("%(name)s needs volunteers")
    assert not _counts_a_plural_noun("Tube %(code)s is full.")
