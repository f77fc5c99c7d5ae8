"""Home visits given to a sampler (found walking a round: staff could not give a bedridden
resident's visit to anyone, and the sampler's 我的任务 said 目前没有任务): staff give a
visit to one of the round's samplers; the sampler is told in their inbox and their landing
page lists it (name, full address, phone, 卧床) with the station to open; once the sampler
registers the person through the station's API the visit leaves the list and coverage
counts them. Someone else's visit, a wrong community's staff or a non-sampler: 404."""

from django.urls import reverse

from fangkong.audit.models import AuditEvent as Event
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.screening import figures
from fangkong.screening.actions import followup, planning
from fangkong.screening.models import HomeVisit

from .conftest import api, cid


def _given(world, rnd, client):
    """夏明 (卧床) on the home list; volunteer_a samples at table 1; staff give her visit."""
    staff = Actor.system(world.users.staff)
    followup.generate_home_list(staff, rnd)
    hv = HomeVisit.objects.get(round=rnd, resident=world.xia)
    s = planning.assign_sampler(staff, rnd, world.point, world.users.volunteer, 1)
    client.force_login(world.users.staff)
    page = client.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert f'value="{s.id}"' in page and 'name="visits"' in page  # the select and the ticks
    r = client.post(f"/screening/rounds/{rnd.id}/home/", {"assign": "1", "sampler": s.id, "visits": [hv.id]},
                    follow=True)
    assert "已将 1 个上门采样分配给volunteer_a" in r.content.decode()
    hv.refresh_from_db()
    assert hv.assignee_id == world.users.volunteer.id
    return hv, s


def test_a_visit_given_to_a_sampler_is_on_their_list_until_they_register_the_person(world, rnd, client):
    hv, s = _given(world, rnd, client)
    assert Event.objects.filter(action="screening.home.assign").count() == 1
    note = Notification.objects.get(user=world.users.volunteer, kind="screening.home_assigned")
    assert "1" in note.title and rnd.name in note.title and note.url == reverse("screening_my_home_visits")
    assert "夏明" not in note.title + note.body  # nobody's name on a phone's message

    client.force_login(world.users.volunteer)
    home = client.get("/volunteers/").content.decode()
    assert "我的任务" in home and "夏明" in home and "卧床" in home and "目前没有任务" not in home
    assert world.xia.household.door in home
    station = f"/screening/rounds/{rnd.id}/station/?visit={hv.id}"
    assert station in home.replace("&amp;", "&")
    mine = api(client, "get", "/home-visits/mine")
    assert mine.status_code == 200 and [v["name"] for v in mine.json()] == ["夏明"]
    assert mine.json()[0]["next_url"] == station
    assert 'value="夏明"' in client.get(station).content.decode()  # the station looks her up

    # the sampler registers her at the door through the station's API
    before = figures.coverage(rnd, world.community)["sampled"]
    assert api(client, "post", f"/rounds/{rnd.id}/tubes",
               {"barcode": "T0009", "point": world.point.id, "table": 1}).status_code == 201
    assert api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0009",
                                                           "person": f"r:{world.xia.id}"}).status_code == 200
    assert figures.coverage(rnd, world.community)["sampled"] == before + 1
    assert api(client, "get", "/home-visits/mine").json() == []
    assert "夏明" not in client.get("/volunteers/").content.decode()
    assert "夏明" not in client.get("/screening/home-visits/mine/").content.decode()


def test_taken_back_or_cancelled_it_leaves_the_list_and_a_closed_visit_is_not_given(world, rnd, client):
    hv, s = _given(world, rnd, client)
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/home-visits/assign", {"visits": [hv.id], "sampler": None})
    assert r.status_code == 200 and r.json()["sampler"] is None
    client.force_login(world.users.volunteer)
    assert api(client, "get", "/home-visits/mine").json() == []
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/home-visits/assign",
               {"visits": [hv.id], "sampler": s.id}).status_code == 200
    followup.set_home_visit(Actor.system(world.users.staff), hv, HomeVisit.Status.CANCELLED)
    client.force_login(world.users.volunteer)
    assert api(client, "get", "/home-visits/mine").json() == []
    assert client.get(f"/screening/rounds/{rnd.id}/station/?visit={hv.id}").status_code == 404
    client.force_login(world.users.staff)
    r = api(client, "post", f"/rounds/{rnd.id}/home-visits/assign", {"visits": [hv.id], "sampler": s.id})
    assert r.status_code == 422 or r.status_code == 400, r.content


def test_others_get_404(world, rnd, client):
    hv, s = _given(world, rnd, client)
    # community B's staff: the round and the visit are missing to them
    client.force_login(world.users.other_staff)
    assert api(client, "post", f"/rounds/{rnd.id}/home-visits/assign",
               {"visits": [hv.id], "sampler": s.id}).status_code == 404
    assert client.post(f"/screening/rounds/{rnd.id}/home/",
                       {"assign": "1", "sampler": s.id, "visits": [hv.id]}).status_code == 404
    assert api(client, "get", "/home-visits/mine").status_code == 404
    assert client.get("/screening/home-visits/mine/").status_code == 404
    # a sampler of the round the visit was not given to: not on their list, the station's
    # link for it is missing
    from fangkong.accounts.roles import Role
    from tests.conftest import make_user

    other = make_user(Actor.system(), "volunteer_a2", Role.VOLUNTEER, world.community)
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, other, 2)
    client.force_login(other)
    assert api(client, "get", "/home-visits/mine").json() == []
    assert client.get(f"/screening/rounds/{rnd.id}/station/?visit={hv.id}").status_code == 404
    assert client.get(f"/screening/rounds/{rnd.id}/station/").status_code == 200
    # a sampler taken off the round: the visit is no longer listed to them
    planning.remove_sampler(Actor.system(world.users.staff), rnd, s.id)
    client.force_login(world.users.volunteer)
    assert client.get("/screening/home-visits/mine/").status_code == 404
    assert "夏明" not in client.get("/volunteers/").content.decode()
    # giving to someone not sampling in the round is refused
    client.force_login(world.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/home-visits/assign",
               {"visits": [hv.id], "sampler": 999999}).status_code in (400, 422)
