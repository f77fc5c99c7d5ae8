"""One bad event never costs a batch its good ones: the server saves every valid event and
lists each malformed one with its reason; the station page keeps the refused one, with the
person and tube it was about, until someone taps "Noted" — across a reload."""

import datetime

import pytest
from playwright.sync_api import expect

from fangkong.audit.models import AuditEvent
from fangkong.registry.importer import confirm_import, start_import
from fangkong.registry.models import Resident
from fangkong.screening.actions import station
from fangkong.screening.models import Conflict, Sample, Tube
from tests.api.test_security import roster_xlsx
from tests.conftest import actor_for, log_in

from .conftest import api, cid


def import_people(world, n):
    """n people in unit 2 of community A (4 to a household), through a roster import."""
    rows = [[f"居民{i:03d}", "男", "", "", "光明小区", "1号楼", "2单元", str(300 + i // 4),
             "户主" if i % 4 == 0 else "子女", "在家", "", ""] for i in range(n)]
    data = roster_xlsx(rows)
    job = start_import(actor_for(world.users.staff), world.community, "roster.xlsx", data)
    job = confirm_import(actor_for(world.users.staff), job, job.summary["digest"])
    assert job.status == "done", (job.status, job.errors if hasattr(job, "errors") else None)
    people = list(Resident.objects.filter(name__startswith="居民").order_by("id"))
    assert len(people) == n
    return people


def test_499_valid_events_and_1_malformed_save_499_and_list_1(world, rnd, client):
    """44 tubes of ten (44 opens, 440 scans), 15 seals of full tubes: 499 valid events; one
    scan of an unreadable code in the middle. 499 saved, the one listed, nothing dropped;
    sending the batch again saves nothing twice and lists the bad one again."""
    people = import_people(world, 440)
    events = []
    for t in range(44):
        events.append({"client_id": cid(), "type": "open", "barcode": f"B{t:04d}", "capacity": 10})
        events += [{"client_id": cid(), "type": "scan", "barcode": f"B{t:04d}",
                    "person": "FK1:" + r.token} for r in people[t * 10:(t + 1) * 10]]
    events += [{"client_id": cid(), "type": "seal", "barcode": f"B{t:04d}"} for t in range(15)]
    assert len(events) == 499
    bad = {"client_id": cid(), "type": "scan", "barcode": "B0021", "person": "FK1:torn-card"}
    events.insert(250, bad)
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events})
    assert r.status_code == 200, r.content[:500]
    out = r.json()
    assert (out["ok"], out["conflicts"], out["refused"], out["invalid"]) == (499, 0, 0, 1)
    assert len(out["results"]) == 500
    listed = out["results"][250]
    assert listed["status"] == "invalid" and listed["index"] == 250
    assert listed["client_id"] == bad["client_id"] and listed["field"] == "person"
    assert listed["message"] == "不是核酸码或身份证号。"  # in the user's language (Chinese)
    assert Sample.objects.filter(round=rnd).count() == 440
    assert Tube.objects.filter(round=rnd, state="sealed").count() == 44
    assert not Conflict.objects.exists()
    audit = AuditEvent.objects.get(action="screening.sync")
    assert audit.changes["malformed"] == 1 and audit.changes["samples"] == 440

    again = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events}).json()
    assert (again["ok"], again["invalid"]) == (499, 1)
    assert Sample.objects.filter(round=rnd).count() == 440


def test_a_batch_of_only_malformed_events_saves_nothing_and_lists_each(world, rnd, client):
    client.force_login(world.users.staff)
    events = [{"client_id": "nope", "type": "scan", "barcode": "T0001", "person": world.su.token},
              "not an object",
              {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": "140106194902100531"}]
    out = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events}).json()
    assert [o["status"] for o in out["results"]] == ["invalid"] * 3
    assert [o["field"] for o in out["results"]] == ["client_id", "event", "person"]
    assert "…0531" in out["results"][2]["message"]  # the ID number by its last four only
    assert "140106194902100531" not in str(out)
    assert not Sample.objects.exists() and not Tube.objects.exists()
    assert not AuditEvent.objects.filter(action="screening.sync").exists()


