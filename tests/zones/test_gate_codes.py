"""The checkpoint applies the person's known health code (walk "zone", item 1): a red code
imported from the city's file is refused at the gate whether or not the guard taps a colour,
no colour is ticked in advance, a green seen at the gate over the imported red cannot
overrule it (rewalk item 2): refused, recorded as an audited observation, staff told once a
day; an observation never makes an import of the same day milder in silence."""

import datetime
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.errors import Conflict, Invalid
from fangkong.notify.models import Notification
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones import queries
from fangkong.zones.actions import gate
from fangkong.zones.models import CheckpointEvent, HealthCode, HealthCodeObservation, Source
from tests.conftest import IDS, actor_for


@pytest.fixture
def east_gate(world):
    return reg.create_place(Actor.system(), world.compound, Kind.CHECKPOINT, "东门")


def import_red(c, w, key="xia_ming"):
    f = SimpleUploadedFile("codes.csv", f"身份证号,健康码\n{IDS[key]},红\n".encode("utf-8-sig"),
                           content_type="text/csv")
    r = c.post(f"/zones/p/{w.compound.id}/codes/import/", {"file": f}, follow=True)
    assert r.status_code == 200
    assert (HealthCode.objects.get(resident=w.xia).colour, HealthCode.objects.get(resident=w.xia).source) == \
        ("red", "import")


def gate_post(c, w, g, **extra):
    data = {"gate": g.id, "person": IDS["xia_ming"], "direction": "out", "temperature": "36.5",
            "client_id": str(uuid.uuid4())}
    data.update(extra)
    return c.post(f"/zones/p/{w.compound.id}/gate/", data)


def test_no_colour_is_ticked_in_advance(world, presets, login, east_gate):
    r = login(world.users.grid).get(f"/zones/p/{world.compound.id}/gate/")
    radios = re.findall(r'<input type="radio" name="colour"[^>]*>', r.text)
    assert len(radios) == 3 and not any("checked" in x for x in radios)


def test_an_imported_red_is_refused_at_the_gate_page(world, presets, login, east_gate):
    w = world
    c = login(w.users.grid)
    import_red(c, w)
    # the guard looks the person up: the red on record is said, with its source, nothing written
    r = gate_post(c, w, east_gate, look="1")
    known = r.text[r.text.index('id="known-code"'):][:600]
    assert "verdict no" in r.text[r.text.index('class="card known-code'):][:60]
    assert "红码" in known and "城市" in known and CheckpointEvent.objects.count() == 0
    # no colour tapped: the red on record applies
    r = gate_post(c, w, east_gate)
    ev = CheckpointEvent.objects.get()
    assert not ev.allowed and ev.colour == "red" and "红码" in ev.reason
    assert "拒绝通行" in r.text and "放行" not in r.text[r.text.index('id="verdict"'):][:80]
    assert (HealthCode.objects.get(resident=w.xia).colour, HealthCode.objects.get(resident=w.xia).source) == \
        ("red", "import")
    # green tapped: not let through, no "record the colour I chose" override; the green is kept
    # as an observation (audited, not current) and the community's staff are told, once a day
    cid = str(uuid.uuid4())
    r = gate_post(c, w, east_gate, colour="green", client_id=cid)
    assert 'id="confirm-alarm"' not in r.text and "按我选择的颜色登记" not in r.text
    ev = CheckpointEvent.objects.get(client_id=cid)
    assert not ev.allowed and ev.colour == "red" and "红码" in ev.reason
    notice = r.text[r.text.index('id="disputed"'):][:400]
    assert "未放行" in notice and "工作人员" in notice
    r = gate_post(c, w, east_gate, colour="green", client_id=cid, confirm="1")  # a forged confirm
    assert CheckpointEvent.objects.filter(client_id=cid).get().allowed is False
    r = gate_post(c, w, east_gate, colour="green", confirm="1")
    assert not CheckpointEvent.objects.order_by("-id").first().allowed
    hc = HealthCode.objects.get(resident=w.xia)
    assert (hc.colour, hc.source) == ("red", "import")
    assert ("green", "checkpoint") in HealthCodeObservation.objects.filter(resident=w.xia).values_list("colour", "source")
    a = AuditEvent.objects.filter(action="zones.health_code").order_by("-id").first()
    assert a.changes.get("current") is False and a.changes.get("colour") == "green"
    told = Notification.objects.filter(user=w.users.staff, kind="zones.code_disputed")
    assert told.count() == 1  # once per person a day, however many taps
    n = told.get()
    title, body = n.said("zh-hans")
    assert w.xia.name in title and body == f"卡口看到{w.xia.name}的健康码为绿码，但城市数据为红码；未放行。请核实。"


def test_an_imported_red_is_refused_through_the_api(world, presets, login, east_gate):
    w = world
    c = login(w.users.grid)
    import_red(c, w)
    url = f"/api/v1/zones/checkpoints/{east_gate.id}/events"
    r = c.post(url, {"direction": "out", "client_id": str(uuid.uuid4()), "resident": w.xia.id},
               content_type="application/json")
    assert r.status_code == 201 and r.json()["allowed"] is False and r.json()["colour"] == "red"
    for confirm in (False, True):  # no override of an import, confirmed or not: 409 with the known code
        body = {"direction": "out", "client_id": str(uuid.uuid4()), "resident": w.xia.id, "colour": "green",
                "confirm": confirm}
        r = c.post(url, body, content_type="application/json")
        assert r.status_code == 409 and r.json()["error"]["code"] == "code_imported"
        assert r.json()["error"]["known"]["colour"] == "red" and r.json()["error"]["known"]["source"] == "import"
        assert r.json()["error"]["event"]["allowed"] is False
        assert HealthCode.objects.get(resident=w.xia).colour == "red"
    assert CheckpointEvent.objects.filter(allowed=True).count() == 0


