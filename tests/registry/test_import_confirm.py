"""Check first, then write: an upload only reads, checks and plans the roster; the job waits,
"checked", with a summary of what the write will do, and only “确认导入” writes (a worker at
2 a.m. who picked last week's file, or the wrong community's, sees it before it is written).
The summary is counted by the plan that writes; a registry changed between the check and the
confirmation is asked again; a second tap writes nothing more; “放弃” writes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.audit.models import AuditEvent
from fangkong.registry import actions as reg
from fangkong.registry import importer
from fangkong.registry.models import Household, ImportJob, Place, Resident
from tests.conftest import actor_for
from tests.registry.test_import import csv_bytes, new_id, person

CHECKED, DONE = ImportJob.Status.CHECKED, ImportJob.Status.DONE
DISCARDED = ImportJob.Status.DISCARDED


def _registry():
    return (Place.objects.count(), Household.objects.count(), Resident.objects.count(),
            AuditEvent.objects.filter(action="registry.import").count())


def _upload(user, place, rows):
    return importer.start_import(actor_for(user), place, "roster.csv", csv_bytes(rows))


@pytest.fixture
def registered(world):
    """Three people imported (and confirmed) into 1号楼1单元 701, 702, 703."""
    rows = [person(1, "甲一", new_id(1, 1970), "701", relation="户主"),
            person(2, "乙二", new_id(2, 1971), "702", relation="户主", phone="13900000002"),
            person(3, "丙三", new_id(3, 1972), "703", relation="户主")]
    job = _upload(world.users.staff, world.community, rows)
    assert job.status == CHECKED, job.errors[:3]
    job = importer.confirm_import(actor_for(world.users.staff), job, job.summary["digest"])
    assert job.status == DONE and job.created_count == 3
    return rows


def _second_roster(rows):
    """New, changed, unchanged and joining rows, and new places."""
    changed = list(rows[1])
    changed[4] = "13900000099"  # 乙二's phone
    return [rows[0], changed, rows[2],
            person(4, "丁四", new_id(4, 1990), "701", relation="子女"),  # joins 甲一's household
            person(5, "戊五", new_id(5, 1991), "101", building="9号楼", relation="户主")]  # new places


def test_an_upload_writes_nothing_and_the_summary_is_what_confirming_writes(world, registered):
    staff = world.users.staff
    before = _registry()
    job = _upload(staff, world.community, _second_roster(registered))
    assert job.status == CHECKED and not job.is_finished and not job.is_running
    assert _registry() == before  # nothing written: no person, household, place, import event
    assert Resident.objects.get(name="乙二").phone == "13900000002"
    assert not Resident.objects.filter(name__in=["丁四", "戊五"]).exists()
    s = job.summary
    assert s["counts"] == {"created": 2, "updated": 1, "unchanged": 2, "households_created": 1,
                           "places_created": 2, "joined": 1, "kept": 0}
    assert s["changes"] == [{"row": 3, "name": "乙二", "address": "1号楼1单元702",
                             "fields": ["phone"], "diff": {"phone": ["139****0002", "139****0099"]}}]
    assert s["joins"] == [{"row": 5, "name": "丁四", "address": "1号楼1单元701"}]
    assert s["places"] == ["光明小区 9号楼", "9号楼 1单元"]

    job = importer.confirm_import(actor_for(staff), job, s["digest"])
    assert job.status == DONE
    places, households, residents, events = _registry()
    # the counts confirmed are the counts written, and what the database holds now
    assert (job.created_count, job.updated_count, job.unchanged_count, job.households_created,
            job.places_created, job.joined_count) == (2, 1, 2, 1, 2, 1)
    assert (places - before[0], households - before[1], residents - before[2], events - before[3]) \
        == (s["counts"]["places_created"], s["counts"]["households_created"],
            s["counts"]["created"], 1)
    assert Resident.objects.get(name="乙二").phone == "13900000099"
    assert Resident.objects.get(name="丁四").household == Resident.objects.get(name="甲一").household
    assert AuditEvent.objects.filter(action="resident.update").count() >= s["counts"]["updated"]


def test_discarding_writes_nothing_and_cannot_be_confirmed_after(world):
    before = _registry()
    job = _upload(world.users.staff, world.community, [person(1, "放弃者", new_id(11), "801")])
    job = importer.discard_import(actor_for(world.users.staff), job)
    assert job.status == DISCARDED and job.is_finished
    job = importer.confirm_import(actor_for(world.users.staff), job, job.summary["digest"])
    assert job.status == DISCARDED
    assert _registry() == before and not Resident.objects.filter(name="放弃者").exists()


def test_a_registry_changed_between_check_and_confirm_is_asked_again(world):
    staff = actor_for(world.users.staff)
    job = _upload(world.users.staff, world.community, [person(1, "新来", new_id(21), "802")])
    assert job.summary["counts"]["households_created"] == 1
    # meanwhile someone registers household 802 with a person in it
    hh = reg.create_household(staff, world.unit1, "802")
    reg.create_resident(staff, hh, {"name": "早到", "relation": "户主"})
    before = _registry()
    job = importer.confirm_import(staff, job, job.summary["digest"])
    assert job.status == CHECKED and job.asked_again  # shown again, not written blindly
    assert _registry() == before and not Resident.objects.filter(name="新来").exists()
    assert job.summary["counts"]["households_created"] == 0
    assert job.summary["counts"]["joined"] == 1
    assert "改变" in importer.messages.job_message(job) or "changed" in job.message
    # confirming the new summary writes it
    job = importer.confirm_import(staff, job, job.summary["digest"])
    assert job.status == DONE and job.joined_count == 1
    assert Resident.objects.get(name="新来").household == hh


def test_confirming_an_old_summary_writes_nothing(world, login):
    """A confirmation carries the summary it was given: after the job was planned again (the
    other tab confirmed into a changed registry), the old page's tap is asked again."""
    job = _upload(world.users.staff, world.community, [person(1, "旧页", new_id(31), "803")])
    c = login(world.users.staff)
    r = c.post(f"/imports/{job.id}/confirm/", {"digest": "0" * 64})
    assert r.status_code == 302 and r["Location"] == f"/imports/{job.id}/"
    job.refresh_from_db()
    assert job.status == CHECKED and not Resident.objects.filter(name="旧页").exists()
    r = c.post(f"/api/v1/imports/{job.id}/confirm", {"digest": "0" * 64})
    assert r.status_code == 409 and r.json()["error"]["code"] == "import_changed"
    assert r.json()["error"]["summary"]["counts"]["created"] == 1
    assert not Resident.objects.filter(name="旧页").exists()


