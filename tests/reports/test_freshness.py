"""A street's or district's dashboard reads stored snapshots (up to 5 minutes old): the page
says plainly as of when ("数据截至 HH:MM", how many minutes ago) and offers a refresh that
queues the snapshot task — the request never counts the district — once per node while
one waits."""

import datetime

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from fangkong.core.actor import Actor
from fangkong.core.errors import NotFound
from fangkong.reports import actions
from fangkong.reports.actions import snapshots
from fangkong.reports.actions.snapshots import reports_snapshots_task
from fangkong.reports.models import FigureSnapshot
from tests.conftest import client_of as _client

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}



def _age(minutes):
    old = timezone.now() - datetime.timedelta(minutes=minutes)
    FigureSnapshot.objects.update(computed_at=old)
    return old


def test_street_dashboard_says_as_of_when(world, settings):
    w = world
    snapshots.refresh([w.community, w.other])
    old = _age(3)  # fresh enough (under 5 minutes): read as stored
    html = _client(w.users.street).get(f"/reports/places/{w.street.id}/").content.decode()
    shown = timezone.localtime(old).strftime("%H:%M")
    assert f"数据截至 {shown}" in html or f"Figures as of {shown}" in html
    assert "3 分钟前" in html or "3 minutes ago" in html
    assert f'action="/reports/places/{w.street.id}/refresh/"' in html
    assert FigureSnapshot.objects.filter(computed_at=old).count() == 2  # nothing recounted
    snapshots.refresh([w.community, w.other])  # just counted: no "minutes ago", never negative
    html = _client(w.users.street).get(f"/reports/places/{w.street.id}/").content.decode()
    assert "data-as-of" in html and "分钟前" not in html and "minutes ago" not in html
    # a community's dashboard is counted live: no snapshot time, no refresh
    html = _client(w.users.street).get(f"/reports/places/{w.community.id}/").content.decode()
    assert "/refresh/" not in html and "data-as-of" not in html


def test_refresh_queues_the_task_once_and_counts_nothing_in_the_request(world, settings):
    settings.TASKS = DB_TASKS
    w = world
    snapshots.refresh([w.community, w.other])
    old = _age(3)
    c = _client(w.users.district)
    for _ in range(2):  # a double tap
        r = c.post(f"/reports/places/{w.district.id}/refresh/")
        assert r.status_code == 302 and r["Location"] == f"/reports/places/{w.district.id}/"
    assert FigureSnapshot.objects.filter(computed_at=old).count() == 2  # not counted here
    queued = DBTaskResult.objects.filter(task_path=reports_snapshots_task.module_path, status="READY")
    assert queued.count() == 1 and queued.get().args_kwargs["args"] == [w.district.id]
    # the worker runs it: every community of the district counted now
    out = reports_snapshots_task.call(w.district.id)
    assert out == {"snapshots": 2} and not FigureSnapshot.objects.filter(computed_at=old).exists()


def test_refresh_is_for_streets_and_districts_the_user_may_see(world, settings):
    settings.TASKS = DB_TASKS
    w = world
    staff = Actor.system(w.users.staff)
    for node in (w.community, w.street):  # a community is live; the street is not hers
        try:
            actions.request_refresh(staff, node)
        except NotFound:
            pass
        else:
            raise AssertionError(f"refresh allowed on {node}")
    assert _client(w.users.staff).post(f"/reports/places/{w.street.id}/refresh/").status_code == 404
    assert not DBTaskResult.objects.exists()


def test_refresh_over_the_api_is_the_same_action(world, settings):
    settings.TASKS = DB_TASKS
    w = world
    c = _client(w.users.street)
    url = f"/api/v1/reports/places/{w.street.id}/refresh"
    assert c.post(url, content_type="application/json").json() == {"queued": True}
    assert c.post(url, content_type="application/json").json() == {"queued": False}
    assert c.post(f"/api/v1/reports/places/{w.community.id}/refresh",
                  content_type="application/json").status_code == 404
    assert DBTaskResult.objects.filter(task_path=reports_snapshots_task.module_path).count() == 1
