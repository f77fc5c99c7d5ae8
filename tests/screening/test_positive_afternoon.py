"""A re-walk of a positive afternoon, where the parts meet: the families of an invalid pool
were told nothing (before, and after the lab corrected it); a case whose pool was corrected
read as "corrected to negative"; neither the staff's home nor the round page said who must
be sampled again, nor anything of the positive pools; the lab was told a case's housemate
was "released" and the API said `status: released` for her; and the nits found beside."""

import io
import re

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening.actions import followup, lab, station
from fangkong.screening.models import FollowUp, Tube

from .conftest import api, cid, to_lab
from .test_alert import positive_pool


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _pool(world, rnd, barcode="T0001", people=None):
    """`barcode` sealed with 苏霞, 于海涛 (1单元 101, the family login's household) and 夏明."""
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, barcode, point=world.point.id, table=1)
    for p in people or (world.su, world.yu, world.xia):
        assert station.scan(staff, rnd, client_id=cid(), barcode=barcode, person=p.token)["status"] == "ok"
    tube = Tube.objects.get(round=rnd, barcode=barcode)
    if tube.state != "sealed":
        station.seal_tube(staff, tube)
    to_lab(world, rnd, barcode)


def _upload(client, rows, **extra):
    text = "管号,结果\n" + "".join(f"{b},{r}\n" for b, r in rows)
    return client.post("/screening/lab/", {"file": SimpleUploadedFile("结果.csv", text.encode()), **extra})


def _family(world, kind):
    return list(Notification.objects.filter(user=world.users.resident, kind=kind))


# --- 2. the family of an invalid pool ------------------------------------------------------

def test_the_family_is_told_when_the_sample_is_invalid_and_when_that_is_corrected(world, rnd, client, login):
    """Before: the family's inbox said 暂无消息 after the invalid result and after the
    correction to 阴性; the landing page went silent after the correction."""
    _pool(world, rnd)
    client.force_login(world.users.lab)
    assert "无效：1 管" in _upload(client, [("T0001", "无效")]).content.decode()

    [note] = _family(world, "screening.family_invalid")
    assert note.title == "苏霞、于海涛：样本无法检测，需要重新采样"
    assert "这不是阳性结果" in note.body and "上门重新采样" in note.body
    assert note.url == reverse("household", args=[world.hh101.id])
    family = login(world.users.resident)
    assert "苏霞、于海涛" in family.get(reverse("inbox")).content.decode()
    landing = _text(family.get(reverse("household", args=[world.hh101.id])).content.decode())
    assert "这不是阳性结果" in landing and "上门" in landing
    # the same file again: no second message
    client.force_login(world.users.lab)
    _upload(client, [("T0001", "无效")])
    assert len(_family(world, "screening.family_invalid")) == 1

    # 于海涛 is sampled again before the lab corrects T0001 to negative: only 苏霞's first swab
    # counts again (and 夏明's, another household)
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, "T0002", point=world.point.id, table=1)
    station.scan(staff, rnd, client_id=cid(), barcode="T0002", person=world.yu.token)
    asked = _upload(client, [("T0001", "阴性")]).content.decode()
    # the confirm step: the effect with its count, and a Chinese full stop (not "…需复采.")
    assert "2 人的原采样重新有效（其间未复采）。" in asked
    assert not re.search(r"[\u4e00-\u9fff）]\.", _text(asked)), "an ASCII full stop after Chinese"
    fields = dict(re.findall(r'<input type="hidden" name="(upload|changes)" value="([^"]+)"', asked))
    done = _text(client.post("/screening/lab/", {"confirm": "1", **fields}).content.decode())
    # the summary says what the correction did
    assert "2 人的原采样重新有效（所在混管不再是无效，其间未复采）。" in done

    [back] = _family(world, "screening.family_restored")
    assert back.title == "苏霞：无需重新采样"
    assert "阴性" in back.body and "原采样重新有效" in back.body and "取消" in back.body
    # the staff's correction message quotes the results as words, not the choice's label
    told = Notification.objects.get(kind="screening.correction", user=world.users.staff)
    assert "由「无效」更正为「阴性」" in told.body and "需重采" not in told.body
    assert told.title == "实验室更正：试管 T0001 现为「阴性」"


