"""A pooled tube the lab finds invalid (无效, e.g. 样本量不足) leaves nobody counted as tested:
found walking the demo, GM00022's ten people still counted as done — "已采 326", not on the
missing list nor the home-sampling list, nobody told, the household's page silent — and the
station would have refused them ("already sampled at…"). Now their registrations are void
(kept for the record) and they are not sampled by every definition: the round's figures and
counters, the missing list and its export, the home-sampling list, the household's page, the
station's single scan and the offline batch; the community is told once."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening import counters, figures
from fangkong.screening.actions import station
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import HomeVisit, Sample, Tube, VoidSample

from .conftest import api, cid, to_lab
from .test_figures import _head, _text


def _pool(world, rnd):
    """T0001 holds 苏霞, 于海涛 and 夏明 (full at 3: sealed); 王新勇 not sampled."""
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0001", point=world.point.id, table=1)
    for p in (world.su, world.yu, world.xia):
        assert station.scan(staff, rnd, client_id=cid(), barcode="T0001", person=p.token)["status"] == "ok"
    assert Tube.objects.get(round=rnd, barcode="T0001").state == "sealed"
    to_lab(world, rnd, "T0001")


def _lab_upload(client, lab, text):
    client.force_login(lab)
    return client.post("/screening/lab/", {"file": SimpleUploadedFile("结果.csv", text.encode())})


def test_an_invalid_pool_counts_its_people_as_not_sampled_everywhere(world, rnd, system, client):
    w = world
    _pool(w, rnd)
    assert figures.coverage(rnd, w.community)["sampled"] == 3
    counters.recount(rnd)

    page = _lab_upload(client, w.users.lab, "管号,结果,备注\nT0001,无效,样本量不足\n").content.decode()
    assert "无效：1 管。3 人需复采" in page

    # the figures: the round page (its head line), the API, the counters behind roll-ups
    staff = client.__class__()
    staff.force_login(w.users.staff)
    staff.cookies["django_language"] = "en"
    head = _head(_text(staff.get(f"/screening/rounds/{rnd.id}/?place={w.community.id}")))
    assert (head["done"], head["missing"], head["expected"]) == (0, 4, 4)
    cov = api(staff, "get", f"/rounds/{rnd.id}/coverage").json()
    assert (cov["sampled"], cov["missing"]) == (0, 4)
    roll = counters.rollup(rnd, w.street)
    assert [(c["sampled"], c["missing"]) for c in roll] == [(0, 4)]
    # kept for the record, not as registrations
    assert not Sample.objects.filter(round=rnd).exists()
    assert VoidSample.objects.filter(round=rnd, tube__barcode="T0001").count() == 3

    # the missing list (page, export, API) says why they are listed again
    staff.cookies["django_language"] = "zh-hans"
    missing = staff.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
    assert all(p.name in missing for p in (w.su, w.yu, w.xia, w.wang))
    assert missing.count("样本无效，需复采") == 3
    book = openpyxl.load_workbook(io.BytesIO(staff.get(f"/screening/rounds/{rnd.id}/missing.xlsx").content))
    rows = {r[0]: r[-1] for r in book.worksheets[0].iter_rows(min_row=3, values_only=True) if r[0]}
    # (on the home-sampling list too, as the page says: 已列入上门采样)
    assert rows == {"苏霞": "样本无效，需复采；已列入上门采样", "于海涛": "样本无效，需复采；已列入上门采样",
                    "夏明": "样本无效，需复采；已列入上门采样", "王新勇": None}
    out = api(staff, "get", f"/rounds/{rnd.id}/missing").json()["results"]
    assert {p["name"]: p["resample"] for p in out} == {"苏霞": True, "于海涛": True, "夏明": True,
                                                       "王新勇": False}

    # the home-sampling list (page and API)
    home = staff.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert all(p.name in home for p in (w.su, w.yu, w.xia)) and "样本无效（试管 T0001），需复采" in home
    visits = api(staff, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    assert sorted(v["source"] for v in visits) == ["resample"] * 3

    # the community's staff and grid worker are told, once
    told = Notification.objects.filter(kind="screening.invalid_pool")
    assert set(told.values_list("user_id", flat=True)) == {w.users.staff.id, w.users.grid.id}
    assert "T0001" in told.first().title and "3" in told.first().title
    again = _lab_upload(client, w.users.lab, "管号,结果\nT0001,无效\n").content.decode()
    assert "1 条结果此前已录入且相同" in again
    assert told.count() == 2

    # the household's page: they need to be sampled again
    resident = client.__class__()
    resident.force_login(w.users.resident)
    hh = resident.get(f"/screening/households/{w.hh101.id}/").content.decode()
    assert hh.count("样本无效，需复采") == 2  # 苏霞 and 于海涛

    # the station takes them again: the single scan (苏霞) …
    assert api(staff, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0002"}).status_code == 201
    ok = api(staff, "post", f"/rounds/{rnd.id}/scan",
             {"client_id": cid(), "barcode": "T0002", "person": w.su.token})
    assert ok.status_code == 200, ok.content
    # … and the offline batch (于海涛)
    sent = api(staff, "post", f"/rounds/{rnd.id}/sync", {"events": [
        {"client_id": cid(), "type": "open", "barcode": "T0003", "capacity": 3},
        {"client_id": cid(), "type": "scan", "barcode": "T0003", "person": w.yu.token}]}).json()
    assert [o["status"] for o in sent["results"]] == ["ok", "ok"], sent
    # sampled again: done, off the lists; the counters agree with the figures
    cov = api(staff, "get", f"/rounds/{rnd.id}/coverage").json()
    assert (cov["sampled"], cov["missing"]) == (2, 2)
    assert [(c["sampled"], c["missing"]) for c in counters.rollup(rnd, w.street)] == [(2, 2)]
    missing = staff.get(f"/screening/rounds/{rnd.id}/missing/").content.decode()
    assert "苏霞" not in missing and "于海涛" not in missing and missing.count("样本无效，需复采") == 1
    visits = api(staff, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
    assert [v["resident"]["name"] for v in visits] == ["夏明"]
    # a second scan of 苏霞 is refused as before, naming her new tube
    twice = api(staff, "post", f"/rounds/{rnd.id}/scan",
                {"client_id": cid(), "barcode": "T0002", "person": w.su.token})
    assert twice.status_code == 409 and "T0002" in twice.json()["error"]["message"]


def test_the_station_page_forgets_whom_it_scanned_into_an_invalid_tube(world, rnd, system, client):
    """The phone keeps whom it scanned ("already scanned here"); the page tells it which of
    its tubes the lab found invalid, so it lets them be scanned again."""
    _pool(world, rnd)
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/station/?point={world.point.id}").content.decode()
    assert 'data-void-tubes=""' in page
    _lab_upload(client.__class__(), world.users.lab, "管号,结果\nT0001,无效\n")
    page = client.get(f"/screening/rounds/{rnd.id}/station/?point={world.point.id}").content.decode()
    assert 'data-void-tubes="T0001"' in page


def test_a_correction_away_from_invalid_puts_back_those_not_sampled_again(world, rnd, system, client):
    """The lab's 无效 was a mistake (corrected to 阴性, confirmed): 夏明 and 于海涛, not sampled
    again, count as sampled again on their first swab; 苏霞, sampled again meanwhile, keeps
    her new registration; their re-sample visits go."""
    w = world
    _pool(w, rnd)
    lab = client.__class__()
    lab.force_login(w.users.lab)
    assert api(lab, "post", "/results", {"results": [{"barcode": "T0001", "result": "invalid"}]}).json()[
        "resample"] == 3
    staff = Actor.system(w.users.staff)
    station.open_tube(staff, rnd, "T0009", point=w.point.id, table=1)
    station.scan(staff, rnd, client_id=cid(), barcode="T0009", person=w.su.token)
    back = api(lab, "post", "/results", {"results": [{"barcode": "T0001", "result": "negative"}],
                                         "confirm_changes": True})
    assert back.status_code == 200, back.content
    assert dict(Sample.objects.filter(round=rnd).values_list("resident_id", "tube__barcode")) == {
        w.su.id: "T0009", w.yu.id: "T0001", w.xia.id: "T0001"}
    assert list(VoidSample.objects.filter(round=rnd).values_list("resident_id", flat=True)) == [w.su.id]
    cov = figures.coverage(rnd, w.community)
    assert (cov["sampled"], cov["missing"]) == (3, 1)
    assert [(c["sampled"], c["missing"]) for c in counters.rollup(rnd, w.street)] == [(3, 1)]
    assert not HomeVisit.objects.filter(round=rnd, source="resample", status="open").exclude(
        resident=w.su).exists()


def test_the_offline_batch_takes_someone_whose_tube_was_invalid(world, rnd, system):
    """The batch alone (no single scan before it): 夏明, in the invalid T0001, is registered
    in a new tube rather than kept as "already sampled"."""
    _pool(world, rnd)
    from fangkong.screening.actions import lab as lab_actions

    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "T0001", "result": "无效"}])
    out = sync(Actor.system(world.users.staff), rnd, [
        {"client_id": cid(), "type": "open", "barcode": "T0004"},
        {"client_id": cid(), "type": "scan", "barcode": "T0004", "person": world.xia.token}])
    assert [o["status"] for o in out] == ["ok", "ok"], out
    assert Sample.objects.get(round=rnd, resident=world.xia).tube.barcode == "T0004"


def test_erasing_a_round_erases_its_void_registrations_too(world, rnd, system):
    from fangkong.ops.erasure import erase
    from fangkong.screening.actions import lab as lab_actions
    from fangkong.screening.actions import planning

    _pool(world, rnd)
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "T0001", "result": "invalid"}])
    planning.set_status(system, rnd, "closed")
    rnd.refresh_from_db()
    e = erase(rnd=rnd, dry_run=False)
    assert e.counts["registrations_deleted"] == 3
    assert not VoidSample.objects.filter(round=rnd).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_phone_lets_someone_whose_tube_was_invalid_be_scanned_again(phone_page, world, rnd):
    """The station's phone remembers whom it scanned ("already scanned here") for the whole
    round: after the lab found their tube invalid, a reload of the page lets them be
    scanned again at the same table, and the server registers them."""
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
    for _left, p in ((2, world.su), (1, world.yu), (0, world.xia)):  # fills and seals T0001
        scan(f"FK1:{p.token}")  # a printed code
        expect(page.locator("#recent li.good").filter(has_text=p.name)).to_have_count(1)
    expect(page.locator("#waiting")).to_have_text("0")
    assert Sample.objects.filter(round=rnd).count() == 3
    scan("T0002")
    expect(page.locator("#tube-left")).to_have_text("3")  # opened (its answer cannot overwrite what follows)
    scan(f"FK1:{world.su.token}")  # sampled at this table: the phone itself refuses
    expect(page.locator("#say")).to_have_class("say bad")
    expect(page.locator("#waiting")).to_have_text("0")  # T0002's opening has reached the server
    to_lab(world, rnd, "T0001")
    lab_actions.record_results(Actor.system(world.users.lab), [{"barcode": "T0001", "result": "invalid"}])
    page.reload()
    page.wait_for_selector("#scan-input")
    scan(f"FK1:{world.su.token}")
    expect(page.locator("#say")).to_have_class("say good")
    expect(page.locator("#waiting")).to_have_text("0")
    expect(page.locator("#recent li.good").filter(has_text="苏霞")).to_have_count(2)
    assert Sample.objects.get(round=rnd, resident=world.su).tube.barcode == "T0002"
