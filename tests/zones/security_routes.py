"""Who may call the zones endpoints (checked by tests/api/test_security.py).

The scene (`zscene`): building 1 of community A sealed by notice No. 18 (Shanghai policy,
whose controlled type here lifts at once so that a lifting draft can be made), a draft
adjustment over building 1 with unit 1 made controlled, and a checkpoint at the compound's
east gate. Staff of community A and the street's command draft and publish; the building
leader sees the building's zones but changes nothing; the gate is staff's and grid
workers' (command sees it and gets 403); the policy is a district's (everyone here 403).
"""

import datetime
import uuid

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.zones.actions import publish as pub
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import (
    Adjustment,
    AdjustmentItem,
    CheckpointEvent,
    Designation,
    HealthCodeObservation,
    HouseholdZone,
    LiftRule,
    Notice,
    Shape,
    ZoneCase,
    ZoneType,
)
from tests.api.routes import MISSING, Route
from tests.api.scenes import shared_scene

MODELS = [Notice, Adjustment, AdjustmentItem, Designation, HouseholdZone, ZoneCase, CheckpointEvent,
          HealthCodeObservation, Shape]
GATE_CLIENT_ID = "0b5d1c2e-3f4a-4b6c-8d7e-9f0a1b2c3d4e"
VIEW = dict(resident=404)  # the building's viewers: staff, command, leader
DRAFTING = dict(staff=201, command=201, leader=403, resident=404)
CHANGING = dict(command=200, leader=403, resident=404)
GATE = dict(staff=201, command=403, leader=404, resident=404)