# --- 3. a case whose pool was corrected -------------------------------------------------------

def _case_and_contact(world, rnd):
    """T0001 (苏霞, 于海涛 of 101; 夏明 of 102) positive; 苏霞's single re-test positive (a case),
    于海涛's and 夏明's negative."""
    positive_pool(world, rnd, people=(world.su, world.yu, world.xia))
    staff = Actor.system(world.users.staff)
    for r, code in ((world.su, "S0001"), (world.yu, "S0002"), (world.xia, "S0003")):
        followup.record_retest(staff, FollowUp.objects.get(resident=r), code)


def test_a_case_whose_pool_was_corrected_is_said_to_stay_a_case(world, rnd, login):
    """Before: 赵保国's row had the red 阳性病例 badge, then "结果已由实验室更正为阴性" beside it."""
    _case_and_contact(world, rnd)
    lab_actor = Actor.system(world.users.lab)
    lab.record_results(lab_actor, [{"barcode": "S0001", "result": "positive"},
                                   {"barcode": "S0002", "result": "negative"},
                                   {"barcode": "S0003", "result": "negative"}])
    lab.record_results(lab_actor, [{"barcode": "T0001", "result": "negative"}], confirm_changes=True)
    staff = login(world.users.staff)
    html = staff.get(reverse("screening_followups", args=[rnd.id])).content.decode()
    row = next(r for r in re.findall(r'<li class="row">(.*?)</li>', html, re.S) if "<strong>苏霞</strong>" in r)
    assert re.search(r'class="badge bad"[^>]*>混管结果已更正为阴性；本人单采复核阳性，仍为病例<', row), row
    assert "结果已由实验室更正为阴性" not in row
    out = {f["resident"]["name"]: f for f in api(staff, "get", f"/rounds/{rnd.id}/followups").json()["results"]}
    assert out["苏霞"]["status"] == "case"
    assert out["苏霞"]["status_label"] == "混管结果已更正为阴性；本人单采复核阳性，仍为病例"


# --- 5. the lab told a case's housemate was released --------------------------------------------

def test_the_lab_summary_and_api_never_call_a_cases_housemate_released(world, rnd, client, login):
    """Before: "解除管控（单采阴性）：2 人" though 于海涛 lives with the case, and the API
    said `"status": "released"` with `close_contact: true`."""
    _case_and_contact(world, rnd)
    client.force_login(world.users.lab)
    page = _text(_upload(client, [("S0001", "阳性"), ("S0002", "阴性"), ("S0003", "阴性")]).content.decode())
    assert "单采阴性：2 人，其中 1 人与病例同户，为密接，不解除；解除管控：1 人。" in page
    assert "解除管控（单采阴性）：2 人" not in page
    # staff recorded the three single re-test tubes at the door: no "no signed hand-over"
    assert "签收记录" not in page

    staff = login(world.users.staff)
    out = {f["resident"]["name"]: f for f in api(staff, "get", f"/rounds/{rnd.id}/followups").json()["results"]}
    yu, xia = out["于海涛"], out["夏明"]
    assert (yu["status"], yu["released"], yu["close_contact"], yu["followup_status"]) == (
        "close_contact", False, True, "released")
    assert "不解除" in yu["status_label"]
    assert (xia["status"], xia["released"], xia["close_contact"]) == ("released", True, False)
    assert (out["苏霞"]["status"], out["苏霞"]["released"]) == ("case", False)


def test_the_api_summary_counts_close_contacts_apart_and_no_receipt_for_door_retests(world, rnd, client):
    _case_and_contact(world, rnd)
    client.force_login(world.users.lab)
    out = api(client, "post", "/results", {"results": [{"barcode": "S0001", "result": "positive"},
                                                       {"barcode": "S0002", "result": "negative"},
                                                       {"barcode": "S0003", "result": "negative"}]}).json()
    assert (out["retests"], out["cases"], out["released"], out["close_contacts"]) == (3, 1, 1, 1)
    assert out["no_receipt"] == 0  # single re-tests recorded at the door travel in no box


# --- 4. the staff's home and the round page -------------------------------------------------------

