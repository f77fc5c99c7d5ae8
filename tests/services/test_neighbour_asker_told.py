"""Walking a request asked for a neighbour (found on a phone: 101 asked for the elderly woman
at 102, who cannot be reached): the asker heard nothing when the grid worker took it or when it
was done — only 102's household was told "已处理，请确认"; the request page showed 102's phones
under "求助人 … / 电话", as if they were the asker's, and not the asker's own; the flash said
"他家" for any neighbour; the household's page named a medicine order by its database id
("#26"); and "确认已解决" closed a request in one tap."""

import uuid

from django.test import Client
from django.utils import timezone

from fangkong.accounts.models import Membership, User
from fangkong.accounts.roles import Role
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.notify.models import Notification
from fangkong.services.actions import orders, requests
from fangkong.services.models import Category, Request
from tests.conftest import actor_for, make_user


def _login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _ask_for_102(w, text="102的秦阿姨电话打不通，药吃完了"):
    return requests.raise_for_neighbour(actor_for(w.users.resident), w.hh101, "102",
                                        Category.objects.get(code="medicine"), text, client_id=uuid.uuid4())


def _told(user):
    return list(Notification.objects.filter(user=user, kind="services.request", key__contains=".asker.")
                .order_by("id").values_list("key", "title", "body", "url"))


def test_the_asker_is_told_when_it_is_taken_and_done_in_their_language(world, svc):
    w = world
    User.objects.filter(pk=w.users.resident.pk).update(language="en")
    r = _ask_for_102(w)
    assert _told(w.users.resident) == []
    r = requests.take(actor_for(w.users.grid), r)
    (key, title, body, url), = _told(w.users.resident)
    assert key.endswith(f"{r.id}.asker.taken") and url == f"/services/requests/{r.id}/"
    assert title.startswith("Your request for a neighbour was taken by grid_a, Medicine: ") and "1单元 102" in title
    assert body == "102的秦阿姨电话打不通，药吃完了"  # what the asker typed, nothing of 102's
    requests.done(actor_for(w.users.grid), Request.objects.get(pk=r.pk), "药已送到，见到本人")
    done = _told(w.users.resident)[1]
    assert done[0].endswith(".asker.done") and done[1].startswith("Your request for a neighbour is done, Medicine")
    assert done[2] == "药已送到，见到本人" and done[3] == f"/services/requests/{r.id}/"
    for _k, title, body, _u in _told(w.users.resident):
        assert "夏明" not in title + body and "15083776308" not in title + body
    # 102's own login confirms: the asker hears it is closed (in Chinese, for a reader who never chose)
    User.objects.filter(pk=w.users.resident.pk).update(language="")
    own = make_user(Actor.system(), "resident_102", Role.RESIDENT, household=w.hh102)
    requests.confirm(actor_for(own), Request.objects.get(pk=r.pk))
    closed = _told(w.users.resident)[2]
    assert closed[0].endswith(".asker.confirmed") and closed[1].startswith("您为邻居提交的求助已确认解决。买药")


def test_a_cancelled_one_is_told_too_and_not_to_one_who_moved_out(world, svc):
    w = world
    r = _ask_for_102(w)
    requests.cancel(actor_for(w.users.staff), r)
    (key, title, _b, _u), = _told(w.users.resident)
    assert key.endswith(".asker.cancelled") and title.startswith("您为邻居提交的求助已取消。")
    r2 = _ask_for_102(w, "再问一次")
    Membership.objects.filter(user=w.users.resident).update(is_active=False)
    requests.take(actor_for(w.users.grid), r2)
    assert len(_told(w.users.resident)) == 1  # no longer of 101: no longer follows it


