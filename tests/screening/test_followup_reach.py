"""The follow-up list, walk lab defects 4 and 10: a held person without a phone (84, living
alone, "无手机，联系子女") showed no contact at all; and the same volunteer saw phones in clear
on "My home visits" but masked on the follow-up page — one rule now for both."""

import re

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning
from fangkong.screening.models import FollowUp, HomeVisit

from .conftest import api
from .test_alert import positive_pool


def _row(html, name):
    return next(r for r in re.findall(r'<li class="row"[^>]*>(.*?)</li>', html, re.S) if f"<strong>{name}</strong>" in r)


def test_a_held_person_without_a_phone_shows_the_registry_note_and_tags(world, rnd, client):
    xia = world.xia
    xia.phone, xia.notes, xia.tags = "", "无手机，联系子女", ",elderly_alone,"
    xia.save(update_fields=["phone", "notes", "tags"])
    xia.household.notes = "女儿每周来"
    xia.household.save(update_fields=["notes"])
    positive_pool(world, rnd, people=(xia,))
    client.force_login(world.users.staff)
    row = _row(client.get(f"/screening/rounds/{rnd.id}/followups/").content.decode(), "夏明")
    assert "无手机，联系子女" in row and "女儿每周来" in row
    assert "独居老人" in row and "无电话，需上门" in row
    out = api(client, "get", f"/rounds/{rnd.id}/followups").json()["results"][0]["resident"]
    assert out["notes"] == "无手机，联系子女" and out["household_notes"] == "女儿每周来"
    assert out["contact_phone"] is None and out["tags"] == ["elderly_alone"]


def test_the_household_phone_is_shown_for_someone_without_a_phone(world, rnd, client):
    world.su.phone = ""
    world.su.save(update_fields=["phone"])
    world.yu.phone = ""
    world.yu.save(update_fields=["phone"])
    positive_pool(world, rnd)
    client.force_login(world.users.staff)
    row = _row(client.get(f"/screening/rounds/{rnd.id}/followups/").content.decode(), "苏霞")
    assert "住户电话" in row and re.search(r"0351\*+1234|03514001234", row), row


def test_a_volunteer_sees_the_same_phone_on_her_visits_and_on_the_follow_up_page(world, rnd, client):
    positive_pool(world, rnd)  # 苏霞, 于海涛 held; their re-test visits on the home list
    staff = Actor.system(world.users.staff)
    s = planning.assign_sampler(staff, rnd, world.point, world.users.volunteer, 1)
    from fangkong.screening.actions import home_assign

    hv = HomeVisit.objects.get(round=rnd, resident=world.su, source=HomeVisit.Source.RETEST)
    home_assign.assign_home_visits(staff, rnd, [hv.id], s)
    client.force_login(world.users.volunteer)
    mine = client.get("/screening/home-visits/mine/").content.decode()
    assert "17446416120" in mine  # her visit: the phone in clear
    page = client.get(f"/screening/rounds/{rnd.id}/followups/").content.decode()
    assert "17446416120" in _row(page, "苏霞")  # the same rule on the follow-up page
    # 于海涛's re-test is not given to her: not on her list at all (walk "lab" #2, 2026-12)
    assert "于海涛" not in page and "17629786286" not in page
    out = {f["resident"]["name"]: f["resident"] for f in api(client, "get", f"/rounds/{rnd.id}/followups").json()["results"]}
    assert (out["苏霞"]["phone"], out["苏霞"]["phone_masked"]) == ("17446416120", False)
    assert list(out) == ["苏霞"]
    assert FollowUp.objects.filter(round=rnd).count() == 2
