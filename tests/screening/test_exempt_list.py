"""The exemptions page lists exactly the people the round page's 免检 figure counts: those
exempted in the round and those whose presence exempts them (away, in quarantine, in
hospital), each with their reason; not someone exempted who was sampled anyway."""

from fangkong.registry.models import Presence, Resident
from fangkong.screening import figures
from fangkong.screening.actions import planning

from .conftest import api, cid


def test_exemptions_page_lists_the_people_the_exempt_figure_counts(world, rnd, client, system):
    client.force_login(world.users.staff)
    Resident.objects.filter(pk=world.xia.pk).update(presence=Presence.QUARANTINE)  # no exemption row
    planning.add_exemption(system, rnd, world.wang, "other", "出差")
    planning.add_exemption(system, rnd, world.su, "other", "出差")  # then sampled anyway: not counted
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    assert api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                           "person": world.su.token}).status_code == 200
    cov = figures.coverage(rnd, rnd.place)
    assert cov["exempt"] == 2
    page = client.get(f"/screening/rounds/{rnd.id}/exemptions/?place={rnd.place_id}").content.decode()
    listed = page.split('id="exempt-people"')[1].split("</ul>")[0]
    assert listed.count('class="row"') == 2
    assert world.xia.name in listed and "集中隔离" in listed  # exempt by presence, its reason shown
    assert world.wang.name in listed
    assert world.su.name not in listed
    round_page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
    assert f"/screening/rounds/{rnd.id}/exemptions/?place={rnd.place_id}" in round_page
