"""Zones in the demo: 光明小区 is a controlled area from 05:00 yesterday (notice No. 17,
published as from the notice's minute, as staff do with a notice entered late: the lifting
count is on day 1 and the households' history has real periods), and notice No. 18 seals
its building 3 "from 05:00" — published as from 05:00 when the demo is built after 05:00, or
scheduled for 05:00 (the worker publishes it) when built before. The buildings are drawn on
the map as a row of rectangles near the compound's gate, so the map shows the zones
without any tile server. The checkpoint 光明小区东门卡口 already exists (registry demo).

The demo's zones part, before screening: this morning's round is planned over the zones
already in force (building 3's people, sealed since 05:00, are on its home list, not at the
point); everything goes through the actions as the system actor.
"""

import datetime

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry.models import Kind, Place
from fangkong.zones.actions import publish as pub
from fangkong.zones.actions import shapes
from fangkong.zones.actions.policy import install_presets
from fangkong.zones.models import Policy, ZoneType

from .context import Demo

COMPOUND = "光明小区"
SEALED_BUILDING = "3号楼"
ORIGIN = (112.5600, 37.8600)  # near 太原 迎泽区; only the shapes' relative places matter


def build(demo: Demo):
    add_zones(demo.district)


def add_zones(district: Place) -> dict:
    actor = Actor.system(via="cli")
    install_presets()
    compound = Place.objects.filter(kind=Kind.COMPOUND, name=COMPOUND, district_id=district.id).first()
    if compound is None:
        return {}
    building = Place.objects.filter(kind=Kind.BUILDING, compound_id=compound.id, name=SEALED_BUILDING).first()
    community = Place.objects.get(pk=compound.community_id)
    policy = Policy.objects.get(is_active=True)
    types = {t.kind: t for t in ZoneType.objects.filter(policy=policy)}
    now = timezone.localtime()
    five = now.replace(hour=5, minute=0, second=0, microsecond=0)
    n17 = pub.create_notice(actor, community, {
        "number": "迎泽防控〔2022〕17号", "issued_by": "桥东街道疫情防控指挥部",
        "title": "关于将光明小区划为管控区的通告",
        "text": "光明小区实行“人不出区、严禁聚集”，每户每2天可派1人在东门指定地点错峰取物。",
        "effective_at": (five - datetime.timedelta(days=1)).isoformat()})
    controlled = pub.draft(actor, community, "光明小区划为管控区", notice=n17)
    pub.add_item(actor, controlled, pub.Op.CREATE, compound, types["controlled"])
    controlled = pub.publish(actor, controlled, from_notice=True)
    out = {"controlled": controlled.households_changed}
    if building is not None:
        at = five if five > now else five + datetime.timedelta(days=1)
        n18 = pub.create_notice(actor, community, {
            "number": "迎泽防控〔2022〕18号", "issued_by": "桥东街道疫情防控指挥部",
            "title": "关于将光明小区3号楼划为封控区的通告",
            "text": "自05:00起，光明小区3号楼实行封控管理，足不出户、服务上门；小区其余区域仍为管控区。",
            "effective_at": five.isoformat()})
        sealed = pub.draft(actor, community, "第18号通告：3号楼封控", notice=n18)
        pub.add_item(actor, sealed, pub.Op.CREATE, building, types["sealed"])
        if five <= now:
            sealed = pub.publish(actor, sealed, from_notice=True)
            out["sealed"] = sealed.households_changed
        else:
            pub.schedule(actor, sealed, at)
            out["sealed_at"] = at.isoformat()
    out["shapes"] = _draw(actor, compound)
    return out


def _draw(actor, compound: Place) -> int:
    """Buildings as 40 m × 15 m rectangles in two rows, the gate as a point."""
    buildings = list(Place.objects.filter(kind=Kind.BUILDING, compound_id=compound.id).order_by("sort_key"))
    dx, dy = 0.00060, 0.00030  # about 50 m east, 33 m north
    w, h = 0.00045, 0.00013
    feats = []
    for i, b in enumerate(buildings):
        x = ORIGIN[0] + (i % 6) * dx
        y = ORIGIN[1] + (i // 6) * dy
        ring = [[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]]
        feats.append({"type": "Feature", "properties": {"id": b.id},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    gate = Place.objects.filter(kind=Kind.CHECKPOINT, parent_id=compound.id).first() or \
        Place.objects.filter(kind=Kind.CHECKPOINT, compound_id=compound.id).first()
    if gate is not None:
        feats.append({"type": "Feature", "properties": {"id": gate.id},
                      "geometry": {"type": "Point", "coordinates": [ORIGIN[0] - 0.0004, ORIGIN[1]]}})
    if not feats:
        return 0
    import json

    return shapes.import_geojson(actor, compound, json.dumps({"type": "FeatureCollection", "features": feats}))
