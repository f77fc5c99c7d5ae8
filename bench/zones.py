"""(f) zones: a street office seals 50 buildings of the city at once.

- `zones.diff.seconds`: the difference of an adjustment sealing 50 buildings spread over the
  district (which households and how many people change zone, from what to what;
  `zones.queries.diff`). Target < 1 s.
- `zones.publish.seconds`: publishing it (designations, every household's zone rewritten,
  history kept; `actions.publish.publish`). Target < 2 s. Each repeat lifts them again
  (`zones.lift.seconds`, the same work backwards).
- `zones.figures.district`: households and people per zone type for the whole district
  (`queries.figures`, one grouped query on the level-indexed current rows) while the 50
  buildings are sealed. Target < 200 ms.
- `zones.household.lookup`: a household's current zone, as the scan path would ask it
  (`queries.zone_now`, one prepared statement on the partial unique index; the ORM's
  `household_zone`, for pages, is given beside it). Target < 0.5 ms.

Everything goes through the actions as the system actor; the benchmark's own notices,
adjustments and zones are removed at the start and the end.
"""

import time

from django.utils import timezone

from .harness import figure, percentile

TITLE = "bench-zones"


def _clean():
    from fangkong.zones.models import Adjustment, AdjustmentItem, Designation, HouseholdZone, Notice

    adjs = Adjustment.objects.filter(title__startswith=TITLE)
    desig = Designation.objects.filter(adjustment__in=adjs)
    HouseholdZone.objects.filter(designation__in=desig).delete()
    AdjustmentItem.objects.filter(adjustment__in=adjs).delete()
    Designation.objects.filter(ended_by__in=adjs).update(ended_by=None)
    desig.delete()
    adjs.delete()
    Notice.objects.filter(title=TITLE).delete()


def _buildings(district, n):
    """`n` buildings spread over the district's communities (every k-th by id), none of
    them designated already (the demo seals one)."""
    from fangkong.registry.models import Kind, Place
    from fangkong.zones.models import Designation

    taken = Designation.objects.filter(ends_at=None).values("place_id")
    ids = list(Place.objects.filter(district_id=district.id, kind=Kind.BUILDING).exclude(id__in=taken)
               .order_by("id").values_list("id", flat=True))
    step = max(1, len(ids) // n)
    return list(Place.objects.filter(id__in=ids[::step][:n]))


def run(ctx):
    from fangkong.core.actor import Actor
    from fangkong.zones import queries
    from fangkong.zones.actions import publish as pub
    from fangkong.zones.actions.policy import install_presets
    from fangkong.zones.models import Designation, HouseholdZone, ZoneType

    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    install_presets()
    _clean()
    actor = Actor.system(via="cli")
    district = city.district
    sealed = ZoneType.objects.filter(policy__is_active=True, kind="sealed").first()
    buildings = _buildings(district, 50)
    notice = pub.create_notice(actor, district, {"number": "bench", "issued_by": "bench", "title": TITLE,
                                                 "effective_at": timezone.now().isoformat()})
    # a lift is filed under a notice of its own, not the one that sealed (publish.check_ready)
    lifting = pub.create_notice(actor, district, {"number": "bench-lift", "issued_by": "bench", "title": TITLE,
                                                  "effective_at": timezone.now().isoformat()})
    diffs, pubs, lifts, figs, changed = [], [], [], [], 0
    try:
        for rep in range(cfg.repeat):
            adj = pub.draft(actor, district, f"{TITLE} {rep}", notice=notice)
            for b in buildings:
                pub.add_item(actor, adj, pub.Op.CREATE, b, sealed)
            t = time.perf_counter()
            d = queries.diff(adj)
            diffs.append(time.perf_counter() - t)
            t = time.perf_counter()
            adj = pub.publish(actor, adj)
            pubs.append(time.perf_counter() - t)
            changed = adj.households_changed
            assert changed == d["households"] > 0, (changed, d["households"])
            for _ in range(3):
                t = time.perf_counter()
                queries.figures(district)
                figs.append(time.perf_counter() - t)
            lift = pub.draft(actor, district, f"{TITLE} lift {rep}", notice=lifting)
            for des in Designation.objects.filter(adjustment=adj, ends_at=None).select_related("place"):
                pub.add_item(actor, lift, pub.Op.LIFT, des.place)
            t = time.perf_counter()
            pub.publish(actor, lift)
            lifts.append(time.perf_counter() - t)
        hids = list(HouseholdZone.objects.filter(district_id=district.id).values_list("household_id", flat=True)[:200])
        from fangkong.registry.models import Household

        hids += list(Household.objects.filter(district_id=district.id).values_list("id", flat=True)[:200])
        lat, orm = [], []
        for hid in hids * 3:
            t = time.perf_counter()
            queries.zone_now(hid)
            lat.append(time.perf_counter() - t)
            t = time.perf_counter()
            queries.household_zone(hid)
            orm.append(time.perf_counter() - t)
    finally:
        _clean()
    report.note(f"zones: {len(buildings)} buildings of {district.name} sealed at once "
                f"({changed:,} households change zone)")
    report.add(figure("zones.diff.seconds", diffs, "s", note=f"{len(buildings)} buildings; target < 1 s"))
    report.add(figure("zones.publish.seconds", pubs, "s", note="target < 2 s"))
    report.add(figure("zones.lift.seconds", lifts, "s"))
    report.add(figure("zones.figures.district", figs, "ms", scale=1000, note="target < 200 ms"))
    report.add(figure("zones.household.lookup", [percentile(lat, 50)], "ms", scale=1000,
                      note=f"queries.zone_now, p50 of {len(lat)}; p99 {percentile(lat, 99) * 1000:.3f} ms; "
                           f"the ORM's household_zone p50 {percentile(orm, 50) * 1000:.3f} ms; target < 0.5 ms"))
