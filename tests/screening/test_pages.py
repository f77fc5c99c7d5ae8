"""The screening pages: each renders for the roles that use it, 404 for the other
community (same page as a missing round), and list pages keep their query counts flat."""

import io

import pytest
from django.urls import reverse

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup, station
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Conflict, Exemption, HomeVisit

from .conftest import cid


def _staff(world):
    return Actor.system(world.users.staff)


PAGES = ["screening_round", "screening_missing", "screening_home_list", "screening_exemptions",
         "screening_conflicts", "screening_followups", "screening_boxes", "screening_station"]


def test_round_pages_render_for_staff_and_hide_from_the_other_community(world, rnd, client):
    station.open_tube(_staff(world), rnd, "T0001")
    station.scan(_staff(world), rnd, client_id=cid(), barcode="T0001", person=world.su.token)
    client.force_login(world.users.staff)
    for name in PAGES:
        r = client.get(reverse(name, args=[rnd.id]))
        assert r.status_code == 200, (name, r.status_code)
    assert client.get(reverse("screening_home")).status_code == 200
    assert client.get(reverse("screening_advisor") + f"?p=1&round={rnd.id}").status_code == 200
    live = client.get(reverse("screening_round", args=[rnd.id]), HTTP_HX_REQUEST="true").content.decode()
    assert live.strip().startswith('<section id="live"') and "<html" not in live
    other = client.__class__()
    other.force_login(world.users.other_staff)
    missing = other.get(reverse("screening_round", args=[999999])).content
    for name in PAGES:
        r = other.get(reverse(name, args=[rnd.id]))
        assert r.status_code == 404, name
        assert _strip_csrf(r.content) == _strip_csrf(missing)


def _strip_csrf(html):
    import re

    html = re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', b"", html)
    return re.sub(rb'name="next" type="hidden" value="[^"]+"', b"", html)  # the path itself


