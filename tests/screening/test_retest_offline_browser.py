"""On a phone (390×844) in Chromium: the single re-test recorded at the door with no network,
as the station works (walk_lab 5: "the form is online only"). Asked on the row first, kept
on the phone ("待上传"), sent once when the network is back; a refusal is kept with its
reason (kept in IndexedDB by queue.js: a page closed meanwhile sends them when opened
again, tested with the station's queue). Screenshots: test-output/screenshots/followups-offline-*.png."""

import pytest
from playwright.sync_api import expect

from fangkong.screening.models import FollowUp, Sample, Tube
from tests.conftest import log_in

from .test_alert import positive_pool

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_re_test_recorded_offline_is_sent_once_when_back_online(phone_page, world, rnd):
    positive_pool(world, rnd)  # 苏霞 and 于海涛 held
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/followups/")
    expect(page.locator("#fu-netline")).to_be_hidden()  # online, nothing kept: the page as it was
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(page.locator("#fu-net")).to_contain_text("离线")

    su = page.locator("li.row", has_text="苏霞")
    su.locator("input[name=barcode]").fill("rt0021")
    su.locator("form.retest button").click()
    # asked on the row first, as the server's page asks
    expect(su.locator("p.ask")).to_contain_text("将试管 RT0021 记为 苏霞 的单采复核？")
    page.shot("followups-offline-1-asked")
    su.locator("form.retest button").click()
    expect(su.locator(".badge.pending")).to_have_text("待上传 · RT0021")
    expect(su.locator("form.retest")).to_be_hidden()
    # 于海涛 gets the same tube by mistake: the phone knows it is kept for 苏霞, at once
    yu = page.locator("li.row", has_text="于海涛")
    yu.locator("input[name=barcode]").fill("RT0021")
    yu.locator("form.retest button").click()
    expect(page.locator("#fu-say")).to_have_text("试管 RT0021 已在本机记给 苏霞（待上传）：请换一支试管。")
    expect(yu.locator("p.ask")).to_have_count(0)
    expect(page.locator("#fu-waiting")).to_have_text("1")
    # then the barcode of a tube the round used already (the pooled one): kept, refused by the server later
    yu.locator("input[name=barcode]").fill("T0001")
    yu.locator("form.retest button").click()
    yu.locator("form.retest button").click()
    expect(yu.locator(".badge.pending")).to_have_text("待上传 · T0001")
    expect(page.locator("#fu-waiting")).to_have_text("2")
    page.shot("followups-offline-2-kept")
    assert not Tube.objects.filter(round=rnd, barcode="RT0021").exists()  # nothing sent yet

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#fu-waiting")).to_have_text("0", timeout=15_000)
    su = page.locator("li.row", has_text="苏霞")
    expect(su.locator(".badge.pending")).to_have_text("复核试管 RT0021")
    expect(su.locator("[data-state]")).to_have_attribute("data-state", "resampled")
    # the second one refused, with the server's reason, and 于海涛's form back
    expect(page.locator("#fu-refused")).to_contain_text("于海涛 · T0001 — 试管 T0001 在本轮已被使用。")
    yu = page.locator("li.row", has_text="于海涛")
    expect(yu.locator("form.retest")).to_be_visible()
    page.shot("followups-offline-3-sent")
    assert Tube.objects.filter(round=rnd, barcode="RT0021").count() == 1
    su_fu = FollowUp.objects.get(round=rnd, resident=world.su)
    assert su_fu.status == "resampled" and su_fu.retest_tube.barcode == "RT0021"
    assert Sample.objects.filter(round=rnd, retest=True).count() == 1  # recorded once
    assert FollowUp.objects.get(round=rnd, resident=world.yu).status == "awaiting"

    # the refusal stays across a reload until it is noted
    page.reload()
    expect(page.locator("#fu-refused")).to_contain_text("在本轮已被使用")
    page.locator("#fu-refused button").click()
    expect(page.locator("#fu-refused")).to_be_hidden()
    expect(page.locator("#fu-netline")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not [p for p in page.problems if "status of 409" not in p], page.problems  # the refused one


def test_staff_take_a_tube_off_the_wrong_person_asked_first(phone_page, world, rnd):
    from fangkong.core.actor import Actor
    from fangkong.screening.actions import followup

    positive_pool(world, rnd)
    followup.record_retest(Actor.system(world.users.staff), FollowUp.objects.get(round=rnd, resident=world.su), "RT0011")
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/followups/")
    su = page.locator("li.row", has_text="苏霞")
    su.locator("details.detach summary").click()
    su.locator("input[name=reason]").fill("记错人")
    page.shot("followups-detach-1-row")
    su.locator("details.detach button").click()
    expect(page.locator("#confirm-title")).to_have_text("将试管 RT0011 从 苏霞 名下撤下？")
    expect(page.locator(".confirm")).to_contain_text("撤下后该人仍须复核。")
    page.shot("followups-detach-2-confirm")
    page.locator("form.confirm-yes button").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("试管 RT0011 已从 苏霞 名下撤下")
    expect(page.locator("li.row", has_text="苏霞").locator("form.retest")).to_be_visible()
    page.shot("followups-detach-3-done")
    assert FollowUp.objects.get(round=rnd, resident=world.su).status == "awaiting"
    assert not page.problems, page.problems
