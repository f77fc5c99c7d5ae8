"""The list of people waiting for approval shows each one's zone, as their own page does:
found at night, 周新民's page said 管控区 but the list with the 通过 button did not, so staff
approved a volunteer who may not leave home without seeing it (one query for the page's
zones, `page_zones`)."""

from fangkong.volunteers.models import Volunteer
from fangkong.zones.actions.policy import install_presets
from tests.volunteers.conftest import register
from tests.zones.test_new_households_zoned import _control_compound


def test_the_pending_list_shows_each_volunteers_zone(world, codes, login):
    install_presets()
    zoned = register(world, codes, 1)
    free = register(world, codes, 2)
    Volunteer.objects.filter(pk=zoned.pk).update(household=world.hh101)  # lives in 光明小区
    Volunteer.objects.filter(pk=free.pk).update(household=world.other_hh)  # the other community
    _control_compound(world)
    html = login(world.users.staff).get(f"/volunteers/c/{world.community.id}/people/?status=pending").content.decode()
    card = html[html.index(f'id="v{zoned.id}"'):]
    card = card[:card.index("</li>")]
    assert "管控区" in card and "通过" in card
    other = html[html.index(f'id="v{free.id}"'):]
    assert "管控区" not in other[:other.index("</li>")]
