"""A round whose end is already past is not planned nor started (walk "antigen", defect 3):
at 15:45 a round of 07:15–14:45 was planned and started without a word, then said at once
"已过计划结束时间 14:45，请结束本轮" (the API's `overrun` true from its first second). Now the
planning form and the API refuse it, saying why in the user's language, and the start
button refuses a planned round whose end has passed."""

import datetime
import uuid

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning
from fangkong.screening.models import Round, RoundStatus

from .conftest import api


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_the_planning_page_refuses_an_end_already_past(world, client):
    w = world
    client.force_login(w.users.staff)
    now = timezone.now()
    form = {"place": w.community.id, "name": "抗原第9轮", "kind": "antigen", "pool_size": "10",
            "starts_at": _local(now - datetime.timedelta(hours=8, minutes=30)),
            "ends_at": _local(now - datetime.timedelta(hours=1)), "client_id": str(uuid.uuid4())}
    r = client.post("/screening/plan/", form)
    page = r.content.decode()
    assert r.status_code == 200 and "已过" in page and "请选择晚于现在的结束时间" in page
    assert not Round.objects.exists()
    # in English for an English reader
    client.cookies["django_language"] = "en"
    page = client.post("/screening/plan/", form).content.decode()
    assert "is already past" in page and "Choose an end later than now" in page
    assert not Round.objects.exists()
    # an end later than now plans it
    client.cookies["django_language"] = "zh-hans"
    form["ends_at"] = _local(now + datetime.timedelta(hours=2))
    assert client.post("/screening/plan/", form).status_code == 302
    assert Round.objects.count() == 1


def test_the_api_refuses_an_end_already_past(world, client):
    w = world
    client.force_login(w.users.staff)
    now = timezone.now()
    r = api(client, "post", "/rounds", {
        "place": w.community.id, "name": "第9轮核酸", "kind": "pcr", "pool_size": 10,
        "starts_at": (now - datetime.timedelta(hours=8)).isoformat(),
        "ends_at": (now - datetime.timedelta(minutes=5)).isoformat()})
    err = r.json()["error"]
    assert r.status_code == 400 and err["code"] == "ended_already" and "ends_at" in err["fields"], err
    assert "已过" in err["fields"]["ends_at"][0]
    assert not Round.objects.exists()


def test_a_planned_round_past_its_end_is_not_started(world, client):
    w = world
    now = timezone.now()
    rnd = planning.plan_round(Actor.system(w.users.staff), w.community, {  # planned days ago, forgotten
        "name": "第8轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=9),
        "ends_at": now - datetime.timedelta(hours=2), "pool_size": 10})
    client.force_login(w.users.staff)
    r = client.post(f"/screening/rounds/{rnd.id}/status/", {"status": "running"}, follow=True)
    assert "第8轮核酸 计划结束时间" in r.content.decode() and "未开始" in r.content.decode()
    rnd.refresh_from_db()
    assert rnd.status == RoundStatus.PLANNED and not rnd.overrun
