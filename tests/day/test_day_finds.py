"""What the day tests found broken between capabilities, each kept as a regression test
(the day tests themselves run the whole day; these pin the one seam)."""

import io

import openpyxl

from fangkong.core.xlsx import open_xlsx
from fangkong.registry import codes as registry_codes
from tests.screening.conftest import api, cid, rnd, to_lab  # noqa: F401 - the round fixture
from tests.volunteers.conftest import codes, make_volunteer  # noqa: F401 - their fixtures


def _book(rows, number_format=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if number_format:
        for (cell,) in ws.iter_rows(min_row=2, max_col=1):
            cell.number_format = number_format
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_zero_padded_number_reads_as_excel_shows_it():
    """A lab's system exports tube barcodes as numbers formatted "0000000000": Excel shows
    0022041802, the reader gave 22041802 and the lab file was refused ("tube 22041802 is
    in no round") while the lab saw 0022041802 in its file."""
    data = _book([["管号", "结果"], [22041802, "阴性"], [2204180001, "阴性"]], "0000000000")
    with open_xlsx(data) as book:
        rows = [list(r) for _n, r in book.sheets[0].rows()]
    assert rows[1][0] == "0022041802" and rows[2][0] == "2204180001"
    with open_xlsx(_book([["n"], [42]], "0.00")) as book:  # other number formats: numbers
        assert [list(r) for _n, r in book.sheets[0].rows()][1] == [42]


def test_the_lab_file_finds_a_tube_whose_barcode_starts_with_zero(world, rnd, client):  # noqa: F811
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "0022041802"}).status_code == 201
    r = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "0022041802",
                                                       "person": registry_codes.code_payload(world.su)})
    assert r.status_code == 200, r.content
    assert api(client, "post", f"/rounds/{rnd.id}/tubes/0022041802/seal").status_code == 200
    to_lab(world, rnd, "0022041802")
    lab = client.__class__()
    lab.force_login(world.users.lab)
    f = io.BytesIO(_book([["管号", "结果"], [22041802, "阳性"]], "0000000000"))
    f.name = "结果.xlsx"
    r = lab.post("/api/v1/screening/results/file", {"file": f})
    assert r.status_code == 200, r.content
    assert r.json()["positive_pools"] == 1


def test_a_lab_file_sent_again_says_its_results_were_already_there(world, rnd, client):  # noqa: F811
    """The lab, unsure whether its upload went through, sends the file again: the page said
    "Saved 0 results … Positive pools: 0" of a file with a positive pool in it."""
    client.force_login(world.users.staff)
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001", "capacity": 1})
    api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                   "person": registry_codes.code_payload(world.su)})
    to_lab(world, rnd, "T0001")
    lab = client.__class__()
    lab.force_login(world.users.lab)
    lab.cookies["django_language"] = "en"
    pages = []
    for _ in range(2):
        f = io.BytesIO(_book([["管号", "结果"], ["T0001", "阳性"]]))
        f.name = "结果.xlsx"
        pages.append(lab.post("/screening/lab/", {"file": f}).content.decode())
    assert "Positive pools: 1 (1 person held for a single re-test" in pages[0]
    assert "1 result was recorded before, the same: nothing changed for it." in pages[1]
    assert "Positive pools: 0" not in pages[1]
    again = lab.post("/api/v1/screening/results",
                     data='{"results": [{"barcode": "T0001", "result": "positive"}]}',
                     content_type="application/json").json()
    assert (again["saved"], again["unchanged"], again["positive_pools"]) == (0, 1, 0)


