"""The case form's confirm step names an earlier report of the person and asks whether it is
the same case, and its red line follows the escalation line (found on a re-walk: reporting
吕保国 again, the confirm page said nothing — "已于13:44上报过" came only after 是 — and a retyped
source recorded a second case; the same page said "10号楼 已是封控区：不起草升级" and, in red,
"…并按防控政策起草区域升级")."""

from django.utils import timezone

from fangkong.core.when import short_time
from fangkong.zones.actions import publish as pub
from fangkong.zones.models import ZoneCase
from tests.conftest import IDS, actor_for
from tests.zones.test_case_once import SOURCE
from tests.zones.test_case_reported import _controlled
from tests.zones.test_publish import adjust, types


def _url(w):
    return f"/zones/p/{w.community.id}/cases/new/"


def test_the_confirm_step_names_an_earlier_report_and_asks(world, presets, client):
    w = world
    _controlled(w)
    client.force_login(w.users.staff)
    first = client.post(_url(w), {"person": IDS["xia_ming"], "source": SOURCE, "confirmed_at": "", "confirm": "1"})
    assert first.status_code == 302
    case = ZoneCase.objects.get()
    asked = client.post(_url(w), {"person": IDS["xia_ming"], "source": "市疾控 复核", "confirmed_at": ""})
    html = asked.content.decode()
    at = short_time(timezone.localtime(case.created_at))
    assert f"夏明已于{at}上报过（{SOURCE}）：是同一例吗？" in html, html
    assert "是新的病例，上报" in html
    assert ZoneCase.objects.count() == 1  # asked, nothing recorded
    # a first report is not asked about
    fresh = client.post(_url(w), {"person": IDS["wang_xinyong"], "source": SOURCE, "confirmed_at": ""})
    assert "是同一例吗" not in fresh.content.decode() and "是，上报病例" in fresh.content.decode()


def test_the_red_line_says_drafted_only_when_the_escalation_line_does(world, presets, client):
    w = world
    _controlled(w)
    staff = actor_for(w.users.staff)
    sealed = adjust(staff, w, [(pub.Op.CREATE, w.building, types()["sealed"])])
    pub.publish(staff, sealed)
    client.force_login(w.users.staff)
    html = client.post(_url(w), {"person": IDS["xia_ming"], "source": SOURCE, "confirmed_at": ""}).content.decode()
    assert "已是封控区：不起草升级" in html, html
    assert "起草区域升级" not in html, html
    assert "将立即通知社区工作人员、网格员和街道指挥部。" in html
