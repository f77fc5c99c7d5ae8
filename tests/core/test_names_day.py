"""A day said once (walk_family: "最近一次检测 12月7日 抗原自测 12-07"): `core.when.names_day`
says whether a name staff typed already says the day, and the page then leaves it out."""

import datetime

from fangkong.core.when import names_day

DAY = datetime.date(2026, 12, 7)


def test_a_name_that_says_its_day_in_any_usual_form():
    for name in ("12月7日 抗原自测", "抗原自测 12-07", "12/7 核酸", "Antigen 7 Dec", "Dec 7 round", "12月7号全员核酸"):
        assert names_day(name, DAY), name


def test_a_name_without_it_or_with_another_day():
    for name in ("第3轮核酸", "12月17日 抗原", "112-07", "12-070", "", None):
        assert not names_day(name, DAY), name
