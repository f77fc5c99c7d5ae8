"""A colour seen at the sampling station follows the zones' rule for health codes
(`docs/zones.md`, "which code counts"): it is kept in the person's history, and it never makes
an import of the same day milder — the station wrote it over the current code before."""

from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core.actor import Actor
from fangkong.screening.actions import station
from fangkong.zones.models import HealthCode, HealthCodeObservation
from tests.conftest import IDS


def test_a_green_seen_at_the_station_leaves_an_imported_red_in_force(world, presets, login):
    w = world
    c = login(w.users.grid)
    f = SimpleUploadedFile("codes.csv", f"身份证号,健康码\n{IDS['xia_ming']},红\n".encode("utf-8-sig"),
                           content_type="text/csv")
    assert c.post(f"/zones/p/{w.compound.id}/codes/import/", {"file": f}, follow=True).status_code == 200
    assert HealthCode.objects.get(resident=w.xia).colour == "red"

    hc = station.set_health_code(Actor.system(), w.xia, "green")
    assert (hc.colour, hc.source) == ("red", "import")
    assert HealthCode.objects.get(resident=w.xia).colour == "red"
    assert HealthCodeObservation.objects.filter(resident=w.xia, colour="green", source="sampling").exists()

    # a more severe colour still applies at once
    assert station.set_health_code(Actor.system(), w.xia, "red").colour == "red"
    assert station.set_health_code(Actor.system(), w.wang, "yellow").colour == "yellow"
