"""The testing the zones call for (reads only): each zone type's week of PCR and antigen
days (`cadence`, `week_plan`), the round the cadence proposes for a day (`round_proposal`:
the planning form's fields, over the areas the zones cover — `zone_areas` — with people per
tube from the zones' rules — `pool_basis`, named in the community's language — `round_name`),
the rounds already planned that day (`covered_by`), and why that number (`pool_why`, under
the planning form's field). The zones page and screening's planning form read it."""

import datetime

from django.conf import settings
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from fangkong.core.text import join_words
from fangkong.registry.models import Place, natural_key

from . import engine
from .models import Group, HouseholdZone, PoolingRule, ZoneType
from .queries import zone_limit


def cadence(node: Place, start=None, days: int = 7) -> list[dict]:
    """The testing the zones under `node` call for in the coming days, from each zone type's
    cadence (PCR rounds and antigen tests a week, spread evenly over the week): one row per
    day with the zone types that need PCR and those that need antigen that day.

    Each zone type's week is counted from the day the place entered it (the earliest start,
    by its notice, of the designations of that type in force under `node`; day 0 is a PCR
    day), never from the day someone looks: a calendar day keeps its kind of test whichever
    day the page is read, and following it day by day gives the type's figures a week
    (controlled 3 PCR + 4 antigen, not a PCR every day)."""
    start = start or timezone.localdate()
    anchors = dict(HouseholdZone.objects.filter(engine.under_q(node), until=None).order_by()
                   .values("zone_type_id").annotate(first=Min("designation__starts_at"))
                   .values_list("zone_type_id", "first"))
    types = sorted(ZoneType.objects.filter(id__in=anchors), key=lambda t: -t.severity)
    plans = [(t, timezone.localdate(anchors[t.id]), week_plan(t)) for t in types]
    out = []
    for i in range(days):
        day = start + datetime.timedelta(days=i)
        pcr, antigen = [], []
        for t, first, (pcr_days, antigen_days) in plans:
            wd = (day - first).days % 7
            if wd in pcr_days:
                pcr.append(t)
            elif wd in antigen_days:
                antigen.append(t)
        if pcr or antigen:
            out.append({"day": day, "pcr": pcr, "antigen": antigen})
    return out


def week_plan(t: ZoneType) -> tuple[set[int], set[int]]:
    """(PCR days, antigen days) of a zone type's week, days 0–6 counted from the day the zone
    began: PCR spread evenly from day 0, antigen on the first free days."""
    n = min(t.pcr_per_week, 7)
    pcr_days = {round(k * 7 / n) % 7 for k in range(n)} if n else set()
    free = [d for d in range(7) if d not in pcr_days]
    return pcr_days, set(free[:t.antigen_per_week])


ROUND_HOURS = (7, 14)  # the proposed round's default sampling window (local hours), edited in the form


def round_proposal(node: Place, day, kind: str, types: list[ZoneType]) -> dict:
    """The round the cadence proposes on `day` for the zones under `node`: the planning
    form's fields (place, name, kind, start and end as datetime-local, pool size from the
    zones' rules — `pool_basis`, with the zone types' codes for the form to say why —;
    antigen tests are one a person; `cadence`: the planning form asks about any round of
    the kind over the same area that day, `screening.areas.overlapping(same_day=True)`)."""
    start = datetime.datetime.combine(day, datetime.time(ROUND_HOURS[0]))
    end = datetime.datetime.combine(day, datetime.time(ROUND_HOURS[1]))
    now = timezone.localtime().replace(tzinfo=None, second=0, microsecond=0)
    if start < now:  # today, already past 07:00: from the next full hour, for as long
        start = now.replace(minute=0) + datetime.timedelta(hours=1)
        end = max(end, start + datetime.timedelta(hours=ROUND_HOURS[1] - ROUND_HOURS[0]))
    out = {"plan": "1", "cadence": "1", "place": node.id, "kind": kind, "name": round_name(day, kind, types),
           "starts_at": start.strftime("%Y-%m-%dT%H:%M"), "ends_at": end.strftime("%Y-%m-%dT%H:%M"),
           "pool_size": pool_basis(types)[0] if kind == "pcr" else 1}
    if kind == "pcr":  # the form says why it is that number (`pool_why`)
        out["pool_from"] = ",".join(dict.fromkeys(t.code for t in types))
    covered = zone_areas(node, types)
    if [a.id for a in covered] != [node.id]:  # the round covers these zones, not all of `node`
        out["areas"] = ",".join(str(a.id) for a in covered)
    return out