def test_a_logged_out_volunteer_who_scans_the_call_qr_lands_on_the_check_in(world, make_volunteer,  # noqa: F811
                                                                          monkeypatch):
    """At 06:55 a volunteer whose phone is logged out scans the call's QR: the log-in page's
    "volunteer? log in with a text code" dropped where they were going, and after the code
    they landed on their home page, to scan the QR a second time."""
    import datetime
    import re

    from django.test import Client
    from django.utils import timezone

    from fangkong.volunteers.actions import answers, calls
    from tests.conftest import actor_for

    from .scene import texted_code

    v = make_volunteer(1)
    start = timezone.now() + datetime.timedelta(hours=2)
    call = calls.create_call(actor_for(world.users.staff), world.community, {
        "task": "sampling", "place": world.building.id, "starts_at": start.isoformat(),
        "ends_at": (start + datetime.timedelta(hours=3)).isoformat(), "slots": 2})
    answers.sign_up(actor_for(v.user), call)
    monkeypatch.setattr(timezone, "now", lambda: start - datetime.timedelta(minutes=5))
    phone = Client()
    scan = f"/volunteers/scan/{call.token}/"
    login = phone.get(scan)
    assert login.status_code == 302 and login.url.startswith("/login/")
    link = re.search(r'href="(/volunteers/login/[^"]*)"', phone.get(login.url).content.decode()).group(1)
    page = phone.get(link.replace("&amp;", "&")).content.decode()
    nxt = re.search(r'name="next" value="([^"]+)"', page).group(1)
    assert nxt == scan
    phone.post("/volunteers/login/", {"phone": v.phone, "next": nxt})
    r = phone.post("/volunteers/login/", {"phone": v.phone, "code": texted_code(v.phone), "next": nxt})
    assert r.status_code == 302 and r.url == scan
    r = phone.post(scan, {"op": "in"}, follow=True)
    assert r.status_code == 200 and call.assignments.get(volunteer=v).check_in_at is not None


def test_a_phone_with_scans_kept_after_the_round_ended_is_told_what_to_do(world, rnd, client, system):  # noqa: F811
    """Staff end the round while a phone still holds scans from a dead spot: its batch was
    answered "This round is closed." and nothing more — the swabs are in the tubes, the
    people will count as missing, and the sampler is not told the records wait on the phone
    until the round is reopened."""
    from fangkong.screening.actions import planning

    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    batch = {"events": [{"client_id": cid(), "type": "open", "barcode": "T0001"},
                        {"client_id": cid(), "type": "scan", "barcode": "T0001",
                         "person": registry_codes.code_payload(world.su)}]}
    planning.set_status(system, rnd, "closed")
    r = api(client, "post", f"/rounds/{rnd.id}/sync", batch)
    assert r.status_code == 400 and r.json()["error"]["code"] == "round_closed"
    assert "reopen" in r.json()["error"]["message"] and "Send now" in r.json()["error"]["message"]
    planning.set_status(system, rnd, "running")  # reopened: the kept batch goes in
    r = api(client, "post", f"/rounds/{rnd.id}/sync", batch)
    assert r.status_code == 200 and r.json()["ok"] == 2


def test_a_re_test_visit_is_not_done_without_its_tube(world, rnd, client):  # noqa: F811
    """The home-visit list is the sampler's list of doors, re-tests included; its "Done" on
    a re-test visit closed the visit without the single tube, so the lab's result for that
    tube was refused as naming a tube in no round. It now leads to the follow-up page, and
    "done" is refused until the tube is recorded."""
    from fangkong.screening.models import FollowUp, HomeVisit

    client.force_login(world.users.staff)
    client.cookies["django_language"] = "en"
    api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001", "capacity": 1})
    api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                   "person": registry_codes.code_payload(world.wang)})
    to_lab(world, rnd, "T0001")
    lab = client.__class__()
    lab.force_login(world.users.lab)
    r = lab.post("/api/v1/screening/results", data='{"results": [{"barcode": "T0001", "result": "positive"}]}',
                 content_type="application/json")
    assert r.json()["followups"] == 1
    page = client.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert "王新勇" in page and f"/screening/rounds/{rnd.id}/followups/" in page
    hv = HomeVisit.objects.get(round=rnd, resident=world.wang, source="retest")
    r = client.post(f"/screening/rounds/{rnd.id}/home/", {"visit": hv.id, "status": "done"}, follow=True)
    assert "re-test tube on the follow-up page" in r.content.decode()
    assert HomeVisit.objects.get(pk=hv.pk).status == "open"
    fu = FollowUp.objects.get(round=rnd, resident=world.wang)
    assert api(client, "post", f"/followups/{fu.id}/retest", {"barcode": "S0001"}).status_code == 200
    assert HomeVisit.objects.get(pk=hv.pk).status == "done"  # the tube closes the visit
