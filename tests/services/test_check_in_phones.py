"""The morning calls name the number to ring for someone without a mobile (found on the
family walk: 李卫龙, 独居老人 and 慢病 at 1单元501, showed no phone on the grid worker's
list though his household's landline was known — the round's home-sampling list showed it
as "03516374721 住户电话"). The same rule as every list of people to visit
(`registry.queries.contact_phones`, through `registry.contacts`): the person's own, else the
household's, else a housemate's, saying whose (the `phone` tag: in clear or masked by the
reader's right), and what was shown in clear audited."""

from django.test import Client

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.services.actions import care


def _row(page, name):
    return page.split('id="check-ins-open"', 1)[1].split(name, 1)[1].split("</li>")[0]


def _people(w):
    system = Actor.system()
    hh501 = reg.create_household(system, w.unit1, "501", phone="03516374721")
    li = reg.create_resident(system, hh501, {"name": "李卫龙", "phone": "", "relation": "户主",
                                             "tags": "独居老人、慢病"})
    # no landline at 102: the housemate's mobile (夏明's) is the number to ring
    gao = reg.create_resident(system, w.hh102, {"name": "高来福", "phone": "", "tags": "独居老人"})
    hh601 = reg.create_household(system, w.unit1, "601")  # nothing to call: the door
    reg.create_resident(system, hh601, {"name": "薛建华", "phone": "", "tags": "独居老人"})
    care.check_ins_today()
    return hh501, li, gao


def test_the_morning_calls_show_the_household_phone_or_a_housemates(world, svc):
    w = world
    hh501, li, gao = _people(w)
    c = Client()
    c.force_login(w.users.grid)
    before = AuditEvent.objects.filter(action="resident.view_phones").count()
    page = c.get(f"/services/p/{w.grid.id}/").content.decode()
    row = _row(page, "李卫龙")
    assert "03516374721" in row and "住户电话" in row and 'href="tel:03516374721"' in row
    row = _row(page, "高来福")
    assert "15083776308" in row and "夏明（同户）" in row
    assert "17446416120" in _row(page, "苏霞")  # her own mobile, as before
    assert "无电话，需上门" in _row(page, "薛建华")
    events = AuditEvent.objects.filter(action="resident.view_phones").order_by("id")[before:]
    shown = [e for e in events if e.changes.get("where") == f"services.check_ins:{w.grid.id}"]
    assert len(shown) == 1
    assert hh501.id in shown[0].changes["households"]
    assert {w.su.id, w.xia.id} <= set(shown[0].changes["residents"])


def test_the_building_leader_reads_whom_to_call_on_the_read_only_list(world, svc):
    w = world
    _people(w)
    c = Client()
    c.force_login(w.users.leader)
    page = c.get(f"/services/p/{w.building.id}/").content.decode()
    row = _row(page, "李卫龙")
    assert "03516374721" in row and "住户电话" in row and "尚未问询" in row


def test_in_english_the_household_phone_says_so(world, svc):
    w = world
    _people(w)
    c = Client()
    c.force_login(w.users.grid)
    c.cookies["django_language"] = "en"
    page = c.get(f"/services/p/{w.grid.id}/").content.decode()
    assert "household phone" in _row(page, "李卫龙")
    assert "夏明's, same household" in _row(page, "高来福")
