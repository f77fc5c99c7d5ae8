"""Who may call the screening endpoints (checked by tests/api/test_security.py).

The world has one running PCR round over community A (pools of 3), planned by its staff.
Staff of community A run it; street command and the building leader see the round and its
coverage but may not sample, plan or resolve anything (403: they see the round); residents,
community B's staff and outsiders never see it (404). The lab operator (a LAB grant on the
district) is an outsider except where its work is: it sees the round's header, uses the
pooling advisor and posts results by tube.
"""

import datetime
import uuid

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.screening.actions import antigen as antigen_actions
from fangkong.screening.actions import lab, planning, station
from fangkong.screening.actions.sync import sync
from fangkong.screening.models import (
    AntigenResult,
    Box,
    Conflict,
    Exemption,
    FollowUp,
    Handover,
    HealthCode,
    HomeVisit,
    KitIssue,
    LabResult,
    Round,
    RoundArea,
    RoundCounter,
    Sample,
    Sampler,
    SamplingPoint,
    Tube,
)
from tests.api.routes import ANY_USER, MISSING, Route

from .photos import png

MODELS = [Round, RoundArea, SamplingPoint, Sampler, Exemption, HomeVisit, HealthCode, Box,
          Handover, Tube, Sample, RoundCounter, Conflict, LabResult, FollowUp, KitIssue, AntigenResult]

# Command and the leader see the round (and its coverage) but may do nothing in it.
SEEN_NOT_RUN = dict(command=403, leader=403, resident=404, other_staff=404, outsider=404)
FIXED_CLIENT_ID = "6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"


def make_round(w):
    """A running PCR round over community A planned by its staff, one point with 2 tables."""
    staff = Actor.system(w.users.staff)
    point = reg.create_place(Actor.system(), w.community, Kind.SAMPLING_POINT, "光明广场采样点")
    now = timezone.now()
    w.round = planning.plan_round(staff, w.community, {
        "name": "第3轮核酸", "kind": "pcr", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=6), "pool_size": 3}, points=[(point, 2)])
    planning.set_status(staff, w.round, "running")
    return w.round


def with_tube(w):
    """The round and an open tube T0001 holding 于海涛's swab."""
    make_round(w)
    staff = Actor.system(w.users.staff)
    station.open_tube(staff, w.round, "T0001")
    station.scan(staff, w.round, client_id=str(uuid.uuid4()), barcode="T0001", person=w.yu.token)


def sealed_tube(w):
    with_tube(w)
    station.seal_tube(Actor.system(w.users.staff), Tube.objects.get(round=w.round, barcode="T0001"))


def received_tube(w):
    """`sealed_tube`, carried to the lab in box BOX0 — packed, taken by the courier, signed for
    by the lab (a pooled tube's result is taken only so)."""
    sealed_tube(w)
    staff = Actor.system(w.users.staff)
    box = lab.create_box(staff, w.round, "BOX0")
    lab.pack_tubes(staff, box, ["T0001"])
    lab.hand_over(staff, box, "pickup", "张三", "快递李四")
    lab.hand_over(Actor.system(w.users.lab), Box.objects.get(pk=box.pk), "lab", "快递李四", "检测员王五")


def with_conflict(w):
    """An offline scan of 苏霞 into a tube never opened: kept as a conflict to review."""
    make_round(w)
    sync(Actor.system(w.users.staff), w.round, [
        {"client_id": str(uuid.uuid4()), "type": "scan", "barcode": "T0404", "person": w.su.token}])
    w.conflict = Conflict.objects.get(round=w.round)


def with_followup(w):
    """于海涛's tube T0001 came back positive: he is held, awaiting his single re-test."""
    received_tube(w)
    lab.record_results(Actor.system(w.users.lab), [{"barcode": "T0001", "result": "positive"}])
    w.followup = FollowUp.objects.get(round=w.round, resident=w.yu)


def with_retest(w):
    """`with_followup`, and tube R0001 recorded as 于海涛's single re-test (no result yet)."""
    from fangkong.screening.actions import followup

    with_followup(w)
    followup.record_retest(Actor.system(w.users.staff), w.followup, "R0001")