def test_missing_list_groups_by_unit_and_lists_for_home_sampling(world, rnd, client,
                                                                  django_assert_max_num_queries):
    client.force_login(world.users.staff)
    url = reverse("screening_missing", args=[rnd.id])
    # 16: the rows, plus the two reads that mark a positive or held person no-contact (`status.missing_marks`)
    with django_assert_max_num_queries(16):
        body = client.get(url).content.decode()
    assert "1单元" in body and "2单元" in body and "苏霞" in body and "17446416120" in body
    r = client.post(reverse("screening_home_add", args=[rnd.id, world.su.id]), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and HomeVisit.objects.filter(resident=world.su).count() == 1
    # the leader sees the list with phones of their building; a volunteer does not see it
    leader = client.__class__()
    leader.force_login(world.users.leader)
    assert leader.get(url).status_code == 200
    vol = client.__class__()
    vol.force_login(world.users.volunteer)
    assert vol.get(url).status_code == 404
    export = client.get(reverse("screening_missing_export", args=[rnd.id]))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")
    # an export refused answers 404 (core.access.require_export), as every export does
    assert leader.get(reverse("screening_missing_export", args=[rnd.id])).status_code == 404


def test_exemptions_conflicts_boxes_and_followups_through_the_pages(world, rnd, client):
    client.force_login(world.users.staff)
    url = reverse("screening_exemptions", args=[rnd.id])
    assert "王新勇" in client.get(url + "?q=王新勇").content.decode()
    asked = client.post(url, {"resident": world.wang.id, "reason": "isolation"})  # asks first
    assert asked.status_code == 200 and not Exemption.objects.exists()
    client.post(url, {"resident": world.wang.id, "reason": "isolation", "confirm": "1"})
    assert Exemption.objects.get().reason == "isolation"
    bad = client.post(url, {"resident": world.other_person.id, "reason": "other"})
    assert bad.status_code == 404 and Exemption.objects.count() == 1
    # an offline station overfilled a single tube: the conflict is accepted on the page
    sync(_staff(world), rnd, [
        {"client_id": cid(), "type": "open", "barcode": "S0001", "capacity": 1},
        {"client_id": cid(), "type": "scan", "barcode": "S0001", "person": world.su.token},
        {"client_id": cid(), "type": "scan", "barcode": "S0001", "person": world.yu.token}])
    c = Conflict.objects.get()
    assert c.kind == "tube_full"
    client.post(reverse("screening_conflicts", args=[rnd.id]), {"conflict": c.id, "accept": "1"})
    c.refresh_from_db()
    assert c.status == "accepted"
    from fangkong.screening.models import Tube

    assert Tube.objects.get(barcode="S0001").count == 2
    boxes = reverse("screening_boxes", args=[rnd.id])
    client.post(boxes, {"do": "create", "code": "BOX-9"})
    from fangkong.screening.models import Box

    box = Box.objects.get()
    # one bad line: nothing packed, and the scanned codes stay in the box as typed, each
    # error said beside them (found walking the demo: every tube had to be scanned again)
    r = client.post(boxes, {"do": "pack", "box": box.id, "tubes": "S0001\nX9999\n"})
    page = r.content.decode()
    assert r.status_code == 200 and not Tube.objects.filter(box=box).exists()
    typed = page.split('name="tubes"')[1].split("</textarea>")[0]
    assert typed.split(">", 1)[1].split() == ["S0001", "X9999"] and "试管 X9999 不属于本轮" in page
    client.post(boxes, {"do": "pack", "box": box.id, "tubes": "S0001"})
    listed = client.get(boxes).content.decode()  # what a box holds, for the courier and the lab
    assert '<span class="badge">S0001</span>' in listed.split("本箱试管")[1]
    r = client.post(boxes, {"do": "handover", "box": box.id, "stage": "pickup", "given_by": "",
                            "received_by": "快递"}, follow=True)
    assert "谁交出的？" in r.content.decode()
    client.post(boxes, {"do": "handover", "box": box.id, "stage": "pickup", "given_by": "张三",
                        "received_by": "快递", "confirm": "1"})  # asked first: test_box_pickup_asked.py
    box.refresh_from_db()
    assert box.state == "in_transit"


def test_resident_sees_only_their_own_household_results(world, rnd, client):
    client.force_login(world.users.resident)
    r = client.get(reverse("screening_mine"), follow=True)
    assert r.status_code == 200 and "苏霞" in r.content.decode()
    assert client.get(reverse("screening_household", args=[world.hh102.id])).status_code == 404
    assert client.get(reverse("screening_round", args=[rnd.id])).status_code == 404


def test_a_round_planned_for_later_is_not_listed_as_not_sampled(world, rnd, client, system):
    """Found walking the demo: a resident's results listed next week's planned round as
    "not sampled"."""
    import datetime

    from django.utils import timezone

    from fangkong.screening.actions import planning

    later = planning.plan_round(system, world.community, {
        "name": "下周核酸", "kind": "pcr", "starts_at": timezone.now() + datetime.timedelta(days=7),
        "ends_at": timezone.now() + datetime.timedelta(days=7, hours=6), "pool_size": 10})
    client.force_login(world.users.resident)
    page = client.get(reverse("screening_mine"), follow=True).content.decode()
    assert rnd.name in page and later.name not in page


@pytest.mark.parametrize("content,name,message", [
    (b"not a spreadsheet", "r.xlsx", ".xlsx"),
    ("条码,备注\nT1,x\n".encode(), "r.csv", "管号"),
    (b"x", "r.pdf", ".csv"),
])
def test_lab_upload_page_explains_bad_files(world, client, content, name, message):
    client.force_login(world.users.lab)
    f = io.BytesIO(content)
    f.name = name
    body = client.post(reverse("screening_lab"), {"file": f}).content.decode()
    assert message in body


def test_home_sampling_list_puts_urgent_retests_first(world, rnd, client):
    """A re-test after a positive pool or antigen test holds the household: it comes first on
    the home-sampling list, marked urgent, whatever its building."""
    staff = _staff(world)
    followup.add_home_visit(staff, rnd, world.su)  # listed by hand, in the first building
    hv = HomeVisit(round=rnd, resident=world.wang, household_id=world.wang.household_id,
                   source=HomeVisit.Source.RETEST, note="re-test")
    hv.copy_levels(world.wang)
    hv.save()
    client.force_login(world.users.staff)
    body = client.get(reverse("screening_home_list", args=[rnd.id])).content.decode()
    assert body.index("王新勇") < body.index("苏霞")
    urgent = body[body.index('class="row urgent"'):]
    assert urgent.index("紧急") < urgent.index("王新勇") < urgent.index("苏霞")
    assert body.count('class="row urgent"') == 1


def test_a_home_visit_leaves_the_list_by_its_swab_or_by_a_confirmed_tap(world, rnd, client):
    """Found walking the demo: "完成" took a bedridden person off the home-sampling list with
    no swab and no question, and she stayed on the missing list with nobody coming."""
    staff = _staff(world)
    hv = followup.add_home_visit(staff, rnd, world.xia)
    client.force_login(world.users.staff)
    url = reverse("screening_home_list", args=[rnd.id])
    page = client.get(url).content.decode()
    assert f"/screening/rounds/{rnd.id}/station/" in page and 'value="done"' not in page
    # "done" without a registered swab is refused, whoever asks
    r = client.post(url, {"visit": hv.id, "status": "done"}, follow=True).content.decode()
    assert "夏明本轮还没有采样登记" in r
    hv.refresh_from_db()
    assert hv.status == "open"
    # taking someone off the list asks first, says so after, and can be undone
    asked = client.post(url, {"visit": hv.id, "status": "cancelled"}).content.decode()
    assert "把夏明移出上门采样名单？" in asked and "仍在未采样名单上" in asked
    hv.refresh_from_db()
    assert hv.status == "open"
    r = client.post(url, {"visit": hv.id, "status": "cancelled", "confirm": "1"}, follow=True)
    body = r.content.decode()
    assert "已把夏明移出上门采样名单。" in body and "已移出名单" in body and "恢复到名单" in body
    r = client.post(url, {"visit": hv.id, "status": "open"}, follow=True).content.decode()
    assert "夏明已恢复到上门采样名单。" in r
    hv.refresh_from_db()
    assert hv.status == "open"
    # swabbed at the door (the station page): off the list by itself
    station.open_tube(staff, rnd, "H0001")
    station.scan(staff, rnd, client_id=cid(), barcode="H0001", person=world.xia.token)
    assert "夏明" not in client.get(url).content.decode().split("<h1>", 1)[1]


def test_a_conflict_kept_in_chinese_reads_in_english_on_an_english_page(world, rnd, client):
    """The station synced in Chinese; the staff member who reads the conflict uses English.
    The conflict keeps the facts of "where" (tube, time, table), not the Chinese words."""
    from django.utils import translation

    station.open_tube(_staff(world), rnd, "G0001")
    station.scan(_staff(world), rnd, client_id=cid(), barcode="G0001", person=world.wang.token)
    with translation.override("zh-hans"):
        out = sync(_staff(world), rnd, [
            {"client_id": cid(), "type": "open", "barcode": "T0002", "capacity": 3},
            {"client_id": cid(), "type": "scan", "barcode": "T0002", "person": world.wang.token}])
    assert "王新勇 本轮已采过样（试管 G0001，" in out[1]["message"]  # the phone heard Chinese
    c = Conflict.objects.get()
    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("screening_conflicts", args=[rnd.id])).content.decode()
    api = client.get(f"/api/v1/screening/rounds/{rnd.id}/conflicts").json()
    for text in (page, api[0]["message"]):
        assert "王新勇 was already sampled in this round (tube G0001 at" in text
        assert "试管" not in text and "本轮" not in text
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("screening_conflicts", args=[rnd.id])).content.decode()
    assert "王新勇 本轮已采过样（试管 G0001，" in page
    assert c.detail.startswith('{"s":["G0001",')  # facts, not words