@shared_scene
def zscene(w):
    install_presets()
    staff = Actor.system(w.users.staff)
    types = {t.code: t for t in ZoneType.objects.filter(policy__is_active=True)}
    w.notice = pub.create_notice(staff, w.community, {
        "number": "第18号", "issued_by": "指挥部", "title": "封控", "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "第18号", notice=w.notice)
    pub.add_item(staff, adj, pub.Op.CREATE, w.building, types["sealed"])
    pub.add_item(staff, adj, pub.Op.CREATE, w.compound, types["controlled"])
    pub.publish(staff, adj)
    LiftRule.objects.filter(zone_type=types["controlled"]).update(clean_days=0, round_day=None)
    w.controlled = Designation.objects.get(place=w.compound, ends_at=None)
    w.draft = pub.draft(staff, w.building, "草稿")
    w.item = pub.add_item(staff, w.draft, pub.Op.CREATE, w.unit1, types["controlled"])
    w.gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门")
    w.type = types["sealed"]


def url(path):
    return lambda w: "/api/v1/zones" + path(w)


def lift_scene(submitted=False):
    """The scene, and a draft lifting building 1's seal (it needs the street's approval) under
    its own notice No. 19, filed at the building; `submitted`: awaiting approval."""
    def setup(w):
        from fangkong.zones.actions import approval

        zscene(w)
        staff = Actor.system(w.users.staff)
        n = pub.create_notice(staff, w.building, {"number": "第19号", "issued_by": "社区", "title": "解除",
                                                  "effective_at": timezone.now().isoformat()})
        w.lift = pub.draft(staff, w.building, "解除1号楼封控", notice=n)
        pub.add_item(staff, w.lift, pub.Op.LIFT, w.building)
        if submitted:
            approval.submit(staff, w.lift)
    return setup


def tomorrow_five():
    return (timezone.localtime() + datetime.timedelta(days=1)).replace(hour=5, minute=0, second=0,
                                                                       microsecond=0).isoformat()


ROUTES = {
    ("GET", "/zones/policies"): Route(url(lambda w: "/policies"), setup=zscene, other_staff=200),
    ("GET", "/zones/types"): Route(url(lambda w: "/types"), setup=zscene, other_staff=200),
    ("POST", "/zones/policies/{code}/activate"): Route(
        url(lambda w: "/policies/nhc-2022-06-9th/activate"), setup=zscene,
        staff=403, command=403, leader=403, resident=403, other_staff=403),
    ("PATCH", "/zones/types/{pk}"): Route(
        url(lambda w: f"/types/{w.type.id}"), body=lambda w: {"pool_size": 1}, setup=zscene,
        staff=403, command=403, leader=403, resident=403, other_staff=403),
    ("GET", "/zones/notices"): Route(url(lambda w: f"/notices?place={w.building.id}"), setup=zscene,
                                     missing=lambda w: f"/api/v1/zones/notices?place={MISSING}", **VIEW),
    # read by everyone it zones (the family of the sealed building too), missing for others
    ("GET", "/zones/notices/{pk}"): Route(url(lambda w: f"/notices/{w.notice.id}"), setup=zscene,
                                          missing=lambda w: f"/api/v1/zones/notices/{MISSING}"),
    ("POST", "/zones/notices"): Route(
        url(lambda w: "/notices"), setup=zscene,
        body=lambda w: {"place": w.building.id, "number": "第19号", "issued_by": "指挥部", "title": "通告",
                        "effective_at": tomorrow_five()},
        missing=lambda w: ("/api/v1/zones/notices", {"place": MISSING, "number": "1", "issued_by": "x",
                                                     "title": "x", "effective_at": tomorrow_five()}),
        **DRAFTING),
    # withdrawn (a retry: the same again); its readers who may not file it get 403
    ("POST", "/zones/notices/{pk}/withdraw"): Route(
        url(lambda w: f"/notices/{w.notice.id}/withdraw"), setup=zscene, body=lambda w: {},
        missing=lambda w: (f"/api/v1/zones/notices/{MISSING}/withdraw", {}),
        command=200, leader=403, resident=403),
    ("GET", "/zones/designations"): Route(url(lambda w: f"/designations?place={w.building.id}"),
                                          setup=zscene, **VIEW),
    ("GET", "/zones/figures"): Route(url(lambda w: f"/figures?place={w.building.id}"), setup=zscene, **VIEW),
    ("GET", "/zones/adjustments"): Route(url(lambda w: f"/adjustments?place={w.building.id}"),
                                         setup=zscene, **VIEW),
    ("POST", "/zones/adjustments"): Route(
        url(lambda w: "/adjustments"), setup=zscene,
        body=lambda w: {"place": w.building.id, "title": "2单元封控",
                        "items": [{"op": "create", "place": w.unit2.id, "zone_type": "controlled"}]},
        **DRAFTING),
    ("GET", "/zones/adjustments/{pk}"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/adjustments/{MISSING}", **VIEW),
    ("POST", "/zones/adjustments/{pk}/items"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/items"), setup=zscene,
        body=lambda w: {"op": "create", "place": w.unit2.id, "zone_type": "sealed"},
        missing=lambda w: f"/api/v1/zones/adjustments/{MISSING}/items", **CHANGING),
    ("DELETE", "/zones/adjustments/{pk}/items/{item}"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/items/{w.item.id}"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/adjustments/{MISSING}/items/{w.item.id}", **CHANGING),
    ("POST", "/zones/adjustments/{pk}/notice"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/notice"), setup=zscene,
        body=lambda w: {"notice": w.notice.id}, **CHANGING),
    ("GET", "/zones/adjustments/{pk}/diff"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/diff"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/adjustments/{MISSING}/diff", **VIEW),
    ("POST", "/zones/adjustments/{pk}/publish"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/publish"),
        setup=lambda w: (zscene(w), pub.set_notice(Actor.system(w.users.staff), w.draft, w.notice)),
        **CHANGING),
    ("POST", "/zones/adjustments/{pk}/schedule"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/schedule"),
        setup=lambda w: (zscene(w), pub.set_notice(Actor.system(w.users.staff), w.draft, w.notice)),
        body=lambda w: {"at": tomorrow_five()}, **CHANGING),
    # a lift of a sealed area: the community submits it, the street's command approves or returns it
    ("POST", "/zones/adjustments/{pk}/submit"): Route(
        url(lambda w: f"/adjustments/{w.lift.id}/submit"), setup=lift_scene(),
        missing=lambda w: f"/api/v1/zones/adjustments/{MISSING}/submit", **CHANGING),
    ("POST", "/zones/adjustments/{pk}/approve"): Route(
        url(lambda w: f"/adjustments/{w.lift.id}/approve"), setup=lift_scene(submitted=True),
        missing=lambda w: f"/api/v1/zones/adjustments/{MISSING}/approve", staff=403, **CHANGING),
    ("POST", "/zones/adjustments/{pk}/return"): Route(
        url(lambda w: f"/adjustments/{w.lift.id}/return"), setup=lift_scene(submitted=True),
        body=lambda w: {"reason": "末轮核酸未完成"},
        missing=lambda w: (f"/api/v1/zones/adjustments/{MISSING}/return", {"reason": "x"}), staff=403, **CHANGING),
    ("POST", "/zones/adjustments/{pk}/cancel"): Route(
        url(lambda w: f"/adjustments/{w.draft.id}/cancel"), setup=zscene, **CHANGING),
    ("GET", "/zones/households/{pk}"): Route(
        url(lambda w: f"/households/{w.hh101.id}"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/households/{MISSING}"),
    ("GET", "/zones/lifting"): Route(url(lambda w: f"/lifting?place={w.compound.id}"), setup=zscene,
                                     leader=404, resident=404),
    ("POST", "/zones/designations/{pk}/lift-draft"): Route(
        url(lambda w: f"/designations/{w.controlled.id}/lift-draft"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/designations/{MISSING}/lift-draft",
        staff=201, command=201, leader=404, resident=404),
    ("POST", "/zones/cases"): Route(
        url(lambda w: "/cases"), setup=zscene,
        # each role's its own notice: the same person and notice again is the same case (200)
        body=lambda w: {"resident": w.yu.id, "source": f"卫健委通报 {uuid.uuid4().hex[:8]}"},
        missing=lambda w: ("/api/v1/zones/cases", {"resident": MISSING}),
        staff=201, command=201, leader=403, resident=403),
    ("POST", "/zones/health-codes"): Route(
        url(lambda w: "/health-codes"), setup=zscene, body=lambda w: {"resident": w.yu.id, "colour": "green"},
        missing=lambda w: ("/api/v1/zones/health-codes", {"resident": MISSING, "colour": "green"}),
        staff=201, command=403, leader=403, resident=403),
    ("POST", "/zones/checkpoints/{pk}/events"): Route(
        url(lambda w: f"/checkpoints/{w.gate.id}/events"), setup=zscene,
        body=lambda w: {"direction": "in", "client_id": GATE_CLIENT_ID, "resident": w.yu.id,
                        "colour": "green", "temperature": "36.5"},
        missing=lambda w: f"/api/v1/zones/checkpoints/{MISSING}/events", **GATE),
    ("GET", "/zones/checkpoints/{pk}/events"): Route(
        url(lambda w: f"/checkpoints/{w.gate.id}/events"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/checkpoints/{MISSING}/events",
        staff=200, command=403, leader=404, resident=404),
    ("GET", "/zones/map"): Route(url(lambda w: f"/map?place={w.building.id}"), setup=zscene,
                                missing=lambda w: f"/api/v1/zones/map?place={MISSING}", **VIEW),
    ("PUT", "/zones/places/{pk}/shape"): Route(
        url(lambda w: f"/places/{w.building.id}/shape"), setup=zscene,
        body=lambda w: {"geometry": {"type": "Point", "coordinates": [112.55, 37.87]}},
        missing=lambda w: f"/api/v1/zones/places/{MISSING}/shape", **CHANGING),
    ("DELETE", "/zones/places/{pk}/shape"): Route(
        url(lambda w: f"/places/{w.building.id}/shape"), setup=zscene,
        missing=lambda w: f"/api/v1/zones/places/{MISSING}/shape", **CHANGING),
}
