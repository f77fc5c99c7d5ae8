"""Short dates and times say the month in letters in English ("7 Dec 13:09": "12-07 13:09" reads
as 12 July to many, walked 2026-12-07) and stay as the Chinese pages write them; one format
per language (`core.when`, the `DAY_TIME_FORMAT` of `fangkong/formats`)."""

import datetime
import zoneinfo

from django.template import Context, Template
from django.utils import translation

from fangkong.accounts.templatetags.fk import until
from fangkong.core.when import short_day, short_time

AT = datetime.datetime(2026, 12, 7, 5, 9, tzinfo=datetime.UTC)  # 13:09 in Shanghai
SH = zoneinfo.ZoneInfo("Asia/Shanghai")


def test_english_says_the_month_and_chinese_is_unchanged():
    with translation.override("en"):
        assert short_time(AT) == "7 Dec 13:09" and short_day(datetime.date(2026, 12, 1)) == "1 Dec"
        assert Template('{{ t|date:"DAY_TIME_FORMAT" }}').render(Context({"t": AT})) == "7 Dec 13:09"
        assert until(AT, AT + datetime.timedelta(hours=2)) == "7 Dec 13:09–15:09"
        assert until(AT, AT + datetime.timedelta(hours=12)) == "7 Dec 13:09–8 Dec 01:09"
    with translation.override("zh-hans"):
        assert short_time(AT) == "12-07 13:09" and short_day(datetime.date(2026, 12, 1)) == "12-01"
        assert Template('{{ t|date:"DAY_TIME_FORMAT" }}').render(Context({"t": AT})) == "12-07 13:09"
        assert until(AT, AT + datetime.timedelta(hours=2)) == "12-07 13:09–15:09"
