"""After a lift the family's home cites what the message cites (found walking zones: 3号楼's
seal lifted at 00:08 by 19号, stated 06:00, under 光明小区 controlled by 17号 since 05:00 the
day before; the home read "管控区 自12月7日 00:08 起 · 17号" — the compound's notice beside
the lift's minute — and never said the seal was lifted, nor by which notice, nor that 19号
states another time)."""

import datetime

from django.utils import timezone, translation
from django.utils.formats import date_format

from fangkong.zones.actions import publish as pub
from fangkong.zones.models import ZoneType
from tests.conftest import actor_for
from tests.zones.conftest import approve_if_needed
from tests.zones.test_published_told import told


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


def _adjust(by, root, place, code, number, at, op=pub.Op.CREATE, from_notice=False):
    n = pub.create_notice(by, root, {"number": number, "issued_by": "指挥部", "title": "调整",
                                     "effective_at": at.isoformat()})
    adj = pub.draft(by, root, "调整", notice=n)
    pub.add_item(by, adj, op, place, _type(code) if code else None)
    return pub.publish(by, approve_if_needed(by, adj), from_notice=from_notice)


def _same(text, at):  # the API writes milliseconds
    return abs((datetime.datetime.fromisoformat(text) - at).total_seconds()) < 0.001


def _words(at):
    with translation.override("zh-hans"):
        return date_format(timezone.localtime(at), "DATETIME_FORMAT")


def test_the_home_after_a_lift_says_the_compounds_zone_and_the_lift(world, presets, client):
    w = world
    street, staff = actor_for(w.users.street), actor_for(w.users.staff)
    now = timezone.now().replace(second=0, microsecond=0)
    five = now - datetime.timedelta(hours=20)
    _adjust(street, w.street, w.compound, "controlled", "第17号", five, from_notice=True)
    _adjust(street, w.street, w.building, "sealed", "第18号", now - datetime.timedelta(hours=19), from_notice=True)
    six = now + datetime.timedelta(hours=6)
    lift = _adjust(staff, w.community, w.building, None, "第19号", six, op=pub.Op.LIFT)
    at = lift.effective_at
    message = told(w.users.resident)[-1]
    assert "现为管控区（随光明小区，第19号）" in message.body, message.body
    client.force_login(w.users.resident)
    page = client.get(f"/households/{w.hh101.id}/").content.decode()
    panel = page[page.index('id="zone-now"'):page.index("</section>", page.index('id="zone-now"'))]
    head = panel[:panel.index("</p>")]
    # in the compound's zone since the lift, as the message says — and no notice beside that minute
    with translation.override("zh-hans"):
        assert f"自 {date_format(timezone.localtime(at), 'SHORT_DATETIME_FORMAT')} 起" in head, head
    assert "第17号" not in head and "第19号" not in head, head
    why = panel[panel.index('id="zone-why"'):]
    assert why.startswith(f'id="zone-why">随光明小区：光明小区自{_words(five)}起为管控区 · <a href="/zones/notices/'), why
    assert "第17号</a>" in why[:why.index("</p>")]
    lifted = panel[panel.index('id="zone-lifted"'):]
    assert lifted.startswith(f'id="zone-lifted">1号楼封控区已于{_words(at)}解除 · <a href="/zones/notices/'), lifted
    assert "第19号</a>" in lifted[:lifted.index("</p>")]
    assert f"1号楼封控区自{_words(at)}发布时起解除（通告写明{_words(six)}起）。" in panel, panel
    # the API says the same: since the lift, following the compound's 17号 since 05:00, lifted by 19号
    client.force_login(w.users.staff)
    now_zone = client.get(f"/api/v1/zones/households/{w.hh101.id}").json()["now"]
    assert now_zone["notice"] == "第17号" and now_zone["place"] == "光明小区"
    assert _same(now_zone["since"], at)
    assert _same(now_zone["designation_since"], five)
    ended = now_zone["ended"]
    assert (ended["place"], ended["zone_type"], ended["notice"]) == ("1号楼", "sealed", "第19号")
    assert _same(ended["at"], at)
    assert _same(ended["notice_at"], six)


def test_a_zone_given_by_its_own_designation_says_no_lift(world, presets, client):
    w = world
    staff = actor_for(w.users.staff)
    _adjust(staff, w.community, w.building, "sealed", "第19号", timezone.now())
    client.force_login(w.users.resident)
    page = client.get(f"/households/{w.hh101.id}/").content.decode()
    assert "第19号</a>" in page and 'id="zone-lifted"' not in page and 'id="zone-why"' not in page
    client.force_login(w.users.staff)
    assert client.get(f"/api/v1/zones/households/{w.hh101.id}").json()["now"]["ended"] is None
