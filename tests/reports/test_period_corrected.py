"""The street's .xlsx of a day whose community report was returned, corrected and approved
after the street had summed it (walked 2026-12-07, command_qiaodong's week): the current
version — approved — read "未计入：上级汇总后提交" in its status, its remarks cell held the
system's change text, and what the community wrote ("已核实：…") was nowhere in the file.
Each row's status is its version's own; whether the sum above counts it is a column of its
own, and so is what changed since the sum."""

import datetime
import io

import openpyxl
import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))



def _submit(actor, place, day, t, text=""):
    return actions.submit(actor, actions.prepare(actor, place, day, now=t), text, now=t)


def _rows(body, sheet):
    head, *rows = list(openpyxl.load_workbook(io.BytesIO(body))[sheet].iter_rows(values_only=True))
    return [dict(zip(head, r, strict=True)) for r in rows]


def test_the_current_approved_version_keeps_its_status_and_remarks_in_the_xlsx(world):
    w = world
    d = timezone.localdate() - datetime.timedelta(days=1)
    staff_a, staff_b = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    street_a = Actor.system(w.users.street)
    a1 = _submit(staff_a, w.community, d, at(d, 20, 25))
    _submit(staff_b, w.other, d, at(d, 20, 25))
    locked = _submit(street_a, w.street, d, at(d, 20, 45))
    a1 = actions.return_report(street_a, a1, "请核实检测轮次")
    a2 = actions.correct(staff_a, a1, "已核实检测轮次", now=at(d, 21, 5))
    a2 = actions.submit(staff_a, a2, "已核实：本社区当日无检测轮次。", now=at(d, 21, 10))
    actions.approve(street_a, a2)

    c = _client(w.users.street)
    for url in (f"/reports/places/{w.street.id}/export.xlsx?from={d}&to={d}",
                f"/reports/{locked.id}/report.xlsx"):
        rows = [r for r in _rows(c.get(url).content, "社区") if r["地点"] == "光明社区"]
        assert [r["版本"] for r in rows] == [1, 2], rows
        v1, v2 = rows
        # each version's own status: the one summed was returned, the current one approved
        assert v1["状态"] == "已退回" and v2["状态"] == "已通过", rows
        # the community's own remarks, not the system's text
        assert v2["备注"] == "已核实：本社区当日无检测轮次。" and v2["更正原因"] == "已核实检测轮次"
        # kept out of the sum (the street still adds up version 1), said in its own column,
        # with what changed since in its own column; no figures, so the columns add up
        assert v2["上级汇总"] == "未计入：上级汇总后提交", v2
        assert "光明社区已更正（第2版，21:10）" in v2["汇总后的变化"], v2
        assert v2["居民"] in (None, "") and v1["居民"] == locked.children[0]["figures"]["residents"]
        assert not v1["汇总后的变化"]
