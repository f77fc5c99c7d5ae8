"""A sampler at the door could not record "nobody answered" or "refused" (walk "family",
2026-12-07: 乔秀兰, sealed in, given to the round's sampler; each visit had one button,
"登记采样（采样台）", and the staff's "不再需要" spoke of hospital). The visit stayed "open"
with no trace that anyone went: the next shift sent a sampler again, and staff could not
tell a refusal from a visit nobody made.

Now a door outcome — no answer, refused, not at this address — is recorded on the visit
through one action (`actions.door.record_door`: the page's "上门未采到…", asked first, and
`POST /api/v1/screening/home-visits/{id}/door`), with its time, the sampler and an optional
note, audited. The visit stays open for another attempt (and may be given to another
sampler); the person stays on the missing list. The outcome reads the same on the
sampler's list, the staff's home list, the missing list, its .xlsx and the API
(`HomeVisit.door_text`, `door.door_out`)."""

import io
import re

import openpyxl
import pytest

from fangkong.audit.models import AuditEvent as Event
from fangkong.core.actor import Actor
from fangkong.screening import figures
from fangkong.screening.actions import followup
from fangkong.screening.models import HomeVisit

from .conftest import api, cid
from .test_home_assign import _given

pytestmark = pytest.mark.django_db

NO_ANSWER = "上门无人应答"
REFUSED = "拒绝采样"


def _door(client, hv, **post):
    return client.post(f"/screening/home-visits/{hv.id}/door/", post)


def _row(html, name):
    """The list row (its <li>) naming `name`, as text."""
    at = html.index(name)
    start = html.rindex("<li", 0, at)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:html.index("</li>", at)]).split())


def test_the_sampler_records_no_answer_and_every_list_says_it(world, rnd, client):
    hv, _s = _given(world, rnd, client)
    xia = world.xia
    before = figures.coverage(rnd, world.community)
    client.force_login(world.users.volunteer)
    mine = client.get("/screening/home-visits/mine/").content.decode()
    assert f'action="/screening/home-visits/{hv.id}/door/"' in mine  # the visit's one door button
    assert f'action="/screening/home-visits/{hv.id}/door/"' in client.get("/volunteers/").content.decode()
    # the tap asks first: what happened, and a note; nothing is written yet
    r = _door(client, hv, next="/screening/home-visits/mine/")
    ask = r.content.decode()
    assert r.status_code == 200 and 'name="confirm"' in ask
    for word in (NO_ANSWER, REFUSED, "不在此地址", xia.name):
        assert word in ask, word
    hv.refresh_from_db()
    assert hv.door == "" and hv.door_attempts == 0
    # "yes": recorded, back to the sampler's list, the visit still there for another try
    r = _door(client, hv, confirm="1", outcome="no_answer", note="敲门无人，电话未接",
              next="/screening/home-visits/mine/", client_id=cid())
    assert r.status_code == 302 and r["Location"] == "/screening/home-visits/mine/"
    hv.refresh_from_db()
    assert (hv.door, hv.door_by_id, hv.door_note, hv.door_attempts) == (
        "no_answer", world.users.volunteer.id, "敲门无人，电话未接", 1)
    assert hv.door_at is not None and hv.status == HomeVisit.Status.OPEN
    assert hv.assignee_id == world.users.volunteer.id
    text = hv.door_text()
    assert NO_ANSWER in text and "volunteer_a" in text and "敲门无人，电话未接" in text
    ev = Event.objects.get(action="screening.home.door")
    assert ev.changes["outcome"] == "no_answer" and ev.changes["visit"] == hv.id
    # the person is still missing, nothing counted
    assert figures.coverage(rnd, world.community) == before

    mine = client.get("/screening/home-visits/mine/").content.decode()
    assert NO_ANSWER in _row(mine, xia.name) and "敲门无人" in _row(mine, xia.name)
    assert [v["door_outcome"]["outcome"] for v in api(client, "get", "/home-visits/mine").json()] == ["no_answer"]

    client.force_login(world.users.staff)
    home = client.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert text in _row(home, xia.name)
    missing = client.get(f"/screening/rounds/{rnd.id}/missing/?place={world.community.id}").content.decode()
    at = missing.rindex("<li", 0, missing.index(f'id="m-{xia.id}"'))
    assert text in _row(missing[at:], xia.name)
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(
        f"/screening/rounds/{rnd.id}/missing.xlsx?place={world.community.id}").content)).active
    rows = list(sheet.iter_rows(values_only=True))
    note = list(rows[1]).index("备注")
    assert text in next(r[note] for r in rows[2:] if r and r[0] == xia.name)
    # the API: the same words and the facts behind them, on each list
    out = next(v for v in api(client, "get", f"/rounds/{rnd.id}/home-visits").json()["results"]
               if v["id"] == hv.id)["door_outcome"]
    assert out["outcome"] == "no_answer" and out["label"] == NO_ANSWER and out["text"] == text
    assert out["by"] == "volunteer_a" and out["note"] == "敲门无人，电话未接" and out["attempts"] == 1
    assert out["at"]
    people = api(client, "get", f"/rounds/{rnd.id}/missing").json()["results"]
    row = next(p for p in people if p["id"] == xia.id)
    assert row["home_visit"] is True and row["door_outcome"] == out
    assert row["door"] == xia.household.door  # `door` stays the household's door number
    assert all(p["door_outcome"] is None for p in people if p["id"] != xia.id)