def test_a_tube_at_a_point_or_table_the_round_does_not_have_is_refused_alone(world, rnd, client, system):
    """A station's sampling point is one of the round's; a table is a number from 1 to 999.
    Anything else (another round's point, a made-up id, a number too big for the column) is
    that event's error: the batch's good events are saved, the online open answers 400 with
    the field, and nothing half written is left for the commit to trip over."""
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.screening.actions import planning

    other_place = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "二号采样点")
    other = planning.plan_round(system, world.community, {
        "name": "第4轮核酸", "kind": "pcr", "starts_at": rnd.starts_at, "ends_at": rnd.ends_at,
        "pool_size": 3}, points=[(other_place, 1)])
    foreign = other.points.get().id
    mine = rnd.points.get().id
    client.force_login(world.users.staff)
    bad = [{"point": foreign}, {"point": 30825509569244}, {"point": 2 ** 70}, {"table": 70000},
           {"table": 0}, {"point": "x"}]
    events = [{"client_id": cid(), "type": "open", "barcode": f"P{i:04d}", **b} for i, b in enumerate(bad)]
    events.append({"client_id": cid(), "type": "open", "barcode": "G0001", "point": mine, "table": 2})
    events.append({"client_id": cid(), "type": "scan", "barcode": "G0001", "person": world.su.token})
    r = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events})
    assert r.status_code == 200, r.content[:500]
    out = r.json()
    assert (out["ok"], out["invalid"]) == (2, 6), out
    assert [o["field"] for o in out["results"][:6]] == ["point", "point", "point", "table", "table", "point"]
    assert out["results"][0]["message"] == "这一轮没有这个采样点。"
    assert out["results"][3]["message"] == "台号为 1 到 100。"
    tube = Tube.objects.get(round=rnd)
    assert (tube.barcode, tube.point_id, tube.table, tube.count) == ("G0001", mine, 2, 1)
    for i, b in enumerate(bad[:5]):
        r = api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": f"Q{i:04d}", **b})
        # a number no id can be is refused by the API's schema (422), the rest by the action
        assert r.status_code == (422 if b == {"point": 2 ** 70} else 400), (b, r.status_code, r.content[:300])
        assert list(r.json()["error"]["fields"]) == list(b), r.json()
    assert Tube.objects.filter(round=rnd).count() == 1
    assert api(client, "post", f"/rounds/{rnd.id}/tubes",
               {"barcode": "G0002", "point": mine, "table": 1}).status_code == 201