def test_a_zone_conflicts_rule_and_an_older_worded_detail_read_back():
    from django.utils import translation

    from fangkong.screening.refusals import K, detail_of, where_of

    kept = detail_of(K.ZONE_TUBE, zone=("封控区", 1))
    with translation.override("en"):
        assert where_of(K.ZONE_TUBE, kept) == "lives in a 封控区: single tube, one person per tube"
    with translation.override("zh-hans"):
        assert "封控区" in where_of(K.ZONE_TUBE, kept) and "lives" not in where_of(K.ZONE_TUBE, kept)
    assert where_of(K.ALREADY_SAMPLED, "（试管 G0001，08:43）") == "（试管 G0001，08:43）"  # as kept
    assert detail_of(K.TUBE_FULL) == "" and where_of(K.TUBE_FULL, "") == ""


def test_a_station_not_assigned_anywhere_asks_for_its_point_and_table(world, rnd, client, system):
    """Staff open the station of a round with two points: the page asks where this phone
    scans (scanning stays hidden until then) — the walk's staff sample had been kept with
    no point; chosen, the page carries the point and table its scans are sent with. With
    one point only, that point is taken, table 1, and can be changed."""
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.screening.actions import planning

    url = reverse("screening_station", args=[rnd.id])
    client.force_login(world.users.staff)
    page = client.get(url).content.decode()  # one point: taken
    assert f'data-point="{world.point.id}" data-table="1"' in page and 'id="choose-point"' in page
    second = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "东门采样点")
    planning.add_point(Actor.system(world.users.staff), rnd, second, 3)
    page = client.get(url).content.decode()
    assert "请先选择本手机所在的采样点和台号" in page and '<div id="scanning" hidden>' in page
    assert 'data-point=""' in page
    east = rnd.points.get(place=second)
    page = client.get(url, {"point": east.id, "table": "2"}).content.decode()
    assert f'data-point="{east.id}" data-table="2"' in page and "东门采样点 · 2 号台" in page
    assert '<div id="scanning">' in page
    page = client.get(url, {"point": east.id, "table": "9"}).content.decode()  # 3 tables there
    assert 'data-table="3"' in page


