"""Every link in the menu opens for the user it is shown to (no menu link leads to a 404),
each role's home is where its work is, and menus show only what the role may use."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

ROLES = ["district", "street", "staff", "grid", "leader", "volunteer", "lab", "supplier",
         "resident", "nobody"]


def menu_links(client):
    page = client.get(reverse("inbox")).content.decode()
    nav = re.search(r"<nav>(.*?)</nav>", page, re.S).group(1)
    return re.findall(r'href="([^"]+)"', nav)


@pytest.mark.parametrize("who", ROLES)
def test_every_menu_link_opens(world, login, who):
    client = login(getattr(world.users, who))
    links = menu_links(client)
    assert reverse("inbox") in links
    for href in links:
        status = client.get(href, follow=True).status_code
        assert status == 200, f"{who}: {href} answers {status}"


def homes(w):
    """Where each role's home ("/", the brand in the header) lands: its work page."""
    return {
        "district": reverse("place", args=[w.district.id]),
        "street": reverse("place", args=[w.street.id]),
        "staff": reverse("place", args=[w.community.id]),
        "grid": reverse("place", args=[w.grid.id]),
        "leader": reverse("place", args=[w.building.id]),
        "resident": reverse("household", args=[w.hh101.id]),
        "volunteer": reverse("volunteers_home"),
        "lab": reverse("screening_lab"),
        "supplier": reverse("supplier_home"),
    }


@pytest.mark.parametrize("who", [r for r in ROLES if r != "nobody"])
def test_each_role_lands_on_its_work(world, login, who):
    client = login(getattr(world.users, who))
    resp = client.get(reverse("home"), follow=True)
    assert resp.status_code == 200
    assert resp.redirect_chain[-1][0] == homes(world)[who], who
    html = resp.content.decode()
    assert "no place yet" not in html and "还没有分配辖区" not in html
    if who in homes(world) and who not in ("volunteer", "lab", "supplier", "resident"):
        # a place's page is also in the menu under "My places"
        assert reverse("home") in menu_links(client)


def test_only_an_account_without_any_role_has_no_place(world, login):
    html = login(world.users.nobody).get(reverse("home")).content.decode()
    assert "还没有分配辖区" in html or "no place yet" in html


def test_lab_home_lists_boxes_and_the_upload(world, login):
    html = login(world.users.lab).get(reverse("screening_lab")).content.decode()
    assert 'type="file"' in html and 'name="file"' in html


def test_supplier_home_not_yet_linked_says_whom_to_call(world, login):
    html = login(world.users.supplier).get(reverse("supplier_home")).content.decode()
    assert "尚未关联供应商" in html  # its orders and hand-offs: tests/services/test_supplier.py
    # the community's staff, to call: staff_a has a phone in the world
    assert 'href="tel:13800000001"' in html and world.community.name in html
    assert "<form" not in html.split("<main", 1)[1].split("</main>")[0]  # nothing to fill in
    for who in ("staff", "volunteer", "resident", "lab", "nobody"):
        assert login(getattr(world.users, who)).get(reverse("supplier_home")).status_code == 404


@pytest.mark.parametrize("who", ["resident", "volunteer", "supplier", "nobody"])
def test_menu_hides_tokens_places_and_search_from_those_without_them(world, login, who):
    links = menu_links(login(getattr(world.users, who)))
    assert reverse("tokens") not in links and reverse("search") not in links
    if who != "resident":  # a resident's "Our household" is their home
        assert reverse("home") not in links


@pytest.mark.parametrize("who", ["staff", "grid", "leader", "district", "lab"])
def test_menu_shows_tokens_to_those_who_connect_devices(world, login, who):
    assert reverse("tokens") in menu_links(login(getattr(world.users, who)))


def test_menu_shows_management_only_to_those_who_manage(world, login):
    staff_nav = login(world.users.staff).get(reverse("search")).content.decode()
    assert reverse("people") in staff_nav and reverse("audit") in staff_nav
    grid_nav = login(world.users.grid).get(reverse("search")).content.decode()
    assert reverse("people") not in grid_nav and reverse("audit") not in grid_nav
