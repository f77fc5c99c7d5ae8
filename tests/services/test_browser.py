"""On a phone (390×844) in headless Chromium: at the 15:30 gate staff check a batch (one
line short, the rest received in one tap, asked first), both sides sign (asked first) and
split it into runs; a grid worker carries building 1's run with the network gone in the
stairwell — the doors are kept on the phone and sent once when it is back; the household
sees its order delivered. The first door's photo waits on the phone with it and is sent
after it. Screenshots in test-output/screenshots/ (services-*.png)."""

import io
import os
import time

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from fangkong.services.actions import handoff, orders
from fangkong.services.models import Batch, Stop
from tests.conftest import actor_for, log_in, switch_to
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_checkpoint_check_then_a_run_offline(phone_page, world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1), (svc.eggs.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate,
                                 due_at=timezone.localtime().replace(hour=15, minute=30), team=svc.team)

    # 1. at the gate: one line short, the rest received (asked first), both sign (asked first)
    log_in(page, "staff_a")
    page.goto(f"{page.base}/services/batches/{batch.id}/")
    page.shot("services-01-checkpoint")
    first = page.locator("#lines li").nth(1)
    first.locator("summary").click()
    first.locator("input[value=short]").check()
    first.locator("input[name=received]").fill("0")
    first.locator("button.primary").click()
    page.wait_for_load_state()
    assert "短缺" in page.inner_text("#lines")
    page.click("#rest")
    page.wait_for_selector(".confirm")
    page.shot("services-02-confirm-rest")
    page.click("text=是，全部收到")
    page.wait_for_load_state()
    page.fill("#f-sup", "李师傅")
    page.click("#sign")
    page.wait_for_selector(".confirm")
    page.click("text=是，双方签收")
    page.wait_for_load_state()
    page.click("#split")
    page.wait_for_load_state()
    # asked first: how many runs and doors, and that it cannot be undone
    assert "分成 1 条配送路线（每栋楼一条），共 3 户。" in page.inner_text("main")
    page.shot("services-03a-split-confirm")
    page.click("text=是，分配配送")
    page.wait_for_load_state()
    page.shot("services-03-signed-split")
    batch.refresh_from_db()
    assert batch.state == Batch.State.SPLIT and batch.supplier_signed_by == "李师傅"
    run = batch.runs.get(place=w.building)
    handoff.assign_run(staff, run, carrier=w.users.grid)
    assert not page.problems, page.problems

    # 2. the grid worker's run in a stairwell without signal
    switch_to(page, "grid_a")
    page.goto(f"{page.base}/services/runs/{run.id}/")
    page.shot("services-04-run")
    assert "还剩 3 户" in page.inner_text("#left")
    page.context.set_offline(True)
    stops = page.locator("#stops > li")
    big = camera_photo()  # a phone camera's photo, over the server's limit as it comes
    assert len(big) > settings.FANGKONG_PHOTO_MAX_BYTES
    stops.nth(0).locator("input[name=photo]").set_input_files(  # the door's photo, kept with it offline
        files=[{"name": "IMG_2041.png", "mimeType": "image/png", "buffer": big}])
    stops.nth(0).locator("button[name=delivered][value='1']").click()
    stops.nth(1).locator("summary").click()
    stops.nth(1).locator("select[name=why]").select_option("no_answer")  # why, as chosen
    stops.nth(1).locator("input[name=reason]").fill("家中无人应答")
    stops.nth(1).locator("button[name=delivered][value='0']").click()
    # the third door's "delivered" by a wrong tap: taken back within the seconds it waits
    stops.nth(2).locator("button[name=delivered][value='1']").click()
    expect(stops.nth(2).locator(".undo")).to_contain_text("已送达")
    expect(page.locator("#left")).to_contain_text("每户都已标记")  # three doors tapped here
    page.shot("services-05a-run-undo")
    stops.nth(2).locator(".undo button").click()
    expect(page.locator("#left")).to_contain_text("还剩 1 户")  # taken back: it counts again
    expect(stops.nth(2).locator("button[name=delivered][value='1']")).to_be_visible()
    expect(page.locator(".undo")).to_have_count(0, timeout=15_000)  # the undo seconds are over
    expect(page.locator("#waiting")).to_have_text("2")  # kept on the phone (from the tap)
    # two doors marked on the phone, not yet sent: the count moved at the tap (the badge says 2 wait)
    assert "还剩 1 户" in page.inner_text("#left")
    page.shot("services-05-run-offline")
    assert Stop.objects.filter(run=run).exclude(state="pending").count() == 0  # nothing sent yet
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#waiting")).to_have_text("0")
    expect(page.locator("#left")).to_contain_text("还剩 1 户")  # the count follows the sync
    page.shot("services-06-run-synced")
    states = dict(Stop.objects.filter(run=run).values_list("position", "state"))
    assert states == {1: "delivered", 2: "failed", 3: "pending"}
    photo = Stop.objects.get(run=run, position=1).photo  # sent after its door, made smaller first
    assert photo.name.endswith(".jpg") and photo.size < len(big) / 4
    with Image.open(photo.path) as im:
        assert im.format == "JPEG" and max(im.size) == 1600 and im.size[0] / im.size[1] == 4 / 3
    assert "照片已添加" in page.inner_text("#stops")
    page.reload()  # sent once: nothing waits on the phone, the doors show their state
    assert page.inner_text("#waiting") == "0" and "还剩 1 户" in page.inner_text("#left")
    assert "未送达" in page.inner_text("#stops")
    # the last door tapped, and the page left at once (the next floor, a phone call) in its
    # "Undo" seconds: kept on the phone from the tap, sent when the page is opened again
    stops.nth(2).locator("button[name=delivered][value='1']").click()
    expect(stops.nth(2).locator(".undo")).to_contain_text("已送达")
    page.goto("about:blank")
    assert Stop.objects.get(run=run, position=3).state == "pending"  # not before its seconds
    page.goto(f"{page.base}/services/runs/{run.id}/")
    # no door left, one not delivered: said so, not "还剩 0 户" (found on a phone)
    expect(page.locator("#left")).to_contain_text("配送结束，1 户未送达", timeout=15_000)
    assert Stop.objects.get(run=run, position=3).state == "delivered"
    expect(page.locator("#waiting")).to_have_text("0")
    # the lists that show the run say it the same way: doors to go of all, not "0 / 3"
    switch_to(page, "staff_a")
    page.goto(f"{page.base}/services/batches/{batch.id}/")
    assert "配送结束，1 户未送达" in page.inner_text("body") and "还剩 0 户" not in page.inner_text("body")
    assert not [p for p in page.problems if "ERR_INTERNET_DISCONNECTED" not in p], page.problems

    # 3. the household sees its order delivered on its own page, and asks for help
    switch_to(page, "resident_a")
    page.goto(f"{page.base}/services/households/{w.hh101.id}/")
    assert "已送到门口" in page.inner_text("#orders")
    page.click("#request-box summary")
    page.select_option("#f-cat", "medicine")
    page.fill("#f-text", "降压药只剩一天的量")
    page.click("text=提交诉求")
    page.wait_for_load_state()
    assert "降压药只剩一天的量" in page.inner_text("#requests")
    page.shot("services-07-household")


