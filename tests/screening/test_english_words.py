"""English a non-native reader can follow (walked 2026-12-07, staff_guangming in English): the
dashboard's note on several rounds ("The figures of testing add up 2 rounds today: a person
counts once in each round.") and the missing list's .xlsx header ("note" in lower case)."""

import io

import openpyxl
from django.utils import translation

from fangkong.screening.node_figures import rounds_note


def test_several_rounds_are_said_plainly():
    with translation.override("en"):
        said = rounds_note({"_rounds": [1, 2]})
    assert said == ("Today's testing figures include 2 rounds: each person is counted once in every "
                    "round they are in, so one person can be counted more than once.")
    with translation.override("zh-hans"):
        assert rounds_note({"_rounds": [1, 2]}) == "检测数字为今日 2 轮合计：每人每轮各计一次（人次）。"


def test_the_missing_lists_note_column_is_a_heading(world, rnd, login):
    c = login(world.users.staff)
    c.cookies["django_language"] = "en"
    r = c.get(f"/screening/rounds/{rnd.id}/missing.xlsx")
    assert r.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    head = next(row for row in rows if row and "Address" in row)
    assert head[-1] == "Note" and "note" not in head
