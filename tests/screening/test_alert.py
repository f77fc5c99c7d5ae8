"""A positive pool or antigen result shows at the top of the staff's home page at once —
who and where — to those who may see the person, until someone re-samples them."""

import re

from django.urls import reverse

from fangkong.core.actor import Actor
from fangkong.screening import queries
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import followup, lab, planning, station
from fangkong.screening.models import FollowUp

from .conftest import cid, to_lab


def positive_pool(world, rnd, barcode="T0001", people=None):
    """Tube `barcode` with 苏霞 and 于海涛 (both of 1单元 101), found positive by the lab."""
    staff = Actor.system(world.users.staff)
    station.open_tube(staff, rnd, barcode)
    for r in people or (world.su, world.yu):
        station.scan(staff, rnd, client_id=cid(), barcode=barcode, person=r.token)
    tube = queries.get_tube(staff, rnd, barcode)
    if tube.state != "sealed":
        station.seal_tube(staff, tube)
    to_lab(world, rnd, barcode)
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": barcode, "result": "positive"}], source="upload")


def alert_of(html):
    m = re.search(r'<section id="positive-alert".*?</section>', html, re.S)
    return m.group(0) if m else ""


def test_staff_home_shows_who_and_where_at_once(world, rnd, login):
    positive_pool(world, rnd)
    resp = login(world.users.staff).get(reverse("home"), follow=True)
    alert = alert_of(resp.content.decode())
    assert 'role="alert"' in alert
    assert "苏霞" in alert and "于海涛" in alert and "1号楼 1单元 101" in alert and "T0001" in alert
    # the staff may record the re-test: the alert leads there
    assert reverse("screening_followups", args=[rnd.id]) in alert


def test_alert_goes_to_those_who_see_the_person_only(world, rnd, login):
    positive_pool(world, rnd)
    for who in ("grid", "leader", "street", "district"):  # their place holds 1号楼
        html = login(getattr(world.users, who)).get(reverse("home"), follow=True).content.decode()
        assert "苏霞" in alert_of(html), who
    # community B's staff: their home page polls an empty alert; the endpoint hides A's place
    other = login(world.users.other_staff)
    html = other.get(reverse("home"), follow=True).content.decode()
    assert 'id="positive-alert"' in html and "苏霞" not in html
    url = reverse("screening_alert") + f"?place={world.community.id}"
    assert other.get(url).status_code == 404
    for who in ("resident", "volunteer", "lab", "supplier", "nobody"):
        assert login(getattr(world.users, who)).get(url).status_code == 404, who
        html = login(getattr(world.users, who)).get(reverse("home"), follow=True).content.decode()
        assert "苏霞" not in alert_of(html), who


def test_alert_stays_until_someone_resamples(world, rnd, login):
    positive_pool(world, rnd)
    staff = login(world.users.staff)
    url = reverse("screening_alert") + f"?place={world.community.id}"
    assert "苏霞" in staff.get(url).content.decode()
    fu = FollowUp.objects.get(resident=world.su)
    followup.record_retest(Actor.system(world.users.staff), fu, "S0001")
    left = staff.get(url).content.decode()
    assert "苏霞" not in left and "于海涛" in left
    followup.record_retest(Actor.system(world.users.staff),
                          FollowUp.objects.get(resident=world.yu), "S0002")
    gone = staff.get(url).content.decode()
    assert 'id="positive-alert"' in gone and 'role="alert"' not in gone  # still polls, says nothing


def test_antigen_positive_shows_too(world, login, system):
    import datetime

    from django.utils import timezone

    now = timezone.now()
    ag = planning.plan_round(system, world.community, {
        "name": "抗原自测", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 1})
    planning.set_status(system, ag, "running")
    antigen_actions.record_result(Actor.system(world.users.staff), ag, world.xia, "positive",
                          client_id=cid())
    html = login(world.users.staff).get(reverse("home"), follow=True).content.decode()
    alert = alert_of(html)
    assert "夏明" in alert and "1号楼 1单元 102" in alert
    assert "抗原阳性" in alert or "antigen test positive" in alert