def with_volunteer(w):
    """The round, and an approved volunteer of community A (who has an account)."""
    from fangkong.volunteers.actions import registration
    from tests.volunteers.security_routes import person

    make_round(w)
    system = Actor.system()
    w.sampler = registration.approve(system, registration.add_volunteer(system, w.community, person(w, 7)))


def with_sampler(w):
    """`with_volunteer`, the volunteer given table 1 of the round's point."""
    with_volunteer(w)
    planning.assign_sampler_volunteer(Actor.system(), w.round, w.round.points.get(), w.sampler, 1)


def with_box(w):
    """`sealed_tube`, packed in box BOX1 at the point (sent to the district's lab, the round's
    only one)."""
    sealed_tube(w)
    staff = Actor.system(w.users.staff)
    w.box = lab.create_box(staff, w.round, "BOX1")
    lab.pack_tubes(staff, w.box, ["T0001"])


def box_in_transit(w):
    """`with_box`, the courier has taken it: for the lab it is sent to to sign for."""
    with_box(w)
    lab.hand_over(Actor.system(w.users.staff), Box.objects.get(pk=w.box.pk), "pickup", "张三", "快递李四")


def box_url(suffix=""):
    return lambda w: f"/api/v1/screening/rounds/{w.round.id}/boxes/{w.box.id}{suffix}"


def missing_box(suffix=""):
    return lambda w: f"/api/v1/screening/rounds/{w.round.id}/boxes/{MISSING}{suffix}"


def lab_file(barcode):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("results.csv", f"管号,结果\n{barcode},阴性\n".encode())


def with_home_visit(w):
    """`with_sampler`, and 夏明 (bedridden) listed for a visit at home."""
    from fangkong.screening.actions import followup

    with_sampler(w)
    w.home_visit = followup.add_home_visit(Actor.system(w.users.staff), w.round, w.xia)


def round_url(suffix=""):
    return lambda w: f"/api/v1/screening/rounds/{w.round.id}{suffix}"


def missing_round(suffix=""):
    return lambda w: f"/api/v1/screening/rounds/{MISSING}{suffix}"


