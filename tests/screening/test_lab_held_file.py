"""The lab's confirm step holds the file it asks about in the database, not in one app
server's memory. Production without Redis runs two app servers with a cache each
(LocMemCache): the lab's "yes" reaching the other one found nothing held ("upload it
again"). Now the rows are a `HeldLabFile` of the account that uploaded them: any server
reads them, only that account may apply or drop them, they go when applied or given up,
and those held past their time are ignored and deleted."""

import datetime
import re

from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.core.actor import Actor
from fangkong.screening import queries
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.models import FollowUp, HeldLabFile, LabResult, Tube
from fangkong.screening.tasks import recover_screening
from tests.conftest import make_user

from .conftest import api
from .test_lab_corrections import _pools


def _csv(rows) -> SimpleUploadedFile:
    return SimpleUploadedFile("结果.csv", ("管号,结果\n" + "".join(f"{b},{r}\n" for b, r in rows)).encode())


def _asked(world, rnd, client):
    """P0001 found positive, then a file saying negative: the page asks first. Returns the
    confirm step's hidden fields (upload, changes)."""
    _pools(world, rnd)
    client.force_login(world.users.lab)
    api(client, "post", "/results", {"results": [{"barcode": "P0001", "result": "positive"}]})
    page = client.post("/screening/lab/", {"file": _csv([("P0001", "阴性")])})
    html = page.content.decode()
    assert page.status_code == 200 and "该文件会改动已记录的结果" in html
    return dict(re.findall(r'<input type="hidden" name="(upload|changes)" value="([^"]+)"', html))


def test_the_confirm_applies_the_file_when_the_cache_was_lost_meanwhile(world, rnd, system, client):
    """The "yes" reaching another app server (a cache of its own): cleared here."""
    fields = _asked(world, rnd, client)
    assert HeldLabFile.objects.filter(user=world.users.lab, token=fields["upload"]).exists()
    cache.clear()  # another process: nothing of this one's memory
    done = client.post("/screening/lab/", {"confirm": "1", **fields})
    html = done.content.decode()
    assert done.status_code == 200 and "已保存 0 条结果，更正 1 条" in html, html
    assert Tube.objects.get(round=rnd, barcode="P0001").result == "negative"
    assert FollowUp.objects.get(resident=world.su).status == "released"
    # applied: the held file is gone, and the same "yes" again applies nothing twice
    assert not HeldLabFile.objects.exists()
    results = LabResult.objects.count()
    again = client.post("/screening/lab/", {"confirm": "1", **fields})
    assert again.status_code == 422 and "请重新上传" in again.content.decode()
    assert LabResult.objects.count() == results


def test_only_the_account_that_uploaded_may_confirm_the_held_file(world, rnd, system, client):
    fields = _asked(world, rnd, client)
    other = make_user(system, "lab_two", Role.LAB, world.district)
    client.force_login(other)
    refused = client.post("/screening/lab/", {"confirm": "1", **fields})
    assert refused.status_code == 422 and "请重新上传" in refused.content.decode()
    assert Tube.objects.get(round=rnd, barcode="P0001").result == "positive"
    # nor drop it: "no, go back" of another account leaves it held for its own
    client.post("/screening/lab/", {"edit": "1", **fields})
    assert HeldLabFile.objects.filter(token=fields["upload"]).exists()
    client.force_login(world.users.lab)
    done = client.post("/screening/lab/", {"confirm": "1", **fields})
    assert done.status_code == 200 and Tube.objects.get(round=rnd, barcode="P0001").result == "negative"


def test_going_back_from_the_confirm_step_lets_the_file_go(world, rnd, system, client):
    fields = _asked(world, rnd, client)
    back = client.post("/screening/lab/", {"edit": "1", **fields}, follow=True)
    assert back.status_code == 200 and "文件的内容均未保存" in back.content.decode()
    assert not HeldLabFile.objects.exists()
    assert Tube.objects.get(round=rnd, barcode="P0001").result == "positive"


def test_a_file_held_past_its_time_is_not_applied_and_is_deleted(world, rnd, system, client):
    fields = _asked(world, rnd, client)
    HeldLabFile.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    late = client.post("/screening/lab/", {"confirm": "1", **fields})
    assert late.status_code == 422 and "请重新上传" in late.content.decode()
    assert Tube.objects.get(round=rnd, barcode="P0001").result == "positive"
    # deleted by the worker's pass (and by the next file held: below)
    assert recover_screening(None)["screening_held_files_dropped"] == 1
    assert not HeldLabFile.objects.exists()
    lab = Actor.system(world.users.lab)
    old = lab_actions.hold_file(lab, [{"_row": 2, "barcode": "P0001", "result": "阴性"}])
    HeldLabFile.objects.filter(token=old).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    new = lab_actions.hold_file(lab, [{"_row": 2, "barcode": "P0001", "result": "阴性"}])
    assert list(HeldLabFile.objects.values_list("token", flat=True)) == [new]


def test_held_rows_read_back_as_the_checks_read_them(world, rnd, system):
    """A spreadsheet's date and time (with microseconds, naive) survives the JSON column."""
    lab = Actor.system(world.users.lab)
    at = datetime.datetime(2026, 12, 6, 7, 59, 59, 999_999)
    rows = [{"_row": 2, "barcode": "P0001", "result": "阴性", "ct_orf": 31.5, "ct_n": None, "tested_at": at}]
    token = lab_actions.hold_file(lab, rows)
    back = queries.held_lab_file(lab, token)
    assert back == [{**rows[0], "tested_at": at.isoformat()}]
    from fangkong.screening.checks import check_lab_rows

    assert check_lab_rows(back)[0][0]["tested_at"] == check_lab_rows(rows)[0][0]["tested_at"]
    assert queries.held_lab_file(Actor.system(world.users.staff), token) is None
