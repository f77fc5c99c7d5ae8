"""Every user-facing string has its Chinese translation (Chinese is the default language)."""

import os
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
    have = {(e.msgctxt, e.msgid) for e in merged_catalogue(CATALOGUE)}
    missing = sorted(e.msgid for e in found if (e.msgctxt, e.msgid) not in have)
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