def test_the_page_says_which_phone_is_the_askers_and_which_the_households(world, svc):
    w = world
    User.objects.filter(pk=w.users.resident.pk).update(phone="13912345678")
    r = _ask_for_102(w)
    page = _login(w.users.grid).get(f"/services/requests/{r.id}/").content.decode()
    facts = page.split('class="facts"')[1].split("</dl>")[0]
    household = facts.split('id="contacts"')[1].split("</dd>")[0]
    assert "该户电话" in facts and "夏明" in household and "tel:15083776308" in household
    assert "13912345678" not in household
    asker = facts.split('id="asker-phone"')[1].split("</dd>")[0]
    assert "求助人电话" in facts and "tel:13912345678" in asker and "15083776308" not in asker
    # the asker's line comes after their name, the household's after its door
    assert facts.index('id="door"') < facts.index('id="contacts"') < facts.index('id="asker"') \
        < facts.index('id="asker-phone"')
    event = AuditEvent.objects.get(action="resident.view_phones", actor=w.users.grid)
    assert event.changes["where"] == f"services.request:{r.id}" and w.hh101.id in event.changes["households"]
    # the asker following it sees neither
    page = _login(w.users.resident).get(f"/services/requests/{r.id}/").content.decode()
    assert 'id="asker-phone"' not in page and 'id="contacts"' not in page


def test_the_askers_number_on_the_roll_is_audited_as_that_residents(world, svc):
    w = world
    User.objects.filter(pk=w.users.resident.pk).update(phone="17446416120")  # 苏霞's mobile
    r = _ask_for_102(w)
    page = _login(w.users.grid).get(f"/services/requests/{r.id}/").content.decode()
    assert "tel:17446416120" in page.split('id="asker-phone"')[1].split("</dd>")[0]
    event = AuditEvent.objects.get(action="resident.view_phones", actor=w.users.grid)
    assert w.su.id in event.changes["residents"]


def test_the_flash_after_asking_for_a_neighbour_is_neutral(world, svc):
    w = world
    c = _login(w.users.resident)
    page = c.post(f"/services/households/{w.hh101.id}/", {
        "do": "request", "category": "medicine", "text": "秦阿姨的药吃完了", "room": "102",
        "client_id": str(uuid.uuid4())}, follow=True).content.decode()
    assert "已为 光明小区 1号楼 1单元 102 提交求助：网格员会上门处理。" in page and "他家" not in page


def test_the_households_own_page_names_its_order_without_its_id(world, svc):
    w = world
    o = orders.place_order(actor_for(w.users.resident), w.hh101, svc.supplier, [(svc.pills.id, 2)],
                           client_id=uuid.uuid4())
    r = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="medicine"),
                               "买降压药", client_id=uuid.uuid4())
    page = _login(w.users.resident).get(f"/services/requests/{r.id}/").content.decode()
    said = page.split('id="orders-like"')[1].split("</p>")[0]
    t = timezone.localtime(o.placed_at).strftime("%m-%d %H:%M")
    assert f"该户另有药品订单（{t} 提交），等待供应商发货，尚未排定送达时间：" in said and "硝苯地平缓释片 × 2" in said
    assert f"#{o.id}" not in said and "#" not in said


def test_confirming_it_was_resolved_asks_first(world, svc):
    w = world
    r = requests.raise_request(actor_for(w.users.resident), w.hh101, Category.objects.get(code="repair"),
                               "水管漏水", client_id=uuid.uuid4())
    r = requests.done(actor_for(w.users.staff), requests.take(actor_for(w.users.staff), r), "已换水管")
    c = _login(w.users.resident)
    asked = c.post(f"/services/requests/{r.id}/", {"step": "confirm"})
    text = asked.content.decode()
    assert asked.status_code == 200 and "确认已解决？" in text
    assert "水管漏水" in text and "已换水管" in text and "没解决" in text and 'name="confirm" value="1"' in text
    assert Request.objects.get(pk=r.pk).state == "done"
    assert c.post(f"/services/requests/{r.id}/", {"step": "confirm", "confirm": "1"}).status_code == 302
    assert Request.objects.get(pk=r.pk).state == "confirmed"
