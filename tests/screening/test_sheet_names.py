"""Sheet names are short and whole within Excel's 31 characters: the missing list's is the
round and the place ("12月7日全员核酸 未检人员 · 光明社区"), never a title cut mid-time
("… · 双塔社区 12-06 21"); the one helper (registry.exporter) keeps whole parts for every export."""

import io

import openpyxl
from django.urls import reverse

from fangkong.registry.exporter import _safe_sheet_title
from fangkong.screening.models import Round


def test_missing_list_sheet_is_named_by_round_and_place(world, rnd, client):
    Round.objects.filter(pk=rnd.pk).update(name="12月7日全员核酸")
    client.force_login(world.users.staff)
    data = client.get(reverse("screening_missing_export", args=[rnd.id])).content
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == f"12月7日全员核酸 未检人员 · {world.community.name}"


def test_sheet_titles_keep_whole_parts():
    assert _safe_sheet_title("12月7日全员核酸 未检人员 · 双塔社区 12-06 21:05：已采 30/99") == "12月7日全员核酸 未检人员"
    assert _safe_sheet_title("a" * 40).endswith("…") and len(_safe_sheet_title("a" * 40)) == 31
    assert _safe_sheet_title("Residents") == "Residents"
