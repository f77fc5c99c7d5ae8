"""The key group of a person (重点人群: medical staff, cold-chain workers, couriers…) is a
registry field (form, API, roster column 重点岗位, export); the station's pool size
follows zone type AND group (`PoolingRule`): a key-group person is refused from a pooled
tube inside or outside any zone, with the reason in Chinese, online and offline."""

import pytest

from fangkong.audit.models import AuditEvent
from fangkong.core.errors import Invalid
from fangkong.registry import actions as reg
from fangkong.registry.checks import check_resident
from fangkong.registry.models import Resident
from fangkong.screening.actions import station
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import Conflict
from fangkong.zones import queries
from fangkong.zones.models import PoolingRule
from tests.conftest import actor_for
from tests.screening.conftest import api, cid, rnd  # noqa: F401 - the running round (pools of 3)
from tests.zones.test_rules import designate


@pytest.fixture
def rules(db):
    for kind, size in (("sealed", 1), ("controlled", 10), ("precaution", 20)):
        PoolingRule.objects.update_or_create(zone_type=kind, group="general", defaults={"pool_size": size})
    for kind in ("", "sealed", "controlled", "precaution"):
        PoolingRule.objects.update_or_create(zone_type=kind, group="key", defaults={"pool_size": 1})


def medic(w, person=None):
    person = person or w.wang
    return reg.update_resident(actor_for(w.users.staff), person, {"key_group": "医务人员"})


def test_the_field_takes_words_and_codes_and_is_audited(world):
    assert check_resident({"key_group": "冷链"}, partial=True)["key_group"] == "cold_chain"
    assert check_resident({"key_group": " 快递外卖 "}, partial=True)["key_group"] == "transport"
    assert check_resident({"key_group": "无"}, partial=True)["key_group"] == ""
    with pytest.raises(Invalid) as e:
        check_resident({"key_group": "宇航员"}, partial=True)
    assert "宇航员" in e.value.fields["key_group"][0] and "医务人员" in e.value.fields["key_group"][0]
    r = medic(world)
    assert Resident.objects.get(pk=r.pk).key_group == "medical"
    ev = AuditEvent.objects.filter(action="resident.update", target_id=r.pk).latest("id")
    assert ev.changes["key_group"] == ["", "medical"]


def test_form_and_household_page_and_api(world, client):
    w = world
    client.force_login(w.users.staff)
    page = client.get(f"/residents/{w.wang.id}/edit/")
    assert page.status_code == 200 and "重点岗位人群" in page.text and "医务人员" in page.text
    out = client.get(f"/api/v1/residents/{w.wang.id}").json()
    assert out["key_group"] == ""
    r = client.patch(f"/api/v1/residents/{w.wang.id}", data={"key_group": "medical"},
                     content_type="application/json")
    assert r.status_code == 200 and r.json()["key_group"] == "medical"
    assert "重点人群：医务人员" in client.get(f"/households/{w.wang.household_id}/").text.replace(": ", "：")


def test_pool_limit_follows_zone_type_and_group(world, presets, rules):
    w = world
    assert queries.pool_limit(w.wang.household_id) is None
    medic(w)
    # outside any zone: the key group's rule of no zone (single tube)
    assert queries.pool_limit(w.wang.household_id, "medical") == ("医务人员", 1, True)
    assert queries.pool_size_for(w.wang.household_id, "medical") == 1  # the same rule, as a size
    designate(w, w.unit2, "controlled")
    assert queries.pool_limit(w.wang.household_id) == ("管控区", 10)
    assert queries.pool_limit(w.wang.household_id, "medical") == ("医务人员", 1, True)
    # the batch: two queries at most, the same answers
    both = queries.person_limits([(w.wang.household_id, "medical"), (w.hh101.id, "")])
    assert both == {(w.wang.household_id, "medical"): ("医务人员", 1, True)}
    # an administrator lets key groups in controlled areas pool 5: the zone (10) no longer
    # limits below that, the group's 5 does; at 20 the zone's own 10 is the stricter
    PoolingRule.objects.filter(zone_type="controlled", group="key").update(pool_size=5)
    assert queries.pool_limit(w.wang.household_id, "medical") == ("医务人员", 5, True)
    PoolingRule.objects.filter(zone_type="controlled", group="key").update(pool_size=20)
    assert queries.pool_limit(w.wang.household_id, "medical") == ("管控区", 10)
    # no rule at all for key groups outside zones: nothing limits them there
    PoolingRule.objects.filter(zone_type="", group="key").delete()
    assert queries.pool_limit(w.hh101.id, "medical") is None


