"""A morning call's "needs something" asks what kind of help, from the categories the
household's own help form offers, none chosen beforehand: found walking the demo, "she needs
her blood-pressure medicine" was always filed as 老人探视 (its deadline, its people). Now the
worker's choice is the request's category, with that category's deadline and recipients, on
the page and in the API alike (the same action); "other" files as a check-in; a missing or
unknown kind is refused in Chinese and nothing is recorded."""

import datetime

from django.utils import timezone

from fangkong.notify.models import Notification
from fangkong.services.actions import care, requests
from fangkong.services.models import Category, CheckIn, Request
from tests.conftest import actor_for
from tests.conftest import client_of as _client


def _told(user, request):
    return Notification.objects.filter(user=user, kind="services.request",
                                       url=f"/services/requests/{request.id}/").count()


def test_a_grid_worker_files_a_medicine_need_on_the_check_in_page(world, svc):
    w = world
    # the district has made medicine urgent (priority 1: staff are told too) and due in 90 minutes
    medicine = requests.edit_category(actor_for(w.users.district), Category.objects.get(code="medicine"),
                                      {"priority": 1, "response_minutes": 90})
    care.check_ins_today()
    c = CheckIn.objects.get()
    grid = _client(w.users.grid)
    url = f"/services/p/{w.grid.id}/"
    page = grid.get(url).content.decode()
    row = page.split('id="check-ins-open"')[1].split("</li>")[0]
    # what kind of help: the help form's kinds, nothing chosen, "other" as a check-in last
    select = row.split('name="category"')[1].split("</select>")[0]
    assert "required" in select and '<option value="" disabled selected>' in select
    assert select.count(" selected") == 1
    for code, label in [("urgent_medical", "紧急就医"), ("medicine", "买药"), ("repair", "维修"),
                        ("other", "其他（按老人探视处理）")]:
        assert f'<option value="{code}">{label}' in select
    assert 'value="check_in"' not in select  # 其他 is the check-in: not offered twice
    assert select.rindex('value="other"') > select.rindex('value="rubbish"')

    # no kind chosen: said, nothing recorded, back at the calls
    r = grid.post(url, {"do": "check_in", "check_in": c.id, "result": "needs", "note": "降压药吃完了"})
    assert r.status_code == 302 and r.url.endswith("#check-in-count")
    assert "请选择苏霞需要哪类帮助。" in grid.get(r.url).content.decode()
    assert CheckIn.objects.get().result == "open" and not Request.objects.exists()
    # an unknown kind: the resident form's sentence, nothing recorded
    grid.post(url, {"do": "check_in", "check_in": c.id, "result": "needs", "note": "降压药吃完了",
                    "category": "groceries"})
    assert CheckIn.objects.get().result == "open" and not Request.objects.exists()

    before = timezone.now()
    r = grid.post(url, {"do": "check_in", "check_in": c.id, "result": "needs", "note": "降压药吃完了",
                        "category": "medicine"}, follow=True)
    c.refresh_from_db()
    req = c.request
    assert c.result == "needs" and req.category == medicine and req.text == "降压药吃完了"
    assert req.priority == 1
    assert before + datetime.timedelta(minutes=90) <= req.due_at <= timezone.now() + datetime.timedelta(minutes=90)
    due = timezone.localtime(req.due_at).strftime("%H:%M")
    assert f"已为苏霞建了诉求（买药）：请在 {due} 前处理" in r.content.decode()
    # medicine's recipients: staff (urgent now), not the grid worker who raised it
    assert _told(w.users.staff, req) == 1 and _told(w.users.grid, req) == 0
    done = r.content.decode().split('id="check-ins-done"')[1]
    assert f'href="/services/requests/{req.id}/"' in done and "买药" in done


def test_the_api_files_the_kind_of_help_chosen_and_refuses_a_wrong_one(world, svc):
    w = world
    care.check_ins_today()
    c = CheckIn.objects.get()
    staff = _client(w.users.staff)
    url = f"/api/v1/services/check-ins/{c.id}"

    def post(body):
        return staff.post(url, body, content_type="application/json")

    r = post({"result": "needs", "note": "降压药吃完了"})
    assert r.status_code == 400 and r.json()["error"]["fields"]["category"] == ["请选择苏霞需要哪类帮助。"]
    r = post({"result": "needs", "note": "降压药吃完了", "category": "groceries"})
    assert r.status_code == 400 and r.json()["error"]["fields"]["category"] == ["请选择诉求类别。"]
    r = post({"result": "needs", "note": "", "category": "medicine"})
    assert r.status_code == 400 and set(r.json()["error"]["fields"]) == {"note"}
    assert CheckIn.objects.get().result == "open" and not Request.objects.exists()

    before = timezone.now()
    r = post({"result": "needs", "note": "降压药吃完了", "category": "medicine"})
    assert r.status_code == 200 and r.json()["category"] == "medicine" and r.json()["result"] == "needs"
    req = Request.objects.get(pk=r.json()["request"])
    medicine = Category.objects.get(code="medicine")
    assert req.category == medicine
    minutes = datetime.timedelta(minutes=medicine.response_minutes)
    assert before + minutes <= req.due_at <= timezone.now() + minutes
    # medicine (priority 2) tells the grid worker of the grid, not staff (who raised it)
    assert _told(w.users.grid, req) == 1 and _told(w.users.staff, req) == 0
    listed = staff.get(f"/api/v1/services/check-ins?place={w.community.id}").json()
    assert [(x["id"], x["category"]) for x in listed] == [(c.id, "medicine")]


def test_other_is_filed_as_an_elderly_check_in(world, svc):
    w = world
    care.check_ins_today()
    c = CheckIn.objects.get()
    r = _client(w.users.staff).post(f"/api/v1/services/check-ins/{c.id}", {
        "result": "needs", "note": "想有人来说说话", "category": "other"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["category"] == "check_in"
    assert Request.objects.get().category.code == "check_in"