def test_nothing_known_and_nothing_chosen_the_guard_must_choose(world, presets, east_gate):
    w = world
    with pytest.raises(Invalid) as e:
        gate.pass_gate(actor_for(w.users.grid), east_gate, direction="in", resident=w.su, client_id=uuid.uuid4())
    assert "colour" in e.value.fields and CheckpointEvent.objects.count() == 0
    # a yellow on record: no exit, said with where it comes from; entry is let through
    gate.observe_code(actor_for(w.users.grid), w.su, "yellow", source=Source.CHECKPOINT)
    out = gate.pass_gate(actor_for(w.users.grid), east_gate, direction="out", resident=w.su,
                         client_id=uuid.uuid4())
    assert not out.allowed and out.colour == "yellow" and "黄码" in out.reason
    assert gate.pass_gate(actor_for(w.users.grid), east_gate, direction="in", resident=w.su,
                          client_id=uuid.uuid4()).allowed
    with pytest.raises(Conflict):  # green over the yellow on record: asked first
        gate.pass_gate(actor_for(w.users.grid), east_gate, direction="out", resident=w.su, colour="green",
                       client_id=uuid.uuid4())


def test_an_observation_does_not_silently_overwrite_an_import_of_the_same_day(world, presets):
    w = world
    staff = actor_for(w.users.staff)
    morning = timezone.now()
    gate.record_observation(staff, w.xia, "red", source=Source.IMPORT, at=morning)
    later = morning + datetime.timedelta(minutes=5)
    if timezone.localtime(later).date() != timezone.localtime(morning).date():  # just before midnight
        later = morning + datetime.timedelta(seconds=1)
    obs = gate.observe_code(staff, w.xia, "green", source=Source.MANUAL, at=later)
    hc = queries.health_code(w.xia.id)
    assert (hc.colour, hc.source) == ("red", "import")
    assert obs.current is False and HealthCodeObservation.objects.filter(resident=w.xia).count() == 2
    assert AuditEvent.objects.filter(action="zones.health_code").order_by("-id").first().changes.get("current") is False
    # a more severe colour seen always applies; a newer import always applies
    gate.observe_code(staff, w.su, "green", source=Source.IMPORT, at=morning)
    assert gate.observe_code(staff, w.su, "yellow", source=Source.CHECKPOINT, at=later).current
    assert queries.health_code(w.su.id).colour == "yellow"
    gate.record_observation(staff, w.xia, "green", source=Source.IMPORT, at=later + datetime.timedelta(seconds=1))
    assert queries.health_code(w.xia.id).colour == "green"
    # the next day, the newer observation wins; but the gate never makes an import milder
    gate.record_observation(staff, w.wang, "red", source=Source.IMPORT, at=morning)
    assert not gate.observe_code(staff, w.wang, "green", source=Source.CHECKPOINT,
                                 at=morning + datetime.timedelta(days=1), confirmed=True).current
    assert queries.health_code(w.wang.id).colour == "red"
    assert gate.observe_code(staff, w.wang, "green", source=Source.MANUAL,
                             at=morning + datetime.timedelta(days=1)).current
    assert queries.health_code(w.wang.id).colour == "green"


def send_codes(c, w, text):
    f = SimpleUploadedFile("codes.csv", text.encode("utf-8-sig"), content_type="text/csv")
    return c.post(f"/zones/p/{w.compound.id}/codes/import/", {"file": f}, follow=True).content.decode()


def test_a_city_file_with_people_from_elsewhere_records_the_residents_here(world, presets, login):
    """Rewalk item 5: the city's file always holds people from elsewhere; they are skipped and
    counted, the residents here recorded."""
    w = world
    c = login(w.users.grid)
    text = send_codes(c, w, f"身份证号,健康码\n{IDS['xia_ming']},红\n{IDS['b_person']},绿\n")
    assert "已记录 1 人的健康码颜色。" in text and "1 行不是本地居民，已跳过。" in text
    assert "这里没有持此身份证号的居民" not in text
    hc = HealthCode.objects.get(resident=w.xia)
    assert (hc.colour, hc.source) == ("red", "import")
    assert HealthCodeObservation.objects.count() == 1


def test_a_malformed_city_file_is_refused_whole_and_says_nothing_was_recorded(world, presets, login):
    w = world
    c = login(w.users.grid)
    bad_id = IDS["xia_ming"][:-1] + ("0" if IDS["xia_ming"][-1] != "0" else "1")  # checksum wrong
    text = send_codes(c, w, f"身份证号,健康码\n{IDS['xia_ming']},红\n{bad_id},绿\n{IDS['su_xia']},紫\n"
                            f"{IDS['b_person']},绿\n")
    assert "未记录任何内容：2 行有问题。" in text  # the headline, not only the rows
    assert "3: " in text and "4: " in text and "紫" in text
    assert HealthCodeObservation.objects.count() == 0 and not HealthCode.objects.filter(resident=w.xia).exists()
