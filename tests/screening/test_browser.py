"""The scanning station in a phone-sized browser: a hand scanner types codes + Enter; the
tube closes at its pool size; offline, scans wait on the phone and are sent when the
network returns, with conflicts listed. Screenshots in test-output/screenshots/."""

import uuid

import pytest
from playwright.sync_api import expect

from fangkong.core.actor import Actor
from fangkong.screening.actions import station
from fangkong.screening.models import Conflict, Sample, Tube
from tests.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(page, text):
    page.fill("#scan-input", text)
    page.press("#scan-input", "Enter")


def test_station_scans_online_then_offline_and_syncs(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    # online: open a tube of 3, scan two people; the third scan of the same person is refused
    scan(page, "T0001")
    expect(page.locator("#tube-left")).to_have_text("3")
    scan(page, world.su.token)
    expect(page.locator("#tube-left")).to_have_text("2")
    scan(page, world.yu.token)
    expect(page.locator("#tube-left")).to_have_text("1")
    page.shot("screening-station-online")
    assert Sample.objects.count() == 2
    # a person from the other community: asked to confirm
    scan(page, world.other_person.token)
    page.wait_for_selector("#confirm-box:not([hidden])")
    page.shot("screening-station-confirm")
    page.click("#confirm-no")

    # offline: the tube fills and closes on the phone, the next tube opens locally
    page.context.set_offline(True)
    scan(page, world.xia.token)  # fills T0001 → sealed locally
    expect(page.locator("#tube-label")).not_to_contain_text("T0001")
    scan(page, "T0002")
    scan(page, world.su.token)  # sampled at this table before: the phone itself refuses
    expect(page.locator("#say")).to_have_class("say bad")
    # meanwhile another table registers 王新勇, whom this phone then scans offline
    other = Actor.system(world.users.grid)
    station.open_tube(other, rnd, "G0001")
    station.scan(other, rnd, client_id=str(uuid.uuid4()), barcode="G0001", person=world.wang.token)
    scan(page, world.wang.token)
    expect(page.locator("#waiting")).to_have_text("4")  # 3 scans, and the seal of full T0001
    page.shot("screening-station-offline")
    assert Sample.objects.count() == 3  # nothing from this phone reached the server

    # back online: the queue goes in one batch; the duplicate comes back as a conflict
    page.context.set_offline(False)
    expect(page.locator("#waiting")).to_have_text("0")
    page.wait_for_selector("#conflicts li")
    page.shot("screening-station-synced")
    # T0002 holds 王新勇's swab, kept as a conflict: 2 places left, not the server's 3
    expect(page.locator("#tube-left")).to_have_text("2")
    expect(page.locator("#conflicts")).to_contain_text("王新勇")
    # the table's list says what became of each scan kept on the phone: none still "kept"
    recent = page.locator("#recent li")
    expect(recent.filter(has_text="已存本机")).to_have_count(0)
    expect(page.locator("#recent li.bad").filter(has_text="王新勇")).to_have_count(1)  # the reason
    expect(page.locator("#recent li.good").filter(has_text="T0002")).to_have_count(0)
    expect(page.locator("#recent li.good").filter(has_text="夏明")).to_have_count(1)  # registered
    assert Sample.objects.count() == 4
    assert Tube.objects.get(round=rnd, barcode="T0001").state == "sealed"
    assert Tube.objects.get(round=rnd, barcode="T0001").count == 3
    assert Tube.objects.get(round=rnd, barcode="T0002").count == 0
    assert Conflict.objects.get().kind == "already_sampled"
    # a reload keeps the table's list and sends nothing twice
    page.reload()
    page.wait_for_selector("#conflicts li")
    assert Sample.objects.count() == 4
    # expected: the refusal itself (409) and requests tried while the phone was offline
    problems = [p for p in page.problems if "status of 409" not in p and "INTERNET_DISCONNECTED" not in p]
    assert problems == [], problems


def test_a_scan_before_the_page_is_ready_is_not_lost(phone_page, world, rnd):
    """A scanner fires as the page loads: the form goes the plain way as ?code=…; the
    station opens that tube once it is ready and takes the code off the address."""
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/?code=t0007")
    expect(page.locator("#tube-label")).to_contain_text("T0007")
    page.wait_for_selector("#station[data-ready='1']")
    assert "code=" not in page.url
    assert Tube.objects.filter(barcode="T0007").exists()
    page.reload()  # a reload does not open it twice or say it was already open
    page.wait_for_selector("#station[data-ready='1']")
    expect(page.locator("#tube-label")).to_contain_text("T0007")
    assert Tube.objects.filter(barcode="T0007").count() == 1


def test_a_sampler_taken_off_the_table_is_told_why_on_the_station(phone_page, world, rnd):
    """Found walking the demo: a volunteer taken off their table while the station was open
    got "未找到。" for every scan. The station now says its page is no longer open to them,
    and that what was not sent stays on the phone."""
    from fangkong.screening.actions import planning

    system = Actor.system()
    planning.assign_sampler(system, rnd, world.point, world.users.volunteer, 1)
    page = phone_page
    log_in(page, "volunteer_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    scan(page, "V0001")
    expect(page.locator("#tube-left")).to_have_text("3")
    planning.remove_sampler(system, rnd, rnd.samplers.get(user=world.users.volunteer).id)
    scan(page, world.su.token)
    expect(page.locator("#say")).to_contain_text("不再对您开放")
    expect(page.locator("#say")).to_have_class("say bad")
    page.shot("screening-station-taken-off")
    assert not Sample.objects.exists()


def test_the_station_tells_times_on_the_communitys_clock_whatever_the_phones(phone_page, world, rnd):
    """Found walking the demo: a phone set to UTC said "already scanned here (… 07:32)" for
    15:32 in Taiyuan. The station says times in the site's time zone."""
    import re

    from django.utils import timezone

    ctx = phone_page.context.browser.new_context(viewport={"width": 390, "height": 844},
                                                 locale="zh-CN", timezone_id="UTC")
    try:
        page = ctx.new_page()
        page.base = phone_page.base
        log_in(page, "staff_a")
        page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
        page.wait_for_selector("#scan-input")
        scan(page, "T0001")
        expect(page.locator("#tube-left")).to_have_text("3")
        scan(page, world.su.token)
        expect(page.locator("#tube-left")).to_have_text("2")
        scan(page, world.su.token)  # again at this table: who, which tube, when
        expect(page.locator("#say")).to_contain_text("已在本台扫过")
        shown = re.search(r"(\d\d):(\d\d)", page.locator("#say").text_content().split("T0001")[1]).groups()
        here = timezone.localtime()
        assert abs(int(shown[0]) * 60 + int(shown[1]) - (here.hour * 60 + here.minute)) <= 2, shown
    finally:
        ctx.close()