def round_name(day, kind: str, types: list[ZoneType]) -> str:
    """The proposed round's name, "12月7日 封控区核酸": shared data (the round's pages, lists,
    reports and every message quoting it are read by everyone, in either language), so it
    is written in the community's language — the site's (settings.LANGUAGE_CODE) — not in
    the language of the planner's page, with the day as a month and day ("12月7日", never
    "12/7", read 12 July by some)."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("%(zones)s %(kind)s, %(day)s") % {
            "zones": join_words(dict.fromkeys(t.name for t in types)),
            "kind": _("PCR") if kind == "pcr" else _("antigen"),
            "day": date_format(day, "MONTH_DAY_FORMAT")}


def covered_by(node: Place, day, kind: str, types: list[ZoneType]) -> list:
    """The rounds of `kind` already planned on `day` over the areas the zones of `types`
    cover under `node` (`zone_areas`): the cadence marks that day planned
    ("已安排：12月7日 第3轮核酸"). It is screening's rule for planning from the cadence
    (`screening.areas.planned_on`: the same kind over the same area the same day, not
    closed), read through settings.FANGKONG_ROUNDS_ON_DAY (zones import no screening); [] with
    none set. Each round has `.name`."""
    path = getattr(settings, "FANGKONG_ROUNDS_ON_DAY", "")
    if not path or not types:
        return []
    return import_string(path)(kind, day, zone_areas(node, types))


def zone_areas(node: Place, types: list[ZoneType]) -> list[Place]:
    """The places under `node` that the zones of `types` cover now: the round the cadence
    proposes for them covers these, not the whole of `node` (a sealed building's 38
    people, not its community's 500). Each designation in force of those types over a
    household under `node` gives its own place when that is at or under `node`; one over
    `node` or above it covers all of `node`. An area inside another is left out. Two
    queries."""
    from fangkong.core.tree import is_under
    from fangkong.registry.models import LEVELS

    ids = set(HouseholdZone.objects.filter(engine.under_q(node), until=None,
                                           zone_type__in=[t.id for t in types])
              .values_list("designation__place_id", flat=True).distinct()[:500])
    places = list(Place.objects.filter(id__in=ids))
    if not places or any(p.id == node.id or p.kind not in LEVELS or not is_under(p, node) for p in places):
        return [node]
    kept = [p for p in places if not any(o.id != p.id and is_under(p, o) for o in places)]
    return sorted(kept, key=lambda p: natural_key(p.name))


def pool_basis(types: list[ZoneType]) -> tuple[int, list[tuple[str, int]]]:
    """People per tube for a round over the zones of `types`, and each type's limit [(zone
    name, people per tube)], strictest first. Each limit is the scan path's (`queries.zone_limit`: the
    zone type's size and its kind's general pooling rule, the smaller); the round takes the
    loosest, because every person's tube is held to their own zone's limit when scanned
    (`queries.pool_limit`): a combined round of a sealed building (1) and a controlled area (10)
    pools the controlled area's 370 people 10 to a tube and the sealed building's one to a
    tube — not everyone singly (walked 2026-12-07). One query."""
    types = list({t.id: t for t in types}.values())
    if not types:
        return 10, []
    rules = dict(PoolingRule.objects.filter(group=Group.GENERAL, zone_type__in={t.kind for t in types})
                 .values_list("zone_type", "pool_size"))
    limits = sorted((zone_limit(t.name_zh, t.name_en, t.pool_size, rules.get(t.kind)) for t in types),
                    key=lambda lim: lim[1])
    return max(n for _name, n in limits), limits


def pool_why(codes) -> str:
    """Why the planning form proposes its people per tube for the active policy's zone types
    of these codes (`round_proposal`'s `pool_from`), in words under the field: the zones'
    rules, and that each person's own zone limits their tube. "" for no known code."""
    codes = [str(c) for c in codes if c][:10]
    types = list(ZoneType.objects.filter(policy__is_active=True, code__in=codes)) if codes else []
    size, limits = pool_basis(types)
    if not limits:
        return ""

    def said(name, n):
        return _("%(zone)s 1 to a tube") % {"zone": name} if n == 1 else \
            _("%(zone)s %(n)d to a tube") % {"zone": name, "n": n}
    rules = join_words([said(name, n) for name, n in limits])
    if len(limits) == 1:
        return _("%(n)d per tube: the rule of the zone (%(rules)s).") % {"n": size, "rules": rules}
    return _("%(n)d per tube, the loosest of the zones' rules (%(rules)s): each person's tube is "
             "held to their own zone's rule when scanned, so the stricter zones are still pooled "
             "as their rule says.") % {"n": size, "rules": rules}
