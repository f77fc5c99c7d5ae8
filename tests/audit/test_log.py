"""The audit log as the district's privacy officer reads it (found walking the demo): who saw
a resident's phone, by resident, account, dates and kind; exports called exports; account
events seen by the command above them; every detail in words, in the reader's language."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from fangkong.accounts import actions as account_actions
from fangkong.audit.actions import record
from fangkong.audit.models import AuditEvent, Named
from fangkong.registry import actions as reg
from tests.conftest import actor_for

pytestmark = pytest.mark.django_db


def rows(html: str) -> list[str]:
    """The log's rows as text (tags dropped)."""
    part = html[html.index('<ul class="rows">', html.index("audit-filters")):]
    part = part[:part.index("</ul>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", "<li" + li).split()) for li in part.split("<li")[1:]
            if not li.startswith(' class="empty"')]


def log(client, **params) -> list[str]:
    r = client.get(reverse("audit"), params)
    assert r.status_code == 200, r.content[:500]
    return rows(r.content.decode())


@pytest.fixture
def seen(world, login):
    """Community A's staff looked at the building's roster (4 phones), 夏明's household page
    (1 phone) and 苏霞's household (2 phones, and the landline)."""
    c = login(world.users.staff)
    c.get(reverse("place", args=[world.building.id]))
    c.get(reverse("household", args=[world.hh102.id]))
    c.get(reverse("household", args=[world.hh101.id]))
    return world


def test_a_phone_shown_to_one_person_names_them_and_their_door(seen, client):
    client.force_login(seen.users.district)
    found = [r for r in log(client, kind="phones") if "住户页面" in r and "102" in r]
    assert len(found) == 1, log(client, kind="phones")
    assert "涉及：夏明（光明小区 1号楼 1单元 102）" in found[0], found[0]
    assert "共 1 人" not in found[0]


def test_the_log_by_resident_finds_the_lists_that_named_them(seen, client):
    w = seen
    client.force_login(w.users.district)
    r = client.get(reverse("audit"), {"person": "夏明"})  # one match: it is the filter
    html = r.content.decode()
    assert "居民：夏明（光明小区 1号楼 1单元 102）" in html
    found = rows(html)
    assert len(found) == 3, found  # the roster, her page, and her being added
    roster = next(x for x in found if "楼栋花名册" in x)
    assert "共 4 人，含 夏明（光明小区 1号楼 1单元 102）" in roster
    assert any("新增居民" in x for x in found)
    assert not any("101" in x and "住户页面" in x for x in found)  # 苏霞's page named her not


def test_two_residents_of_one_name_are_told_apart_by_their_door(seen, client):
    w = seen
    reg.create_resident(actor_for(w.users.staff), w.hh201, {"name": "夏明", "relation": "户主"})
    client.force_login(w.users.district)
    html = client.get(reverse("audit"), {"person": "夏明"}).content.decode()
    assert "与“夏明”相符的居民" in html
    assert "光明小区 1号楼 1单元 102" in html and "光明小区 1号楼 2单元 201" in html
    link = re.search(rf'href="\?([^"]*resident={w.xia.id}[^"]*)"', html).group(1)
    assert len(log(client, **dict(p.split("=") for p in link.replace("&amp;", "&").split("&")))) == 3


def test_a_resident_found_by_the_last_four_digits_of_the_phone(seen, client):
    client.force_login(seen.users.district)
    html = client.get(reverse("audit"), {"person": "6308"}).content.decode()  # 夏明's 15083776308
    assert "居民：夏明（" in html


def test_a_resident_outside_the_readers_places_is_not_found(seen, client):
    client.force_login(seen.users.staff)
    assert client.get(reverse("audit"), {"resident": seen.other_person.id}).status_code == 404
    assert client.get(reverse("audit"), {"resident": 10**30}).status_code == 404
    html = client.get(reverse("audit"), {"person": "袁桂英"}).content.decode()  # another community's
    assert "没有找到" in html


def test_the_log_by_account_and_by_dates(seen, client, world):
    w = seen
    record(actor_for(w.users.grid), "resident.update", w.su, {"notes": ["", "行动不便"]})
    night = (timezone.localtime() - datetime.timedelta(days=3)).replace(hour=22, minute=30)
    AuditEvent.objects.filter(actor=w.users.grid).update(at=night)  # three nights ago, site time
    day, after = night.date(), night.date() + datetime.timedelta(days=1)
    client.force_login(w.users.district)
    mine = log(client, actor=w.users.staff.id)
    assert mine and all("staff_a" in x for x in mine)
    html = client.get(reverse("audit"), {"who": "grid_a"}).content.decode()
    assert "账号：grid_a" in html
    assert log(client, since=day, until=day) == log(client, actor=w.users.grid.id)
    found = log(client, since=f"{day}T18:00", until=f"{after}T08:00")
    assert len(found) == 1 and "修改居民信息" in found[0] and "备注：— → 行动不便" in found[0]
    assert log(client, since=after, until=after) == []
    html = client.get(reverse("audit"), {"since": "yesterday"}).content.decode()
    assert "请输入日期，例如 2026-12-05" in html
    other = client.get(reverse("audit"), {"actor": w.users.other_staff.id})  # acted nowhere here
    assert client.get(reverse("audit"), {"actor": 987654}).status_code == 404
    assert other.status_code == 200  # a role in the district: may be looked for


