"""On a phone (390×844): two carriers on one run (found on a phone: the second carrier's page
still offered a door the first had delivered, with its buttons, and said "还剩 18 户" where the
server had 16; the tap was refused with "这一户已经确认过了"). After each sync the page reads
the run again from the server: the other carrier's door loses its buttons and shows its
state, the count is the server's, and the last door says how the run ended. The badge says
online or offline (the shared queue.js netBadge, as at the sampling station).
Screenshots: test-output/screenshots/services-two-*."""

import uuid

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fangkong.services.actions import delivery, handoff, orders
from fangkong.services.models import Stop
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_second_carriers_page_follows_the_server_after_each_sync(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    first, second, third = Stop.objects.filter(run=run).order_by("position")

    log_in(page, "staff_a")  # the second carrier: a community worker helping on the stairs
    page.goto(f"{page.base}/services/runs/{run.id}/")
    expect(page.locator("#net")).to_have_text("在线")
    assert "还剩 3 户" in page.inner_text("#left")
    page.wait_for_load_state("networkidle")  # its first read of the run is done
    # meanwhile the team's volunteer delivers 101 from their own phone
    delivery.confirm_stop(vol, first, delivered=True, client_id=uuid.uuid4())
    page.shot("services-two-01-stale")
    row = page.locator(f"#stop-{first.id}")
    expect(row.locator("button[name=delivered][value='1']")).to_be_visible()  # stale until the next sync

    # she taps 101 on her stale page: refused (already confirmed), the list is read again and
    # 101 reads as it is — delivered — not as a refusal
    row.locator("button[name=delivered][value='1']").click()
    expect(page.locator("#waiting")).to_have_text("0", timeout=15_000)
    expect(row.locator("form")).to_have_count(0)  # 101: no buttons any more
    expect(row.locator(".badge.state")).to_have_text("已送达")
    expect(row).not_to_contain_text("✗")
    # she delivers 102: after its seconds it is sent, and the list is read again
    page.locator(f"#stop-{second.id} button[name=delivered][value='1']").click()
    expect(page.locator("#waiting")).to_have_text("0", timeout=15_000)
    expect(page.locator("#left")).to_contain_text("还剩 1 户")  # the server's count
    page.shot("services-two-02-synced")

    # the stairwell: offline is said; the last door, not answered, waits on the phone
    page.context.set_offline(True)
    page.evaluate("window.dispatchEvent(new Event('offline'))")
    expect(page.locator("#net")).to_have_text("离线：送达记录保存在本机")
    last = page.locator(f"#stop-{third.id}")
    last.locator("summary").click()
    last.locator("select[name=why]").select_option("no_answer")
    last.locator("input[name=reason]").fill("敲门无人应答")
    last.locator("button[name=delivered][value='0']").click()
    expect(page.locator("#waiting")).to_have_text("1", timeout=15_000)
    page.shot("services-two-03-offline")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator("#net")).to_have_text("在线")
    expect(page.locator("#waiting")).to_have_text("0", timeout=15_000)
    expect(page.locator("#left")).to_have_text("配送结束，1 户未送达")
    page.shot("services-two-04-ended")
    assert Stop.objects.get(pk=third.pk).state == "failed"
    # the refused tap's 409 is the browser's own note of it; nothing else went wrong
    assert not [p for p in page.problems if "ERR_INTERNET_DISCONNECTED" not in p and "409" not in p], page.problems
