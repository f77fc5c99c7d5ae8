"""One order, one household, one line read in the singular in English (were "1 households",
"1 lines"); Chinese has one form and says the same as before."""

import html
import re
import uuid

from django.utils import timezone

from fangkong.services.actions import orders
from fangkong.services.models import Batch
from tests.conftest import actor_for
from tests.services.test_batch_page import _client


def _text(r) -> str:
    return html.unescape(r.content.decode())


def test_a_hand_off_of_one_order_says_one_household_and_one_line(world, svc):
    w = world
    orders.place_order(actor_for(w.users.staff), w.hh101, svc.supplier, [(svc.veg.id, 1)])
    c = _client(w.users.staff)
    c.cookies["django_language"] = "en"
    link = f"/services/p/{w.community.id}/batches/new/?supplier={svc.supplier.id}"
    assert "Create the hand-off for 1 household<" in _text(c.get(link))
    form = {"supplier": svc.supplier.id, "checkpoint": svc.gate.id, "day": timezone.localdate().isoformat(),
            "time": "15:30", "team": svc.team.id, "client_id": str(uuid.uuid4())}
    asked = _text(c.post(link, form))
    assert "1 order (0 medicine) for 1 household, 1 line" in asked, asked
    c.cookies["django_language"] = "zh-hans"
    assert "1 单（药品 0 单），1 户，1 项" in _text(c.post(link, form))
    c.cookies["django_language"] = "en"
    c.post(link, {**form, "confirm": "1"})
    b = Batch.objects.get()
    page = _text(c.get(f"/services/batches/{b.id}/"))
    assert re.search(r"\b1 household\b", page), page
    assert not re.search(r"\b1 (households|lines)\b", page)
    asked = _text(c.post(f"/services/batches/{b.id}/", {"do": "rest"}))
    assert "1 line not yet checked will be marked received as listed." in asked, asked