def camera_photo(size=(2400, 1800)) -> bytes:
    """A photo as big as a phone's camera makes (noise: it does not compress), as PNG."""
    out = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(out, "PNG", compress_level=1)
    return out.getvalue()


def test_the_next_person_on_the_phone_gets_no_read_of_the_last_ones_page(phone_page, world):
    """The run's list is read again 400 ms after a door is sent (or the phone is back
    online). Switching to the next person cleared the cookies under that page: with the
    login page slow to come (the live server under load in CI), the read went out signed
    out and answered 401 — a console error in the offline run above, once on PostgreSQL.
    `switch_to` leaves the page first; the login page here is made slow on purpose."""
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    orders.place_order(staff, w.hh101, svc.supplier, [(svc.veg.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    handoff.receive_rest(staff, batch)
    handoff.sign(staff, batch, supplier_name="李师傅")
    run = handoff.split(staff, batch)[0]
    handoff.assign_run(staff, run, carrier=w.users.grid)
    log_in(page, "grid_a")
    with page.expect_response(lambda r: r.url.endswith(f"/api/v1/services/runs/{run.id}")):
        page.goto(f"{page.base}/services/runs/{run.id}/")  # its first read, signed in
    page.evaluate("window.dispatchEvent(new Event('online'))")  # the next read in 400 ms

    def slow(route):
        time.sleep(0.9)
        route.continue_()

    page.route("**/login/", slow)
    statuses = []
    page.on("response", lambda r: statuses.append((r.status, r.url)))
    switch_to(page, "staff_a")
    page.wait_for_timeout(500)
    assert not [s for s in statuses if s[0] == 401], statuses
    assert not page.problems, page.problems


def test_the_menu_badge_is_not_read_while_the_phone_is_offline(phone_page, world):
    """The menu's unread count is read every minute; with the phone offline in a stairwell
    (the run page open there for minutes under load in CI) each try logged htmx errors to
    the console. Offline it is not tried; online again it is read."""
    page = phone_page
    page.clock.install()
    log_in(page, "grid_a")
    reads = []
    page.on("request", lambda r: "/inbox/badge/" in r.url and reads.append(r.url))
    page.context.set_offline(True)
    page.clock.run_for("01:05")
    assert reads == [] and not page.problems, (reads, page.problems)
    page.context.set_offline(False)
    with page.expect_response(lambda r: "/inbox/badge/" in r.url):
        page.clock.run_for("01:05")
    # the "request" listener may run after the response is awaited (seen under load in CI)
    for _ in range(50):
        if reads:
            break
        page.wait_for_timeout(100)
    # a read tried while offline would have come (and failed, logged) before this one
    assert len(reads) == 1 and not page.problems, (reads, page.problems)
