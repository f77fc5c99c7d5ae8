"""The demo's services part: building 3's orders in today's 15:30 batch at the east gate,
the supplier's login sees it, the queue holds the medicine request first; a reset and a
second build leave one of each."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from fangkong.accounts.models import User
from fangkong.services.models import Batch, DisinfectionRoutine, Order, Request, Supplier

pytestmark = pytest.mark.django_db


def test_demo_services(client, monkeypatch):
    # at noon by the test clock: built before 05:00 Beijing time the demo schedules building
    # 3's seal for 05:00 instead of publishing it, and its routine is not "while sealed"
    from tests.day.scene import Clock

    Clock(monkeypatch, timezone.localdate(), 12)
    call_command("demo", verbosity=0)
    batch = Batch.objects.get()
    assert timezone.localtime(batch.due_at).strftime("%H:%M") == "15:30"
    assert batch.lines.count() >= Order.objects.filter(batch=batch).count() > 0
    client.force_login(User.objects.get(username="supplier_demo"))
    assert client.get(f"/api/v1/services/batches/{batch.id}").status_code == 200
    assert client.get(f"/services/batches/{batch.id}/").status_code == 200
    queue = list(Request.objects.order_by("priority"))
    assert queue[0].category.code == "medicine"
    routine = DisinfectionRoutine.objects.get()  # building 3's, while it is sealed
    assert (routine.times, routine.while_sealed, routine.state) == ("08:00,16:00", True, "active")
    call_command("demo", "--flush", verbosity=0)
    assert Supplier.objects.filter(name__startswith="美特好").count() == 1
    assert DisinfectionRoutine.objects.count() == 1
