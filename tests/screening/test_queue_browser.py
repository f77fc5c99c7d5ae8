"""The phone's offline queue (static/fangkong/queue.js) across an upgrade: what an older
page left on the phone — the station's queue and conflicts in localStorage, door to door's
queue in its own IndexedDB database and its refused list in localStorage — is carried into
the one queue on first load and sent, each event once."""

import json
import uuid

import pytest
from playwright.sync_api import expect

from fangkong.screening.models import KitIssue, Sample, Tube
from tests.conftest import log_in
from tests.screening.test_antigen_browser import running_antigen_round

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_scan_queued_by_the_older_station_page_is_sent_after_the_upgrade(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    opened, scanned = str(uuid.uuid4()), str(uuid.uuid4())
    old = {  # what the localStorage station kept: its queue, its conflicts, its table's state
        "queue": [
            {"client_id": opened, "type": "open", "barcode": "T0009", "capacity": 3,
             "at": "2022-04-10T01:00:00.000Z", "point": None, "table": None},
            {"client_id": scanned, "type": "scan", "barcode": "T0009", "person": world.su.token,
             "confirm": False, "at": "2022-04-10T01:00:05.000Z"}],
        "tube": {"barcode": "T0009", "capacity": 3, "count": 1},
        "recent": [{"text": "已暂存 · T0009 1/3", "status": "queued"}],
        "conflicts": [{"message": "夏明 已在 G0001 采样", "barcode": "T0008", "name": "夏明",
                       "person": "", "at": "2022-04-10T00:59:00.000Z", "status": "conflict",
                       "client_id": str(uuid.uuid4())}],
        "seen": {},
    }
    key = f"fk-station-{rnd.id}-{world.users.staff.id}"
    page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, json.dumps(old)])

    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    expect(page.locator("#waiting")).to_have_text("0")  # sent as soon as the page loaded
    expect(page.locator("#conflicts")).to_contain_text("夏明 已在 G0001 采样")  # kept
    expect(page.locator("#tube-left")).to_have_text("2")  # the table's own state stays
    sample = Sample.objects.get()
    assert (sample.resident_id, sample.tube.barcode) == (world.su.id, "T0009")
    assert Tube.objects.get(round=rnd, barcode="T0009").count == 1
    left = json.loads(page.evaluate("(k) => localStorage.getItem(k)", key))
    assert "queue" not in left and "conflicts" not in left  # moved, not copied
    assert left["tube"]["barcode"] == "T0009"

    # the conflict survives a reload (now in the queue's store), goes when dismissed, and
    # nothing is sent twice
    page.reload()
    expect(page.locator("#conflicts li")).to_have_count(1)
    page.locator("#conflicts li button").click()
    expect(page.locator("#conflicts li")).to_have_count(0)
    page.reload()
    page.wait_for_selector("#scan-input")
    expect(page.locator("#conflicts li")).to_have_count(0)
    assert Sample.objects.count() == 1
    assert not page.problems, page.problems


def test_door_entries_kept_by_the_older_page_are_sent_after_the_upgrade(phone_page, world):
    page = phone_page
    rnd = running_antigen_round(world, "抗原第2轮")
    from fangkong.core.actor import Actor
    from fangkong.screening.actions import planning

    planning.assign_sampler(Actor.system(world.users.staff), rnd, rnd.points.get(),
                            world.users.volunteer)
    log_in(page, "volunteer_a")
    owner = f"{rnd.id}-{world.users.volunteer.id}"
    item = {"client_id": str(uuid.uuid4()), "owner": owner, "seq": 1, "kind": "kits",
            "household": world.hh101.id, "count": 2, "at": "2022-04-10T01:00:00.000Z",
            "label": "1单元 101 · 2 盒"}
    refused = [{"label": "夏明 · 阴性", "message": "阳性结果只能由社区工作人员更正。",
                "at": "2022-04-10T00:59:00.000Z"}]
    # the older page's own database and list, written as it wrote them
    page.evaluate("""([item, key, refused]) => new Promise((resolve, reject) => {
        localStorage.setItem(key, refused);
        const req = indexedDB.open("fangkong-door", 1);
        req.onupgradeneeded = () => req.result.createObjectStore("queue", { keyPath: "client_id" });
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
            const t = req.result.transaction("queue", "readwrite");
            t.objectStore("queue").put(item);
            t.oncomplete = () => { req.result.close(); resolve(); };
        };
    })""", [item, f"fk-door-refused-{owner}", json.dumps(refused)])

    page.goto(f"{page.base}/screening/rounds/{rnd.id}/antigen/door/")
    page.select_option("select[name=unit]", str(world.unit1.id))
    page.click("form.search button")
    page.wait_for_selector("#sheet")
    expect(page.locator("#waiting")).to_have_text("0")
    expect(page.locator("#refused-list")).to_contain_text("夏明 · 阴性")
    kits = KitIssue.objects.get()
    assert (kits.household_id, kits.count, str(kits.client_id)) == (world.hh101.id, 2, item["client_id"])
    names = page.evaluate("() => indexedDB.databases().then(d => d.map(x => x.name))")
    assert "fangkong-door" not in names  # carried over, then removed
    assert page.evaluate("(k) => localStorage.getItem(k)", f"fk-door-refused-{owner}") is None
    page.reload()
    page.wait_for_selector("#refused-list")
    expect(page.locator("#refused-list")).to_contain_text("夏明 · 阴性")
    assert KitIssue.objects.count() == 1
    assert not page.problems, page.problems