def test_an_empty_tube_left_open_elsewhere_is_taken_on_not_lost(world, rnd, system):
    """A tube opened at one table and left empty (the walk: "试管 … 在本轮已被使用", and no
    one could seal it) is taken on by the next table that scans its barcode; a tube with a
    swab in it stays refused — its people are another table's."""
    from fangkong.audit.models import AuditEvent
    from fangkong.core.errors import Conflict as ConflictError

    grid, staff = Actor.system(world.users.grid), Actor.system(world.users.staff)
    station.open_tube(grid, rnd, "E0001", point=world.point.id, table=1)
    tube, resumed = station.open_tube(staff, rnd, "E0001", point=world.point.id, table=2)
    assert not resumed and tube.opened_by == world.users.staff and tube.table == 2
    assert AuditEvent.objects.filter(action="screening.tube.take_over").count() == 1
    station.scan(staff, rnd, client_id=cid(), barcode="E0001", person=world.su.token)
    with pytest.raises(ConflictError) as e:
        station.open_tube(grid, rnd, "E0001", point=world.point.id, table=1)
    assert e.value.code == "barcode_used"


def test_a_place_with_no_one_to_test_shows_no_percentage(world, rnd, client, system):
    """The round's page for a building with nobody to sample says "–", as the dashboard
    does, not a full green 100 % beside "0 / 0"."""
    import re

    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind

    empty = reg.create_place(system, world.compound, Kind.BUILDING, "9号楼")
    client.force_login(world.users.staff)
    page = client.get(reverse("screening_round", args=[rnd.id]), {"place": empty.id}).content.decode()
    assert "<strong>–</strong>" in page and "100%" not in page
    assert re.search(r'<meter[^>]*value="0"', page)
    full = client.get(reverse("screening_round", args=[rnd.id])).content.decode()
    assert "<strong>0%</strong>" in full  # the community: 4 to sample, none yet


def test_no_one_to_test_is_null_in_the_api_and_said_in_the_end_question(world, rnd, client, system):
    """The same "no figure" as the page: the API's coverage of an empty building has
    `percent` null (not 100), and ending a round with nobody to sample asks without a
    "(100%)"."""
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from tests.screening.conftest import api

    empty = reg.create_place(system, world.compound, Kind.BUILDING, "9号楼")
    client.force_login(world.users.staff)
    got = api(client, "get", f"/rounds/{rnd.id}/coverage?place={empty.id}").json()
    assert (got["to_sample"], got["percent"], got["households_percent"]) == (0, None, None)
    got = api(client, "get", f"/rounds/{rnd.id}/coverage").json()
    assert (got["sampled"], got["to_sample"], got["percent"]) == (0, 4, 0)

    import datetime

    from django.utils import timezone

    from fangkong.screening.actions import planning

    now = timezone.now()
    lonely = planning.plan_round(system, empty, {
        "name": "9号楼核酸", "kind": "pcr", "starts_at": now, "pool_size": 10,
        "ends_at": now + datetime.timedelta(hours=6)}, points=[])
    planning.set_status(system, lonely, "running")
    page = client.post(reverse("screening_status", args=[lonely.id]), {"status": "closed"})
    text = page.content.decode()
    assert "本轮范围内没有需要采样的人" in text and "100%" not in text, text


