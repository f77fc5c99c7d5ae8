"""A volunteer lent in from another community is not given a sampling table by the API
either (found integrating: the borrowing community's points page does not offer her, but
`POST /api/v1/screening/rounds/{id}/samplers` gave her a table — one that grants nothing,
her volunteer role being at home). One rule (`screening.access.sampler_pool_q`) in one
action (`planning.assign_sampler_volunteer`): the page and the API refuse her alike, in the
same words; her home community still gives her a table."""

import datetime

from django.utils import timezone

from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import planning
from fangkong.screening.models import Sampler
from fangkong.volunteers.actions import registration
from tests.conftest import actor_for

from .conftest import api
from .test_work_api import person, session


def other_round(world, system):
    point = reg.create_place(system, world.other, Kind.SAMPLING_POINT, "惠泽苑采样点")
    now = timezone.now()
    r = planning.plan_round(system, world.other, {
        "name": "惠泽苑第1轮", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3}, points=[(point, 2)])
    planning.set_status(system, r, "running")
    return r


def test_a_volunteer_lent_in_gets_no_table_by_the_page_nor_the_api(world, rnd, system):
    v = registration.approve(system, registration.add_volunteer(system, world.community, person(world, 11)))
    registration.lend(actor_for(world.users.staff), v, world.other, timezone.now() + datetime.timedelta(days=2))
    own = registration.approve(system, registration.add_volunteer(
        system, world.other, {**person(world, 12), "household": world.other_hh.id}))
    there = other_round(world, system)
    point = there.points.get()
    borrower = session(world.users.other_staff)

    page = borrower.post(f"/screening/rounds/{there.id}/points/",
                         {"do": "sampler", "volunteer": v.id, "point": point.id, "table": 1},
                         headers={"Accept-Language": "en"})
    assert page.status_code == 400
    said = f"Only volunteers of {world.other.name} can sample in this round: {v.name} is a volunteer of " \
           f"{world.community.name}."
    assert said in page.content.decode()
    r = api(borrower, "post", f"/rounds/{there.id}/samplers", {"volunteer": v.id, "point": point.id, "table": 1})
    assert r.status_code == 400, r.content
    assert r.json()["error"]["fields"]["volunteer"] == [
        "只能安排惠泽苑社区的志愿者在本轮采样：报到11 是光明社区的志愿者。"]
    assert not Sampler.objects.filter(round=there).exists()
    # the borrower's own volunteer: a table, page and API alike
    assert borrower.post(f"/screening/rounds/{there.id}/points/", {
        "do": "sampler", "volunteer": own.id, "point": point.id, "table": 1}).status_code == 302
    assert api(borrower, "post", f"/rounds/{there.id}/samplers",
               {"volunteer": own.id, "point": point.id, "table": 2}).status_code == 200

    # her home community gives her a table, page and API alike
    home = session(world.users.staff)
    r = home.post(f"/screening/rounds/{rnd.id}/points/",
                  {"do": "sampler", "volunteer": v.id, "point": world.point.id, "table": 1})
    assert r.status_code == 302
    assert api(home, "post", f"/rounds/{rnd.id}/samplers",
               {"volunteer": v.id, "point": world.point.id, "table": 2}).status_code == 200
    assert Sampler.objects.get(round=rnd).table == 2
    # the loan over, the borrower no longer sees her: the page's "choose a volunteer", the API's 404
    registration.end_loan(actor_for(world.users.staff), v.loans.get())
    page = borrower.post(f"/screening/rounds/{there.id}/points/",
                         {"do": "sampler", "volunteer": v.id, "point": point.id, "table": 1})
    assert page.status_code == 400 and "volunteer" in page.context["errors"]
    assert api(borrower, "post", f"/rounds/{there.id}/samplers",
               {"volunteer": v.id, "point": point.id, "table": 1}).status_code == 404
