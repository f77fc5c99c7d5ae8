"""A case reported by hand (found walking the zones: `POST /zones/cases` drafted the
escalation in silence, while screening's re-test path told the staff; and there was no page
to report a case): the one action both use tells the community's staff and the grid worker
at once; staff report a case on a page, asked first, within their area."""

import datetime

from django.utils import timezone

from fangkong.notify.models import Notification
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import Adjustment, ZoneCase
from tests.conftest import IDS, actor_for
from tests.zones.test_publish import adjust, types


def _controlled(w):
    adj = adjust(actor_for(w.users.staff), w, [(pub.Op.CREATE, w.compound, types()["controlled"])])
    pub.publish(actor_for(w.users.staff), adj)


def test_a_case_reported_through_the_api_tells_the_staff(world, presets, client):
    w = world
    _controlled(w)
    client.force_login(w.users.street)
    r = client.post("/api/v1/zones/cases", {"resident": w.xia.id, "source": "区疾控中心报告"},
                    content_type="application/json")
    assert r.status_code == 201, r.content
    proposal = Adjustment.objects.get(pk=r.json()["proposal"])
    for user in (w.users.staff, w.users.grid):
        (m,) = Notification.objects.filter(user=user, kind="zones.case")
        assert m.title == "确诊病例：夏明", m.title
        assert "区疾控中心报告" in m.body and f"已起草区域升级：{proposal.title}" in m.body, m.body
        assert m.url == f"/zones/adjustments/{proposal.id}/"
    assert not Notification.objects.filter(user=w.users.other_staff, kind="zones.case").exists()


def test_staff_report_a_case_on_a_page_asked_first(world, presets, client):
    w = world
    _controlled(w)
    url = f"/zones/p/{w.community.id}/cases/new/"
    client.force_login(w.users.staff)
    assert client.get(f"/zones/p/{w.community.id}/").content.decode().count(url) == 1
    assert 'id="report-case"' in client.get(url).content.decode()
    form = {"person": IDS["xia_ming"], "source": "区疾控中心第12号报告", "confirmed_at": ""}
    asked = client.post(url, form)
    assert asked.status_code == 200 and "上报这例确诊病例？" in asked.content.decode()
    assert not ZoneCase.objects.exists()
    done = client.post(url, {**form, "confirm": "1"})
    case = ZoneCase.objects.get()
    proposal = Adjustment.objects.get(case=case)
    assert done.status_code == 302 and done["Location"] == f"/zones/adjustments/{proposal.id}/"
    assert case.resident_id == w.xia.id and case.source == "区疾控中心第12号报告"
    assert Notification.objects.filter(user=w.users.grid, kind="zones.case").count() == 1
    # a wrong number, a time still to come: said under the field, nothing recorded
    bad = client.post(url, {**form, "person": "110101199003070000", "confirm": "1"})
    assert bad.status_code == 400 and ZoneCase.objects.count() == 1
    later = (timezone.localtime() + datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    bad = client.post(url, {**form, "confirmed_at": later, "confirm": "1"})
    assert bad.status_code == 400 and "已经过去的时间" in bad.content.decode()
    # another community's staff: the page is missing, and their person is not found here
    client.force_login(w.users.other_staff)
    assert client.get(url).status_code == 404
    assert client.post(url, {**form, "confirm": "1"}).status_code == 404
    assert ZoneCase.objects.count() == 1
