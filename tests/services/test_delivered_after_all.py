"""A door delivered after all shows as delivered with the staff's note and its history (found
on a phone: once staff ticked "已补送达" the run, page and API, read "已送达: 敲门无人应答" — the
failure's reason — and the note was nowhere)."""

from django.test import Client
from django.utils import timezone

from fangkong.services.actions import delivery
from fangkong.services.models import Problem, Stop
from tests.conftest import actor_for
from tests.services.test_ended_not_delivered import carried_with_one_door_failed


def test_delivered_after_all_shows_the_staff_note_and_when_it_first_failed(world, svc):
    w = world
    _batch, run = carried_with_one_door_failed(w, svc)
    stop = Stop.objects.get(household=w.hh102)
    delivery.resolve_problem(actor_for(w.users.staff), Problem.objects.get(), resolution="晚上放在门口，已电话告知",
                             delivered=True)
    c = Client()
    c.force_login(w.users.staff)
    page = c.get(f"/services/runs/{run.id}/").content.decode()
    row = page.split(f'id="stop-{stop.id}"', 1)[1].split("</li>\n</ul>", 1)[0].split('<li class="row stop"')[0]
    failed_at = timezone.localtime(Stop.objects.get(pk=stop.pk).confirmed_at).strftime("%H:%M")
    settled_at = timezone.localtime(Problem.objects.get().resolved_at).strftime("%H:%M")
    assert "已补送达" in row and "已送达: 敲门无人应答" not in row and "已送达：敲门无人应答" not in row
    assert f"{failed_at} 未送达（志愿者7）：敲门无人应答" in row
    assert f"{settled_at} staff_a 补送达：晚上放在门口，已电话告知" in row

    door = next(x for x in c.get(f"/api/v1/services/runs/{run.id}").json()["checklist"] if x["id"] == stop.id)
    assert (door["state"], door["reason"], door["note"]) == ("delivered", "", "晚上放在门口，已电话告知")
    assert [h["state"] for h in door["history"]] == ["failed", "delivered_after_all"]
    assert door["history"][0]["text"] == "敲门无人应答" and door["history"][1]["by"] == "staff_a"


def test_a_door_not_delivered_keeps_its_reason_until_settled(world, svc):
    w = world
    _batch, run = carried_with_one_door_failed(w, svc)
    c = Client()
    c.force_login(w.users.staff)
    door = next(x for x in c.get(f"/api/v1/services/runs/{run.id}").json()["checklist"]
                if x["household"] == w.hh102.id)
    assert (door["state"], door["reason"], door["note"]) == ("failed", "敲门无人应答", "")
    delivered = next(x for x in c.get(f"/api/v1/services/runs/{run.id}").json()["checklist"]
                     if x["household"] == w.hh101.id)
    assert [h["state"] for h in delivered["history"]] == ["delivered"]
