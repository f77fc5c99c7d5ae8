"""A case the health authority reported by hand is marked as such, not as a re-test (found on
a re-walk: 吕保国, reported at /zones/p/4/cases/new/ from "区疾控中心 2026-118", was
"确诊阳性（单采复核阳性）" on the missing list, its .xlsx and its API's `held_label`, so a worker
would look for a single-tube re-test nobody took). One definition (`status.missing_marks`
over `status.reported_cases`): a ZoneCase alone says "确诊病例（卫健部门通报）", a single re-test
positive keeps the re-test wording; the household's page says the same."""

import datetime
import io

import openpyxl
from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.screening.actions import planning
from fangkong.screening.models import FollowUp
from fangkong.zones.actions.escalate import record_case
from tests.conftest import actor_for

from .conftest import api
from .test_missing_held import _row

REPORTED, RETEST = "确诊病例（卫健部门通报）", "确诊阳性（单采复核阳性）"


def _retest_positive(w, person):
    at = timezone.now() - datetime.timedelta(hours=1)
    other = planning.plan_round(Actor.system(w.users.staff), w.community, {
        "name": "复核轮", "kind": "pcr", "starts_at": at - datetime.timedelta(hours=3),
        "ends_at": at - datetime.timedelta(hours=1), "pool_size": 10})
    fu = FollowUp(round=other, resident=person, household_id=person.household_id, status=FollowUp.Status.CASE,
                  created_at=at - datetime.timedelta(hours=2), closed_at=at)
    fu.copy_levels(person)
    fu.save()


def test_a_reported_case_and_a_retest_case_each_say_where_they_came_from(world, rnd, client):
    w = world
    record_case(actor_for(w.users.staff), w.xia, source_ref="区疾控中心 2026-118")
    _retest_positive(w, w.wang)
    client.force_login(w.users.staff)
    q = f"?place={w.community.id}"
    page = client.get(f"/screening/rounds/{rnd.id}/missing/{q}").content.decode()
    people = {p["id"]: p for p in api(client, "get", f"/rounds/{rnd.id}/missing{q}").json()["results"]}
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/screening/rounds/{rnd.id}/missing.xlsx{q}").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    at = list(rows[1]).index("阳性/管控")
    xlsx = {r[0]: r[at] for r in rows[2:] if r and r[0]}
    for who, words in ((w.xia, REPORTED), (w.wang, RETEST)):
        assert people[who.id]["held"] == "case" and people[who.id]["held_label"] == words, who.name
        assert xlsx[who.name] == words, who.name
        assert f'class="badge bad held-mark">{words}<' in _row(page, who), who.name
    # the household's page (staff) says the same of the reported case
    home = client.get(f"/households/{w.xia.household_id}/").content.decode()
    assert REPORTED in home and RETEST not in home
