"""The audit log's .xlsx in English names its channel column plainly (walked 2026-12-07: "Way
in" for 网页/接口); Chinese keeps 途径."""

import io

import openpyxl
import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("lang", "column"), [("en", "Channel (web or API)"), ("zh-hans", "途径")])
def test_the_channel_column_says_what_it_holds(world, client, lang, column):
    client.force_login(world.users.district)
    client.cookies["django_language"] = lang
    client.get(reverse("household", args=[world.hh101.id]))
    r = client.get(reverse("audit_export"))
    rows = list(openpyxl.load_workbook(io.BytesIO(r.content)).active.iter_rows(values_only=True))
    assert rows[1][2] == column
