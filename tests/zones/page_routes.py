"""Who gets what on the zone pages (checked by tests/test_page_routes.py, which explains the
columns). The zones part of the scene is made inside each test (it is rolled back with it):
the building of community A sealed by notice No. 18, a draft adjustment over community A
with one place, and a checkpoint at the compound's east gate."""

from types import SimpleNamespace

from django.utils import timezone

from tests.test_page_routes import POST, Page


def zones(w):
    from fangkong.core.actor import Actor
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.zones.actions import publish as pub
    from fangkong.zones.actions.policy import install_presets
    from fangkong.zones.models import Designation, ZoneType

    install_presets()
    staff = Actor.system(w.users.staff)
    sealed = ZoneType.objects.get(policy__is_active=True, code="sealed")
    n = pub.create_notice(staff, w.community, {"number": "第18号", "issued_by": "指挥部", "title": "封控",
                                               "effective_at": timezone.now().isoformat()})
    adj = pub.draft(staff, w.community, "第18号", notice=n)
    pub.add_item(staff, adj, pub.Op.CREATE, w.building, sealed)
    pub.publish(staff, adj)
    draft = pub.draft(staff, w.community, "草稿")
    item = pub.add_item(staff, draft, pub.Op.CREATE, w.compound, sealed)
    gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门")
    return SimpleNamespace(designation=Designation.objects.get(place=w.building, ends_at=None),
                           draft=draft, item=item, gate=gate, type=sealed)


def z(path):
    """A URL made from the zones scene: path(w, zones(w))."""
    return lambda w: path(w, zones(w))


VIEWERS = "302 404 404 404 404 404 200 200 200 404 200 200"  # building-level pages
ADJ_VIEW = "302 404 404 404 404 404 404 404 200 404 200 200"  # community-level adjustment
ADJ_POST = "302 404 404 404 404 404 404 404 302 404 302 302"

PAGES = {
    "zones_home": Page(lambda w: "/zones/", "302 404 404 404 404 404 302 302 302 302 302 302"),
    "zones_policy": Page(lambda w: "/zones/policy/", "302 404 200 404 404 404 200 200 200 200 200 200"),
    "zones_type": Page(z(lambda w, s: f"/zones/types/{s.type.id}/"), "302 404 200 404 404 404 200 200 200 200 200 200"),
    "zones_place": Page(lambda w: f"/zones/p/{w.building.id}/", VIEWERS),
    "zones_notices": Page(lambda w: f"/zones/p/{w.building.id}/notices/", VIEWERS),
    # a notice is read by everyone it zones: the family of the sealed building too
    "zones_notice": Page(z(lambda w, s: f"/zones/notices/{s.designation.notice_id}/"),
                         "302 404 200 404 404 404 200 200 200 404 200 200"),
    # withdrawn / corrected, asked first: a reader who may not file it gets 403, anyone else 404
    "zones_notice_withdraw": Page(z(lambda w, s: f"/zones/notices/{s.designation.notice_id}/withdraw/"),
                                  "302 404 403 404 404 404 403 403 200 404 200 200", method=POST),
    "zones_lifting": Page(z(lambda w, s: f"/zones/p/{w.building.id}/lifting/"), VIEWERS),
    "zones_adjust_new": Page(lambda w: f"/zones/p/{w.building.id}/adjust/",
                             "302 404 404 404 404 404 403 403 302 404 302 302", method=POST),
    "zones_report_case": Page(lambda w: f"/zones/p/{w.building.id}/cases/new/",
                              "302 404 404 404 404 404 403 403 200 404 200 200"),
    "zones_gate": Page(z(lambda w, s: f"/zones/p/{w.compound.id}/gate/"),
                       "302 404 404 404 404 404 404 200 200 404 403 403"),
    "zones_gate_export": Page(z(lambda w, s: f"/zones/p/{w.compound.id}/gate/log.xlsx"),
                              "302 404 404 404 404 404 404 200 200 404 403 403"),
    "zones_codes_import": Page(z(lambda w, s: f"/zones/p/{w.compound.id}/codes/import/"),
                               "302 404 404 404 404 404 404 302 302 404 403 403", method=POST),
    "zones_map": Page(z(lambda w, s: f"/zones/p/{w.building.id}/map/"), VIEWERS),
    "zones_shape_save": Page(lambda w: f"/zones/p/{w.building.id}/map/shape/",
                             "302 404 404 404 404 404 403 403 302 404 302 302", method=POST),
    "zones_shape_remove": Page(lambda w: f"/zones/p/{w.building.id}/map/shape/remove/",
                               "302 404 404 404 404 404 403 403 302 404 302 302", method=POST),
    "zones_map_data": Page(z(lambda w, s: f"/zones/p/{w.building.id}/map.geojson"), VIEWERS),
    "zones_draft_lift": Page(z(lambda w, s: f"/zones/designations/{s.designation.id}/lift/"),
                             "302 404 404 404 404 404 403 403 302 404 302 302", method=POST),
    "zones_household": Page(z(lambda w, s: f"/zones/households/{w.hh101.id}/"),
                            "302 404 200 404 404 404 200 200 200 404 200 200"),
    "zones_adjustment": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/"), ADJ_VIEW),
    "zones_diff": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/diff/"), ADJ_VIEW),
    "zones_item_add": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/items/"), ADJ_POST, method=POST),
    "zones_item_remove": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/items/{s.item.id}/remove/"),
                              ADJ_POST, method=POST),
    # an empty form: the page again, with what is missing under each field (400)
    "zones_attach": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/notice/"),
                         "302 404 404 404 404 404 404 404 400 404 400 400", method=POST),
    "zones_publish": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/publish/"), ADJ_POST, method=POST),
    "zones_schedule": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/schedule/"), ADJ_POST, method=POST),
    # a lift needing the street's approval: submitted by who manages it, approved or returned by
    # the level above (the community's staff see it: 403); the scene's draft is no lift (302 back)
    "zones_submit": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/submit/"), ADJ_POST, method=POST),
    "zones_approve": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/approve/"),
                          "302 404 404 404 404 404 404 404 403 404 302 302", method=POST),
    "zones_return": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/return/"),
                         "302 404 404 404 404 404 404 404 403 404 302 302", method=POST),
    "zones_cancel": Page(z(lambda w, s: f"/zones/adjustments/{s.draft.id}/cancel/"),
                         "302 404 404 404 404 404 404 404 200 404 200 200", method=POST),
}