def test_the_round_page_and_the_staff_home_say_who_is_to_be_sampled_again(world, rnd, client, login):
    """Before: the home showed only the positive alert, the round page "已采 … 未检" with no
    sign of the invalid tube's people nor of the positive pool."""
    _pool(world, rnd, "T0001", (world.su, world.yu, world.xia))
    client.force_login(world.users.lab)
    _upload(client, [("T0001", "无效")])
    staff = login(world.users.staff)
    page = staff.get(reverse("screening_round", args=[rnd.id])).content.decode()
    line = re.search(r'<p class="msg warn" id="to-resample">.*?</p>', page, re.S).group(0)
    assert "样本无效：3 人需复采" in _text(line)
    link = re.search(r'href="([^"]+resample=1)"', line).group(1).replace("&amp;", "&")
    listed = staff.get(link).content.decode()
    assert all(p.name in listed for p in (world.su, world.yu, world.xia))
    assert world.wang.name not in listed  # missing too, but not because of the invalid tube
    assert 'id="resample-only"' in listed
    # the export of that list and the API agree
    export = staff.get(reverse("screening_missing_export", args=[rnd.id])
                       + f"?place={world.community.id}&resample=1")
    names = [r[0] for r in openpyxl.load_workbook(io.BytesIO(export.content)).worksheets[0]
             .iter_rows(min_row=3, values_only=True) if r[0]]
    assert sorted(names) == sorted(["苏霞", "于海涛", "夏明"])
    got = api(staff, "get", f"/rounds/{rnd.id}/missing?resample=true").json()
    assert got["count"] == 3 and all(p["resample"] for p in got["results"])

    # the staff's home (their community's page)
    home = staff.get(reverse("home"), follow=True).content.decode()
    line = re.search(r'<p class="msg warn to-resample">.*?</p>', home, re.S).group(0)
    assert "样本无效：3 人需复采" in _text(line) and "resample=1" in line


def test_the_round_page_counts_positive_pools_held_and_cases_as_the_dashboard(world, rnd, login):
    from fangkong.reports import figures as report_figures

    _case_and_contact(world, rnd)  # 3 held, all three re-sampled
    positive_pool(world, rnd, barcode="T0009", people=(world.wang,))  # 1 held, not re-sampled
    lab.record_results(Actor.system(world.users.lab), [{"barcode": "S0001", "result": "positive"}])
    staff = login(world.users.staff)
    page = staff.get(reverse("screening_round", args=[rnd.id])).content.decode()
    line = _text(re.search(r'<p class="msg error" id="after-lab">.*?</p>', page, re.S).group(0))
    # 苏霞 is a case; 于海涛 and 夏明 re-sampled, waiting; 王新勇 not yet re-sampled
    assert "混管阳性 2 管" in line and "待复核 3 人（尚未单采 1 人）" in line and "确诊 1 人" in line
    assert reverse("screening_followups", args=[rnd.id]) in page
    dash = report_figures.of(world.community, timezone.now())
    assert (dash["awaiting_retest"], dash["cases"]) == (1, 1)


# --- the nits ------------------------------------------------------------------------------------

def test_json_rows_changing_results_do_not_speak_of_a_file(world, rnd, client):
    _pool(world, rnd)
    client.force_login(world.users.lab)
    api(client, "post", "/results", {"results": [{"barcode": "T0001", "result": "positive"}]})
    r = api(client, "post", "/results", {"results": [{"barcode": "T0001", "result": "negative"}]})
    assert r.status_code == 409
    message = r.json()["error"]["message"]
    assert "文件" not in message and message.startswith("这些结果会改动 1 条已记录的结果")


def test_the_lab_results_page_says_what_its_number_counts(world, rnd, client):
    _pool(world, rnd)
    client.force_login(world.users.lab)
    html = client.get(reverse("screening_results", args=[rnd.id])).content.decode()
    h1 = _text(re.search(r"<h1>.*?</h1>", html, re.S).group(0))
    assert h1.strip().endswith("· 1 管"), h1


def test_the_pool_positive_family_message_says_where_the_positive_may_come_from(world, rnd):
    positive_pool(world, rnd)
    [note] = _family(world, "screening.family_held")
    assert "阳性可能来自同一管里的其他人" in note.body and "这不等于感染了" not in note.body
