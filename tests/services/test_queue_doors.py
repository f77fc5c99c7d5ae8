"""The request queue says where to go (found on a phone: its rows named no door)."""

import uuid

from django.test import Client

from fangkong.services.actions import requests
from fangkong.services.models import Category
from tests.conftest import actor_for


def test_each_queued_request_names_its_door_on_the_queue_the_place_page_and_the_api(world, svc):
    w = world
    staff = actor_for(w.users.staff)
    for hh, text in ((w.hh102, "门锁坏了"), (w.hh201, "降压药吃完了")):
        requests.raise_request(staff, hh, Category.objects.get(code="repair"), text, client_id=uuid.uuid4())
    c = Client()
    c.force_login(w.users.staff)
    queue = c.get(f"/services/p/{w.community.id}/requests/").content.decode().split('id="queue"')[1]
    row = queue.split("门锁坏了", 1)[1].split("</li>", 1)[0]
    assert "光明小区 1号楼 1单元 102" in row
    place = c.get(f"/services/p/{w.community.id}/").content.decode().split('id="requests"')[1].split("</ul>")[0]
    assert "光明小区 1号楼 2单元 201" in place and "光明小区 1号楼 1单元 102" in place
    api = {r["household"]: r["address"] for r in c.get("/api/v1/services/requests").json()}
    assert api == {w.hh102.id: "光明小区 1号楼 1单元 102", w.hh201.id: "光明小区 1号楼 2单元 201"}
