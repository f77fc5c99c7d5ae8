"""Found by district command editing a zone type on a phone: the order of strictness held on
every change, a refused form keeps what was typed and says so at the top, numbers in range,
the change log in words, a testing note that no longer matches its numbers cleared."""

import re

import pytest

from fangkong.zones.models import LiftRule, RuleChange, ZoneType


def _type(code):
    return ZoneType.objects.get(policy__is_active=True, code=code)


@pytest.fixture
def controlled(presets):
    return _type("controlled")


def _patch(client, zt, data):
    return client.patch(f"/api/v1/zones/types/{zt.pk}", data=data, content_type="application/json")


def _form(zt, **typed):
    """What the type's form posts: its rules as shown, with `typed` over them."""
    data = {}
    for k, v in {**zt.rule_values(), **typed}.items():
        if k in ("severity", "colour"):
            continue
        if isinstance(v, bool):
            if v:
                data[k] = "on"
        else:
            data[k] = "" if v is None else str(v)
    return data


def test_severity_keeps_the_policy_in_order(world, controlled, client):
    client.force_login(world.users.district)
    r = _patch(client, controlled, {"lift_outcome": "step_down", "lift_to": "precaution"})
    assert r.status_code == 200, r.content
    n = RuleChange.objects.count()
    sealed, precaution = _type("sealed"), _type("precaution")
    for zt, severity, words in [
        (controlled, 5, "防范区"),    # would step down to a stricter type
        (controlled, 35, "封控区"),   # a case would make it a less strict type
        (precaution, 25, "管控区"),   # 管控区 would step down to a stricter type
        (sealed, 15, "管控区"),       # 管控区 (a case inside) would become a less strict type
    ]:
        r = _patch(client, zt, {"severity": severity})
        assert r.status_code == 400, (zt.code, severity, r.content)
        assert words in " ".join(r.json()["error"]["fields"]["severity"]), (zt.code, r.json())
    assert RuleChange.objects.count() == n
    controlled.refresh_from_db()
    assert controlled.severity == 20
    # changing the target is said on the target's field
    r = _patch(client, controlled, {"severity": 25, "escalate_to": "precaution"})
    assert r.status_code == 400 and "更严格" in " ".join(r.json()["error"]["fields"]["escalate_to"])
    r = _patch(client, controlled, {"severity": 25})  # still between 防范区 and 封控区
    assert r.status_code == 200 and r.json()["severity"] == 25


def test_a_refused_form_keeps_what_was_typed_and_says_so_at_the_top(world, controlled, client):
    client.force_login(world.users.district)
    r = client.post(f"/zones/types/{controlled.pk}/", _form(controlled, pool_size=8, lift_clean_days=0,
                                                            pcr_per_week=99))
    assert r.status_code == 400
    page = r.content.decode()
    top = page.index("没有保存：请改正下面标红的 2 项")
    assert top < page.index("<form method=\"post\" class=\"form card\"")
    # what was typed is shown again, not the saved rules
    assert re.search(r'name="pool_size"[^>]*value="8"', page)
    assert re.search(r'name="lift_clean_days"[^>]*value="0"', page)
    assert re.search(r'name="pcr_per_week"[^>]*value="99"', page)
    # each error right under its field, before the next one
    at = page.index('name="lift_clean_days"', top)
    assert at < page.index("须为1至60天", at) < page.index('id="f-lift_round_day"', at)
    at = page.index('name="pcr_per_week"', top)
    assert at < page.index("0至14", at) < page.index('id="f-antigen_per_week"', at)
    controlled.refresh_from_db()
    assert controlled.pool_size == 10 and not RuleChange.objects.exists()


