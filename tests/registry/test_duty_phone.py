"""The duty phone (值班电话): a place's number for a guard at its gate or a family under it
to call. Set through `actions.set_duty_phone` (page and API), found by
`queries.duty_phone_for` as the nearest one up the tree, shown as a tel: link where people
need it (the household's page; the checkpoint: tests/zones/test_gate_duty_phone.py)."""

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Forbidden, Invalid, NotFound
from fangkong.registry import actions, queries
from fangkong.registry.models import Place
from tests.conftest import actor_for


def test_staff_set_a_valid_phone_audited_and_clear_it(world):
    w = world
    actor = actor_for(w.users.staff)
    p = actions.set_duty_phone(actor, w.community, "０３５１-４１２ 0101")  # as typed: cleaned
    assert Place.objects.get(id=w.community.id).duty_phone == p.duty_phone == "03514120101"
    ev = AuditEvent.objects.filter(action="place.duty_phone").get()
    assert ev.changes == {"duty_phone": ["", "03514120101"]}
    actions.set_duty_phone(actor, w.community, "13912345678")  # a mobile does too
    assert Place.objects.get(id=w.community.id).duty_phone == "13912345678"
    actions.set_duty_phone(actor, w.community, "")
    assert Place.objects.get(id=w.community.id).duty_phone == ""
    assert AuditEvent.objects.filter(action="place.duty_phone").count() == 3
    actions.set_duty_phone(actor, w.community, "")  # nothing changes: nothing recorded
    assert AuditEvent.objects.filter(action="place.duty_phone").count() == 3


@pytest.mark.parametrize("bad", ["12345", "abc", "0351-12", "2391234567890"])
def test_an_invalid_phone_is_refused_by_field(world, bad):
    with pytest.raises(Invalid) as e:
        actions.set_duty_phone(actor_for(world.users.staff), world.community, bad)
    assert "duty_phone" in e.value.fields
    assert Place.objects.get(id=world.community.id).duty_phone == ""
    assert not AuditEvent.objects.filter(action="place.duty_phone").exists()


def test_wrong_role_is_refused_and_another_community_is_missing(world):
    w = world
    with pytest.raises(Forbidden):  # the building's leader sees the building, may not set it
        actions.set_duty_phone(actor_for(w.users.leader), w.building, "03514120101")
    with pytest.raises(NotFound):  # community B's staff: community A is not theirs
        actions.set_duty_phone(actor_for(w.users.other_staff), w.community, "03514120101")
    with pytest.raises(NotFound):
        actions.set_duty_phone(actor_for(w.users.resident), w.building, "03514120101")
    assert not Place.objects.exclude(duty_phone="").exists()


def test_the_nearest_duty_phone_up_the_tree_answers(world, system):
    w = world
    assert queries.duty_phone_for(w.hh101) is None and queries.duty_phone_for(w.unit1) is None
    actions.set_duty_phone(system, w.street, "03514000001")
    assert queries.duty_phone_for(w.hh101).duty_phone == "03514000001"
    actions.set_duty_phone(system, w.community, "03514120101")
    found = queries.duty_phone_for(w.hh101)
    assert (found.id, found.duty_phone) == (w.community.id, "03514120101")
    assert queries.duty_phone_for(w.unit2).duty_phone == "03514120101"
    actions.set_duty_phone(system, w.unit1, "13912345678")  # the unit's own is nearer
    assert queries.duty_phone_for(w.hh101).duty_phone == "13912345678"
    assert queries.duty_phone_for(w.unit1).duty_phone == "13912345678"
    assert queries.duty_phone_for(w.hh201).duty_phone == "03514120101"  # unit 2: the community's
    # community B has none of its own: the street's, never community A's
    assert queries.duty_phone_for(w.other_hh).duty_phone == "03514000001"
    # the pages' rule over places already loaded (crumbs and the place) says the same
    for p in (w.unit1, w.unit2, w.building, w.other_unit, w.district):
        chain = [*queries.ancestors(p), p]
        assert queries.nearest_duty_phone(chain) == queries.duty_phone_for(p), p


def test_a_checkpoint_answers_with_the_place_it_hangs_under(world, system):
    from fangkong.registry.models import Kind

    w = world
    gate = actions.create_place(system, w.compound, Kind.CHECKPOINT, "东门")
    assert queries.duty_phone_for(gate) is None
    actions.set_duty_phone(system, w.compound, "03514120199")
    assert queries.duty_phone_for(gate).duty_phone == "03514120199"


