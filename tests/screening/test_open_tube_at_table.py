"""A second phone at a table sees the table's open tube (walk_lab 10: at 1号台 GM00032 held
3 swabs; the station opened in a new browser — a borrowed phone, the app reinstalled — read
"未开管", "提前封管" disabled, and a new tube scanned there left GM00032 open, its people
counted sampled and its result refused until sealed). The page lists the tubes the server
holds open at the table; "继续装管" re-opens one; a relief sampler at the same table may go on
filling it (audited), a sampler at another table may not."""

import pytest
from playwright.sync_api import expect

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict
from fangkong.screening.actions import station
from fangkong.screening.models import Tube
from tests.conftest import log_in, make_user
from tests.screening.test_browser import scan


@pytest.mark.django_db
def test_the_page_lists_the_tables_open_tubes(world, rnd, login):
    staff = Actor.system(world.users.staff)
    t, _ = station.open_tube(staff, rnd, "T0001", point=world.point.id, table=1)
    Tube.objects.filter(pk=t.pk).update(count=1)
    c = login(world.users.staff)
    page = c.get(f"/screening/rounds/{rnd.id}/station/?point={world.point.id}&table=1").content.decode()
    assert 'id="station-open-here"' in page and '"barcode": "T0001"' in page
    other = c.get(f"/screening/rounds/{rnd.id}/station/?point={world.point.id}&table=2").content.decode()
    assert '"barcode": "T0001"' not in other  # another table's tube is not offered


@pytest.mark.django_db
def test_a_relief_sampler_at_the_same_table_goes_on_filling_it_another_table_may_not(world, rnd):
    first = Actor.system(world.users.staff)
    relief_user = make_user(Actor.system(), "staff_relief", Role.STAFF, world.community)
    relief = Actor.system(relief_user)
    t, _ = station.open_tube(first, rnd, "T0001", point=world.point.id, table=1)
    Tube.objects.filter(pk=t.pk).update(count=2)  # two swabs in it
    with pytest.raises(Conflict):
        station.open_tube(relief, rnd, "T0001", point=world.point.id, table=2)
    again, resumed = station.open_tube(relief, rnd, "T0001", point=world.point.id, table=1)
    assert resumed and again.pk == t.pk and again.opened_by_id == relief_user.id and again.count == 2
    assert AuditEvent.objects.filter(action="screening.tube.take_over").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_fresh_phone_offers_to_go_on_filling_the_tables_open_tube(phone_page, world, rnd):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/station/")
    page.wait_for_selector("#scan-input")
    scan(page, "T0001")
    expect(page.locator("#tube-label")).to_contain_text("T0001")
    scan(page, world.su.token)
    expect(page.locator("#tube-left")).to_have_text("2")
    expect(page.locator("#open-here")).to_be_hidden()  # this phone has it open: nothing to offer
    page.evaluate("localStorage.clear()")  # the app reinstalled, or another phone
    page.reload()
    page.wait_for_selector("#scan-input")
    expect(page.locator("#tube-label")).to_have_text("未开管")
    offer = page.locator("#open-here")
    expect(offer).to_be_visible()
    expect(offer).to_contain_text("本台试管 T0001 尚未封管，已有 1/3 人")
    page.shot("screening-station-open-tube-offered")
    offer.get_by_role("button", name="继续装管 T0001").click()
    expect(page.locator("#tube-label")).to_contain_text("T0001")
    expect(page.locator("#tube-left")).to_have_text("2")
    expect(offer).to_be_hidden()
    scan(page, world.yu.token)
    expect(page.locator("#tube-left")).to_have_text("1")
    assert Tube.objects.get(round=rnd, barcode="T0001").count == 2
    assert Tube.objects.filter(round=rnd).count() == 1
    assert not page.problems, page.problems