ROUTES = {
    ("GET", "/screening/rounds"): Route(
        lambda w: "/api/v1/screening/rounds", setup=make_round, **ANY_USER),
    ("POST", "/screening/rounds"): Route(
        lambda w: "/api/v1/screening/rounds",
        # a window to come: one already past is refused (`ended_already`)
        body=lambda w: {"place": w.community.id, "name": "第4轮核酸",
                        "starts_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
                        "ends_at": (timezone.now() + datetime.timedelta(days=2, hours=7)).isoformat(),
                        "pool_size": 10},
        missing=lambda w: ("/api/v1/screening/rounds", {
            "place": MISSING, "name": "第4轮核酸", "starts_at": "2022-04-18T07:00:00+08:00",
            "ends_at": "2022-04-18T14:00:00+08:00", "pool_size": 10}),
        staff=201, command=403, leader=404, resident=404),
    ("GET", "/screening/rounds/{round_id}"): Route(
        round_url(), setup=make_round, missing=missing_round(),
        resident=404, lab=200),
    ("GET", "/screening/rounds/{round_id}/coverage"): Route(
        round_url("/coverage"), setup=make_round, missing=missing_round("/coverage"),
        resident=404),
    ("POST", "/screening/rounds/{round_id}/tubes"): Route(
        round_url("/tubes"), setup=make_round, body=lambda w: {"barcode": "T0009"},
        missing=missing_round("/tubes"), staff=201, **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/tubes/{barcode}/seal"): Route(
        round_url("/tubes/T0001/seal"), setup=with_tube, missing=round_url("/tubes/T0404/seal"),
        **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/scan"): Route(
        round_url("/scan"), setup=with_tube,
        body=lambda w: {"client_id": FIXED_CLIENT_ID, "barcode": "T0001", "person": w.su.token},
        missing=missing_round("/scan"), **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/sync"): Route(
        round_url("/sync"), setup=with_tube,
        body=lambda w: {"events": [{"client_id": FIXED_CLIENT_ID, "type": "scan",
                                    "barcode": "T0001", "person": w.su.token}]},
        missing=missing_round("/sync"), **SEEN_NOT_RUN),
    ("GET", "/screening/rounds/{round_id}/lookup"): Route(
        round_url("/lookup?q=苏"), setup=make_round, missing=missing_round("/lookup?q=苏"),
        **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/people"): Route(
        round_url("/people"), setup=make_round,
        body=lambda w: {"place": w.unit1.id, "door": "909", "name": "郭建华"},
        missing=missing_round("/people"), staff=201, **SEEN_NOT_RUN),
    ("GET", "/screening/rounds/{round_id}/conflicts"): Route(
        round_url("/conflicts"), setup=with_conflict, missing=missing_round("/conflicts"),
        **SEEN_NOT_RUN),
    ("POST", "/screening/conflicts/{conflict_id}/resolve"): Route(
        lambda w: f"/api/v1/screening/conflicts/{w.conflict.id}/resolve", setup=with_conflict,
        body=lambda w: {"accept": False},
        missing=lambda w: f"/api/v1/screening/conflicts/{MISSING}/resolve", **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/exemptions"): Route(
        round_url("/exemptions"), setup=make_round,
        body=lambda w: {"resident": w.su.id, "reason": "other", "note": "出差"},
        missing=missing_round("/exemptions"), staff=201, **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/emergency-team"): Route(
        round_url("/emergency-team"), setup=make_round, body=lambda w: {"team": None},
        missing=missing_round("/emergency-team"), **SEEN_NOT_RUN),
    # Results are the lab's work only: staff of the community do not enter them.
    ("POST", "/screening/results"): Route(
        lambda w: "/api/v1/screening/results", setup=received_tube,
        body=lambda w: {"results": [{"barcode": "T0001", "result": "negative"}]},
        missing=lambda w: ("/api/v1/screening/results",
                           {"results": [{"barcode": "T0404", "result": "negative"}]}),
        staff=404, command=404, leader=404, resident=404, other_staff=404, outsider=404, lab=200),
    ("POST", "/screening/results/file"): Route(
        lambda w: "/api/v1/screening/results/file", setup=received_tube, multipart=True,
        body=lambda w: {"file": lab_file("T0001")},
        missing=lambda w: ("/api/v1/screening/results/file", {"file": lab_file("T0404")}),
        staff=404, command=404, leader=404, resident=404, other_staff=404, outsider=404, lab=200),
    # The results template to fill in: the lab's only.
    ("GET", "/screening/results/template"): Route(
        lambda w: "/api/v1/screening/results/template", setup=received_tube,
        staff=404, command=404, leader=404, resident=404, other_staff=404, outsider=404, lab=200),
    # What the lab saved for each tube: the lab (its own area's tubes) and whoever sees the
    # round's figures read it back, as far as they see them (the leader: the tubes with
    # someone of the building — T0001 holds 于海涛 of 1号楼; test_results_scope.py).
    ("GET", "/screening/rounds/{round_id}/results"): Route(
        round_url("/results"), setup=received_tube, missing=missing_round("/results"),
        resident=404, lab=200),
    # Transport boxes (as the boxes page): the point's staff create, send, pack and hand
    # over; the lab reads the boxes sent to it and signs for them at the lab (staff: 403).
    ("GET", "/screening/rounds/{round_id}/boxes"): Route(
        round_url("/boxes"), setup=with_box, missing=missing_round("/boxes"), lab=200, **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/boxes"): Route(
        round_url("/boxes"), setup=sealed_tube, body=lambda w: {"code": "BOX9"},
        missing=missing_round("/boxes"), staff=201, **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/boxes/{box_id}/lab"): Route(
        box_url("/lab"), setup=with_box, body=lambda w: {"lab": w.users.lab.id},
        missing=missing_box("/lab"), **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/boxes/{box_id}/tubes"): Route(
        box_url("/tubes"), setup=with_box, body=lambda w: {"barcodes": ["T0001"]},
        missing=missing_box("/tubes"), **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/boxes/{box_id}/handover"): Route(
        box_url("/handover"), setup=box_in_transit,
        body=lambda w: {"stage": "lab", "given_by": "快递李四", "received_by": "检测员王五"},
        missing=missing_box("/handover"), staff=403, lab=200, **SEEN_NOT_RUN),
    # The round's work lists (as their pages): the missing list for whoever sees the round
    # (the building leader: their building's people); follow-ups for those who run the
    # round or sample in it (a volunteer's table or emergency team: only her task, tested in
    # test_followup_tasks.py); the home-sampling list for those who run it.
    ("GET", "/screening/rounds/{round_id}/missing"): Route(
        round_url("/missing"), setup=with_tube, missing=missing_round("/missing"), resident=404),
    ("GET", "/screening/rounds/{round_id}/followups"): Route(
        round_url("/followups"), setup=with_followup, missing=missing_round("/followups"),
        command=404, leader=404, resident=404),
    ("GET", "/screening/rounds/{round_id}/home-visits"): Route(
        round_url("/home-visits"), setup=with_followup, missing=missing_round("/home-visits"),
        command=404, leader=404, resident=404),
    ("POST", "/screening/followups/{followup_id}/retest"): Route(
        lambda w: f"/api/v1/screening/followups/{w.followup.id}/retest", setup=with_followup,
        body=lambda w: {"barcode": "R0001", "client_id": FIXED_CLIENT_ID},
        missing=lambda w: f"/api/v1/screening/followups/{MISSING}/retest",
        command=404, leader=404, resident=404),
    ("POST", "/screening/followups/{followup_id}/retest/detach"): Route(
        lambda w: f"/api/v1/screening/followups/{w.followup.id}/retest/detach", setup=with_retest,
        body=lambda w: {"reason": "记错人", "barcode": "R0001"},
        missing=lambda w: f"/api/v1/screening/followups/{MISSING}/retest/detach",
        command=404, leader=404, resident=404),
    ("GET", "/screening/rounds/{round_id}/points"): Route(
        round_url("/points"), setup=make_round, missing=missing_round("/points"), **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/points"): Route(
        round_url("/points"), setup=make_round,
        body=lambda w: {"place": w.round.points.get().place_id, "tables": 4},
        missing=missing_round("/points"), **SEEN_NOT_RUN),
    ("POST", "/screening/rounds/{round_id}/samplers"): Route(
        round_url("/samplers"), setup=with_volunteer,
        body=lambda w: {"volunteer": w.sampler.id, "point": w.round.points.get().id, "table": 2},
        missing=missing_round("/samplers"), **SEEN_NOT_RUN),
    ("DELETE", "/screening/rounds/{round_id}/samplers/{sampler_id}"): Route(
        lambda w: f"/api/v1/screening/rounds/{w.round.id}/samplers/{w.round.samplers.get().id}",
        setup=with_sampler, missing=lambda w: f"/api/v1/screening/rounds/{w.round.id}/samplers/{MISSING}",
        **SEEN_NOT_RUN),
    # the sealed area's (and the bedridden's) people on the home list: who runs the round's people
    ("POST", "/screening/rounds/{round_id}/home-visits/generate"): Route(
        round_url("/home-visits/generate"), setup=with_followup, body=lambda w: {},
        missing=missing_round("/home-visits/generate"), command=404, leader=404, resident=404),
    # give home visits to one of the round's samplers: who runs the round's people
    ("POST", "/screening/rounds/{round_id}/home-visits/assign"): Route(
        round_url("/home-visits/assign"), setup=with_home_visit,
        body=lambda w: {"visits": [w.home_visit.id], "sampler": w.round.samplers.get().id},
        missing=missing_round("/home-visits/assign"), command=404, leader=404, resident=404),
    # the visits given to the user as a sampler: none of these users samples in the round
    # (its sampler is the volunteer of `with_sampler`): 404 for all
    ("GET", "/screening/home-visits/mine"): Route(
        lambda w: "/api/v1/screening/home-visits/mine", setup=with_home_visit,
        staff=404, command=404, leader=404, resident=404),
    # no swab at the door (no answer, refused, not here): the sampler the visit is given to
    # (none of these users) or whoever runs the person; the rest do not see the visit
    ("POST", "/screening/home-visits/{visit_id}/door"): Route(
        lambda w: f"/api/v1/screening/home-visits/{w.home_visit.id}/door", setup=with_home_visit,
        body=lambda w: {"outcome": "no_answer", "note": "敲门无人"},
        missing=lambda w: f"/api/v1/screening/home-visits/{MISSING}/door",
        command=404, leader=404, resident=404),
    ("GET", "/screening/advisor"): Route(
        lambda w: "/api/v1/screening/advisor?prevalence=0.01",
        resident=404, other_staff=200, lab=200),
}