def test_the_api_records_a_refusal_once_per_client_id_and_a_second_attempt(world, rnd, client):
    hv, _s = _given(world, rnd, client)
    client.force_login(world.users.volunteer)
    body = {"outcome": "refused", "note": "家属拒绝", "client_id": cid()}
    r = api(client, "post", f"/home-visits/{hv.id}/door", body)
    assert r.status_code == 200, r.content
    assert r.json()["door_outcome"]["outcome"] == "refused" and r.json()["door_outcome"]["label"] == REFUSED
    assert r.json()["status"] == "open"
    again = api(client, "post", f"/home-visits/{hv.id}/door", body)  # a retry: nothing twice
    assert again.status_code == 200 and again.json()["door_outcome"]["attempts"] == 1
    assert Event.objects.filter(action="screening.home.door").count() == 1
    r = api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "no_answer"})
    assert r.json()["door_outcome"]["attempts"] == 2 and r.json()["door_outcome"]["outcome"] == "no_answer"
    assert "2" in r.json()["door_outcome"]["text"]
    # an outcome that is none of the three: refused, nothing written
    bad = api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "sampled"})
    assert bad.status_code in (400, 422)
    hv.refresh_from_db()
    assert hv.door_attempts == 2
    # staff who run the person may record it too (told by phone), and give the visit on
    client.force_login(world.users.staff)
    r = api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "not_here"})
    assert r.status_code == 200 and r.json()["door_outcome"]["by"] == "staff_a"


def test_no_one_else_records_a_door_and_a_closed_visit_or_a_sampled_person_is_refused(world, rnd, client):
    from fangkong.accounts.roles import Role
    from fangkong.screening.actions import planning
    from tests.conftest import make_user

    hv, _s = _given(world, rnd, client)
    # another sampler of the round, the visit not theirs; another community's staff
    other = make_user(Actor.system(), "volunteer_a2", Role.VOLUNTEER, world.community)
    planning.assign_sampler(Actor.system(world.users.staff), rnd, world.point, other, 2)
    for user in (other, world.users.other_staff, world.users.resident, world.users.street):
        client.force_login(user)
        assert api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "no_answer"}).status_code == 404
        assert _door(client, hv, confirm="1", outcome="no_answer").status_code == 404
    hv.refresh_from_db()
    assert hv.door == ""
    # taken off the list: no door to record
    staff = Actor.system(world.users.staff)
    followup.set_home_visit(staff, hv, HomeVisit.Status.CANCELLED)
    client.force_login(world.users.staff)
    r = api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "no_answer"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "visit_closed"
    # sampled meanwhile (at another table): nothing to record at the door either
    followup.set_home_visit(staff, hv, HomeVisit.Status.OPEN)
    assert api(client, "post", f"/rounds/{rnd.id}/tubes", {"barcode": "T0009"}).status_code == 201
    assert api(client, "post", f"/rounds/{rnd.id}/scan", {"client_id": cid(), "barcode": "T0009",
                                                           "person": f"r:{world.xia.id}"}).status_code == 200
    r = api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "no_answer"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "already_sampled"


def test_the_audit_log_says_the_door_outcome_in_words(world, rnd, client):
    from tests.audit.test_log import log

    hv, _s = _given(world, rnd, client)
    client.force_login(world.users.volunteer)
    assert api(client, "post", f"/home-visits/{hv.id}/door", {"outcome": "refused"}).status_code == 200
    client.force_login(world.users.district)
    found = [r for r in log(client) if "登记上门结果" in r]
    assert len(found) == 1 and "上门结果：拒绝采样" in found[0], log(client)


def test_the_staff_home_list_offers_the_door_outcome_and_comes_back(world, rnd, client):
    hv, _s = _given(world, rnd, client)
    client.force_login(world.users.staff)
    home = client.get(f"/screening/rounds/{rnd.id}/home/").content.decode()
    assert f'action="/screening/home-visits/{hv.id}/door/"' in home
    back = f"/screening/rounds/{rnd.id}/home/"
    r = _door(client, hv, confirm="1", outcome="refused", next=back)
    assert r.status_code == 302 and r["Location"] == back
    page = client.get(back).content.decode()
    assert REFUSED in _row(page, world.xia.name) and "staff_a" in _row(page, world.xia.name)
    # the visit is still there to give to another sampler
    assert f'name="visits" value="{hv.id}"' in page


def test_a_door_note_goes_with_the_communitys_personal_data(world, rnd, client, settings, tmp_path,
                                                             django_capture_on_commit_callbacks):
    from fangkong.ops.erasure import erase

    settings.VAR_DIR = tmp_path / "var"
    hv, _s = _given(world, rnd, client)
    client.force_login(world.users.volunteer)
    assert api(client, "post", f"/home-visits/{hv.id}/door",
               {"outcome": "not_here", "note": "邻居说夏明去女儿家了 13912345678"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        erase(community=world.community, dry_run=False)
    hv.refresh_from_db()
    assert hv.door_note == "" and hv.door == "not_here"  # the fact stays, the words go
