"""A positive antigen result is kept from the door's ordinary form (walk "antigen", defect 1):
a grid worker's one tap of 阴性 on 李卫华's card erased his reported positive — no question, no
reason — the overview and the API then counted 0 positives while the follow-up still held
him, and his two-line cassette photo stayed on a row saying 阴性. Now the door's form (page,
API, whoever fills it in) refuses a positive's change; only the community staff correct it,
asked first, with a reason, audited; the correction settles the hold (or is refused while
the PCR re-test decides) and keeps the positive's photo; the positive figure and list follow
the follow-up."""

import pytest
from django.core.files.storage import default_storage

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Forbidden, Invalid
from fangkong.notify.models import Notification
from fangkong.screening import antigen, figures
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import followup
from fangkong.screening.models import AntigenResult, FollowUp, HomeVisit

from .photos import png
from .test_antigen import running_antigen_round


def _correcting():
    from fangkong.screening.actions import antigen_correct

    return antigen_correct


@pytest.fixture
def ag(world, system):
    return running_antigen_round(world, system)


@pytest.fixture
def positive(world, ag):
    """苏霞's household reports her antigen test positive, with the cassette's photo."""
    row, _changed = antigen_actions.record_result(Actor.system(world.users.resident), ag, world.su,
                                                  "positive", photo=png())
    return row


def _figures(client, w, ag):
    """The positive figure as the overview, its list and the API say it."""
    client.force_login(w.users.staff)
    api = client.get(f"/api/v1/screening/rounds/{ag.id}/antigen-coverage").json()["positive"]
    return (figures.coverage(ag, w.community)["positive"],
            [a.resident_id for a in antigen.recent_results(Actor.system(w.users.staff).scope, ag,
                                                           positive_only=True)], api)


