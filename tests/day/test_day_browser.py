"""The lockdown day of test_day_api.py on phones (390×844, real headless Chromium, in
Chinese), each person on their own phone: staff import the roster and print code cards
(the PDF's QR codes read back with a decoder), plan and start the round and run the
station with the keyboard a hand scanner types on (the card's text, then Enter); the phone
loses the network halfway through a tube and comes back; tubes are sealed (asked first),
boxed and handed over; the lab receives the box, uploads a file with an error (refused,
every error listed) and then the corrected one; the positive shows on the staff's home;
the held people are re-tested at home; the round page, the missing list and the API agree;
volunteers are called for the morning and check in by the QR code on the page the staff
print, read from a screenshot of that page. Screenshots: test-output/screenshots/day-NN-<phone>-<what>.png.
"""

import datetime
import glob
import os
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.core import pii
from fangkong.core.actor import Actor
from tests.conftest import SHOTS, log_in, settings_time_zone, switch_to

from .scene import build_town, morning, pdf_pages, qr_texts, roster_bytes, sheet, texted_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phones(_browser, live_server):
    """phone(name) → a fresh 390×844 page of its own (cookies, storage, network)."""
    from django.urls import get_resolver

    _ = get_resolver().url_patterns
    made, shots = [], [0]
    for old in glob.glob(os.path.join(SHOTS, "day-*.png")):  # this run's pictures only
        os.remove(old)

    def phone(name):
        ctx = _browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1,
                                   is_mobile=True, has_touch=True, locale="zh-CN",
                                   timezone_id=settings_time_zone())
        ctx.set_default_timeout(30_000)
        ctx.set_default_navigation_timeout(60_000)
        page = ctx.new_page()
        page.problems = []
        page.on("pageerror", lambda e: page.problems.append(str(e)))
        page.base = live_server.url
        page.name = name

        def shot(label):
            os.makedirs(SHOTS, exist_ok=True)
            shots[0] += 1
            path = os.path.join(SHOTS, f"day-{shots[0]:02d}-{name}-{label}.png")
            page.screenshot(path=path, full_page=True)
            return path

        page.shot = shot
        made.append(ctx)
        return page

    yield phone
    for ctx in made:
        ctx.close()


def api_get(page, path):
    r = page.context.request.get(page.base + "/api/v1" + path)
    assert r.ok, (path, r.status, r.text()[:300])
    return r.json()