def test_confirming_twice_writes_once(world, login):
    job = _upload(world.users.staff, world.community, [person(1, "两下", new_id(41), "804")])
    digest = job.summary["digest"]
    c = login(world.users.staff)
    first = c.post(f"/imports/{job.id}/confirm/", {"digest": digest})
    second = c.post(f"/imports/{job.id}/confirm/", {"digest": digest})  # the double tap
    assert first.status_code == second.status_code == 302
    api = c.post(f"/api/v1/imports/{job.id}/confirm", {"digest": digest})  # a retry
    assert api.status_code == 200 and api.json()["status"] == "done"
    assert Resident.objects.filter(name="两下").count() == 1
    assert AuditEvent.objects.filter(action="registry.import").count() == 1
    job.refresh_from_db()
    assert job.status == DONE and job.created_count == 1
    r = c.post(f"/api/v1/imports/{job.id}/discard")  # too late to discard
    assert r.status_code == 409 and r.json()["error"]["code"] == "import_not_checked"


def test_the_api_checks_then_confirms_through_the_same_actions(world, login):
    c = login(world.users.staff)
    content = csv_bytes([person(1, "接口", new_id(51), "805"), person(2, "接口二", new_id(52), "805",
                                                                    relation="子女")])
    r = c.post("/api/v1/imports", {"place": world.community.id,
                                   "file": SimpleUploadedFile("roster.csv", content)},
               headers={"Accept-Language": "en"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "checked" and body["finished"] is False
    assert body["summary"]["counts"]["created"] == 2 and body["summary"]["counts"]["households_created"] == 1
    assert body["confirm"] == f"/api/v1/imports/{body['id']}/confirm"
    assert body["counts"]["created"] == 0 and not Resident.objects.filter(name="接口").exists()
    r = c.post(body["confirm"], {"digest": body["summary"]["digest"]})
    assert r.status_code == 200, r.content
    done = r.json()
    assert done["status"] == "done" and done["summary"] is None
    assert done["counts"] == {**body["summary"]["counts"]}
    assert Resident.objects.filter(name__startswith="接口").count() == 2


def test_the_api_discards(world, login):
    c = login(world.users.staff)
    job = _upload(world.users.staff, world.community, [person(1, "接口弃", new_id(61), "806")])
    r = c.post(f"/api/v1/imports/{job.id}/discard")
    assert r.status_code == 200 and r.json()["status"] == "discarded"
    r = c.post(f"/api/v1/imports/{job.id}/confirm")
    assert r.status_code == 409 and not Resident.objects.filter(name="接口弃").exists()


def test_another_communitys_staff_gets_404_on_the_job_and_its_confirm(world, login):
    job = _upload(world.users.staff, world.community, [person(1, "别人", new_id(71), "807")])
    digest = job.summary["digest"]
    c = login(world.users.other_staff)
    assert c.get(f"/imports/{job.id}/").status_code == 404
    assert c.post(f"/imports/{job.id}/confirm/", {"digest": digest}).status_code == 404
    assert c.post(f"/imports/{job.id}/discard/").status_code == 404
    assert c.get(f"/api/v1/imports/{job.id}").status_code == 404
    assert c.post(f"/api/v1/imports/{job.id}/confirm", {"digest": digest}).status_code == 404
    assert c.post(f"/api/v1/imports/{job.id}/discard").status_code == 404
    job.refresh_from_db()
    assert job.status == CHECKED and not Resident.objects.filter(name="别人").exists()


def test_the_job_page_shows_the_summary_and_the_two_choices(world, login, registered):
    job = _upload(world.users.staff, world.community, _second_roster(registered))
    c = login(world.users.staff)
    page = c.get(f"/imports/{job.id}/").content.decode()
    assert "新增居民 2 人" in page and "信息变更 1 人" in page and "1 人加入已有居民的住户" in page
    assert "确认导入到光明社区" in page and "放弃" in page
    assert "乙二" in page and "1号楼1单元702" in page and "手机号" in page
    assert 'hx-trigger="every 1s"' not in page  # waiting for a person: no polling
    en = c.get(f"/imports/{job.id}/", headers={"Accept-Language": "en"}).content.decode()
    assert "Confirm import into 光明社区" in en and "2 residents to add" in en


def test_a_big_file_is_checked_and_written_by_the_task_worker(world, settings):
    settings.FANGKONG_IMPORT_INLINE_ROWS = 1
    rows = [person(i, f"后台{i}", new_id(80 + i), "808", relation="户主" if i == 1 else "子女")
            for i in range(1, 4)]
    job = _upload(world.users.staff, world.community, rows)
    assert job.status == CHECKED and not Resident.objects.filter(name__startswith="后台").exists()
    job = importer.confirm_import(actor_for(world.users.staff), job, job.summary["digest"])
    assert job.status == DONE and job.created_count == 3  # ImmediateBackend ran the task
    assert job.confirmed_by == world.users.staff
    assert AuditEvent.objects.get(action="registry.import").actor == world.users.staff


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_upload_summary_confirm_on_a_phone(phone_page, world):
    """390×844: after the upload the page says what will happen, and the next step — the
    confirm button naming the counts and the community — is on the first screen."""
    from tests.conftest import log_in

    page = phone_page
    log_in(page, "staff_a")
    page.goto(page.base + f"/places/{world.community.id}/import/")
    rows = [person(1, "手机甲", new_id(91), "809", relation="户主"),
            person(2, "手机乙", new_id(92), "809", relation="配偶")]
    page.set_input_files("#f-file", files=[{"name": "花名册.csv", "buffer": csv_bytes(rows),
                                            "mimeType": "text/csv"}])
    page.click("text=检查文件")
    page.wait_for_selector(".status-checked", timeout=60_000)
    page.shot("import-confirm-01-summary")
    assert not Resident.objects.filter(name__startswith="手机").exists()
    assert "新增居民 2 人" in page.text_content("#import-summary")
    button = page.locator("#import-confirm")
    assert "确认导入到光明社区" in button.text_content() and "新增居民 2 人" in button.text_content()
    box = button.bounding_box()
    assert box["y"] + box["height"] <= 844 and box["width"] >= 300  # on the first screen, wide
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#import-discard").is_visible()
    button.click()
    page.wait_for_selector(".status-done", timeout=60_000)
    page.shot("import-confirm-02-done")
    assert Resident.objects.filter(name__startswith="手机").count() == 2
    assert not page.problems, page.problems
