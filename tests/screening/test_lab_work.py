"""What the lab sees and is told, found walking the demo on a positive afternoon: a Ct
written "/" refused the whole file (twelve errors burying the one real one); single re-test
tubes (FH19-01…) were mixed in with routine tubes on the boxes page and the lab's page showed
nothing new; the lab could not read back what it had saved; a file of re-tests was answered
"混管阳性：0 管（0 人需单采复核）"; an .xls was refused with "再导入该.xlsx文件"."""

from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core.actor import Actor
from fangkong.screening.actions import followup
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.models import FollowUp, LabResult, Round, Tube

from .conftest import api, cid
from .test_lab_upload import world_with_tubes


def _csv(text) -> SimpleUploadedFile:
    return SimpleUploadedFile("结果.csv", text.encode())


def test_no_ct_written_as_labs_write_it_is_no_ct(world, system, client):
    rnd, lab = world_with_tubes(world, system)
    client.force_login(lab)
    # one tube, each way of writing "no Ct" in turn (a file names a tube once)
    for v in ("/", "-", "—", "未检出", "N/A", "NoCt", "No Ct", ">40", "＞40", "≥38", "ND", "Undetermined", ""):
        r = client.post("/api/v1/screening/results/file", {"file": _csv(f"管号,结果,ORF1ab,N\nT0001,阴性,{v},{v}\n")})
        assert r.status_code == 200, (v, r.content)
    assert {(x.ct_orf, x.ct_n) for x in LabResult.objects.all()} == {(None, None)}
    # a real error still stands out, alone
    bad = client.post("/api/v1/screening/results/file",
                      {"file": _csv("管号,结果,ORF1ab,N\nT0001,阳性,/,abc\n")})
    assert bad.status_code == 422
    assert [(e["row"], e["column"]) for e in bad.json()["error"]["rows"]] == [(2, "ct_n")]
    assert "Ct 值为数字，如 32.5" in bad.json()["error"]["rows"][0]["message"]


def _retest_scene(world, rnd, system, lab):
    """T0001 (苏霞) positive: her single re-test tube FH19-01 recorded at the door. (`lab`: the
    community's own lab, to which its unboxed tubes go — not the district's.)"""
    lab_actions.record_results(Actor.system(lab), [{"barcode": "T0001", "result": "positive"}])
    followup.record_retest(Actor.system(world.users.staff), FollowUp.objects.get(resident=world.su), "FH19-01")


def test_re_test_tubes_are_urgent_on_the_boxes_page_and_the_labs(world, system, client):
    rnd, own_lab = world_with_tubes(world, system)
    from fangkong.screening.actions import station

    staff = Actor.system(world.users.staff)
    station.scan(staff, rnd, client_id=cid(), barcode="T0002", person=world.xia.token)
    station.seal_tube(staff, Tube.objects.get(round=rnd, barcode="T0002"))  # a routine tube, loose
    _retest_scene(world, rnd, system, own_lab)
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/boxes/").content.decode()
    urgent = page.index("单采复核：1 管尚未送达实验室")
    assert urgent < page.index("FH19-01") < page.index("已封管未装箱的试管") < page.index("T0002")
    assert page.count("FH19-01") == 1  # not again among the routine tubes

    lab = client.__class__()
    lab.force_login(own_lab)
    page = lab.get("/screening/lab/").content.decode()
    assert page.index("单采复核：1 管待出结果") < page.index("FH19-01") < page.index("转运箱和试管")
    # its result: the reply says what the file did for re-tests
    done = lab.post("/screening/lab/", {"file": _csv("管号,结果\nFH19-01,阴性\n")}).content.decode()
    assert "解除管控（单采阴性）：1 人" in done and "单采复核：1 管" in done
    assert "混管阳性：0 管" not in done and "单采复核：1 管待出结果" not in done
    assert FollowUp.objects.get(resident=world.su).status == "released"


def test_the_lab_reads_back_the_results_it_saved(world, system, client):
    rnd, lab = world_with_tubes(world, system)
    _retest_scene(world, rnd, system, lab)
    client.force_login(lab)
    api(client, "post", "/results", {"results": [{"barcode": "FH19-01", "result": "negative", "ct_orf": "/"}]})
    api(client, "post", "/results", {"results": [{"barcode": "T0001", "result": "positive", "ct_orf": "28.5"}]})
    out = api(client, "get", f"/rounds/{rnd.id}/results").json()
    assert [(t["barcode"], t["retest"], t["result"], t["ct_orf"], t["corrections"]) for t in out["results"]] == [
        ("FH19-01", True, "negative", None, 0), ("T0001", False, "positive", 28.5, 1)]
    assert out["results"][1]["recorded_at"] and out["results"][1]["result_label"] == "阳性"
    only = api(client, "get", f"/rounds/{rnd.id}/results?result=retest").json()["results"]
    assert [t["barcode"] for t in only] == ["FH19-01"]
    assert api(client, "get", f"/rounds/{rnd.id}/results?result=maybe").status_code == 400
    page = client.get(f"/screening/rounds/{rnd.id}/results/").content.decode()
    assert page.index("FH19-01") < page.index("T0001") and "ORF1ab 28.50" in page and "更正过 1 次" in page
    assert f"/screening/rounds/{rnd.id}/results/" in client.get("/screening/lab/").content.decode()
    # another lab's round (community B's): not found
    other = Round.objects.get(name="惠泽苑第1轮")
    assert api(client, "get", f"/rounds/{other.id}/results").status_code == 404
    assert client.get(f"/screening/rounds/{other.id}/results/").status_code == 404


def test_an_xls_file_on_the_lab_page_is_to_be_uploaded_again(world, system, client):
    _rnd, lab = world_with_tubes(world, system)
    client.force_login(lab)
    page = client.post("/screening/lab/", {"file": SimpleUploadedFile("结果.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")})
    html = page.content.decode()
    assert page.status_code == 422 and "再上传该.xlsx文件" in html and "再导入" not in html
