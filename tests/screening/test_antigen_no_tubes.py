"""An antigen round has no tubes and no swab to take again (walk "antigen", defects 4 and 5):
the plan form kept 每管人数 10 for an antigen round, the round list said "每管 10 人" and the API
`"pool_size": 10` (the demo's antigen round: 1); and the antigen result offered "无效，需重采",
PCR's wording — a cassette is tested again with a new kit."""

import datetime
import importlib
import uuid

from django.apps import apps
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.models import Result, Round

from .conftest import api
from .photos import png
from .test_antigen import running_antigen_round


def _local(dt) -> str:
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_an_antigen_round_has_no_people_per_tube(world, client):
    w = world
    client.force_login(w.users.staff)
    now = timezone.now()
    home = client.get("/screening/").content.decode()
    assert '<div class="pool-field">' in home  # hidden by app.css while 抗原 is chosen
    r = client.post("/screening/plan/", {
        "place": w.community.id, "name": "抗原第3轮", "kind": "antigen", "pool_size": "10",
        "starts_at": _local(now + datetime.timedelta(minutes=10)),
        "ends_at": _local(now + datetime.timedelta(hours=8)), "client_id": str(uuid.uuid4())})
    assert r.status_code == 302
    ag = Round.objects.get(name="抗原第3轮")
    assert ag.pool_size == 1
    # by the API too, whatever it sends; and it answers no people per tube for antigen
    made = api(client, "post", "/rounds", {
        "place": w.community.id, "name": "抗原第4轮", "kind": "antigen", "pool_size": 10,
        "starts_at": (now + datetime.timedelta(days=1)).isoformat(),
        "ends_at": (now + datetime.timedelta(days=1, hours=8)).isoformat(), "confirm_overlap": True}).json()
    assert made["pool_size"] is None and Round.objects.get(pk=made["id"]).pool_size == 1
    assert api(client, "get", f"/rounds/{ag.id}").json()["pool_size"] is None
    pcr = api(client, "post", "/rounds", {
        "place": w.community.id, "name": "第5轮核酸", "kind": "pcr", "pool_size": 10,
        "starts_at": (now + datetime.timedelta(days=2)).isoformat(),
        "ends_at": (now + datetime.timedelta(days=2, hours=8)).isoformat(), "confirm_overlap": True}).json()
    assert pcr["pool_size"] == 10
    # the round list names people per tube for PCR only
    rows = client.get("/screening/").content.decode()
    line = rows.split("<strong>抗原第3轮</strong>", 1)[1].split("</li>", 1)[0]
    assert "每管" not in line and "每管 10 人" in rows.split("<strong>第5轮核酸</strong>", 1)[1].split("</li>", 1)[0]
    css = open("fangkong/static/fangkong/app.css", encoding="utf-8").read()
    assert 'option[value="antigen"]:checked) .pool-field { display: none; }' in css


def test_antigen_rounds_planned_before_keep_one_per_tube(world, system):
    """The migration stores 1 for the antigen rounds planned with the form's 10."""
    ag = running_antigen_round(world, system)
    Round.objects.filter(pk=ag.pk).update(pool_size=10)
    migration = importlib.import_module("fangkong.screening.migrations.0018_antigen_correction")
    migration.antigen_pool_one(apps, None)
    assert Round.objects.get(pk=ag.pk).pool_size == 1


def test_an_invalid_cassette_is_tested_again_not_resampled(world, system, client):
    w = world
    ag = running_antigen_round(w, system)
    client.force_login(w.users.staff)
    door = client.get(f"/screening/rounds/{ag.id}/antigen/door/?household={w.hh101.id}").content.decode()
    assert "无效，需重测" in door and "无效，需重采" not in door
    client.force_login(w.users.resident)
    mine = client.get("/screening/antigen/mine/").content.decode()
    assert "无效，需重测" in mine and "重采" not in mine
    # recorded, the result reads so on the overview and the household's page
    antigen_actions.record_result(Actor.system(w.users.resident), ag, w.su, "invalid", photo=png())
    client.force_login(w.users.staff)
    overview = client.get(f"/screening/rounds/{ag.id}/antigen/").content.decode()
    assert "无效，需重测" in overview and "重采" not in overview
    household = client.get(f"/households/{w.hh101.id}/").content.decode()
    assert "抗原检测无效：请用新试剂重测" in household and "需要重新采样" not in household
    client.cookies["django_language"] = "en"
    door = client.get(f"/screening/rounds/{ag.id}/antigen/door/?household={w.hh101.id}").content.decode()
    assert "Invalid, test again" in door and "re-sample" not in door
    # PCR keeps its own word
    assert str(Result.INVALID.label) == "Invalid, re-sample"