def test_an_id_number_scanned_before_the_tube_opens_no_tube(world, rnd, client):
    """Found walking the demo: with the last tube sealed (full), the next person's ID card
    was scanned before the new tube, and the station opened a tube named after the ID
    number — the person was not registered and the real tube was refused until the empty
    one was sealed. A valid ID number is never a tube: online, in a batch, as a re-test
    tube. An 18-digit barcode that is no valid ID number is still a tube."""
    from tests.conftest import IDS

    client.force_login(world.users.staff)
    idn = IDS["xia_ming"]
    r = api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": idn})
    assert r.status_code == 400
    assert r.json()["error"]["fields"]["barcode"] == ["这是身份证号，不是试管：请先扫新试管，再扫人。"]
    events = [{"client_id": cid(), "type": "open", "barcode": idn},
              {"client_id": cid(), "type": "open", "barcode": "T0001"},
              {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": idn}]
    out = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": events}).json()
    assert (out["ok"], out["invalid"]) == (2, 1), out
    assert out["results"][0]["field"] == "barcode"
    assert list(Tube.objects.filter(round=rnd).values_list("barcode", flat=True)) == ["T0001"]
    assert Sample.objects.get(round=rnd).resident == world.xia
    not_an_id = "123456789012345678"  # 18 digits, no valid date or check digit
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": not_an_id}).status_code == 201


def test_a_persons_code_scanned_before_the_tube_opens_no_tube(world, rnd, client):
    """A person's code card (mixed case, 22 characters) read with no tube open was opened
    as a tube named after the code, upper-cased. It is refused as a person's code; a tube
    barcode of the same length is still a tube."""
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": world.su.token})
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"]["barcode"] == ["这是居民的核酸码，不是试管：请先扫新试管，再扫人。"]
    assert not Tube.objects.filter(round=rnd).exists()
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T" * 22}).status_code == 201


def test_a_second_tube_scanned_as_a_person_is_named_as_a_tube(world, rnd, client):
    client.force_login(world.users.staff)
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"})
    r = api(client, "post", f"/rounds/{rnd.id}/scan",
            {"client_id": cid(), "barcode": "T0001", "person": "t0002\r\n"})
    assert r.status_code == 400
    message = r.json()["error"]["message"]
    assert "T0002" in message and "T0001" in message and "封管" in message


def test_already_sampled_says_who_when_and_where(world, rnd, client):
    client.force_login(world.users.staff)
    point = rnd.points.get()
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001", "point": point.id, "table": 2})
    assert api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
               "person": "FK1:" + world.su.token}).status_code == 200
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0002"})
    r = api(client, "post", f"/rounds/{rnd.id}/scan",
            {"client_id": cid(), "barcode": "T0002", "person": "FK1:" + world.su.token})
    assert r.status_code == 409
    message = r.json()["error"]["message"]
    assert message.startswith("苏霞")  # who
    assert "T0001" in message and "光明广场采样点" in message and "2 号台" in message  # where
    # offline, the same scan is kept as a conflict that says the same
    out = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": [
        {"client_id": cid(), "type": "scan", "barcode": "T0002", "person": world.su.token}]}).json()
    assert out["results"][0]["message"] == message
    listed = api(client, "get", f"/rounds/{rnd.id}/conflicts").json()
    assert listed[0]["message"] == message


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_offline_queue_with_one_malformed_event_saves_the_rest_and_lists_it(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    page.context.set_offline(True)
    for text in ("T0001", "FK1:" + world.su.token, "140106194902100531",  # a mistyped ID number
                 "FK1:" + world.yu.token):
        page.fill("#scan-input", text)
        page.press("#scan-input", "Enter")
    expect(page.locator("#waiting")).to_have_text("5")  # and the seal of the tube it filled
    page.shot("screening-station-offline-queue")
    assert not Tube.objects.exists()

    page.context.set_offline(False)
    page.click("#send-now")
    expect(page.locator("#waiting")).to_have_text("0")
    expect(page.locator("#conflicts li")).to_have_count(1)
    item = page.locator("#conflicts li")
    expect(item).to_contain_text("…0531")  # the person, by the last four of the ID
    expect(item).to_contain_text("T0001")  # the tube
    expect(item).to_contain_text("无效")  # why
    expect(page.locator("#say")).to_contain_text("1")
    page.shot("screening-station-one-refused")
    assert set(Sample.objects.values_list("resident__name", flat=True)) == {"苏霞", "于海涛"}
    # the three swabs are in the tube: it is sealed, though one of them is not registered
    assert Tube.objects.get(barcode="T0001").state == "sealed"
    assert "140106194902100531" not in page.content()

    page.reload()  # still listed after a reload, nothing sent twice
    expect(page.locator("#conflicts li")).to_have_count(1)
    expect(page.locator("#conflicts-help")).to_be_visible()
    assert Sample.objects.count() == 2
    page.locator("#conflicts li button").click()  # "Noted"
    expect(page.locator("#conflicts li")).to_have_count(0)
    page.reload()
    expect(page.locator("#conflicts li")).to_have_count(0)
    problems = [p for p in page.problems if "INTERNET_DISCONNECTED" not in p]
    assert problems == [], problems



@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_station_messages_name_the_person_and_the_tube(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    say = page.locator("#say")

    def scan(text):
        page.fill("#scan-input", text)
        page.press("#scan-input", "Enter")

    scan("FK1:" + world.su.token)  # a person before any tube
    expect(say).to_contain_text("请先扫试管条码")
    scan("T0001")
    expect(page.locator("#tube-label")).to_contain_text("T0001")
    scan("FK1:" + world.other_person.token)  # out of the round's area: asked to confirm
    expect(page.locator("#confirm-box")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text("袁桂英")
    scan("FK1:" + world.su.token)  # the next person: the question goes away
    expect(page.locator("#confirm-box")).to_be_hidden()
    expect(say).to_have_text("苏霞 已登记，试管 T0001。 还剩 2 个空位。")
    scan("T0002")  # a second tube while T0001 is open
    expect(say).to_contain_text("试管 T0001 尚未封管（1/3）")
    expect(say).to_contain_text("T0002")
    scan("140106194902100531")  # a mistyped ID number
    expect(say).to_contain_text("身份证号 …0531 无效")
    scan("FK1:" + world.su.token)  # scanned twice at this table: who, which tube, when
    expect(say).to_contain_text("苏霞 已在本台扫过（试管 T0001，")

    page.shot("screening-station-messages")
    # another table registers 于海涛; this one scans him: who, when, where
    station.open_tube(actor_for(world.users.grid), rnd, "G0001", point=rnd.points.get(), table=2)
    station.scan(actor_for(world.users.grid), rnd, client_id=cid(), barcode="G0001",
                 person=world.yu.token)
    scan("FK1:" + world.yu.token)
    expect(say).to_contain_text("于海涛 本轮已采过样（试管 G0001，")
    expect(say).to_contain_text("光明广场采样点 2 号台")
    expect(say).to_have_class("say bad")
    page.shot("screening-station-already-sampled")
    assert Sample.objects.filter(round=rnd, resident=world.su).count() == 1
    problems = [p for p in page.problems if "status of 409" not in p and "status of 400" not in p]
    assert problems == [], problems


@pytest.mark.parametrize("how", ["online", "batch"])
def test_a_planned_round_whose_first_tube_opens_is_running(world, rnd, client, how):
    """Found walking the demo: a round still "planned" took tubes and scans, and the
    figures (which leave planned rounds out) did not count its people."""
    from fangkong.screening.models import Round

    Round.objects.filter(pk=rnd.pk).update(status="planned")
    client.force_login(world.users.staff)
    if how == "online":
        assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    else:
        out = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": [
            {"client_id": cid(), "type": "open", "barcode": "T0001"},
            {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": world.su.token}]}).json()
        assert out["ok"] == 2, out
    assert Round.objects.get(pk=rnd.pk).status == "running"


def test_staff_seal_a_tube_left_open_at_a_table_from_the_round_page(world, rnd, client):
    """Found walking the demo: a tube left open (its phone broke) was only counted, "1 tube
    still open", with no barcode and no way to seal it; an empty one, opened by mistake and
    left, was counted as if it held swabs."""
    client.force_login(world.users.staff)
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "E0001"})  # empty, set aside
    api(client, "post", f"/rounds/{rnd.id}/sync", {"events": [
        {"client_id": cid(), "type": "open", "barcode": "T0001"},
        {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": world.su.token}]})
    page = client.get(f"/screening/rounds/{rnd.id}/").content.decode()
    assert "T0001" in page.split('id="open-tubes"')[1] and "E0001" not in page.split('id="open-tubes"')[1]
    tube = Tube.objects.get(round=rnd, barcode="T0001")
    url = f"/screening/rounds/{rnd.id}/tubes/{tube.id}/seal/"
    ask = client.post(url).content.decode()
    assert "封管 T0001？" in ask and "1/3" in ask
    tube.refresh_from_db()
    assert tube.state == "open"  # asked, nothing done
    done = client.post(url, {"confirm": "1"}, follow=True).content.decode()
    assert "试管 T0001 已封管。" in done
    tube.refresh_from_db()
    assert tube.state == "sealed"
    # the other community's staff and a resident: as if there were no such tube
    for user in (world.users.other_staff, world.users.resident):
        client.force_login(user)
        assert client.post(url, {"confirm": "1"}).status_code == 404


def test_a_station_clock_days_behind_is_not_believed(world, rnd, client):
    """Found walking the demo: a scan sent with `at` 1990-01-01 was kept at that time
    ("already sampled at 08:00", a bar at 08:00 in the hourly chart). A time before the
    round could have begun (a day before its start) is taken as the server's now, as a
    time ahead of it always was."""
    from django.utils import timezone

    client.force_login(world.users.staff)
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"})
    r = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                       "person": world.su.token, "at": "1990-01-01T00:00:00Z"})
    assert r.status_code == 200, r.content
    out = api(client, "post", f"/rounds/{rnd.id}/sync", {"events": [
        {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": world.yu.token,
         "at": "1990-01-01T00:00:00Z"}]}).json()
    assert out["ok"] == 1, out
    for s in Sample.objects.filter(round=rnd):
        assert abs((timezone.now() - s.sampled_at).total_seconds()) < 60, s.sampled_at
    # an hour before the planned start (a round begun early) is believed
    early = rnd.starts_at - datetime.timedelta(hours=1)
    api(client, "post", f"/rounds/{rnd.id}/sync", {"events": [
        {"client_id": cid(), "type": "scan", "barcode": "T0001", "person": world.xia.token,
         "at": early.isoformat()}]})
    assert Sample.objects.get(round=rnd, resident=world.xia).sampled_at == early
