"""One of a thing reads in the singular in English ("1 tube packed.", not "1 tubes packed.";
"1 place left." on the station); Chinese has one form and is unchanged."""

import html

from django.urls import reverse
from django.utils import translation

from fangkong.core.actor import Actor
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Box
from fangkong.screening.views import station_strings

from .conftest import cid


def _text(r) -> str:
    return html.unescape(r.content.decode())


def test_one_tube_packed_and_in_a_box_is_singular(world, rnd, client):
    sync(Actor.system(world.users.staff), rnd, [
        {"client_id": cid(), "type": "open", "barcode": "S0001", "capacity": 1},
        {"client_id": cid(), "type": "scan", "barcode": "S0001", "person": world.su.token}])  # full: sealed
    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    boxes = reverse("screening_boxes", args=[rnd.id])
    client.post(boxes, {"do": "create", "code": "BOX-1"})
    box = Box.objects.get()
    page = _text(client.post(boxes, {"do": "pack", "box": box.id, "tubes": "S0001"}, follow=True))
    assert "1 tube packed." in page, page
    assert "1 tube</small>" in page and "1 tubes" not in page
    client.cookies["django_language"] = "zh-hans"
    assert "1 管</small>" in _text(client.get(boxes))


def test_a_point_with_one_table_is_singular(world, rnd, client):
    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    url = f"/screening/rounds/{rnd.id}/points/"
    r = client.post(url, {"do": "point", "place": "new", "name": "East gate", "tables": "1"}, follow=True)
    assert "Sampling point “East gate”: 1 table." in _text(r)


def test_the_station_gets_a_form_for_one_and_one_for_more():
    with translation.override("en"):
        s = station_strings()
    assert s["left_in"] == ["%(left)s place left.", "%(left)s places left."]
    assert s["left_label"] == ["place left", "places left"]
    assert s["not_registered"][0].startswith("%(n)s scan was not registered")
    with translation.override("zh-hans"):
        s = station_strings()
    assert s["left_in"] == ["还剩 %(left)s 个空位。"] * 2