# --- antigen rounds ---------------------------------------------------------------------
# Staff work the doors (kits, results); the resident of household 101 reports and reads
# their own household; command and the building leader see the round's coverage but do not
# work the doors (403); everyone else: 404.
DOOR = dict(command=403, leader=403, resident=404, other_staff=404, outsider=404)


def antigen_round(w):
    staff = Actor.system(w.users.staff)
    now = timezone.now()
    w.antigen = planning.plan_round(staff, w.community, {
        "name": "抗原第1轮", "kind": "antigen", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=10), "pool_size": 1})
    planning.set_status(staff, w.antigen, "running")
    return w.antigen


def antigen_positive(w):
    """The antigen round, 苏霞 self-reported positive with a photo (`w.ag_positive`)."""
    antigen_round(w)
    w.ag_positive, _changed = antigen_actions.record_result(
        Actor.system(w.users.resident), w.antigen, w.su, "positive", photo=png())


def ag_url(suffix):
    return lambda w: f"/api/v1/screening/rounds/{w.antigen.id}{suffix}"


def ag_missing(suffix):
    return lambda w: f"/api/v1/screening/rounds/{MISSING}{suffix}"


ROUTES.update({
    ("POST", "/screening/rounds/{round_id}/kits"): Route(
        ag_url("/kits"), setup=antigen_round, body=lambda w: {"household": w.hh101.id, "count": 2},
        missing=ag_missing("/kits"), staff=201, **DOOR),
    ("POST", "/screening/rounds/{round_id}/antigen-results"): Route(
        ag_url("/antigen-results"), setup=antigen_round, multipart=True,
        body=lambda w: {"resident": w.su.id, "result": "negative", "photo": png()},
        missing=ag_missing("/antigen-results"), **dict(DOOR, resident=200)),
    ("GET", "/screening/rounds/{round_id}/antigen-households/{household_id}"): Route(
        lambda w: f"/api/v1/screening/rounds/{w.antigen.id}/antigen-households/{w.hh101.id}",
        setup=antigen_round,
        missing=lambda w: f"/api/v1/screening/rounds/{w.antigen.id}/antigen-households/{MISSING}",
        **dict(DOOR, resident=200)),
    ("GET", "/screening/rounds/{round_id}/antigen-coverage"): Route(
        ag_url("/antigen-coverage"), setup=antigen_round, missing=ag_missing("/antigen-coverage"),
        resident=404),
    # 提醒未报告的家庭: whoever runs the round's people (staff, the grid worker); command sees
    # the round (403); the building leader, below it, is not among those who run it (404)
    ("POST", "/screening/rounds/{round_id}/antigen-remind"): Route(
        ag_url("/antigen-remind"), setup=antigen_round, body=lambda w: {"confirm": True},
        missing=ag_missing("/antigen-remind"), **dict(DOOR, leader=404)),
    # a positive corrected: the community's staff only; command and the building leader see
    # the result (403), the family and everyone else do not (404)
    ("POST", "/screening/rounds/{round_id}/antigen-results/{result_id}/correct"): Route(
        lambda w: f"/api/v1/screening/rounds/{w.antigen.id}/antigen-results/{w.ag_positive.id}/correct",
        setup=antigen_positive, body=lambda w: {"result": "negative", "reason": "录错了人", "confirm": True},
        missing=lambda w: f"/api/v1/screening/rounds/{w.antigen.id}/antigen-results/{MISSING}/correct",
        **DOOR),
})
