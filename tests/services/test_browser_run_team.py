"""On a phone (390×844), late at night: the team on duty signed the hand-off at the gate; the
community worker's home says "1 批物资待分配" with how long it has waited, one tap opens it,
she splits it, opens building 1's run and hands it over from 封控五组 (whose volunteers were
sent home) to 封控三组 — asked first, then told on the page who carries it now.
Screenshots: test-output/screenshots/services-team-*."""

import pytest
from django.utils import timezone

from fangkong.notify.models import Notification
from fangkong.services.actions import handoff, orders
from fangkong.services.models import Run
from fangkong.volunteers.actions import teams
from tests.conftest import actor_for, log_in
from tests.services.conftest import build_services, volunteer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _fits(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_worker_splits_the_waiting_batch_and_gives_a_run_to_another_team(phone_page, world):
    w, page = world, phone_page
    svc = build_services(w)
    staff = actor_for(w.users.staff)
    for h in (w.hh101, w.hh102, w.hh201):
        orders.place_order(staff, h, svc.supplier, [(svc.veg.id, 1)])
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")  # the team at the gate signs: staff are told
    lead = volunteer(w, 11)
    other = teams.create_team(staff, w.community, "封控三组", leader=lead)
    volunteer(w, 12, other)

    log_in(page, "staff_a")
    assert page.url.endswith(f"/places/{w.community.id}/")
    panel = page.locator("#to-split")
    assert "1 批物资待分配" in panel.inner_text() and "3 户在等" in panel.inner_text()
    _fits(page)
    panel.scroll_into_view_if_needed()
    page.shot("services-team-01-home-waits")
    panel.locator("a").first.click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/services/batches/{batch.id}/")
    page.click("#split")
    page.wait_for_selector(".confirm")
    page.click("text=是，分配配送")
    page.wait_for_load_state()
    run = Run.objects.get(batch=batch)
    page.click(f"a[href='/services/runs/{run.id}/']")
    page.wait_for_load_state()

    give = page.locator("#give")
    assert "封控五组" in give.inner_text()
    _fits(page)
    page.shot("services-team-02-run")
    page.select_option("#f-team", str(other.id))
    page.click("#give-team")
    page.wait_for_selector(".confirm")
    asked = page.inner_text("main")
    assert "把1号楼的配送交给封控三组？" in asked and "将从封控五组手中收回" in asked
    assert "还有 3 户待送。" in asked and "封控三组的 2 名志愿者会立即收到通知" in asked
    _fits(page)
    page.shot("services-team-03-asked")
    page.click("text=是，交给封控三组")
    page.wait_for_load_state()
    assert "已交给封控三组：已通知 2 名队员。" in page.inner_text("main")
    assert "封控三组" in page.inner_text("#holder")
    _fits(page)
    page.shot("services-team-04-given")
    run.refresh_from_db()
    assert run.team_id == other.id
    assert Notification.objects.filter(user=lead.user, kind="services.run").count() == 1
    assert not page.problems, page.problems