def test_numbers_out_of_range_are_refused(world, controlled, client):
    client.force_login(world.users.district)
    for data, field, words in [
        ({"pcr_per_week": 99}, "pcr_per_week", "0至14"),
        ({"antigen_per_week": 15}, "antigen_per_week", "0至14"),
        ({"collect_every_days": 0}, "collect_every_days", "1至30"),
        ({"collect_every_days": 31}, "collect_every_days", "1至30"),
    ]:
        r = _patch(client, controlled, data)
        assert r.status_code == 400, (data, r.content)
        assert words in " ".join(r.json()["error"]["fields"][field]), (data, r.json())
    assert not RuleChange.objects.exists()
    r = _patch(client, controlled, {"pcr_per_week": 14, "antigen_per_week": 0, "collect_every_days": 30})
    assert r.status_code == 200, r.content
    r = _patch(client, controlled, {"collect_every_days": None})  # no collection rule
    assert r.status_code == 200 and r.json()["collect_every_days"] is None
    # a 0 kept from before is shown as 0, so an unrelated save does not turn it into "—"
    ZoneType.objects.filter(pk=controlled.pk).update(collect_every_days=0)
    page = client.get(f"/zones/types/{controlled.pk}/").content.decode()
    assert re.search(r'name="collect_every_days"[^>]*value="0"', page)


def test_the_change_log_says_values_in_words_under_the_form_labels(world, controlled, client):
    client.force_login(world.users.district)
    r = _patch(client, controlled, {"lift_outcome": "step_down", "lift_to": "precaution",
                                    "escalate_to": "controlled", "lift_round_day": 5,
                                    "may_leave_home": False})
    assert r.status_code == 200, r.content
    page = client.get(f"/zones/types/{controlled.pk}/").content.decode()
    log = page[page.index("规则变更记录"):]
    for line in ("满足后：解除 → 降级", "降级为：— → 防范区", "区内出现病例后升级为：封控区 → 管控区",
                 "第几天起须全员核酸阴性：6 → 5", "可以出户：是 → 否"):
        assert line in log, line
    assert "step_down" not in log and "precaution" not in log and "sealed" not in log
    assert '<label for="f-lift_round_day">第几天起须全员核酸阴性' in page
    client.cookies["django_language"] = "en"
    page = client.get(f"/zones/types/{controlled.pk}/").content.decode()
    # the English page: one label for a rule, in the same case in the form and the log
    assert "May leave home: Yes → No" in page and "> May leave home</label>" in page
    assert "Then: Lift → Step down" in page and "Step down to: — → Precaution area" in page


def test_new_testing_numbers_clear_the_note_that_said_the_old_ones(world, controlled, client):
    client.force_login(world.users.district)
    assert controlled.cadence_zh == "每周3次核酸+4次抗原"
    r = _patch(client, controlled, {"pcr_per_week": 7, "antigen_per_week": 1})
    assert r.status_code == 200, r.content
    assert r.json()["cadence"] == "每日1次核酸，每周1次抗原" and r.json()["cadence_note"] == ""
    ch = RuleChange.objects.get(zone_type=controlled)
    assert ch.changes["cadence_zh"] == ["每周3次核酸+4次抗原", ""]
    page = client.get(f"/zones/types/{controlled.pk}/").content.decode()
    assert "每日1次核酸，每周1次抗原" in page and "说明：每周3次核酸" not in page
    # a note given with the new numbers is kept
    r = _patch(client, controlled, {"pcr_per_week": 3, "cadence_zh": "每周一三五核酸"})
    assert r.status_code == 200 and r.json()["cadence_note"] == "每周一三五核酸"
    # and a note left alone stays while the numbers stay
    r = _patch(client, controlled, {"pool_size": 5})
    assert r.status_code == 200 and r.json()["cadence_note"] == "每周一三五核酸"


def test_other_field_errors_are_said_by_the_field_with_its_label(world, controlled, client):
    client.force_login(world.users.district)
    r = client.post(f"/zones/types/{controlled.pk}/", _form(controlled, name_zh="", antigen_per_week=-1))
    assert r.status_code == 400
    page = r.content.decode()
    assert "name_zh:" not in page and "antigen_per_week:" not in page
    assert "没有保存：请改正下面标红的 2 项" in page and ">名称（中文）</a>" in page
    at = page.index('name="name_zh"')
    assert at < page.index('class="error"', at) < page.index('id="f-name_en"')
    at = page.index('name="antigen_per_week"')
    assert at < page.index('class="error"', at) < page.index('id="f-cadence_zh"')
    assert LiftRule.objects.filter(zone_type=controlled).count() == 1
