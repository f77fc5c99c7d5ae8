"""On a phone (390×844, real Chromium, Chinese): a roster with a 300,000-character cell and a
lab file that is a zip bomb are refused on the page itself, saying where and what to do;
the form stays there for the right file. Screenshots in test-output/screenshots/."""

import pytest

from fangkong.registry.models import ImportJob, Resident
from fangkong.screening.models import LabResult

from ..conftest import log_in
from . import files

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def refused_problems(page) -> list:
    """Console errors, but the browser's own note that the page answered 422 (as meant)."""
    return [p for p in page.problems if "status of 422" not in p]


def upload(page, selector, name, content):
    page.set_input_files(selector, files=[{"name": name, "buffer": content,
                                           "mimeType": "application/octet-stream"}])


def test_a_roster_with_a_huge_cell_is_refused_on_the_import_page(phone_page, world):
    page = phone_page
    log_in(page, "staff_a")
    page.goto(f"{page.base}/places/{world.community.id}/import/")
    upload(page, "#f-file", "花名册.csv", files.csv_huge_cell())
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("text=检查文件")
    assert answer.value.status == 422
    error = page.locator("p.error[role=alert]")
    assert error.text_content().startswith("第 3 行第 D 列超过 32767 个字符")
    assert page.locator("#f-file").is_visible()  # choose the corrected file right there
    page.shot("hostile-01-roster-huge-cell")
    assert Resident.objects.count() == 5 and not ImportJob.objects.filter(status="done").exists()
    assert not refused_problems(page), page.problems


def test_a_zip_bomb_is_refused_on_the_lab_page(phone_page, world):
    page = phone_page
    log_in(page, "lab_op")
    page.goto(f"{page.base}/screening/lab/")
    upload(page, "#f", "结果.xlsx", files.zip_bomb())
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button.primary")
    assert answer.value.status == 422
    assert "压缩炸弹" in page.locator("p.error").text_content()
    page.shot("hostile-02-lab-zip-bomb")
    assert LabResult.objects.count() == 0
    assert not refused_problems(page), page.problems