def api_post(page, path, data):
    csrf = next((c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"), "")
    r = page.context.request.post(page.base + "/api/v1" + path, data=data,
                                  headers={"X-CSRFToken": csrf, "Referer": page.base + "/"})
    assert r.ok, (path, r.status, r.text()[:300])
    return r.json()


def place_id(page, parent, *names):
    """Down the tree by name, through the API the pages use."""
    for name in names:
        parent = next(p["id"] for p in api_get(page, f"/places?parent={parent}") if p["name"] == name)
    return parent


def scanner_types(page, text):
    """A hand scanner is a keyboard: it types the code into the focused field, then Enter."""
    page.focus("#scan-input")
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def wide_enough(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width}px wide on a 390px phone"


def local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_a_lockdown_day_on_phones(phones, monkeypatch):
    town = build_town(Actor.system())  # before the day: the admin's set-up
    staff = phones("staff")

    # --- the roster -----------------------------------------------------------------------
    log_in(staff, "staff_a")
    assert "光明社区" in staff.text_content("h1")
    staff.click("text=导入花名册")
    staff.set_input_files("#f-file", files=[{"name": "光明社区花名册.xlsx", "buffer": roster_bytes(),
                                             "mimeType": "application/octet-stream"}])
    staff.click("text=检查文件")
    staff.wait_for_selector(".status-checked", timeout=60_000)  # what it will do; nothing written yet
    staff.shot("roster-checked")
    staff.click("#import-confirm")
    staff.wait_for_selector(".status-done", timeout=60_000)
    staff.shot("roster-imported")

    # --- code cards for 1号楼: down the tree by taps, print, read the paper back -------------
    staff.goto(staff.base + f"/places/{town.community.id}/")
    staff.click("a:has-text('光明小区')")
    staff.click("a:has-text('1号楼')")
    staff.shot("building")
    staff.click("text=打印核酸码卡")
    staff.check("input[name=everyone][value='1']")
    staff.shot("code-cards")
    wide_enough(staff)
    url = staff.evaluate("""() => { const f = document.querySelector("form[action$='code-cards.pdf']");
        return f.action + '?' + new URLSearchParams(new FormData(f)).toString(); }""")
    pdf = staff.context.request.get(url)
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    printed = [code for image in pdf_pages(pdf.body()) for code in qr_texts(image)]
    assert len(printed) == 53 and len(set(printed)) == 53  # everyone in 1号楼

    # --- the round: planned on the phone, started -------------------------------------------
    now = timezone.now()
    staff.goto(staff.base + "/screening/")
    if not staff.is_visible("#r-name"):
        staff.click("#plan summary")
    staff.fill("#r-name", "第3轮核酸")
    staff.fill("#r-start", local(now - datetime.timedelta(hours=1)))
    staff.fill("#r-end", local(now + datetime.timedelta(hours=8)))
    staff.fill("#r-pool", "5")
    wide_enough(staff)
    staff.shot("plan-round")
    staff.click("#plan button.primary")
    staff.wait_for_selector("button[name=status][value=running]")
    rnd = int(re.search(r"/rounds/(\d+)/", staff.url).group(1))
    staff.click("button[name=status][value=running]")
    staff.wait_for_selector("a:has-text('扫码采样')")
    staff.shot("round-started")

    # --- the station: the scanner types each card, Enter ------------------------------------
    staff.click("a.btn.primary:has-text('扫码采样')")
    staff.wait_for_selector("#scan-input")
    scanner_types(staff, "T0001")
    expect(staff.locator("#tube-label")).to_contain_text("T0001")
    for n, code in enumerate(printed[:3], start=1):
        scanner_types(staff, code + "\n")
        expect(staff.locator("#tube-count")).to_have_text(f"{n}/5")
    staff.shot("station-three-in-tube")
    # the network goes, mid-tube: two more people, kept on the phone; the tube fills
    staff.context.set_offline(True)
    expect(staff.locator("#net")).to_have_class(re.compile("warn"))
    for code in printed[3:5]:
        scanner_types(staff, code)
    expect(staff.locator("#waiting")).to_have_text("3")  # 2 + seal
    staff.shot("station-offline-queue")
    # kept in the phone's queue (queue.js: IndexedDB), not only on the screen
    staff.wait_for_function("""(owner) => new Promise((resolve) => {
        const db = indexedDB.open("fangkong-queue");
        db.onsuccess = () => {
            const get = db.result.transaction("items").objectStore("items").index("owner").getAll(owner);
            get.onsuccess = () => { db.result.close(); resolve(get.result.length === 3); };
        };
    })""", arg=f"station-{rnd}-{town.staff.id}")
    # the network comes back flaky: the first send reaches the server but its answer is lost,
    # and every try after it fails on the way
    lost = []

    def answer_lost(route):
        if not lost:
            lost.append(route.fetch().status)  # the server registers the batch...
        route.abort()  # ...and the phone never hears back

    staff.route("**/sync", answer_lost)
    staff.context.set_offline(False)
    with staff.expect_event("requestfailed", lambda r: "/sync" in r.url):  # aborted once registered
        staff.click("#send-now")
    assert lost == [200]
    expect(staff.locator("#waiting")).to_have_text("3")
    # the phone is switched off and on: the queue is still on it
    staff.reload()
    expect(staff.locator("#waiting")).to_have_text("3")
    staff.shot("station-queue-after-restart")
    # the network is good again: sent once more, registered once
    staff.unroute("**/sync")
    staff.click("#send-now")
    expect(staff.locator("#waiting")).to_have_text("0", timeout=30_000)
    staff.click("#send-now")  # tapped again for good measure: nothing is sent twice
    cov = api_get(staff, f"/screening/rounds/{rnd}/coverage?place={town.community.id}")
    assert cov["sampled"] == 5, cov
    # the next tube: two people, then the same card as before (refused, saying who), sealed early
    scanner_types(staff, "T0002")
    expect(staff.locator("#tube-label")).to_contain_text("T0002")
    for n, code in enumerate(printed[5:7], start=1):
        scanner_types(staff, code + "\r\n")
        expect(staff.locator("#tube-count")).to_have_text(f"{n}/5")
    scanner_types(staff, printed[0].lower())
    expect(staff.locator("#say")).to_have_class(re.compile("bad"))
    staff.shot("station-already-sampled")
    staff.click("#seal")
    staff.wait_for_selector("#seal-box:not([hidden])")
    staff.shot("station-seal-asks")
    staff.click("#seal-yes")
    expect(staff.locator("#tube-label")).not_to_contain_text("T0002")
    cov = api_get(staff, f"/screening/rounds/{rnd}/coverage?place={town.community.id}")
    assert cov["sampled"] == 7, cov
    assert not staff.problems, staff.problems

    # --- a family shows their codes on their own phone --------------------------------------
    # staff give 1单元 602 a login on the household page; the slip shows the password once;
    # the family logs in with it and opens their codes; the station scans the phone's screen
    unit = place_id(staff, town.community.id, "光明小区", "1号楼", "1单元")
    hh = api_get(staff, f"/households?place={unit}")["results"][-1]
    members = api_get(staff, f"/households/{hh['id']}")["residents"]
    station = staff.url
    staff.goto(staff.base + f"/households/{hh['id']}/")
    staff.click("details:has(#hl-phone) summary")
    staff.fill("#hl-phone", members[0]["phone"])
    staff.click("form:has(#hl-phone) button")
    password = staff.text_content(".secret").strip()
    staff.shot("family-login-slip")
    family = phones("family")
    log_in(family, members[0]["phone"], password)
    # a password read aloud by staff: the family sets its own at its first login
    assert "/password/" in family.url
    family.fill("#id_new_password", "family-602-spring")
    family.fill("#id_new_password2", "family-602-spring")
    family.click("form:has(#id_new_password) button.primary")
    family.wait_for_load_state()
    assert members[0]["name"] in family.text_content("main")
    family.goto(family.base + "/my/codes/")
    from PIL import Image

    on_screen = qr_texts(Image.open(family.shot("codes-on-screen")))
    assert len(on_screen) == len(members) and set(on_screen).isdisjoint(printed[:7])
    staff.goto(station)
    scanner_types(staff, "T0003")
    expect(staff.locator("#tube-label")).to_contain_text("T0003")
    for n, code in enumerate(on_screen[:4], start=1):
        scanner_types(staff, code)
        expect(staff.locator("#recent li").first).to_contain_text(f"T0003 {n}/5")
    if len(on_screen[:4]) < 5:
        staff.click("#seal")
        staff.click("#seal-yes")
        expect(staff.locator("#tube-label")).not_to_contain_text("T0003")
    n_sampled = 7 + len(on_screen[:4])
    cov = api_get(staff, f"/screening/rounds/{rnd}/coverage?place={town.community.id}")
    assert cov["sampled"] == n_sampled, cov

    # --- box and hand over ----------------------------------------------------------------
    staff.goto(staff.base + f"/screening/rounds/{rnd}/boxes/")
    staff.fill("input[name=code]", "BOX-1")
    staff.click("form:has(input[name=code]) button")
    staff.fill("textarea[name=tubes]", "T0001\nT0002\nT0003")
    staff.click("form:has(textarea[name=tubes]) button")
    staff.wait_for_selector("input[name=given_by]")
    staff.fill("input[name=given_by]", "张三")
    staff.fill("input[name=received_by]", "快递李四")
    staff.shot("box-packed")
    staff.click("form:has(input[name=given_by]) button")
    staff.wait_for_selector("form.confirm-yes")  # the courier's signature cannot be undone: asked first
    assert "BOX-1" in staff.text_content("main") and "交给转运员" in staff.text_content("main")
    staff.click("form.confirm-yes button")
    staff.wait_for_load_state()

    lab = phones("lab")
    log_in(lab, "lab_op")
    assert "/screening/lab/" in lab.url  # the lab lands on its work
    lab.shot("lab-home")
    lab.click("a.btn.primary")  # receive boxes
    lab.fill("input[name=given_by]", "快递李四")
    lab.fill("input[name=received_by]", "检测员王五")
    lab.click("form:has(input[name=given_by]) button")
    lab.wait_for_selector("form.confirm-yes")  # the two-party signature cannot be undone: asked first
    assert "实验室接收 箱 BOX-1" in lab.text_content("main")
    lab.click("form.confirm-yes button")
    lab.wait_for_load_state()
    assert "已接收 箱 BOX-1，3 管" in lab.text_content("main")
    assert "快递李四 → 检测员王五" in lab.text_content("main")

    # --- the lab's file: a positive and two mistakes, refused whole; then corrected ---------
    lab.goto(lab.base + "/screening/lab/")
    bad = sheet([("T0001", "阳性", 28.5, 30.1), ("T0002", "阴 性", None, None), ("T0009", "阴性", None, None)])
    lab.set_input_files("#f", files=[{"name": "结果.xlsx", "buffer": bad, "mimeType": "application/octet-stream"}])
    lab.click("form[enctype] button.primary")
    lab.wait_for_selector(".file-errors")
    assert lab.locator(".file-errors li").count() == 2
    lab.shot("lab-file-refused")
    assert api_get(staff, f"/screening/rounds/{rnd}/followups")["count"] == 0
    good = sheet([("T0001", "阳性", 28.5, 30.1), ("T0002", "阴性", None, None), ("T0003", "阴性", None, None)])
    lab.set_input_files("#f", files=[{"name": "结果-改.xlsx", "buffer": good, "mimeType": "application/octet-stream"}])
    lab.click("form[enctype] button.primary")
    lab.wait_for_selector(".card.highlight")
    lab.shot("lab-file-saved")

    # --- the positive, on the staff's home at once --------------------------------------------
    staff.goto(staff.base + "/")
    held = [f["resident"]["name"] for f in api_get(staff, f"/screening/rounds/{rnd}/followups")["results"]]
    assert len(held) == 5
    main = staff.text_content("main")
    assert "T0001" in main and all(n in main for n in held), main[:1500]
    staff.shot("staff-home-positive")

    # --- re-test at home, one tube each ------------------------------------------------------
    staff.goto(staff.base + f"/screening/rounds/{rnd}/followups/")
    for i in range(5):
        staff.fill("form:has(input[name=followup]) input[name=barcode] >> nth=0", f"S{i:04d}")
        staff.click("form:has(input[name=followup]) button >> nth=0")
        staff.wait_for_selector("form.confirm-yes")  # which tube to whom, asked first
        assert f"将试管 S{i:04d} 记为" in staff.text_content("main")
        staff.click("form.confirm-yes button")
        staff.wait_for_load_state()
    assert staff.locator("input[name=followup]").count() == 0
    staff.shot("followups-resampled")
    lab.goto(lab.base + "/screening/lab/")
    retests = sheet([(f"S{i:04d}", "阳性" if i == 0 else "阴性", None, None) for i in range(5)])
    lab.set_input_files("#f", files=[{"name": "复检.xlsx", "buffer": retests, "mimeType": "application/octet-stream"}])
    lab.click("form[enctype] button.primary")
    lab.wait_for_selector(".card.highlight")
    # the lab sees at once that one re-test is a confirmed case (the community is told)
    assert "单采复核：5 管，其中阳性（确诊病例，已通知社区）：1 人" in lab.text_content(".card.highlight")
    rows = api_get(staff, f"/screening/rounds/{rnd}/followups")["results"]
    # the case's housemates among the four are close contacts, never "released"
    assert sorted(f["status"] for f in rows) == sorted(["case"] + [
        "close_contact" if f["close_contact"] else "released" for f in rows if f["status"] != "case"])
    staff.goto(staff.base + "/")
    alert = staff.text_content("#positive-alert")
    assert "单采复核阳性" in alert and "S0000" in alert, alert
    staff.shot("staff-home-case")

    # --- the figures: the round page and the missing list say what the API says --------------
    cov = api_get(staff, f"/screening/rounds/{rnd}/coverage?place={town.community.id}")
    staff.goto(staff.base + f"/screening/rounds/{rnd}/")
    stats = staff.text_content("#live .stats")
    assert f"{cov['sampled']} / {cov['to_sample']}" in stats and str(cov["missing"]) in stats, stats
    staff.shot("round-figures")
    staff.click("#live .stats a >> nth=1")  # the missing figure opens the missing list
    staff.wait_for_load_state()
    assert re.search(rf"\b{cov['missing']}\b", staff.text_content("h1")), staff.text_content("h1")
    staff.shot("missing-list")

    # --- 23:00, 召集: volunteers for the morning ----------------------------------------------
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    night = morning(tomorrow - datetime.timedelta(days=1), 23)
    monkeypatch.setattr(timezone, "now", lambda: night)
    # A session ends after 12 idle hours: 23:00 is that far ahead of the real clock or not,
    # by the hour the suite runs (near 11:00 it was just under, and the login page, seeing a
    # live session, showed no form). The worker logs in afresh at 23:00 either way.
    switch_to(staff, "staff_a")
    # the community's poster (报到) is printed and put up; a neighbour scans it with their
    # phone and registers, finding their home by the address as they say it
    from PIL import Image

    staff.goto(staff.base + f"/volunteers/c/{town.community.id}/poster/")
    scanned = qr_texts(Image.open(staff.shot("join-poster")))
    assert len(scanned) == 1 and "/join/" in scanned[0], scanned
    neighbour = phones("neighbour")
    neighbour.goto(neighbour.base + re.sub(r"^https?://[^/]+", "", scanned[0]))
    phone_no = "13900000001"
    neighbour.fill("#f-name", "志愿者甲")
    neighbour.fill("#f-phone", phone_no)
    neighbour.click("button:has-text('发送验证码')")
    expect(neighbour.locator("#code-sent")).not_to_be_empty()
    neighbour.fill("#f-code", texted_code(phone_no))
    neighbour.fill("#f-id", pii.make_id_number("140106", datetime.date(1980, 1, 1), 1))
    neighbour.fill("#f-home-q", "1-1-301")
    neighbour.wait_for_selector("#homes input[name=household]")
    assert neighbour.locator("#homes input[name=household]").count() == 1
    assert "1号楼 1单元 301" in neighbour.text_content("#homes")
    neighbour.check("input[name=consent]")
    wide_enough(neighbour)
    neighbour.shot("join-form")
    neighbour.click("button:has-text('提交报到')")
    neighbour.wait_for_load_state()
    assert "志愿者甲" in neighbour.text_content("main")
    neighbour.shot("joined")
    staff.goto(staff.base + f"/volunteers/c/{town.community.id}/people/")
    staff.click("li.person-card:has-text('志愿者甲') button[value=approve]")
    staff.wait_for_load_state()
    staff.shot("volunteer-approved")

    staff.goto(staff.base + f"/volunteers/c/{town.community.id}/calls/new/")
    staff.select_option("#f-task", "sampling")
    staff.fill("#f-title", "明早7点 核酸采样")
    # no place is chosen for her (an urgent call must not go to "the first grid" by default)
    staff.select_option("#f-place", label=next(t for t in staff.locator("#f-place option").all_inner_texts()
                                               if "1号楼" in t))
    staff.fill("#f-start", f"{tomorrow}T07:00")
    staff.fill("#f-end", f"{tomorrow}T11:00")
    staff.fill("#f-slots", "2")
    staff.fill("#f-briefing", "6:45 到 1号楼下集合")
    wide_enough(staff)
    staff.shot("call-form")
    staff.click("button:has-text('发布召集令')")
    staff.wait_for_selector("form.confirm-yes")  # it texts people at once: asked first
    staff.shot("call-asked")
    staff.click("form.confirm-yes button")
    staff.wait_for_load_state()
    staff.shot("call-published")
    m = re.search(r"/calls/(\d+)/", staff.url)
    assert m, (staff.url, staff.text_content("main")[:800])
    call = int(m.group(1))

    vol = phones("volunteer")
    vol.goto(vol.base + "/volunteers/login/")
    vol.fill("#f-phone", phone_no)
    vol.click("button.primary")
    vol.wait_for_selector("#f-code")
    vol.fill("#f-code", texted_code(phone_no))
    vol.click("button.primary")
    vol.wait_for_load_state()
    vol.shot("volunteer-home")
    vol.click("a:has-text('明早7点 核酸采样')")
    vol.click("form[action$='/sign-up/'] button")
    vol.wait_for_selector("#answer")
    vol.shot("volunteer-signed-up")

    # the call's QR is printed at the building; at 06:55 the volunteer scans it
    staff.goto(staff.base + f"/volunteers/calls/{call}/qr/")
    scanned = qr_texts(Image.open(staff.shot("call-qr")))
    assert len(scanned) == 1 and "/volunteers/scan/" in scanned[0], scanned
    monkeypatch.setattr(timezone, "now", lambda: morning(tomorrow, 6, 55))
    vol.goto(vol.base + re.sub(r"^https?://[^/]+", "", scanned[0]))
    vol.shot("scan-page")
    vol.click("button[name=op][value=in]")
    vol.wait_for_load_state()
    assert "06:55" in vol.text_content("main")
    vol.shot("checked-in")
    # 10:55, done: the same code again, and the phone says what will be credited first
    monkeypatch.setattr(timezone, "now", lambda: morning(tomorrow, 10, 55))
    vol.goto(vol.base + re.sub(r"^https?://[^/]+", "", scanned[0]))
    vol.click("button[name=op][value=out]")
    vol.wait_for_load_state()
    assert "4.0" in vol.text_content("main")
    vol.shot("check-out-asks")
    vol.click("form.confirm-yes button")
    vol.wait_for_load_state()
    assert "4.0" in vol.text_content("main")
    vol.shot("checked-out")
    assert not (staff.problems or lab.problems or vol.problems)
