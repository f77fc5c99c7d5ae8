"""A birth date is a date a person can have, and never contradicts the stored ID number
(found walking the demo: the edit form and the API saved 2099-01-01 for a resident whose
ID number says 1948, and the household page showed "-73 years")."""

import datetime

from django.test import Client

from fangkong.core.errors import Invalid
from fangkong.registry import actions
from fangkong.registry.models import Resident
from tests.conftest import PASSWORD, actor_for


def test_an_edit_cannot_give_a_resident_with_an_id_number_another_birth_date(world):
    c = Client()
    assert c.login(username=world.users.staff.username, password=PASSWORD)
    su = world.su  # ID number says 1948-09-04, female
    for day, words in (("2099-01-01", "晚于今天"), ("1950-01-01", "1948-09-04")):
        r = c.patch(f"/api/v1/residents/{su.id}", {"birth_date": day}, content_type="application/json")
        assert r.status_code == 400, r.content
        assert words in r.json()["error"]["fields"]["birth_date"][0]
    r = c.patch(f"/api/v1/residents/{su.id}", {"sex": "M"}, content_type="application/json")
    assert r.status_code == 400 and "sex" in r.json()["error"]["fields"]
    page = c.post(f"/residents/{su.id}/edit/", {"name": su.name, "birth_date": "1950-01-01",
                                                 "relation": su.relation, "presence": su.presence})
    assert page.status_code == 200 and "1948-09-04" in page.content.decode()
    assert Resident.objects.get(pk=su.id).birth_date == datetime.date(1948, 9, 4)
    # the same date again is no change, and is saved as such
    r = c.patch(f"/api/v1/residents/{su.id}", {"birth_date": "1948-09-04"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["age"] > 70


def test_a_birth_date_in_the_future_or_before_1900_is_refused(world):
    staff = actor_for(world.users.staff)
    for day, words in (("2099-01-01", "晚于今天"), ("1800-01-01", "早于 1900")):
        try:
            actions.create_resident(staff, world.hh102, {"name": "无证老人", "birth_date": day})
        except Invalid as e:
            assert words in e.fields["birth_date"][0]
        else:
            raise AssertionError(day)
    no_id = actions.create_resident(staff, world.hh102, {"name": "无证老人", "birth_date": "1930-05-01"})
    actions.update_resident(staff, no_id, {"birth_date": "1931-05-01"})  # no ID number: staff correct it
    assert Resident.objects.get(pk=no_id.id).birth_date == datetime.date(1931, 5, 1)