def test_online_scan_refuses_a_key_group_person_from_a_pooled_tube(world, presets, rules, rnd, client):  # noqa: F811
    w = world
    medic(w)
    client.force_login(w.users.staff)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0001"}).status_code == 201
    r = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                       "person": w.wang.token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "zone_tube"
    msg = r.json()["error"]["message"]
    assert msg.startswith("王新勇属于重点人群（医务人员），须单人单管") and "T0001" in msg, msg
    # his neighbour of no key group goes into the pooled tube as before
    ok = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0001",
                                                        "person": w.su.token})
    assert ok.status_code == 200
    station.open_tube(actor_for(w.users.staff), rnd, "S0001", capacity=1)
    one = api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "S0001",
                                                         "person": w.wang.token})
    assert one.status_code == 200 and one.json()["tube"]["state"] == "sealed"


def test_offline_batch_keeps_the_key_group_refusal_as_a_conflict(world, presets, rules, rnd):  # noqa: F811
    from fangkong.screening.refusals import where_of

    w = world
    medic(w)
    staff = actor_for(w.users.staff)
    items = [{"client_id": cid(), "type": "open", "barcode": "T0009"}]
    items += [{"client_id": cid(), "type": "scan", "barcode": "T0009", "person": p.token}
              for p in (w.su, w.wang)]
    out = sync(staff, rnd, items)
    assert [o["status"] for o in out] == ["ok", "ok", "conflict"]
    assert out[2]["kind"] == "zone_tube" and "医务人员" in out[2]["message"]
    kept = Conflict.objects.get(round=rnd, kind="zone_tube")
    assert kept.resident_id == w.wang.id and "重点人群" in where_of(kept.kind, kept.detail)
    again = sync(staff, rnd, [{"client_id": cid(), "type": "scan", "barcode": "T0009",
                               "person": w.wang.token}], online=True)[0]
    assert again["status"] == "refused" and again["pool_size"] == 1


def test_roster_column_imports_all_or_nothing_and_exports_back(world):
    from fangkong.registry.exporter import residents_xlsx
    from fangkong.registry.importer import COLUMN, TEMPLATE_KEYS
    from tests.registry.test_export import read
    from tests.registry.test_import import (
        DONE,
        HEADER,
        REJECTED,
        do_import,
        new_id,
        person,
        xlsx_bytes,
    )

    w = world
    header = [*HEADER, "重点行业"]  # an alias of 重点岗位
    rows = [person(1, "李医生", new_id(1, 1980), "301") + ["医务人员"],
            person(2, "赵骑手", new_id(2, 1990), "302") + ["外卖员"]]
    bad = do_import(w.users.staff, w.community, xlsx_bytes(rows + [person(3, "钱某", new_id(3), "303") + ["宇航员"]],
                                                           header=header))
    assert bad.status == REJECTED and not Resident.objects.filter(name="李医生").exists()
    assert [(e["row"], e["column"]) for e in bad.errors] == [(5, "重点行业")]
    assert "宇航员" in bad.errors[0]["message"] and "不是已知的重点岗位类别" in bad.errors[0]["message"]
    job = do_import(w.users.staff, w.community, xlsx_bytes(rows, header=header))
    assert job.status == DONE, job.errors[:3]
    assert dict(Resident.objects.filter(name__in=["李医生", "赵骑手"]).values_list("name", "key_group")) == {
        "李医生": "medical", "赵骑手": "transport"}
    data = residents_xlsx(actor_for(w.users.staff), list(Resident.objects.filter(name="李医生")), title="t")
    _wb, ws = read(data)
    assert [c.value for c in ws[2]] == [COLUMN[k].header for k in TEMPLATE_KEYS]
    assert ws.cell(row=3, column=TEMPLATE_KEYS.index("key_group") + 1).value == "医务人员"
