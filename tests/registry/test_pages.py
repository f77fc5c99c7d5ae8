"""The registry pages, as a phone user would use them (server side; the browser tests
drive the same pages in Chromium)."""

import re

import pytest
from django.urls import reverse

from fangkong.audit.models import AuditEvent
from fangkong.registry.models import Household, Resident
from tests.conftest import PASSWORD


def test_login_with_phone_number(client, world):
    resp = client.post(reverse("login"), {"username": "138 0000 0001", "password": PASSWORD})
    assert resp.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # one place → straight to it


def test_login_wrong_password_says_so_in_chinese(client, world):
    resp = client.post(reverse("login"), {"username": "staff_a", "password": "nope"})
    assert resp.status_code == 200
    assert "手机号/用户名或密码错误" in resp.content.decode()


def test_anonymous_is_sent_to_login(client, world):
    for url in (reverse("home"), reverse("place", args=[world.community.id]),
                reverse("household", args=[world.hh101.id]), reverse("search") + "?q=sx"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/login/"), url


def test_staff_home_goes_to_their_community(login, world):
    c = login(world.users.staff)
    resp = c.get(reverse("home"))
    assert resp["Location"] == reverse("place", args=[world.community.id])


def test_community_page_shows_counts_and_grids(login, world):
    c = login(world.users.staff)
    html = c.get(reverse("place", args=[world.community.id])).content.decode()
    assert "第一网格" in html
    assert "光明社区" in html
    assert "惠泽苑" not in html


def test_building_board_shows_who_lives_where(login, world, django_assert_max_num_queries):
    c = login(world.users.grid)
    with django_assert_max_num_queries(19):  # 12 + the positives alert (screening.panels: the day's cases both ways, `day_cases.recent`, two) + its overdue holds per round + the doors' zones (one query) + the running rounds of its re-sample line + the audit's Named rows (whose phones were shown) + the testing panel's rounds (running or planned, one query)
        html = c.get(reverse("place", args=[world.building.id])).content.decode()
    for text in ("101", "102", "201", "苏霞", "夏明", "王新勇", "独居老人", "卧床"):
        assert text in html


def test_board_query_count_does_not_grow_with_households(login, world, system,
                                                         django_assert_max_num_queries):
    from fangkong.registry import actions

    for door in range(301, 341):
        hh = actions.create_household(system, world.unit2, str(door))
        actions.create_resident(system, hh, {"name": f"住户{door}"})
    c = login(world.users.staff)
    with django_assert_max_num_queries(19):  # 12 + the positives alert (screening.panels: the day's cases both ways, `day_cases.recent`, two) + its overdue holds per round + the doors' zones (one query) + the running rounds of its re-sample line + the audit's Named rows (whose phones were shown) + the testing panel's rounds (running or planned, one query)
        resp = c.get(reverse("place", args=[world.building.id]))
    assert "住户340" in resp.content.decode()


@pytest.mark.parametrize("query,expected", [
    ("sx", "苏霞"),  # pinyin initials
    ("suxia", "苏霞"),  # full pinyin
    ("夏", "夏明"),  # part of the name
    ("6120", "苏霞"),  # phone tail
    ("786X", "苏霞"),  # ID tail
    ("786x", "苏霞"),  # lower-case x
    ("1号楼1单元102", "夏明"),  # address
    ("1-1-102", "夏明"),
    ("1号楼 1单元 102", "夏明"),  # as people type it, with spaces
    ("光明小区 1号楼 1单元 102", "夏明"),
    ("１－１－１０２", "夏明"),  # full-width
    ("１７４４６４１６１２０", "苏霞"),  # full-width phone
])
def test_search_finds_people(login, world, query, expected):
    c = login(world.users.staff)
    resp = c.get(reverse("search"), {"q": query}, HTTP_HX_REQUEST="true")
    assert expected in resp.content.decode()


def test_four_digit_search_also_finds_the_door(login, world, system):
    from fangkong.registry import actions

    hh = actions.create_household(system, world.unit2, "1201")
    actions.create_resident(system, hh, {"name": "高楼住户"})
    other = actions.create_household(system, world.other_unit, "1201")
    actions.create_resident(system, other, {"name": "别处住户"})
    html = login(world.users.staff).get(reverse("search"), {"q": "1201"},
                                        HTTP_HX_REQUEST="true").content.decode()
    assert "高楼住户" in html and "别处住户" not in html


def test_search_never_shows_other_community(login, world):
    c = login(world.users.staff)
    html = c.get(reverse("search"), {"q": "ygy"}).content.decode()  # 袁桂英 in community B
    assert "袁桂英" not in html


def test_household_page_masks_id_and_reveal_is_audited(login, world):
    c = login(world.users.staff)
    html = c.get(reverse("household", args=[world.hh101.id])).content.decode()
    assert "1401**********786X" in html
    assert "14010619480904786X" not in html
    resp = c.post(reverse("resident_reveal", args=[world.su.id]), HTTP_HX_REQUEST="true")
    assert "14010619480904786X" in resp.content.decode()
    assert AuditEvent.objects.filter(action="resident.reveal_id", target_id=world.su.id).count() == 1


def test_leader_cannot_reveal_id_and_sees_no_button(login, world):
    c = login(world.users.leader)
    html = c.get(reverse("household", args=[world.hh101.id])).content.decode()
    assert "reveal-id" not in html
    resp = c.post(reverse("resident_reveal", args=[world.su.id]))
    assert resp.status_code == 403


def test_phone_masked_for_roles_without_phone_permission(login, world, system):
    # A resident sees phones of their own household in clear...
    c = login(world.users.resident)
    html = c.get(reverse("household", args=[world.hh101.id])).content.decode()
    assert "17446416120" in html
    # ...and nothing of another household.
    assert c.get(reverse("household", args=[world.hh102.id])).status_code == 404


def test_viewing_phones_is_audited(login, world):
    c = login(world.users.grid)
    c.get(reverse("household", args=[world.hh101.id]))
    ev = AuditEvent.objects.get(action="resident.view_phones")
    assert ev.actor == world.users.grid and ev.changes["count"] == 2


@pytest.mark.parametrize("who", ["other_staff", "volunteer", "lab", "supplier", "nobody"])
def test_other_community_and_other_roles_get_404(login, world, who):
    c = login(getattr(world.users, who))
    for url in (reverse("place", args=[world.community.id]),
                reverse("place", args=[world.building.id]),
                reverse("household", args=[world.hh101.id]),
                reverse("resident_edit", args=[world.su.id]),
                reverse("resident_list", args=[world.community.id]),
                reverse("vulnerable", args=[world.community.id]),
                reverse("household_create", args=[world.unit1.id]),
                reverse("resident_create", args=[world.hh101.id])):
        assert c.get(url).status_code == 404, url
    assert c.post(reverse("resident_reveal", args=[world.su.id])).status_code == 404


def test_missing_and_forbidden_look_the_same(login, world):
    c = login(world.users.other_staff)
    forbidden = c.get(reverse("household", args=[world.hh101.id]))
    missing = c.get(reverse("household", args=[999999]))
    assert forbidden.status_code == missing.status_code == 404
    import re

    def strip_csrf(html):
        html = re.sub(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', b"", html)
        return re.sub(rb"/households/\d+/", b"/households/N/", html)

    assert strip_csrf(forbidden.content) == strip_csrf(missing.content)


def test_staff_adds_household_and_resident(login, world):
    c = login(world.users.staff)
    resp = c.post(reverse("household_create", args=[world.unit2.id]), {"door": "202室"})
    hh = Household.objects.get(place=world.unit2, door="202")
    assert resp["Location"] == reverse("household", args=[hh.id])
    resp = c.post(reverse("resident_create", args=[hh.id]), {
        "name": "张三", "id_number": "140106 19870219 7890".replace("7890", "7890"),
        "phone": "138 1234 5678", "relation": "head", "presence": "home", "tags": ["infant"],
        "has_smartphone": "1"})
    # that ID already belongs to 夏明: a clear error, nothing written
    assert resp.status_code == 200
    assert "该身份证号的居民已经登记" in resp.content.decode()
    assert not Resident.objects.filter(name="张三").exists()


def test_bad_resident_input_gets_field_errors(login, world):
    c = login(world.users.staff)
    resp = c.post(reverse("resident_create", args=[world.hh102.id]), {
        "name": "", "id_number": "140106198702197891", "phone": "12345", "relation": "head",
        "presence": "home"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "校验码" in html  # wrong check digit, in Chinese
    assert Resident.objects.filter(household=world.hh102).count() == 1


def test_english_is_selectable(login, world):
    c = login(world.users.staff)
    c.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = c.get(reverse("place", args=[world.community.id])).content.decode()
    assert "Resident list" in html


def test_leader_cannot_edit(login, world):
    c = login(world.users.leader)
    assert c.get(reverse("resident_edit", args=[world.su.id])).status_code == 403
    resp = c.post(reverse("resident_edit", args=[world.su.id]), {"name": "X"})
    assert resp.status_code == 403
    world.su.refresh_from_db()
    assert world.su.name == "苏霞"


def test_edit_resident_keeps_id_when_blank_and_audits_changes(login, world):
    c = login(world.users.grid)
    resp = c.post(reverse("resident_edit", args=[world.su.id]), {
        "name": "苏霞", "id_number": "", "phone": "17446416121", "relation": "head",
        "presence": "hospital", "tags": ["elderly_alone"], "has_smartphone": ""})
    assert resp.status_code == 302
    world.su.refresh_from_db()
    assert world.su.presence == "hospital" and world.su.id_tail == "786X"
    ev = AuditEvent.objects.filter(action="resident.update", target_id=world.su.id).get()
    assert ev.changes["presence"] == ["home", "hospital"]
    assert ev.changes["phone"] == ["174****6120", "174****6121"]


def test_vulnerable_list(login, world, django_assert_max_num_queries):
    c = login(world.users.staff)
    with django_assert_max_num_queries(12):
        html = c.get(reverse("vulnerable", args=[world.community.id])).content.decode()
    assert "苏霞" in html and "夏明" in html and "王新勇" not in html
    html = c.get(reverse("vulnerable", args=[world.community.id]), {"tag": "bedridden"}).content.decode()
    assert "夏明" in html and "苏霞" not in html


def test_resident_list_query_count_is_flat(login, world, system, django_assert_max_num_queries):
    from fangkong.registry import actions

    for door in range(301, 361):
        hh = actions.create_household(system, world.unit2, str(door))
        actions.create_resident(system, hh, {"name": f"住户{door}", "phone": "13800138000"})
    c = login(world.users.staff)
    with django_assert_max_num_queries(14):
        resp = c.get(reverse("resident_list", args=[world.community.id]))
    assert resp.status_code == 200


def test_tokens_page_creates_and_revokes(login, world):
    c = login(world.users.staff)
    resp = c.post(reverse("tokens"), {"name": "扫码枪 1"})
    html = resp.content.decode()
    assert "fk_" in html
    tok = world.users.staff.api_tokens.get()
    asked = c.post(reverse("token_revoke", args=[tok.id]))  # a revoked token is gone for good
    assert asked.status_code == 200 and 'name="confirm" value="1"' in asked.content.decode()
    tok.refresh_from_db()
    assert tok.revoked_at is None
    c.post(reverse("token_revoke", args=[tok.id]), {"confirm": "1"})
    tok.refresh_from_db()
    assert tok.revoked_at is not None
    # someone else's token is "not found"
    other = login(world.users.grid)
    assert other.post(reverse("token_revoke", args=[tok.id])).status_code == 404


def test_admin_is_for_superusers_only(login, world):
    c = login(world.users.staff)
    assert c.get("/admin/").status_code == 404  # tests/accounts/test_admin_door.py


def test_csp_header_is_set(client, world):
    resp = client.get(reverse("login"))
    assert "script-src 'self'" in resp["Content-Security-Policy"]


def test_staff_adds_a_grid_worker_who_can_then_log_in(login, world, client):
    c = login(world.users.staff)
    resp = c.post(reverse("people"), {
        "display_name": "李网格", "phone": "139 0000 0002", "username": "li_grid",
        "password": "grid-worker-pass", "role": "grid", "place": str(world.grid.id)})
    assert resp.status_code == 200 and "grid-worker-pass" in resp.content.decode()  # shown once
    c.logout()
    assert c.login(username="13900000002", password="grid-worker-pass")
    # a password someone else chose: their own first (tests/accounts/test_passwords.py)
    assert c.get(reverse("place", args=[world.grid.id])).url.startswith(reverse("password_change"))
    c.post(reverse("password_change"), {"new_password": "own-grid-pass-7",
                                        "new_password2": "own-grid-pass-7"})
    assert c.get(reverse("place", args=[world.grid.id])).status_code == 200
    assert c.get(reverse("place", args=[world.other.id])).status_code == 404


def test_staff_cannot_grant_in_another_community_or_hand_out_command(login, world):
    from fangkong.accounts.models import User

    c = login(world.users.staff)
    c.post(reverse("people"), {"display_name": "X", "username": "x1", "password": "a-long-pass-1",
                               "role": "grid", "place": str(world.other.id)})
    c.post(reverse("people"), {"display_name": "Y", "username": "y1", "password": "a-long-pass-1",
                               "role": "command", "place": str(world.community.id)})
    assert not User.objects.filter(username__in=["x1", "y1"]).exists()


def test_people_page_is_404_for_roles_without_user_management(login, world):
    for who in ("grid", "leader", "volunteer", "resident", "lab", "supplier"):
        c = login(getattr(world.users, who))
        assert c.get(reverse("people")).status_code == 404, who
    # command sets up what is below it (tests/accounts/test_people_setup.py)
    assert login(world.users.district).get(reverse("people")).status_code == 200


def test_staff_removes_a_role(login, world):
    from fangkong.accounts.models import Membership

    m = Membership.objects.get(user=world.users.grid)
    c = login(world.users.other_staff)
    assert c.post(reverse("membership_revoke", args=[m.id])).status_code == 404
    c = login(world.users.staff)
    c.post(reverse("membership_revoke", args=[m.id]))  # asks first
    m.refresh_from_db()
    assert m.is_active
    c.post(reverse("membership_revoke", args=[m.id]), {"confirm": "1"})
    m.refresh_from_db()
    assert not m.is_active


def test_audit_log_shows_reveals_in_scope_only(login, world):
    c = login(world.users.staff)
    c.post(reverse("resident_reveal", args=[world.su.id]))
    html = c.get(reverse("audit"), {"action": "resident.reveal_id"}).content.decode()
    assert "查看了完整身份证号" in html and "苏霞" in html and "· 网页" in html
    other = login(world.users.other_staff)
    assert "苏霞" not in other.get(reverse("audit")).content.decode()
    for who in ("grid", "leader", "volunteer", "resident"):
        assert login(getattr(world.users, who)).get(reverse("audit")).status_code == 404, who


def test_a_household_has_one_head_and_a_door_is_written_as_doors_are(login, world):
    c = login(world.users.staff)
    # 102 has its head (夏明): a second is refused on the page, naming the first, nothing saved
    resp = c.post(reverse("resident_create", args=[world.hh102.id]), {
        "name": "张三", "phone": "13812345678", "relation": "head", "presence": "home"})
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "这户已有户主：夏明" in html and "张三" in html  # the form keeps what was typed
    assert not Resident.objects.filter(name="张三").exists()
    # as the head's spouse it goes in; turned into a second head later it is refused
    c.post(reverse("resident_create", args=[world.hh102.id]), {
        "name": "张三", "phone": "13812345678", "relation": "spouse", "presence": "home"})
    zhang = Resident.objects.get(name="张三")
    api = f"/api/v1/residents/{zhang.id}"
    r = c.patch(api, {"relation": "户主"}, content_type="application/json")
    assert r.status_code == 400 and list(r.json()["error"]["fields"]) == ["relation"]
    zhang.refresh_from_db()
    assert zhang.relation == "spouse"
    # the head who moved out no longer counts: 张三 may be the head now
    r = c.patch(f"/api/v1/residents/{world.xia.id}", {"presence": "moved_out"},
                content_type="application/json")
    assert r.status_code == 200, r.content
    r = c.patch(api, {"relation": "head"}, content_type="application/json")
    assert r.status_code == 200, r.content
    # a head who joins a household with its head is "other" there (and the audit says so)
    r = c.post(f"/api/v1/residents/{world.su.id}/move", {"household": world.hh102.id},
               content_type="application/json")
    assert r.status_code == 200, r.content
    world.su.refresh_from_db()
    assert world.su.relation == "other"
    moved = AuditEvent.objects.filter(action="resident.move", target_id=world.su.id).get()
    assert moved.changes["relation"] == ["head", "other"]
    # doors: as a roster and a door write them; no sign in front, no emoji
    for door in ("-5", "😀", "10😀1", "#"):
        resp = c.post(reverse("household_create", args=[world.unit2.id]), {"door": door})
        assert "门牌号只能由字母、数字和汉字组成" in resp.content.decode(), door
    for door, kept in (("1-202", "1-202"), ("B201", "B201"), ("地下室1", "地下室1"), ("302室", "302")):
        c.post(reverse("household_create", args=[world.unit2.id]), {"door": door})
        assert Household.objects.filter(place=world.unit2, door=kept).exists(), door


def test_a_building_counts_its_households_as_everywhere_and_marks_who_moved_out(login, world):
    """Found walking the demo: the header said 11 households, the unit's heading 12 (a
    door whose only resident moved out), and the one who moved out looked like anyone away."""
    c = login(world.users.staff)
    c.post(reverse("resident_edit", args=[world.xia.id]), {
        "name": "夏明", "phone": "15083776308", "relation": "head", "presence": "moved_out"})
    world.xia.refresh_from_db()
    assert world.xia.presence == "moved_out"
    html = c.get(reverse("place", args=[world.building.id])).content.decode()
    head = re.search(r"<h2>1单元 <small>([^<]*)</small>", html).group(1)
    assert head.startswith("1 户") and "1 个门牌无人居住" in head  # 101 lived in; 102 empty now
    assert re.search(r'class="person gone">夏明<small>已迁出</small>', html)
    assert re.search(r'class="door vacant">\s*<strong>102</strong>', html)


def test_audit_log_reads_as_words_not_codes(login, world):
    """Phones shown on the building's roster: "查看了居民电话", where, how many — not
    "resident.view_phones board:12 … residents: [4, 5, 6]"."""
    c = login(world.users.staff)
    c.get(reverse("place", args=[world.building.id]))
    html = c.get(reverse("audit"), {"action": "resident.view_phones"}).content.decode()
    row = html[html.index('<ul class="rows">'):]
    row = row[:row.index("</li>")]
    assert "查看了居民电话" in row and "查看位置：楼栋花名册" in row and "共 4 人" in row, row
    assert "board:" not in row and "residents:" not in row and "view_phones</strong>" not in row


def test_the_vulnerable_list_says_whom_to_call_for_someone_without_a_phone(login, world):
    """A list of people to call or visit says whom to call as the morning check-ins do
    (`registry.contacts`): the household's phone for 苏霞 without a mobile, "visit in person"
    for 夏明 with none in the household (walk_vulnerable: 梁来福 listed with no number)."""
    from fangkong.audit.models import AuditEvent
    from fangkong.registry.models import Resident

    Resident.objects.filter(pk__in=[world.su.pk, world.xia.pk]).update(phone="")
    c = login(world.users.staff)
    html = c.get(reverse("vulnerable", args=[world.community.id])).content.decode()
    su = html[html.index("苏霞"):html.index("</li>", html.index("苏霞"))]
    assert "03514001234" in su and "住户电话" in su, su
    xia = html[html.index("夏明"):html.index("</li>", html.index("夏明"))]
    assert "无电话，需上门" in xia, xia
    shown = AuditEvent.objects.filter(action="resident.view_phones").latest("id")
    assert f"vulnerable:{world.community.id}" in str(shown.changes)
