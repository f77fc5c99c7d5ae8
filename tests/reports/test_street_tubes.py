"""A pooled tube sampled at a point on the boundary of two communities of one street holds
people of both. Each community counts it (it holds their people), but the street (and the
district) counts it once: a tube is one tube whatever the number of places whose people it
holds. The street's figure had been the sum of its communities' (the live dashboard summing
the communities' snapshots, the nightly roll-up summing their locked reports), so the one
tube was two at street and district level. People stay summed (each is in one community).

Checked on every surface that shows the figure: the live dashboard (snapshots summed) and
its API, the locked roll-up report (street and district) and its API and .xlsx."""

import datetime
import io
import uuid

import pytest
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.reports import actions, figures, live
from fangkong.reports.actions import snapshots
from fangkong.screening.actions import planning, station
from fangkong.screening.models import Sample, Tube
from tests.conftest import client_of as _client

pytestmark = pytest.mark.django_db

KEY = "tubes_not_at_lab"


def at(day, hh, mm=0):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hh, mm)))


@pytest.fixture
def boundary(world, monkeypatch):
    """A round over the street: T0301 holds 苏霞 (光明社区) and 袁桂英 (惠泽苑社区), sampled at
    the point between them; T0302 holds 夏明 (光明社区) alone. Both sealed, neither at the lab."""
    w = world
    today = timezone.localdate()
    system = Actor.system()
    rnd = planning.plan_round(system, w.street, {
        "name": "第7轮核酸", "kind": "pcr", "starts_at": at(today, 7), "ends_at": at(today, 14), "pool_size": 10})
    planning.set_status(system, rnd, "running")
    for code, people in {"T0301": [w.su, w.other_person], "T0302": [w.xia]}.items():
        station.open_tube(system, rnd, code)
        for p in people:
            station.scan(system, rnd, client_id=str(uuid.uuid4()), barcode=code, person=p.token)
        station.seal_tube(system, Tube.objects.get(round=rnd, barcode=code))
    Sample.objects.filter(round=rnd).update(sampled_at=at(today, 9))
    Tube.objects.filter(round=rnd).update(opened_at=at(today, 9), sealed_at=at(today, 9, 30))
    assert set(Sample.objects.filter(tube__barcode="T0301").values_list("community_id", flat=True)) == {
        w.community.id, w.other.id}
    monkeypatch.setattr(timezone, "now", lambda: at(today, 12))
    w.today, w.rnd = today, rnd
    return w



def test_counted_live_the_street_holds_two_tubes(boundary):
    """The live count of the street itself (and its communities in the same pass)."""
    w = boundary
    values = figures.compute([w.community, w.other], timezone.now(), parent=w.street)
    assert (values[w.community.id][KEY], values[w.other.id][KEY], values[w.street.id][KEY]) == (2, 1, 2)
    assert figures.of(w.district, timezone.now())[KEY] == 2


def test_dashboard_of_street_and_district_counts_each_tube_once(boundary):
    """A street's or district's dashboard sums its communities' snapshots: the tube of both
    communities is in each community's row and once in the street's and the district's."""
    w = boundary
    snapshots.refresh([w.community, w.other])
    for user, node in ((w.users.street, w.street), (w.users.district, w.district)):
        board = live.board(_scope(user), node)
        assert board["values"][KEY] == 2, node.name  # T0301 + T0302, not 3
        assert board["values"]["sampled"] == 3  # people stay summed
    board = live.board(_scope(w.users.street), w.street)
    assert {k.name: v[KEY] for k, v in board["children"]} == {w.community.name: 2, w.other.name: 1}
    district = live.board(_scope(w.users.district), w.district)
    assert {k.name: v[KEY] for k, v in district["children"]} == {w.street.name: 2}

    c = _client(w.users.district)
    for node in (w.street, w.district):
        assert _shown(c.get(f"/reports/places/{node.id}/").content.decode()) == "2", node.name  # the page
        got = c.get(f"/api/v1/reports/places/{node.id}/figures").json()
        assert {f["key"]: f["value"] for f in got["figures"]}[KEY] == 2, node.name
        assert all(not k.startswith("_") for ch in got["children"] for k in ch["figures"])


def test_locked_rollup_counts_each_tube_once(boundary):
    w = boundary
    staff, other = Actor.system(w.users.staff), Actor.system(w.users.other_staff)
    a = actions.prepare(staff, w.community, w.today)
    a = actions.submit(staff, a, now=a.cutoff_at)  # submitted from the cut-off on
    b = actions.prepare(other, w.other, w.today)
    b = actions.submit(other, b, now=b.cutoff_at)
    assert (a.figures[KEY], b.figures[KEY]) == (2, 1)  # each community counts the tube of both
    street = actions.submit(Actor.system(w.users.street), actions.prepare(Actor.system(w.users.street),
                                                                          w.street, w.today))
    assert street.figures[KEY] == 2 and street.figures["sampled"] == 3
    district = actions.submit(Actor.system(w.users.district),
                              actions.prepare(Actor.system(w.users.district), w.district, w.today))
    assert district.figures[KEY] == 2 and district.figures["sampled"] == 3
    # the same as counting the street at once
    assert street.figures[KEY] == figures.of(w.street, timezone.now())[KEY]

    c = _client(w.users.district)
    for r in (street, district):  # the page, the API and the .xlsx show the figure kept
        assert _shown(c.get(f"/reports/{r.id}/").content.decode()) == "2"
        got = c.get(f"/api/v1/reports/{r.id}").json()
        assert got["figures"][KEY] == 2 and not any(k.startswith("_") for k in got["figures"])
    from openpyxl import load_workbook

    label = str(figures.by_key()[KEY].label)
    with_lang = c.get(f"/reports/{district.id}/report.xlsx")
    book = load_workbook(io.BytesIO(with_lang.content), read_only=True)
    for sheet, name, want in (("区", w.district.name, 2), ("街道", w.street.name, 2)):
        rows = list(book[sheet].iter_rows(values_only=True))
        col = next(i for i, h in enumerate(rows[0]) if h in (label, "未送检管", "尚未送达实验室的管"))
        assert [r[col] for r in rows[1:] if name in r] == [want], (sheet, rows)


def _shown(html: str) -> str:
    """The figure as the page shows it (its tile)."""
    return html.split(f'data-figure="{KEY}"')[1].split("<strong>")[1].split("</strong>")[0]


def _scope(user):
    from fangkong.accounts.scope import scope_for

    return scope_for(user)