def test_the_alert_query_is_scoped_and_bounded(world, rnd, django_assert_max_num_queries):
    from fangkong.accounts.scope import Scope

    positive_pool(world, rnd)
    scope = Scope.for_user(world.users.staff)
    with django_assert_max_num_queries(3):
        rows, total = queries.awaiting_positives(scope, world.community)
    assert total == 2 and {f.resident_id for f in rows} == {world.su.id, world.yu.id}
    assert queries.awaiting_positives(Scope.for_user(world.users.other_staff), None) == ([], 0)
    assert queries.awaiting_positives(Scope.for_user(world.users.resident), None) == ([], 0)
    assert queries.awaiting_positives(scope, world.unit2)[1] == 0  # 1单元's people only


def test_a_positive_re_test_shows_as_a_case_for_a_day(world, rnd, login, monkeypatch):
    """Found by the day test: once the held people were re-sampled the banner went away, and
    a re-test that came back positive (a case) showed only as a badge in the menu."""
    import datetime

    from django.utils import timezone

    positive_pool(world, rnd)
    staff = Actor.system(world.users.staff)
    followup.record_retest(staff, FollowUp.objects.get(resident=world.su), "S0001")
    followup.record_retest(staff, FollowUp.objects.get(resident=world.yu), "S0002")
    lab.record_results(Actor.system(world.users.lab), [
        {"_row": 1, "barcode": "S0001", "result": "positive"},
        {"_row": 2, "barcode": "S0002", "result": "negative"}], source="upload")
    home = alert_of(login(world.users.staff).get(reverse("home"), follow=True).content.decode())
    assert 'role="alert"' in home and "苏霞" in home and "1号楼 1单元 101" in home and "S0001" in home
    assert "于海涛" not in home  # released
    for who in ("grid", "street"):
        assert "苏霞" in alert_of(login(getattr(world.users, who)).get(reverse("home"), follow=True)
                                  .content.decode()), who
    for who in ("other_staff", "lab", "volunteer"):
        assert "苏霞" not in alert_of(login(getattr(world.users, who)).get(reverse("home"), follow=True)
                                      .content.decode()), who
    later = timezone.now() + datetime.timedelta(hours=queries.CASE_ALERT_HOURS, minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    url = reverse("screening_alert") + f"?place={world.community.id}"
    resp = login(world.users.staff).get(url)
    gone = resp.content.decode()
    assert resp.status_code == 200 and 'id="positive-alert"' in gone
    assert "苏霞" not in gone and 'role="alert"' not in gone


def test_two_positive_pools_in_one_file_each_hold_their_people_and_tell_once(world, rnd):
    """Set-based follow-ups: two positive tubes and a negative one in one file hold the
    people of each positive tube, and each positive tube sends its own message naming its
    count, to the staff and grid worker of its people, once (the file sent again: nothing)."""
    from fangkong.notify.models import Notification

    staff = Actor.system(world.users.staff)
    for code, people in (("P0001", (world.su, world.yu)), ("P0002", (world.xia,)), ("P0003", (world.wang,))):
        station.open_tube(staff, rnd, code)
        for r in people:
            station.scan(staff, rnd, client_id=cid(), barcode=code, person=r.token)
        tube = queries.get_tube(staff, rnd, code)
        if tube.state != "sealed":
            station.seal_tube(staff, tube)
    to_lab(world, rnd, "P0001", "P0002", "P0003")
    rows = [{"_row": 1, "barcode": "P0001", "result": "positive"},
            {"_row": 2, "barcode": "P0002", "result": "positive"},
            {"_row": 3, "barcode": "P0003", "result": "negative"}]
    out = lab.record_results(Actor.system(world.users.lab), rows, source="upload")
    assert (out["saved"], out["positive_pools"], out["followups"]) == (3, 2, 3)
    held = dict(FollowUp.objects.filter(round=rnd).values_list("resident_id", "tube__barcode"))
    assert held == {world.su.id: "P0001", world.yu.id: "P0001", world.xia.id: "P0002"}
    told = sorted(Notification.objects.filter(kind="screening.positive_pool")
                  .values_list("user_id", "title"))
    assert told == sorted((u.id, t) for u in (world.users.staff, world.users.grid)
                          for t in ("混管阳性 P0001：2 人需单采复核", "混管阳性 P0002：1 人需单采复核")), told
    again = lab.record_results(Actor.system(world.users.lab), rows, source="upload")
    assert (again["unchanged"], again["positive_pools"]) == (3, 0)
    assert Notification.objects.filter(kind="screening.positive_pool").count() == 4
