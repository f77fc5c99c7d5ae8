"""The resident's edit page asks the before-the-seal question (walk "re", defect 7): setting
外出 for someone whose building is sealed was refused with a pointer to the missing list's
"不在本地…", which exists only while a round runs and the person is missing in it — a dead
end outside a round. Now the refusal keeps what was typed and shows the question (a box
"they left before the seal of <date>"); ticked, the change is saved and the answer recorded."""

import pytest
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.registry.models import Presence
from tests.conftest import seal_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(world):
    """1号楼 sealed from now (the zones' own publication)."""
    return seal_now(world)


def _form(**more):
    return {"name": "夏明", "phone": "15083776308", "relation": "head", "presence": "away",
            "notes": "在太原南站附近住", **more}


def test_the_edit_page_asks_whether_they_left_before_the_seal(login, world, sealed):
    c = login(world.users.staff)
    url = reverse("resident_edit", args=[world.xia.id])
    assert 'name="left_before_seal"' not in c.get(url).content.decode()  # not asked before
    refused = c.post(url, _form()).content.decode()
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.HOME
    assert "起封控" in refused and "在编辑页勾选" in refused  # not only "the missing list"
    assert 'name="left_before_seal" value="1"' in refused and "封控前已离开（封控时间" in refused
    assert 'value="在太原南站附近住"' in refused  # what was typed is kept
    assert '<option value="away" selected' in refused
    done = c.post(url, _form(left_before_seal="1"))
    assert done.status_code == 302
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.AWAY and world.xia.notes == "在太原南站附近住"
    ev = AuditEvent.objects.filter(action="resident.update").latest("id")
    assert ev.changes["presence"] == ["home", "away"] and ev.changes["left_before_seal"]


def test_the_question_is_not_asked_outside_a_sealed_building(login, world):
    c = login(world.users.staff)
    done = c.post(reverse("resident_edit", args=[world.xia.id]), _form())
    assert done.status_code == 302
    world.xia.refresh_from_db()
    assert world.xia.presence == Presence.AWAY
