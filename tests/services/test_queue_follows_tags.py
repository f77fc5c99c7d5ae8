"""The request queue weighs each household's vulnerable people as the registry has them now
(found on the registry walk: 王新勇 was found bedridden and tagged 卧床 the day after his
medicine request, by hand and in the roster import; the request kept the weight it was
raised with and stayed below a neighbour's, whose 卧床 had meanwhile been taken off). The
queue's order, the API's `vulnerable` and `tags` and the queue page read the tags when read
(`marks.household_weight`); the registry tells services nothing (it never imports it)."""

import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.registry import actions as reg
from fangkong.registry.models import ImportJob, Resident
from fangkong.services import queries
from fangkong.services.actions import requests
from fangkong.services.models import Category
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def _queue(c, w):
    """(the API's queue as (id, vulnerable, tags), the queue page's request ids in order)."""
    api = [(x["id"], x["vulnerable"], x["tags"]) for x in
           c.get(f"/api/v1/services/requests?place={w.community.id}").json()]
    html = c.get(f"/services/p/{w.community.id}/requests/").content.decode()
    queue = html.split('id="queue"', 1)[1].split("</ul>", 1)[0]
    page = [int(r.split("/", 1)[0]) for r in queue.split('href="/services/requests/')[1:]]
    return api, page


def _tag_by_import(c, w, name, words):
    """The roster exported, `name`'s 重点人群 set to `words`, imported and confirmed."""
    wb = openpyxl.load_workbook(io.BytesIO(c.get(f"/places/{w.community.id}/export.xlsx").content))
    ws = wb.worksheets[0]
    col = [x.value for x in ws[2]].index("重点人群") + 1
    row = next(r for r in range(3, ws.max_row + 1) if ws.cell(row=r, column=2).value == name)
    ws.cell(row=row, column=col).value = words
    out = io.BytesIO()
    wb.save(out)
    r = c.post(f"/places/{w.community.id}/import/", {"file": SimpleUploadedFile("roster.xlsx", out.getvalue())})
    assert r.status_code == 302, r.content.decode()[:1000]
    job = ImportJob.objects.latest("id")
    assert job.status == ImportJob.Status.CHECKED, job.errors[:3]
    c.post(f"/imports/{job.id}/confirm/", {"digest": job.summary["digest"]})
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.errors[:3]


def test_open_requests_follow_the_registry_tags_in_the_queue_and_the_api(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    medicine = Category.objects.get(code="medicine")
    wang = requests.raise_request(staff, w.hh201, medicine, "王大爷的降压药")  # raised first: due first
    xia = requests.raise_request(staff, w.hh102, medicine, "夏大爷的止痛药")  # 卧床: weighs 5
    c = _client(w.users.staff)
    api, page = _queue(c, w)
    assert api == [(xia.id, 5, ["bedridden"]), (wang.id, 0, [])] and page == [xia.id, wang.id]

    # by hand: 夏明 gets up again; by the roster import: 王新勇 is bedridden
    reg.update_resident(staff, Resident.objects.get(pk=w.xia.pk), {"tags": ""})
    _tag_by_import(c, w, "王新勇", "卧床")
    assert Resident.objects.get(pk=w.wang.pk).tags == ",bedridden,"

    api, page = _queue(c, w)
    assert api == [(wang.id, 5, ["bedridden"]), (xia.id, 0, [])] and page == [wang.id, xia.id]
    assert [r.id for r in queries.request_queue(staff.scope, place=w.community)] == [wang.id, xia.id]
    one = c.get(f"/api/v1/services/requests/{wang.id}").json()
    assert (one["vulnerable"], one["tags"]) == (5, ["bedridden"])
    # each tag of each person, weighed as before: 独居老人 5 + 行动不便 3
    reg.update_resident(staff, Resident.objects.get(pk=w.wang.pk), {"tags": "独居老人、行动不便"})
    assert c.get(f"/api/v1/services/requests/{wang.id}").json()["vulnerable"] == 8
    assert requests.vulnerability(w.hh201.id) == 8  # what triage keeps, the same sum