def test_the_door_form_keeps_a_positive_whoever_fills_it_in(world, ag, positive, client):
    w = world
    grid = Actor.system(w.users.grid, via="web")
    for who in (grid, Actor.system(w.users.staff)):
        with pytest.raises(Invalid) as e:
            antigen_actions.record_result(who, ag, w.su, "negative")
        assert e.value.code == "positive_kept" and "苏霞" in str(e.value.message)
    # the API the phone's queue sends to: refused, said in the user's language
    client.force_login(w.users.grid)
    r = client.post(f"/api/v1/screening/rounds/{ag.id}/antigen-results",
                    {"resident": w.su.id, "result": "negative", "client_id": "6f1c7a52-8d1e-4b1a-9b0e-3f2a1c0d9e11"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "positive_kept", r.content
    assert "阳性结果只能由社区工作人员更正" in r.json()["error"]["message"]
    # the page's form (no script): refused with the message, nothing changed
    r = client.post(f"/screening/rounds/{ag.id}/antigen/door/?household={w.hh101.id}",
                    {"resident": w.su.id, "result": "negative"}, follow=True)
    assert "阳性结果只能由社区工作人员更正" in r.content.decode()
    row = AntigenResult.objects.get(pk=positive.pk)
    assert row.result == "positive" and row.photo.name == positive.photo.name
    assert default_storage.exists(row.photo.name)  # the cassette's photo stays with the positive
    # her card at the door has no result form, only what to do
    page = client.get(f"/screening/rounds/{ag.id}/antigen/door/?household={w.hh101.id}").content.decode()
    card = page.split(f'data-resident="{w.su.id}"', 1)[1].split('class="antigen-person', 1)[0]
    assert 'name="result"' not in card and "阳性结果已保留" in card
    other = page.split(f'data-resident="{w.yu.id}"', 1)[1].split('class="antigen-person', 1)[0]
    assert 'name="result"' in other  # 于海涛 (no result) still has his
    assert _figures(client, w, ag) == (1, [w.su.id], 1)


def test_the_positive_figure_agrees_with_the_hold(world, ag, positive, client):
    """A row made negative behind the actions' back (as the door form did before) still counts
    while the follow-up holds her: the figure, the list and the API say one thing."""
    w = world
    AntigenResult.objects.filter(pk=positive.pk).update(result="negative")
    assert FollowUp.objects.get(round=ag, resident=w.su).status == "awaiting"
    assert _figures(client, w, ag) == (1, [w.su.id], 1)


def test_staff_correct_a_positive_asked_first_with_a_reason(world, ag, positive, client):
    w = world
    row = AntigenResult.objects.get(pk=positive.pk)
    photo = row.photo.name
    # a grid worker sees it and may not correct it
    with pytest.raises(Forbidden):
        _correcting().correct_positive(Actor.system(w.users.grid), ag, row, "negative", "错了", confirm=True)
    client.force_login(w.users.grid)
    url = f"/api/v1/screening/rounds/{ag.id}/antigen-results/{row.id}/correct"
    assert client.post(url, {"result": "negative", "reason": "错了", "confirm": True},
                       content_type="application/json").status_code == 403
    client.force_login(w.users.staff)
    # asked first: what it does, nothing changed
    r = client.post(url, {}, content_type="application/json")
    body = r.json()["error"]
    assert r.status_code == 409 and body["code"] == "confirm_correction", body
    assert any("解除管控" in line for line in body["effect"])
    # a reason, always
    r = client.post(url, {"result": "negative", "confirm": True}, content_type="application/json")
    assert r.status_code == 400 and "reason" in r.json()["error"]["fields"]
    r = client.post(url, {"result": "positive", "reason": "错了", "confirm": True}, content_type="application/json")
    assert r.status_code == 400 and "result" in r.json()["error"]["fields"]
    assert AntigenResult.objects.get(pk=row.pk).result == "positive"
    r = client.post(url, {"result": "negative", "reason": "录错了人：应为于海涛的试剂盒", "confirm": True},
                    content_type="application/json")
    out = r.json()
    assert r.status_code == 200 and out["result"] == "negative" and out["corrected_at"], out
    assert out["correction_reason"].startswith("录错了人") and out["photo"] == ""
    assert out["positive_photo"] == f"/screening/antigen/photos/{row.id}/positive/"
    # sent again: the same correction, nothing more
    again = client.post(url, {"result": "negative", "reason": "录错了人：应为于海涛的试剂盒", "confirm": True},
                        content_type="application/json")
    assert again.status_code == 200
    row.refresh_from_db()
    assert row.result == "negative" and row.corrected and row.corrected_by == w.users.staff
    assert row.positive_photo.name == photo and not row.photo and default_storage.exists(photo)
    assert client.get(out["positive_photo"]).status_code == 200  # the positive's evidence, kept
    # the hold is settled with it: released, the urgent re-test visit off the home list
    fu = FollowUp.objects.get(round=ag, resident=w.su)
    assert fu.status == "released" and fu.corrected_at is not None
    assert fu.status_text() == "已解除：社区工作人员已更正抗原阳性结果"
    assert HomeVisit.objects.get(round=ag, resident=w.su, source="retest").status == "cancelled"
    assert _figures(client, w, ag) == (0, [], 0)
    # audited once, with the reason; told to staff, grid worker and the family once
    ev = AuditEvent.objects.get(action="screening.antigen.correct")
    assert ev.changes["result"] == ["positive", "negative"] and ev.changes["reason"].startswith("录错了人")
    assert ev.changes["released"] == 1
    told = set(Notification.objects.filter(kind="screening.antigen_corrected").values_list("user_id", flat=True))
    assert told == {w.users.staff.id, w.users.grid.id}
    assert Notification.objects.filter(kind="screening.family_antigen_corrected", user=w.users.resident).count() == 1
    # the overview says who corrected it, why, and shows the positive's photo
    page = client.get(f"/screening/rounds/{ag.id}/antigen/").content.decode()
    assert "从阳性更正：录错了人" in page and f"/screening/antigen/photos/{row.id}/positive/" in page
    # the family reads its member's status in the correction's words, not "released by a re-test"
    assert antigen.get_photo(Actor.system(w.users.resident).scope, row.id, positive=True).name == photo


def test_the_correction_page_asks_with_the_result_and_the_reason(world, ag, positive, client):
    w = world
    client.force_login(w.users.staff)
    page = client.get(f"/screening/rounds/{ag.id}/antigen/").content.decode()
    url = f"/screening/rounds/{ag.id}/antigen/results/{positive.id}/correct/"
    assert f'action="{url}"' in page  # 更正… on her positive
    ask = client.post(url, {})
    text = ask.content.decode()
    assert ask.status_code == 200 and 'name="confirm"' in text and "更正 苏霞 的阳性结果？" in text
    assert 'name="reason"' in text and 'value="negative"' in text and "无效，需重测" in text
    assert AntigenResult.objects.get(pk=positive.pk).result == "positive"
    # no reason: asked again, saying so, the choice kept
    again = client.post(url, {"confirm": "1", "result": "invalid", "reason": ""}).content.decode()
    assert "请说明更正阳性结果的原因" in again and 'value="invalid" required checked' in again
    done = client.post(url, {"confirm": "1", "result": "invalid", "reason": "试剂盒C线未显示"})
    assert done.status_code == 302 and done["Location"].endswith("#positives")
    row = AntigenResult.objects.get(pk=positive.pk)
    assert row.result == "invalid" and row.correction_reason == "试剂盒C线未显示"
    # the grid worker's door page has no way to it, and the page refuses them
    client.force_login(w.users.grid)
    assert client.post(url, {"confirm": "1", "result": "negative", "reason": "x"}).status_code == 403


def test_a_hold_the_pcr_retest_decides_is_not_corrected(world, ag, positive):
    w = world
    staff = Actor.system(w.users.staff, via="web")
    fu = FollowUp.objects.get(round=ag, resident=w.su)
    followup.record_retest(staff, fu, "AGR0009")
    with pytest.raises(Invalid) as e:
        _correcting().correct_positive(staff, ag, positive, "negative", "错了", confirm=True)
    assert e.value.code == "retest_decides" and "核酸复核" in str(e.value.message)
    assert AntigenResult.objects.get(pk=positive.pk).result == "positive"
    fu.refresh_from_db()
    assert fu.status == "resampled"


def test_positive_again_after_a_correction_holds_again(world, ag, positive):
    w = world
    staff = Actor.system(w.users.staff, via="web")
    with pytest.raises(Conflict):  # asked first
        _correcting().correct_positive(staff, ag, positive, "invalid", "C线未显示")
    _correcting().correct_positive(staff, ag, positive, "invalid", "C线未显示", confirm=True)
    assert FollowUp.objects.get(round=ag, resident=w.su).status == "released"
    # she tests again with a new kit: positive this time
    antigen_actions.record_result(staff, ag, w.su, "positive")
    fu = FollowUp.objects.get(round=ag, resident=w.su)
    assert fu.status == "awaiting" and fu.corrected_at is None
    assert HomeVisit.objects.get(round=ag, resident=w.su, source="retest").status == "open"
    row = AntigenResult.objects.get(pk=positive.pk)
    assert row.result == "positive" and not row.corrected and row.positive_photo  # the first photo kept
    assert figures.coverage(ag, w.community)["positive"] == 1
