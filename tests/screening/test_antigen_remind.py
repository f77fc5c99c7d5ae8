"""Families who had not reported an antigen result by mid-day got no reminder in the app.
Now staff tap 「提醒未报告的家庭」 on the round's missing list: asked first, then one inbox
message to the family accounts of each household with someone not yet reported (in each
reader's language, naming those members), once within 2 hours (a second tap sends nothing
new and says so), audited; households without a family account are listed for a door
visit. The page and the API call the same action; whoever may not see the round gets 404."""

import datetime
import json

import pytest
from django.utils import timezone

from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.notify.models import Notification
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import planning, remind
from fangkong.screening.models import Round
from tests.conftest import make_user

from .conftest import rnd  # noqa: F401  (a running PCR round, for the 404)
from .test_antigen import running_antigen_round

KIND = "screening.antigen_remind"


@pytest.fixture
def ag(world, system):
    """The antigen round, 于海涛 reported; 苏霞 (101), 夏明 (102), 王新勇 (201) have not.
    101's account reads Chinese; 201 gets an account reading English; 102 has none."""
    r = running_antigen_round(world, system)
    antigen_actions.record_result(Actor.system(world.users.staff), r, world.yu, "negative")
    world.users.resident_b = make_user(system, "resident_b", Role.RESIDENT, household=world.hh201)
    world.users.resident_b.language = "en"
    world.users.resident_b.save(update_fields=["language"])
    return r


def _sent():
    return {n.user_id: n for n in Notification.objects.filter(kind=KIND)}


@pytest.mark.django_db
def test_asked_first_then_each_family_told_once_in_its_language_and_a_door_list(world, ag):
    w = world
    staff = Actor.system(w.users.staff, via="web")
    with pytest.raises(Conflict) as e:
        remind.remind(staff, ag, w.community)
    assert e.value.code == "confirm_remind" and e.value.extra == {"households": 2, "recent": 0, "door": 1}
    assert not _sent()
    done = remind.remind(staff, ag, w.community, confirm=True)
    assert sorted(h.door for h in done["told"]) == ["101", "201"] and done["notified"] == 2
    assert [(h.door, h.names) for h in done["door"]] == [("102", ["夏明"])]
    sent = _sent()
    zh, en = sent[w.users.resident.id], sent[w.users.resident_b.id]
    assert zh.title.startswith("请上报抗原检测结果") and "苏霞" in zh.body and "于海涛" not in zh.body
    assert en.title.startswith("Please report your antigen result") and "王新勇" in en.body
    assert AuditEvent.objects.filter(action="screening.antigen.remind").count() == 1
    # a second tap: nothing new, and it says so
    again = remind.remind(staff, ag, w.community, confirm=True)
    assert again["told"] == [] and len(again["recent"]) == 2 and again["notified"] == 0
    assert Notification.objects.filter(kind=KIND).count() == 2
    assert AuditEvent.objects.filter(action="screening.antigen.remind").count() == 1
    assert "2" in " ".join(remind.said(again))
    # past two hours: told again
    later = remind.remind(staff, ag, w.community, confirm=True, now=timezone.now() + datetime.timedelta(hours=3))
    assert len(later["told"]) == 2 and Notification.objects.filter(kind=KIND).count() == 4


@pytest.mark.django_db
def test_a_grid_worker_reminds_their_grid_and_nobody_else_may(world, ag):
    w = world
    done = remind.remind(Actor.system(w.users.grid), ag, w.community, confirm=True)
    assert len(done["told"]) == 2  # the whole community is in their grid here
    for who in (w.users.other_staff, w.users.volunteer, w.users.resident):
        with pytest.raises(NotFound):
            remind.remind(Actor.system(who), ag, w.community, confirm=True)
    planning.set_status(Actor.system(w.users.staff), ag, "closed")
    with pytest.raises(Invalid):
        remind.remind(Actor.system(w.users.staff), ag, w.community, confirm=True)


@pytest.mark.django_db
def test_the_page_asks_lists_the_doors_and_sends_on_yes(world, ag, login):
    w = world
    client = login(w.users.staff)
    missing = client.get(f"/screening/rounds/{ag.id}/missing/").content.decode()
    assert f"/screening/rounds/{ag.id}/antigen/remind/" in missing
    url = f"/screening/rounds/{ag.id}/antigen/remind/"
    page = client.get(url).content.decode()
    assert "夏明" in page and f"/screening/rounds/{ag.id}/antigen/door/?household={w.hh102.id}" in page
    assert 'name="confirm" value="1"' in page
    assert client.post(url, {"place": w.community.id}).status_code == 302 and not _sent()  # not confirmed
    r = client.post(url, {"place": w.community.id, "confirm": "1"}, follow=True)
    assert r.status_code == 200 and len(_sent()) == 2
    r = client.post(url, {"place": w.community.id, "confirm": "1"}, follow=True)
    assert "没有新的家庭需要提醒" in r.content.decode()
    assert Notification.objects.filter(kind=KIND).count() == 2


@pytest.mark.django_db
def test_the_page_is_404_for_another_community_a_resident_and_a_pcr_round(world, ag, rnd, login):  # noqa: F811
    w = world
    for who in (w.users.other_staff, w.users.resident, w.users.volunteer, w.users.leader):
        client = login(who)
        assert client.get(f"/screening/rounds/{ag.id}/antigen/remind/").status_code == 404
        assert client.post(f"/screening/rounds/{ag.id}/antigen/remind/", {"confirm": "1"}).status_code == 404
    assert login(w.users.staff).get(f"/screening/rounds/{rnd.id}/antigen/remind/").status_code == 404
    assert not _sent()


@pytest.mark.django_db
def test_the_api_asks_with_409_then_sends_and_lists_the_doors(world, ag, login):
    w = world
    url = f"/api/v1/screening/rounds/{ag.id}/antigen-remind"
    client = login(w.users.staff)
    r = client.post(url, json.dumps({}), content_type="application/json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "confirm_remind" and not _sent()
    r = client.post(url, json.dumps({"confirm": True}), content_type="application/json")
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["households"], body["notified"], body["recent"]) == (2, 2, 0)
    assert [(d["door"], d["names"]) for d in body["door"]] == [("102", ["夏明"])]
    r = client.post(url, json.dumps({"confirm": True}), content_type="application/json")
    assert (r.json()["households"], r.json()["recent"]) == (0, 2)
    other = login(w.users.other_staff)
    assert other.post(url, json.dumps({"confirm": True}), content_type="application/json").status_code == 404
    assert Round.objects.filter(kind="antigen").count() == 1
