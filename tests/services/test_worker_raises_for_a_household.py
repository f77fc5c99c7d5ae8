"""A grid worker (or staff) raising a request for a household is told where it went (found
on the gate walk: grid_guangming read "诉求已发给您的网格员" — the grid worker is themself);
the household's own login still reads that its grid worker has it."""

import uuid

from django.test import Client

from fangkong.services.actions import requests
from fangkong.services.models import Category


def _said(w, user):
    requests.install_categories()
    c = Client()
    c.force_login(user)
    cat = Category.objects.get(code="medicine")
    r = c.post(f"/services/households/{w.hh101.id}/", {"do": "request", "category": cat.code, "text": "降压药明天就吃完了",
                                                      "client_id": str(uuid.uuid4())}, follow=True)
    assert r.status_code == 200
    return [str(m) for m in r.context["messages"]]


def test_a_worker_is_told_the_request_is_in_the_queue(world):
    w = world
    assert "已进入光明社区诉求队列，您可以直接接单。" in _said(w, w.users.grid)
    assert "已进入光明社区诉求队列，您可以直接接单。" in _said(w, w.users.staff)
    assert "诉求已发给您的网格员。有人接单时会在这里显示。" in _said(w, w.users.resident)
