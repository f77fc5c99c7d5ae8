"""A visit after nobody answered for someone watched over is urgent (found on the gate walk:
the 1-hour 老人探视 for 杨娟, living alone, who did not answer her door, ranked second behind
a 4-hour medicine errand for a household whose people weigh more, and would only come first
once late). It is raised at priority 1 — the queue's rule (`QUEUE_ORDER`) is unchanged."""

import uuid

from django.test import Client

from fangkong.registry import actions as reg
from fangkong.services.actions import care, requests
from fangkong.services.models import Category
from tests.conftest import actor_for


def test_a_no_answer_visit_comes_before_a_routine_errand_of_a_weightier_household(world, system):
    w = world
    requests.install_categories()
    reg.create_resident(system, w.hh101, {"name": "杨娟", "tags": "独居老人"})
    reg.create_resident(system, w.hh201, {"name": "闫桂兰", "tags": "独居老人,行动不便"})
    for n in range(3):
        reg.create_resident(system, w.hh201, {"name": f"卧床{n}", "tags": "卧床,慢病"})
    staff = actor_for(w.users.staff)
    errand = requests.raise_request(staff, w.hh201, Category.objects.get(code="medicine"), "降压药明天就吃完了",
                                    client_id=uuid.uuid4())
    visit = care.no_answer_visit(staff, w.hh101, "送货上门时无人应门：请上门看看杨娟", client_id=uuid.uuid4())
    assert visit.priority == 1
    assert visit.vulnerable < errand.vulnerable  # the household weighs less: the priority puts it first
    c = Client()
    c.force_login(w.users.staff)
    ids = [r["id"] for r in c.get(f"/api/v1/services/requests?place={w.community.id}").json()]
    assert ids.index(visit.id) < ids.index(errand.id)
