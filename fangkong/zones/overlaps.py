"""What a draft will not do that its author may expect it to (the draft's overlap warning).

The rule is the engine's (`engine.best`): a household's zone is the most severe zone in
force over any of its levels (its unit, building, compound, grid, community, street,
district), whichever was published last; between equally severe ones the most specific
place. So two drafts on one branch of the tree are no clash in themselves (a building
sealed inside a community-wide 防范区 is what everyone expects). What surprises is a zone
drafted over a place that a **more severe zone above it** covers — in force, in the same
draft, or in another open (draft or scheduled) adjustment — since the draft then has no
effect there; a zone drafted on a place that a zone **of the same type above it** already
covers (in force or in the same draft: 6号楼 → 管控区 inside 光明小区's 管控区), since it changes
nothing now and outlives the one above (lift it instead: it goes with the place above); and
two open adjustments giving **the same place** different zones, since the one published
second is refused (`publish._still_to_do`). `overlaps(adj)` says each, naming the place and
what it will actually be; nothing else is said."""

from django.utils.translation import gettext as _

from fangkong.core.tree import ancestor_ids
from fangkong.registry.queries import place_labels

from . import engine, queries
from .models import Adjustment, AdjustmentItem

Op = AdjustmentItem.Op
OPEN = [Adjustment.State.DRAFT, Adjustment.State.SCHEDULED, Adjustment.State.AWAITING]


def rule() -> str:
    return _("A household's zone is the most severe zone over it (its unit, building, compound, grid, "
             "community, street or district), whatever the order of publishing; between equally severe "
             "zones, the one of the more specific place.")


def _type(it):
    """The zone an item leaves on its place (None: lifted)."""
    return None if it.op == Op.LIFT else it.zone_type


def _sev(t) -> int:
    return -1 if t is None else t.severity


def _drafted(t) -> str:
    return t.name if t is not None else _("no zone")


def _when(a: Adjustment) -> str:
    from django.utils import timezone
    from django.utils.formats import date_format

    if a.state == Adjustment.State.SCHEDULED and a.effective_at:
        return _("scheduled for %(at)s") % {"at": date_format(timezone.localtime(a.effective_at),
                                                                "SHORT_DATETIME_FORMAT")}
    return _("draft")


def overlaps(adj: Adjustment) -> list[dict]:
    """[{"adjustment": the other open adjustment or None, "place": the draft's place it is
    about, "code" (this draft alone: below_severer, same_above), "sentence": …}] for an open
    adjustment; [] when every place will be what the draft says (or only more severe below)."""
    if not adj.is_open:
        return []
    mine = queries.items(adj)
    if not mine:
        return []
    others = list(Adjustment.objects.filter(state__in=OPEN).exclude(pk=adj.pk)
                  .filter(**({"district_id": adj.district_id} if adj.district_id else {}))
                  .prefetch_related("items__place", "items__zone_type"))
    ending = {it.designation_id for it in mine if it.op in (Op.LIFT, Op.CHANGE)}
    above = {it.place_id: [x for x in ancestor_ids(it.place) if x != it.place_id] for it in mine}
    held = {}  # place id → the most severe designation in force on it (not ended by this draft)
    for d in engine.in_force({x for ids in above.values() for x in ids}):
        if d.id not in ending and (d.place_id not in held or d.zone_type.severity > held[d.place_id].zone_type.severity):
            held[d.place_id] = d
    mine_at = {it.place_id: it for it in mine}
    other_items = [(o, it) for o in others for it in o.items.all()]
    labels = place_labels([it.place for it in mine] + [it.place for _o, it in other_items]
                          + [d.place for d in held.values()])

    def name(p):
        return labels.get(p.id) or p.name

    out = []
    for it in mine:
        t = _type(it)
        # 1. a more severe zone above it, in force or in this draft: this item does nothing there
        over = [(d.zone_type, d.place, None) for pid, d in held.items() if pid in above[it.place_id]]
        over += [(_type(m), m.place, None) for pid, m in mine_at.items()
                 if pid in above[it.place_id] and m.op != Op.LIFT]
        top = max(over, key=lambda o: _sev(o[0]), default=None)
        if top is not None and _sev(top[0]) > _sev(t) and it.op != Op.LIFT:
            out.append({"adjustment": None, "place": it.place_id, "code": "below_severer", "sentence": _(
                "%(place)s will stay %(zone)s: %(above)s above it is %(zone)s, the most severe zone applies, "
                "so this draft's %(drafted)s has no effect there.") % {
                "place": name(it.place), "zone": top[0].name, "above": name(top[1]), "drafted": _drafted(t)}})
        elif it.op != Op.LIFT and (same := next((o for o in over if o[0].id == t.id), None)) is not None:
            # 2. the zone a place above it already gives it: a zone of its own would say nothing
            # now and outlive the one above (still in force once that is lifted)
            words = {"place": name(it.place), "zone": t.name, "above": name(same[1])}
            out.append({"adjustment": None, "place": it.place_id, "code": "same_above", "sentence": (_(
                "%(place)s will be %(zone)s with %(above)s: choose “Lift” for it instead (a zone of its "
                "own would stay after %(above)s's is lifted).") if it.op == Op.CHANGE else _(
                "%(place)s is %(zone)s with %(above)s already: take it out of the draft (a zone of its "
                "own would stay after %(above)s's is lifted).")) % words})
        for o, b in other_items:
            tb = _type(b)
            if b.place_id == it.place_id:
                if (it.op, getattr(t, "id", None)) != (b.op, getattr(tb, "id", None)):
                    out.append({"adjustment": o, "place": it.place_id, "sentence": _(
                        "%(place)s: this draft makes it %(mine)s, “%(other)s” (%(when)s) makes it %(theirs)s; "
                        "whichever is published second is refused.") % {
                        "place": name(it.place), "mine": _drafted(t), "other": o.title, "when": _when(o),
                        "theirs": _drafted(tb)}})
            elif b.place_id in above[it.place_id] and _sev(tb) > _sev(t):
                out.append({"adjustment": o, "place": it.place_id, "sentence": _(
                    "If “%(other)s” (%(when)s) is published, %(place)s will be %(zone)s (as %(above)s): "
                    "this draft's %(drafted)s will have no effect there.") % {
                    "other": o.title, "when": _when(o), "place": name(it.place), "zone": tb.name,
                    "above": name(b.place), "drafted": _drafted(t)}})
            elif it.place_id in ancestor_ids(b.place) and _sev(t) > _sev(tb) and b.op != Op.LIFT:
                out.append({"adjustment": o, "place": it.place_id, "sentence": _(
                    "“%(other)s” (%(when)s) makes %(place)s %(theirs)s; once this draft is published, "
                    "%(place)s will be %(zone)s (as %(above)s) and that has no effect there.") % {
                    "other": o.title, "when": _when(o), "place": name(b.place), "theirs": _drafted(tb),
                    "zone": t.name, "above": name(it.place)}})
    return out
