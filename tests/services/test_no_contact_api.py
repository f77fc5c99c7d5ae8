"""The API says "hand over without contact" where the pages do (found reading the API after
the antigen walk: the request page, the queue and the run page said it in red, and the
API's request, queue and run answers said nothing — a phone app or a printed list made from
them sent the volunteer to the door as usual). `no_contact` (`required`, `code`, `reason`)
is read by the one function the pages read (`marks.with_no_contact`), and says the same
words; never to the neighbour who asked (as the page)."""

import uuid

from django.utils import timezone

from fangkong.screening.actions import antigen as antigen_actions
from fangkong.services.actions import handoff, orders, requests
from fangkong.services.models import Category
from tests.conftest import actor_for
from tests.conftest import client_of as _client
from tests.screening.photos import png
from tests.screening.test_antigen import running_antigen_round

MARK = "本户有人抗原阳性，待核酸复检：请无接触交接"



def _rows(html, start, href):
    """{id: the row's html} of a list whose rows start with `start` and link `href<id>/`."""
    return {r.split(href, 1)[1].split("/", 1)[0]: r for r in html.split(start)[1:] if href in r}


def test_the_api_says_no_contact_as_the_request_page_the_queue_and_the_run_do(world, svc, system):
    w = world
    staff = actor_for(w.users.staff)
    cat = Category.objects.get(code="medicine")
    req = requests.raise_request(staff, w.hh101, cat, "需要降压药")
    other = requests.raise_request(staff, w.hh102, cat, "门锁坏了")
    for hh in (w.hh101, w.hh102):
        orders.place_order(staff, hh, svc.supplier, [(svc.veg.id, 1)], client_id=uuid.uuid4())
    batch = handoff.create_batch(staff, svc.supplier, svc.gate, due_at=timezone.now(), team=svc.team)
    vol = actor_for(svc.vol_user)
    handoff.receive_rest(vol, batch)
    handoff.sign(vol, batch, supplier_name="李师傅")
    (run,) = handoff.split(staff, batch, teams=[svc.team])
    grid, carrier = _client(w.users.grid), _client(svc.vol_user)

    none = {"required": False, "code": "", "reason": ""}
    assert grid.get(f"/api/v1/services/requests/{req.id}").json()["no_contact"] == none  # nobody positive yet

    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.resident), ag, w.su, "positive", photo=png())

    # the request: page and API, the same words
    page = grid.get(f"/services/requests/{req.id}/").content.decode()
    said = grid.get(f"/api/v1/services/requests/{req.id}").json()["no_contact"]
    assert (said["required"], said["code"]) == (True, "antigen") and said["reason"].startswith(MARK)
    assert said["reason"] in page  # the page's words, whole
    assert grid.get(f"/api/v1/services/requests/{other.id}").json()["no_contact"] == none
    assert MARK not in grid.get(f"/services/requests/{other.id}/").content.decode()

    # the queue: each row as the page's row
    queue = grid.get(f"/services/p/{w.grid.id}/requests/").content.decode()
    rows = _rows(queue, '<li class="row">', 'href="/services/requests/')
    api = {str(x["id"]): x["no_contact"] for x in grid.get(f"/api/v1/services/requests?place={w.grid.id}").json()}
    assert set(api) == set(rows) == {str(req.id), str(other.id)}
    for pk, row in rows.items():
        assert (MARK in row) == api[pk]["required"], (pk, row)
        assert api[pk]["reason"] in row  # the row's words ("" for a household nobody positive)
    assert api[str(req.id)]["required"] and not api[str(other.id)]["required"]
    # the household's open work says it too (the same request answer)
    work = grid.get(f"/api/v1/services/households/{w.hh101.id}/open-work").json()
    assert [x["no_contact"]["required"] for x in work["requests"]] == [True]

    # the run: each door as the page's door
    run_page = carrier.get(f"/services/runs/{run.id}/").content.decode()
    doors = run_page.split('<li class="row stop"')[1:]
    checklist = carrier.get(f"/api/v1/services/runs/{run.id}").json()["checklist"]
    assert len(doors) == len(checklist) == 2
    for door, stop in zip(doors, checklist, strict=True):  # both in carrying order
        assert stop["address"] in door
        assert (MARK in door) == stop["no_contact"]["required"]
        assert stop["no_contact"]["reason"] in door
        assert stop["no_contact"]["required"] == (stop["household"] == w.hh101.id)


def test_the_neighbour_who_asked_is_not_told(world, svc, system):
    """The asker follows the request, nothing of the household (its people, whether someone
    there is positive): as the page, the API's `no_contact` says nothing to them."""
    w = world
    asker = _client(w.users.resident)  # 101's own login, asking for 102
    asker.post(f"/services/households/{w.hh101.id}/", {
        "do": "request", "category": "medicine", "text": "102的夏大爷降压药吃完了", "room": "102",
        "client_id": str(uuid.uuid4())})
    ag = running_antigen_round(w, system)
    antigen_actions.record_result(actor_for(w.users.staff), ag, w.xia, "positive", photo=png())
    (mine,) = asker.get("/api/v1/services/requests").json()
    assert mine["follower"] and mine["no_contact"] == {"required": False, "code": "", "reason": ""}
    assert MARK not in asker.get(f"/services/requests/{mine['id']}/").content.decode()
    staff = _client(w.users.staff).get(f"/api/v1/services/requests/{mine['id']}").json()
    assert staff["no_contact"]["required"] and staff["no_contact"]["reason"].startswith(MARK)
