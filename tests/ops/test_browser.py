"""What a community worker sees on a phone after a server died under an import, and after
a round's personal data was erased (390×844, real Chromium; screenshots in
test-output/screenshots/ — look at them)."""

import datetime
import subprocess
import sys

import pytest
from django.utils import timezone

from fangkong.ops.recovery import recover
from fangkong.registry.importer import create_job
from fangkong.registry.models import ImportJob
from fangkong.screening.actions import planning
from fangkong.screening.actions.sync import sync
from tests.conftest import actor_for, log_in
from tests.ops.test_recovery import roster

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def dead_runner():
    from fangkong.ops import processes

    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    return f"{processes.host()}|{int(child.stdout)}|1.deadbeef"


def test_an_import_whose_server_died_says_it_is_tried_again_then_that_it_failed(
        phone_page, world, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker here
    page = phone_page
    job = create_job(actor_for(world.users.staff), world.community, "光明社区花名册.xlsx", roster())
    ImportJob.objects.filter(pk=job.pk).update(status="writing", runner=dead_runner(), attempts=1,
                                               started_at=timezone.now())
    recover()
    log_in(page, "staff_a")
    page.goto(f"{page.base}/imports/{job.id}/")
    notice = page.locator("#progress .msg.warn")
    assert "第 2 次，共 3 次" in notice.inner_text()
    assert page.locator("#progress progress").is_visible()  # still on its way
    page.shot("ops-import-retrying")

    ImportJob.objects.filter(pk=job.pk).update(status="reading", runner=dead_runner(), attempts=3)
    recover()
    page.wait_for_selector("#progress .error", timeout=10_000)  # the page polls every second
    assert "停止了 3 次" in page.locator("#progress .error").inner_text()
    assert page.locator("a.btn", has_text="重新上传").is_visible()
    page.shot("ops-import-failed")
    assert page.problems == []


def test_an_erased_round_says_so_above_its_kept_figures(phone_page, world, system):
    from fangkong.ops.erasure import erase
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind

    point_place = reg.create_place(system, world.community, Kind.SAMPLING_POINT, "光明广场采样点")
    now = timezone.now()
    rnd = planning.plan_round(system, world.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=3),
        "ends_at": now - datetime.timedelta(hours=1), "pool_size": 3}, points=[(point_place, 1)])
    planning.set_status(system, rnd, "running")
    planning.assign_sampler(system, rnd, rnd.points.get(), world.users.volunteer)
    sync(actor_for(world.users.volunteer), rnd, [
        {"client_id": "00000000-0000-4000-8000-000000000001", "type": "open", "barcode": "T0001"},
        {"client_id": "00000000-0000-4000-8000-000000000002", "type": "scan", "barcode": "T0001",
         "person": world.su.token}])
    planning.set_status(system, rnd, "closed")
    rnd.refresh_from_db()
    erase(rnd=rnd, dry_run=False)

    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/screening/rounds/{rnd.id}/")
    assert "该轮检测的个人信息已于" in page.locator(".msg.warn").inner_text()
    assert "1 / 4" in page.locator(".stats").inner_text()  # su sampled, of four
    page.shot("ops-round-erased")
    assert page.problems == []
