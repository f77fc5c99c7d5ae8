"""Every link in the menu opens for the user it is shown to (no menu link leads to a 404)."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROLES = ["district", "street", "staff", "grid", "leader", "volunteer", "lab", "supplier",
         "resident", "nobody"]


@pytest.mark.parametrize("who", ROLES)
def test_every_menu_link_opens(world, login, who):
    client = login(getattr(world.users, who))
    page = client.get(reverse("search")).content.decode()
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S).group(1)
    links = re.findall(r'href="([^"]+)"', nav)
    assert reverse("inbox") in links and reverse("tokens") in links
    for href in links:
        status = client.get(href, follow=True).status_code
        assert status == 200, f"{who}: {href} answers {status}"


def test_menu_shows_management_only_to_those_who_manage(world, login):
    staff_nav = login(world.users.staff).get(reverse("search")).content.decode()
    assert reverse("people") in staff_nav and reverse("audit") in staff_nav
    grid_nav = login(world.users.grid).get(reverse("search")).content.decode()
    assert reverse("people") not in grid_nav and reverse("audit") not in grid_nav
