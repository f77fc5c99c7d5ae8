"""A round's window with its date (`status.window_text(dated=True)`, the planned-round
message read the next day): Chinese closes the full-width bracket straight onto the time,
"明天（12月7日）07:00–14:00" (no half-width space after "）", tester 2026-12-06); English
keeps its spaces, "tomorrow (December 7) 07:00–14:00" (the project's English month-day,
fangkong/formats/en). The spacing is the translation's."""

import datetime

from django.utils import timezone, translation

from fangkong.screening import status
from fangkong.screening.models import Round

NOW = timezone.make_aware(datetime.datetime(2026, 12, 6, 23, 0))


def at(day, hh):
    return timezone.make_aware(datetime.datetime(2026, 12, day, hh, 0))


def test_dated_window_in_chinese_has_no_space_after_the_bracket():
    rnd = Round(starts_at=at(7, 7), ends_at=at(7, 14))
    with translation.override("zh-hans"):
        assert status.window_text(rnd, now=NOW, dated=True) == "明天（12月7日）07:00–14:00"
        assert status.window_text(rnd, now=NOW) == "明天 07:00–14:00"


def test_dated_window_in_english_keeps_its_spaces():
    rnd = Round(starts_at=at(7, 7), ends_at=at(7, 14))
    with translation.override("en"):
        assert status.window_text(rnd, now=NOW, dated=True) == "tomorrow (December 7) 07:00–14:00"
        assert status.window_text(rnd, now=NOW) == "tomorrow 07:00–14:00"


def test_a_window_further_off_reads_its_date_in_both_languages():
    rnd = Round(starts_at=at(9, 7), ends_at=at(9, 14))
    with translation.override("zh-hans"):
        assert status.window_text(rnd, now=NOW, dated=True) == "12月9日 07:00–14:00"
    with translation.override("en"):
        assert status.window_text(rnd, now=NOW, dated=True) == "December 9 07:00–14:00"
