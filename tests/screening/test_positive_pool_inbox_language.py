"""The positive-pool message reads in the grid worker's language of the moment: written
while their account was English, it reads in Chinese on a Chinese phone (tester's walk
"grid", item 3), and in English in an English session."""

import pytest
from django.test import Client

from fangkong.notify.models import Delivery
from fangkong.screening.actions import lab as lab_actions
from fangkong.screening.actions import station
from fangkong.screening.models import Tube
from tests.conftest import actor_for

from .conftest import cid, to_lab

pytestmark = pytest.mark.django_db


def test_a_positive_pool_reads_in_the_language_the_grid_worker_reads_now(world, rnd, system):
    grid = world.users.grid
    grid.language = "en"
    grid.phone = "13900000077"
    grid.save()
    station.open_tube(system, rnd, "E0001")
    for r in (world.su, world.yu):
        station.scan(system, rnd, client_id=cid(), barcode="E0001", person=r.token)
    station.seal_tube(system, Tube.objects.get(round=rnd, barcode="E0001"))
    to_lab(world, rnd, "E0001")
    lab_actions.record_results(actor_for(world.users.lab), [{"barcode": "E0001", "result": "positive"}],
                               source="api")

    zh, en = Client(HTTP_ACCEPT_LANGUAGE="zh-CN"), Client(HTTP_ACCEPT_LANGUAGE="en")
    zh.force_login(grid)
    en.force_login(grid)
    html = zh.get("/inbox/").content.decode()
    assert "混管阳性 E0001：2 人需单采复核" in html and "Positive pooled tube" not in html
    titles = [n["title"] for n in zh.get("/api/v1/me/notifications").json()["results"]]
    assert "混管阳性 E0001：2 人需单采复核" in titles
    titles = [n["title"] for n in en.get("/api/v1/me/notifications").json()["results"]]
    assert "Positive pooled tube E0001: 2 people to re-test" in titles
    assert "Positive pooled tube E0001: 2 people to re-test" in en.get("/inbox/").content.decode()
    # the text message to the grid worker's phone keeps the account's language
    assert Delivery.objects.get(user=grid, kind="screening.positive_pool").title \
        == "Positive pooled tube E0001: 2 people to re-test"
