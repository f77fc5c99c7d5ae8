"""The missed-round list as .xlsx in English (found by a demo walker): a person's
vulnerability tags are joined as English writes a list, not with the Chinese "、"."""

import io

from django.urls import reverse
from openpyxl import load_workbook


def _su_tags(client, rnd):
    data = client.get(reverse("screening_missing_export", args=[rnd.id])).content
    ws = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    return next(r for r in rows if r[0] == "苏霞")[4]


def test_the_vulnerability_column_is_a_list_in_the_readers_language(world, rnd, client):
    client.force_login(world.users.staff)
    assert _su_tags(client, rnd) == "独居老人、行动不便"
    client.cookies["django_language"] = "en"
    assert _su_tags(client, rnd) == "Elderly living alone, Limited mobility"