def test_the_api_sets_shows_and_refuses(world, client):
    w = world
    client.force_login(w.users.staff)
    url = f"/api/v1/places/{w.community.id}/duty-phone"
    r = client.post(url, {"duty_phone": "0351-4120101"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["duty_phone"] == "03514120101"
    r = client.post(url, {"duty_phone": "123"}, content_type="application/json")
    assert r.status_code == 400 and "duty_phone" in r.json()["error"]["fields"]
    assert client.get(f"/api/v1/places/{w.community.id}").json()["duty_phone"] == "03514120101"
    building = client.get(f"/api/v1/places/{w.building.id}").json()
    assert building["duty_phone"] == "" and building["effective_duty_phone"] == "03514120101"
    roots = client.get("/api/v1/places").json()  # the staff's own top node, in a list
    assert [(p["name"], p["duty_phone"]) for p in roots] == [("光明社区", "03514120101")]
    client.force_login(w.users.other_staff)
    assert client.post(url, {"duty_phone": "13912345678"},
                       content_type="application/json").status_code == 404
    client.force_login(w.users.leader)
    r = client.post(f"/api/v1/places/{w.building.id}/duty-phone", {"duty_phone": "13912345678"},
                    content_type="application/json")
    assert r.status_code == 403
    assert Place.objects.get(id=w.community.id).duty_phone == "03514120101"
    assert Place.objects.get(id=w.building.id).duty_phone == ""


def test_the_place_page_sets_it_and_says_when_none_is_set(world, login):
    w = world
    c = login(w.users.staff)
    r = c.get(f"/places/{w.community.id}/")
    assert 'id="duty-phone-unset"' in r.text and 'href="tel:' not in r.text
    r = c.post(f"/places/{w.community.id}/duty-phone/", {"duty_phone": "0351 4120101"}, follow=True)
    assert Place.objects.get(id=w.community.id).duty_phone == "03514120101"
    assert 'href="tel:03514120101"' in r.text and 'id="duty-phone-unset"' not in r.text
    # below it, the building's page shows the community's number, and a form for its own
    r = c.get(f"/places/{w.building.id}/")
    assert 'href="tel:03514120101"' in r.text and "光明社区" in r.text[r.text.index('id="duty-phone"'):][:200]
    r = c.post(f"/places/{w.community.id}/duty-phone/", {"duty_phone": "12"}, follow=True)
    assert Place.objects.get(id=w.community.id).duty_phone == "03514120101"
    assert r.status_code == 200 and "“12”不是有效的电话号码" in r.text
    # the building's leader sees the number, not the form; a POST is refused
    c = login(w.users.leader)
    r = c.get(f"/places/{w.building.id}/")
    assert 'href="tel:03514120101"' in r.text and 'id="duty-phone-form"' not in r.text
    assert c.post(f"/places/{w.building.id}/duty-phone/", {"duty_phone": "13912345678"}).status_code == 403


def test_the_family_sees_whom_to_call_on_its_page(world, login, system):
    w = world
    c = login(w.users.resident)
    r = c.get(f"/households/{w.hh101.id}/")
    assert r.status_code == 200 and 'id="duty-phone"' not in r.text  # none set: nothing said
    actions.set_duty_phone(system, w.community, "03514120101")
    r = c.get(f"/households/{w.hh101.id}/")
    link = r.text[r.text.index('id="duty-phone"'):][:300]
    assert "光明社区值班电话" in link and '<a class="tel" href="tel:03514120101">' in link


def test_a_refused_duty_phone_keeps_the_form_open_with_what_was_typed(login, world):
    """Walk "re", defect 10: an invalid duty phone closed the form and emptied the box."""
    from django.urls import reverse

    actions.set_duty_phone(actor_for(world.users.staff), world.community, "03514120101")
    c = login(world.users.staff)
    bad = "0351-4120 999 转8"
    refused = c.post(reverse("place_duty_phone", args=[world.building.id]), {"duty_phone": bad})
    assert refused.status_code == 302 and refused["Location"].endswith("#duty-phone-form")
    html = c.get(refused["Location"].split("#")[0]).content.decode()
    form = html[html.index('id="duty-phone-form"'):][:1600]
    assert form.startswith('id="duty-phone-form" open')  # open, although a number is set above
    assert f'value="{bad}"' in form and 'role="alert"' in form and 'class="error"' in form
    assert Place.objects.get(id=world.building.id).duty_phone == ""
    again = c.get(reverse("place", args=[world.building.id])).content.decode()  # said once
    assert 'id="duty-phone-form" open' not in again and bad not in again
    done = c.post(reverse("place_duty_phone", args=[world.building.id]), {"duty_phone": "0351-4120999"})
    assert done.status_code == 302
    assert Place.objects.get(id=world.building.id).duty_phone == "03514120999"
