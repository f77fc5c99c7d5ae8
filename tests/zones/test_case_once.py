"""A case reported twice (walked 2026-12-07 as 光明社区's staff: a retrying client's `POST
/zones/cases`, or back and submit again on the form) made two cases and two alarms; and the
form's confirm step said "夏明，102 / … / 至今". A report is idempotent — by the client's key,
and by the person and source while the case is open — and the confirm step names the person
in full, the household's zone, "现在（HH:MM）" and the escalation it will draft."""

import uuid

from django.utils import timezone
from django.utils.formats import date_format

from fangkong.notify.models import Notification
from fangkong.zones.models import Adjustment, ZoneCase
from tests.conftest import IDS
from tests.zones.test_case_reported import _controlled

SOURCE = "迎泽区疾控中心 2022-0412号"


def _told(w):
    return Notification.objects.filter(user__in=[w.users.staff, w.users.grid], kind="zones.case").count()


def test_the_api_retried_records_one_case(world, presets, client):
    w = world
    _controlled(w)
    client.force_login(w.users.staff)
    body = {"resident": w.xia.id, "source": SOURCE, "client_id": str(uuid.uuid4())}
    first = client.post("/api/v1/zones/cases", body, content_type="application/json")
    assert first.status_code == 201 and first.json()["already_reported"] is False, first.content
    again = client.post("/api/v1/zones/cases", body, content_type="application/json")
    assert again.status_code == 200, again.content
    case = ZoneCase.objects.get()
    reported = date_format(timezone.localtime(case.created_at), "H:i")
    assert again.json()["id"] == case.id and again.json()["proposal"] == first.json()["proposal"]
    assert again.json()["already_reported"] is True
    assert again.json()["message"] == f"夏明已于{reported}上报过。", again.json()
    assert _told(w) == 2 and Adjustment.objects.filter(case__isnull=False).count() == 1  # staff + grid, once
    # another client's key, the same person from the same source while the case is open: the same
    other = client.post("/api/v1/zones/cases", {**body, "client_id": str(uuid.uuid4())},
                        content_type="application/json")
    assert other.status_code == 200 and other.json()["id"] == case.id
    # the key of this case for another person: refused, nothing recorded
    wrong = client.post("/api/v1/zones/cases", {**body, "resident": w.yu.id}, content_type="application/json")
    assert wrong.status_code == 400 and "client_id" in wrong.content.decode()
    assert ZoneCase.objects.count() == 1 and _told(w) == 2
    # another source (a second notice of another person) is another case
    assert client.post("/api/v1/zones/cases", {"resident": w.yu.id, "source": SOURCE},
                       content_type="application/json").status_code == 201


def test_the_form_sent_again_records_one_case(world, presets, client):
    w = world
    _controlled(w)
    url = f"/zones/p/{w.community.id}/cases/new/"
    client.force_login(w.users.staff)
    page = client.get(url).content.decode()
    assert 'name="client_id"' in page
    form = {"person": IDS["xia_ming"], "source": SOURCE, "confirmed_at": "", "confirm": "1"}
    done = client.post(url, form)
    assert done.status_code == 302 and ZoneCase.objects.count() == 1 and _told(w) == 2
    # back and submit again (a new page: another key): the same person and notice
    again = client.post(url, form, follow=True)
    case = ZoneCase.objects.get()
    assert ZoneCase.objects.count() == 1 and _told(w) == 2
    reported = date_format(timezone.localtime(case.created_at), "H:i")
    assert f"夏明已于{reported}上报过。" in again.content.decode()


def test_the_confirm_step_names_the_person_the_zone_the_time_and_the_escalation(world, presets, client):
    w = world
    _controlled(w)
    client.force_login(w.users.staff)
    url = f"/zones/p/{w.community.id}/cases/new/"
    asked = client.post(url, {"person": IDS["xia_ming"], "source": SOURCE, "confirmed_at": ""})
    html = asked.content.decode()
    assert asked.status_code == 200 and "上报这例确诊病例？" in html
    age = w.xia.age
    assert f"夏明（男，{age}岁），光明小区 1号楼 1单元 102" in html, html
    assert "该户现为管控区（光明小区）" in html, html
    assert "现在（" in html and "至今" not in html
    assert "1号楼 将起草为封控区" in html, html
    assert not ZoneCase.objects.exists()


def test_no_source_in_two_languages_is_one_case(world, presets, client):
    """Review (finding 4): an empty source was stored in the reporter's language, so the same
    person reported again by an English client was another case and another alarm."""
    w = world
    _controlled(w)
    client.force_login(w.users.staff)
    first = client.post("/api/v1/zones/cases", {"resident": w.xia.id}, content_type="application/json")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/zones/cases", {"resident": w.xia.id}, content_type="application/json",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200 and again.json()["already_reported"] is True, again.content
    case = ZoneCase.objects.get()
    assert case.source == "卫健部门通报", case.source  # the site's language, whoever reported it
    assert _told(w) == 2


def test_a_person_screening_already_confirmed_entered_by_hand_is_the_same_case(world, presets, client):
    """Review (finding 4): a person confirmed by screening's re-test (source_ref set) and then
    entered from the CDC's notice was recorded and alarmed twice."""
    from fangkong.core.actor import Actor
    from fangkong.zones.actions.escalate import case_confirmed

    w = world
    _controlled(w)
    found, _p = case_confirmed(Actor.system(w.users.staff), w.xia, source="单管复核阳性",
                               source_ref="screening.followup:999")
    told = _told(w)
    client.force_login(w.users.staff)
    again = client.post("/api/v1/zones/cases", {"resident": w.xia.id, "source": SOURCE},
                        content_type="application/json")
    assert again.status_code == 200 and again.json()["already_reported"] is True, again.content
    assert again.json()["id"] == found.id
    assert ZoneCase.objects.count() == 1 and _told(w) == told
