"""An offline scan sent again (same client id) answers as its first answer did: the
person's name and where they were sampled, not "此人 本轮已采过样"; the station never
shows a raw personal code for someone scanned twice at its table before the name is known."""

from django.conf import settings
from django.utils import translation

from fangkong.screening.views import station_strings

from .conftest import api, cid


def test_resent_conflict_answers_with_the_name_and_where_as_first(world, rnd, client):
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "QNL0000001"}).status_code == 201
    assert api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "QNL0000001",
                                                           "person": world.su.token}).status_code == 200
    events = [{"client_id": cid(), "type": "open", "barcode": "QNL0000002", "capacity": 3},
              {"client_id": cid(), "type": "scan", "barcode": "QNL0000002", "person": world.su.token}]
    first = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events}).json()["results"][1]
    again = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events}).json()["results"][1]
    assert first["status"] == again["status"] == "conflict"
    assert first["name"] == again["name"] == world.su.name
    assert again["message"] == first["message"]
    assert "QNL0000001" in again["message"] and world.su.name in again["message"]


def test_station_says_this_code_not_the_raw_code_for_a_repeat_scan_offline(world, rnd, client):
    with translation.override("zh-hans"):
        strings = station_strings()
    assert strings["already_here_code"].startswith("此码已在本台扫过")
    js = (settings.BASE_DIR / "fangkong/static/fangkong/screening.js").read_text()
    assert "S.already_here_code" in js
    assert "name: before.name || shownPerson(person)" not in js  # the raw code was the name
