"""A street's report names the places it does not count yet as the reader's language writes
a list: 光明社区、惠泽苑社区 in Chinese, "光明社区, 惠泽苑社区" in English (a demo walker
found the Chinese "、" inside English sentences)."""

from django.test import Client

from fangkong.reports import actions


def _left_out(client, report):
    page = client.get(f"/reports/{report.id}/").content.decode()
    return page.split('id="left-out"')[1].split("</p>")[0]


def test_the_places_not_counted_are_listed_as_the_language_writes_a_list(day, actors):
    w = day
    street = actions.prepare(actors.street, w.street, w.day)  # neither community has reported
    c = Client()
    c.force_login(w.users.street)
    zh = _left_out(c, street)
    assert "光明社区、惠泽苑社区" in zh or "惠泽苑社区、光明社区" in zh, zh
    c.cookies["django_language"] = "en"
    en = _left_out(c, street)
    assert "光明社区, 惠泽苑社区" in en or "惠泽苑社区, 光明社区" in en, en
    assert "、" not in en


def test_a_reminder_to_one_place_and_one_person_is_said_in_the_singular(day, actors):
    """English said "Reminded 1 places (1 people)."; Chinese has one form."""
    w = day
    actions.submit(actors.staff, actions.prepare(actors.staff, w.community, w.day))  # 惠泽苑社区 is left
    c = Client()
    c.force_login(w.users.street)
    c.cookies["django_language"] = "en"
    page = c.post(f"/reports/places/{w.street.id}/remind/", {"day": w.day.isoformat(), "confirm": "1"}, follow=True)
    assert "Reminded 1 place (1 person)." in page.content.decode()