def test_exports_are_called_exports(world, login, client):
    from tests.screening.security_routes import make_round

    staff = login(world.users.staff)
    rnd = make_round(world)
    assert staff.get(reverse("screening_missing_export", args=[rnd.id])).status_code == 200
    assert staff.get(reverse("export_residents", args=[world.community.id])).status_code == 200
    client.force_login(world.users.district)
    found = log(client, kind="exports")
    assert len(found) == 2, found
    missing = next(x for x in found if "未检" in x)
    assert "导出了居民电话" in missing
    assert re.search(r"导出：未检人员名单（第3轮核酸） \.xlsx，[1-9] 人", missing), missing
    assert "screening.missing_export" not in missing
    roster = next(x for x in found if "光明社区" in x)
    assert "导出了居民电话" in roster and "导出：光明社区" in roster and ".xlsx，4 人" in roster


def test_an_account_made_on_the_people_page_is_seen_by_the_command_above(world, client):
    account_actions.add_person(actor_for(world.users.staff), username="helper_li", password="Wq7-lantern-Harbor-93",
                               display_name="李梅", phone="", role="volunteer", place=world.community)
    client.force_login(world.users.street)
    found = log(client, kind="accounts")
    assert any("新建账号" in x and "李梅" in x for x in found), found
    assert any("授予角色" in x and "李梅 · 志愿者 · 光明社区" in x for x in found), found
    client.force_login(world.users.other_staff)
    assert not any("李梅" in x for x in log(client, kind="accounts"))


def test_details_in_words_and_times_in_the_sites_zone(world, client):
    from fangkong.screening.actions import antigen
    from tests.screening.test_antigen import running_antigen_round

    rnd = running_antigen_round(world, actor_for(None))
    antigen.record_result(actor_for(world.users.staff), rnd, world.su, "negative")
    until = datetime.datetime(2026, 12, 6, 10, 35, 24, tzinfo=datetime.UTC)
    record(actor_for(None), "login.locked", world.users.grid,
           {"by": "account", "failures": 5, "until": until.isoformat()}, levels_from=world.grid)
    client.force_login(world.users.district)
    found = log(client)
    result = next(x for x in found if "登记抗原结果" in x)
    assert "苏霞（光明小区 1号楼 1单元 101）" in result
    assert "轮次：抗原第1轮；结果：阴性；来源：上门录入；照片：否" in result, result
    locked = next(x for x in found if "账号被锁定" in x)
    assert "锁定至：2026-12-06 18:35" in locked and "锁定对象：账号" in locked, locked
    assert not any(re.search(r"\b[a-z]+\.[a-z_]+(\.[a-z_]+)?\b", x.split("·")[-1]) for x in found
                   if "演示" not in x), found  # no action code left on the page
    client.get("/i18n/setlang/", {"language": "en"})
    r = client.get(reverse("audit"), HTTP_ACCEPT_LANGUAGE="en")
    english = rows(r.content.decode())
    result = next(x for x in english if "Antigen result recorded" in x)
    assert "round: 抗原第1轮; result: Negative; source: Entered at the door; photo: no" in result, result


def test_a_label_django_made_reads_as_what_it_is(world, client):
    record(actor_for(world.users.staff), "services.batch.create", None, {"orders": 24, "lines": 30},
           levels_from=world.community, label="Batch object (1)")
    AuditEvent.objects.filter(action="services.batch.create").update(target_type="batch", target_id=1)
    client.force_login(world.users.staff)
    found = next(x for x in log(client) if "到货" in x)
    assert "Batch object" not in found and "配送批次 #1" in found and "订单数：24；明细行数：30" in found, found


def test_the_named_rows_hold_everyone_a_list_showed(world):
    from fangkong.audit import disclosure

    people = [world.su, world.yu, world.xia, world.wang]
    disclosure.record_phones(actor_for(world.users.staff), people, "list:1", [world.hh101])
    e = AuditEvent.objects.get(action="resident.view_phones")
    named = set(Named.objects.filter(event=e).values_list("kind", "object_id"))
    assert named == {("resident", r.id) for r in people} | {("household", world.hh101.id)}


def test_a_count_and_a_code_of_a_table_read_as_words(world, client):
    from fangkong.services.models import Category

    Category.objects.create(code="repair", name="Repair")
    staff = actor_for(world.users.staff)
    record(staff, "services.request.raise", world.hh101, {"request": 2, "category": "repair"})
    record(staff, "zones.adjustment.publish", None, {"items": 1, "households": 24, "from_notice": True},
           levels_from=world.community, label="第18号通告：3号楼封控")
    client.force_login(world.users.staff)
    found = log(client)
    assert any("提出服务需求 光明小区 1号楼 1单元 101 诉求：#2；类别：维修" in x for x in found), found
    published = next(x for x in found if "发布区域调整" in x)
    assert {"地点数：1", "户数：24", "按通告时间起算：是"} <= set(published.split(" ")[-1].split("；")), published