def test_starting_tomorrows_round_today_asks_and_moves_its_start(world, client, system):
    """Found walking the demo: a round planned for 07:00 tomorrow, started tonight, was left
    out of today's dashboard and nightly report (they count rounds started by their time),
    so a positive pool in it showed as 0 cases. Starting early asks first, and the round
    then starts now."""
    import datetime

    from django.utils import timezone

    from fangkong.audit.models import AuditEvent
    from fangkong.screening.actions import planning
    from fangkong.screening.node_figures import rounds_of_day

    tomorrow = timezone.now() + datetime.timedelta(days=1)
    rnd = planning.plan_round(system, world.community, {
        "name": "明早核酸", "kind": "pcr", "starts_at": tomorrow, "pool_size": 10,
        "ends_at": tomorrow + datetime.timedelta(hours=7)})
    client.force_login(world.users.staff)
    url = reverse("screening_status", args=[rnd.id])
    running = planning.plan_round(system, world.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": timezone.now() - datetime.timedelta(hours=2),
        "pool_size": 10, "ends_at": timezone.now() + datetime.timedelta(hours=2)})
    planning.set_status(system, running, "running")
    asked = client.post(url, {"status": "running"}).content.decode()
    assert "confirm-yes" in asked and "计划" in asked
    assert "第3轮核酸 仍在进行" in asked  # the round still running over the same people is named
    rnd.refresh_from_db()
    assert rnd.status == "planned"  # asked, not started
    client.post(url, {"status": "running", "confirm": "1"})
    rnd.refresh_from_db()
    assert rnd.status == "running" and rnd.starts_at <= timezone.now()
    assert rnd.ends_at == tomorrow + datetime.timedelta(hours=7)  # its end is as planned
    assert rnd in rounds_of_day([world.community], timezone.now())
    event = AuditEvent.objects.filter(action="screening.round.status").latest("id")
    assert "starts_at" in event.changes
    # a round planned to start within the half hour starts without a question
    soon = planning.plan_round(system, world.community, {
        "name": "马上核酸", "kind": "pcr", "starts_at": timezone.now() + datetime.timedelta(minutes=10),
        "pool_size": 10, "ends_at": tomorrow})
    r = client.post(reverse("screening_status", args=[soon.id]), {"status": "running"})
    assert r.status_code == 302
    soon.refresh_from_db()
    assert soon.status == "running" and soon.starts_at <= timezone.now()


def test_a_households_latest_test_is_the_last_round_it_was_tested_in(world, rnd, client, system):
    """Found walking the demo: the household's services page showed "latest test: 第4轮 ·
    未采样" for a round begun a minute before, hiding this morning's results."""
    import datetime

    from django.utils import timezone

    from fangkong.screening.actions import planning

    station.open_tube(system, rnd, "L0001", point=world.point.id, table=1)
    station.scan(system, rnd, client_id=cid(), barcode="L0001", person=world.su.token)
    later = planning.plan_round(system, world.community, {
        "name": "第4轮核酸", "kind": "pcr", "starts_at": timezone.now(), "pool_size": 10,
        "ends_at": timezone.now() + datetime.timedelta(hours=6)})
    planning.set_status(system, later, "running")
    client.force_login(world.users.resident)
    page = client.get(f"/services/households/{world.hh101.id}/").content.decode()
    latest = page.split("最近一次检测")[1].split("</ul>")[0]
    assert rnd.name in latest and later.name not in latest


def test_the_door_pickers_list_a_building_before_its_units(world, rnd):
    """Found walking the demo: "1号楼 1单元, 1号楼, 1号楼 2单元…"."""
    from fangkong.screening import queries

    labels = [p.label for p in queries.round_units(rnd)]
    building = next(lb for lb in labels if lb.endswith("1号楼"))
    assert labels.index(building) < labels.index(building + " 1单元"), labels
