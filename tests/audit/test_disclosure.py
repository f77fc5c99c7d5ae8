"""audit.disclosure: who sees a phone or an ID number in clear, and the one audit event
for what was shown."""

import pytest

from fangkong.audit import disclosure
from fangkong.audit.models import AuditEvent
from fangkong.registry.models import Resident
from tests.conftest import actor_for


@pytest.mark.django_db
def test_show_phone_by_role(world):
    w = world
    staff, lab = actor_for(w.users.staff), actor_for(w.users.lab)
    assert disclosure.show_phone(staff, w.su) == ("17446416120", False)
    assert disclosure.show_phone(staff.scope, w.hh101) == ("03514001234", False)
    assert disclosure.show_phone(lab, w.su) == ("174****6120", True)
    assert disclosure.show_phone(actor_for(w.users.other_staff), w.su) == ("174****6120", True)
    assert disclosure.show_phone(lab, w.hh102) == ("", True)


@pytest.mark.django_db
def test_one_event_for_the_phones_a_list_showed(world):
    w = world
    staff = actor_for(w.users.staff)
    people = [w.su, w.yu, w.other_person]  # the last is another community's: masked
    column = disclosure.phones_column(staff, people, "list:1")
    assert column == ["17446416120", "17629786286", "172****9604"]
    e = AuditEvent.objects.get(action="resident.view_phones")
    assert e.changes == {"where": "list:1", "residents": [w.su.id, w.yu.id], "count": 2}
    assert e.community_id == w.community.id and e.unit_id == w.unit1.id
    disclosure.audit_phones(actor_for(w.users.lab), people, "list:2")  # nothing in clear
    disclosure.audit_phones(staff, [w.xia], "household:9", [w.hh101, w.hh102])
    e = AuditEvent.objects.filter(action="resident.view_phones").latest("id")
    assert e.changes == {"where": "household:9", "residents": [w.xia.id], "count": 1,
                         "households": [w.hh101.id]}
    assert AuditEvent.objects.filter(action="resident.view_phones").count() == 2


@pytest.mark.django_db
def test_ids_in_full_only_where_every_row_allows(world):
    w = world
    staff, grid, leader = (actor_for(u) for u in (w.users.staff, w.users.grid, w.users.leader))
    mine = list(Resident.objects.filter(community_id=w.community.id))
    assert disclosure.ids_in_full(staff, mine, asked=True)
    assert not disclosure.ids_in_full(staff, mine, asked=False)
    assert not disclosure.ids_in_full(leader, mine, asked=True)
    assert not disclosure.ids_in_full(grid, mine + [w.other_person], asked=True)
    su = Resident.objects.get(pk=w.su.id)
    assert disclosure.show_id(su) == su.id_masked and "*" in su.id_masked
    full = disclosure.show_id(su, in_full=True)
    assert len(full) == 18 and full[:4] == su.id_masked[:4] and full[-4:] == su.id_masked[-4:]
    disclosure.record_ids_exported(staff, mine, "光明社区 居民")
    e = AuditEvent.objects.get(action="resident.export_ids")
    assert e.changes == {"count": len(mine), "title": "光明社区 居民",
                         "residents": [r.id for r in mine]} and e.community_id == w.community.id
