"""Someone held by a positive pool comes back to a sampling table (a re-walk of a positive
afternoon): 赵保国, held after GM00016 came back positive, came to table 1, was looked up by
name and added to the tube — and the station said "already sampled in this round (tube
GM00016, 12:34…)", a routine duplicate. Now the held refusal is said first, in its own
words and code (`held`), shown as an alarm, and the community's staff and grid worker are
told once; the offline batch keeps it as a held conflict alike."""

import re

import pytest
from django.urls import reverse

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import planning
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Conflict, Sample

from .conftest import api, cid, to_lab
from .test_alert import positive_pool

HELD = "混管阳性待单采复核：请勿在此采样。请他立即回家，工作人员会上门单采。"


def _volunteer_at_table(world, rnd, client):
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, world.users.volunteer, 1)
    client.force_login(world.users.volunteer)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes",
               {"barcode": "T0002", "point": world.point.id, "table": 1}).status_code == 201
    return client


def test_a_held_person_at_the_table_is_sent_home_with_an_alarm_not_a_duplicate(world, rnd, client):
    positive_pool(world, rnd)  # 苏霞 and 于海涛 in T0001, positive: held
    station_client = _volunteer_at_table(world, rnd, client)
    # picked from the look-up (无码人员查找 → 加入试管), as the walker did
    r = api(station_client, "post", f"/rounds/{rnd.id}/scan",
            {"client_id": cid(), "barcode": "T0002", "person": f"r:{world.su.id}"})
    assert r.status_code == 409
    error = r.json()["error"]
    assert error["code"] == "held", error  # before: already_sampled
    assert error["message"] == f"苏霞 {HELD}"
    assert "已采过样" not in error["message"] and "T0001" not in error["message"]
    assert not Sample.objects.filter(round=rnd, tube__barcode="T0002").exists()

    # the community's staff and the grid worker are told at once, once
    notes = Notification.objects.filter(kind="screening.held_came_out")
    assert {n.user_id for n in notes} == {world.users.staff.id, world.users.grid.id}
    note = notes.get(user=world.users.staff)
    assert "苏霞" in note.title and "采样点" in note.title
    assert "1号楼 1单元 101" in note.body and "混管阳性待单采复核" in note.body and "上门" in note.body
    assert note.url == reverse("screening_followups", args=[rnd.id])
    again = api(station_client, "post", f"/rounds/{rnd.id}/scan",
                {"client_id": cid(), "barcode": "T0002", "person": world.su.token})
    assert again.json()["error"]["code"] == "held"
    assert Notification.objects.filter(kind="screening.held_came_out").count() == 2  # not 4

    # someone not held is registered as before at the same table
    ok = api(station_client, "post", f"/rounds/{rnd.id}/scan",
             {"client_id": cid(), "barcode": "T0002", "person": world.xia.token})
    assert ok.status_code == 200, ok.content


def test_held_is_said_first_whatever_else_is_wrong(world, rnd, client):
    positive_pool(world, rnd)
    station_client = _volunteer_at_table(world, rnd, client)
    # a tube never opened: still "go home", not "open a tube first"
    r = api(station_client, "post", f"/rounds/{rnd.id}/scan",
            {"client_id": cid(), "barcode": "T0999", "person": world.yu.token})
    assert r.json()["error"]["code"] == "held"
    assert r.json()["error"]["message"] == f"于海涛 {HELD}"


def test_the_offline_batch_keeps_a_held_scan_as_a_held_conflict(world, rnd, login):
    positive_pool(world, rnd)
    staff = Actor.system(world.users.volunteer)
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, world.users.volunteer, 1)
    out = sync(staff, rnd, [
        {"client_id": cid(), "type": "open", "barcode": "T0003", "point": world.point.id, "table": 1},
        {"client_id": cid(), "type": "scan", "barcode": "T0003", "person": world.yu.token},
        {"client_id": cid(), "type": "scan", "barcode": "T0003", "person": world.xia.token}])
    assert [o["status"] for o in out] == ["ok", "conflict", "ok"], out
    assert out[1]["kind"] == "held" and out[1]["message"] == f"于海涛 {HELD}"
    c = Conflict.objects.get(round=rnd, kind="held")
    assert c.resident_id == world.yu.id
    assert Notification.objects.filter(kind="screening.held_came_out", user=world.users.staff).count() == 1
    # the staff's conflicts page says it in the same words, and offers no "accept"
    page = login(world.users.staff).get(reverse("screening_conflicts", args=[rnd.id])).content.decode()
    assert HELD in page
    row = re.search(r'<li class="row">.*?</li>', page, re.S).group(0)
    assert 'name="accept" value="1"' not in row


def test_an_antigen_hold_is_said_as_such(world, system, client):
    import datetime

    from django.utils import timezone

    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.screening.actions import antigen as antigen_actions

    now = timezone.now()
    ag = planning.plan_round(system, world.community, {
        "name": "抗原", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=2),
        "ends_at": now + datetime.timedelta(hours=6)})
    planning.set_status(system, ag, "running")
    antigen_actions.record_result(Actor.system(world.users.staff), ag, world.wang, "positive",
                                  client_id=cid())
    point = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "二号采样点")
    pcr = planning.plan_round(system, world.community, {
        "name": "核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3}, points=[(point, 1)])
    planning.set_status(system, pcr, "running")
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{pcr.id}/tubes", {"barcode": "T0100"}).status_code == 201
    r = api(client, "post", f"/rounds/{pcr.id}/scan",
            {"client_id": cid(), "barcode": "T0100", "person": world.wang.token})
    assert r.json()["error"]["code"] == "held"
    assert "抗原阳性待核酸复核" in r.json()["error"]["message"]


def test_the_station_page_forgets_the_people_of_positive_pools(world, rnd, login):
    """The phone would say "already scanned at this table" without asking the server."""
    positive_pool(world, rnd)
    html = login(world.users.staff).get(reverse("screening_station", args=[rnd.id])).content.decode()
    assert 'data-positive-tubes="T0001"' in html


@pytest.mark.browser
def test_the_station_page_sounds_the_alarm_for_someone_held(phone_page, world, rnd):
    """At the phone's size: the station scanned 苏霞 into T0001 (its own list remembers her);
    the pool came back positive; she comes again — the page says the held refusal as an
    alarm (not the usual "already sampled"/"already scanned here"), in the list too."""
    from playwright.sync_api import expect

    from fangkong.screening.actions import lab as lab_actions
    from tests.conftest import log_in

    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")

    def scan(text):
        page.fill("#scan-input", text)
        page.press("#scan-input", "Enter")

    scan("T0001")
    expect(page.locator("#tube-left")).to_have_text("3")
    for p in (world.su, world.yu):
        scan(f"FK1:{p.token}")
        expect(page.locator("#recent li.good").filter(has_text=p.name)).to_have_count(1)
    page.click("#seal")
    page.click("#seal-yes")
    expect(page.locator("#tube-label")).to_have_text("未开管")
    to_lab(world, rnd, "T0001")
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "T0001", "result": "positive"}])
    page.reload()
    page.wait_for_selector("#scan-input")
    scan("T0002")
    expect(page.locator("#tube-left")).to_have_text("3")
    scan(f"FK1:{world.su.token}")
    say = page.locator("#say")
    expect(say).to_have_class("say alarm")
    expect(say).to_have_text(f"苏霞 {HELD}")
    expect(page.locator("#recent li.alarm")).to_have_count(1)
    assert not Sample.objects.filter(round=rnd, tube__barcode="T0002").exists()
    # it fits the phone: no sideways scrolling
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.shot("station-held-refusal")
