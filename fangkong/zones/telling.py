"""Who is told what when zones are published (a read: it writes nothing; the messages go
out through `signals.tell`, which the notify app queues as every other message).

- The families (their household's logins) of every household whose zone changed: "您所在的
  光明小区 5号楼自12月6日 20:30起为封控区（迎泽防控〔2022〕19号）：足不出户，服务上门 …" — the
  zone type's own rules (its movement and testing text), or that the zone is lifted — and
  what they keep when a place above stays zoned: "您所在的3号楼自…起解除封控区，现为管控区
  （随光明小区，第20号）：…" (never "光明小区为管控区", as if the compound were new).
- The community staff, grid workers and building leaders of the places whose households
  changed zone, each once for their area: each move in words ("3号楼 封控区 → 管控区（随光明
  小区），24 户"; households counted as the zones page counts them) — never the person who
  published.
- The command and staff of the level whose adjustment made a zone this one ends (the
  street's seal lifted by the community): the same moves, unless told above.
- The street's command (`approval.command_of`) of every publication in its street: every
  move of the publication and who published it, unless told above or publishing it.

Each message is said in its reader's language (title and body are callables, rendered by
notify once per language) and keyed by the publication and the group it tells, so a retry
tells nobody twice. The number of messages follows the publication's places and the areas
touched, not its households: sealing fifty buildings of 3,000 households is a few dozen
bulk writes, sent by the worker after the publication commits."""

from collections import defaultdict

from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.text import join_words
from fangkong.registry.models import Household, Place
from fangkong.registry.queries import place_labels

from . import approval
from .models import Adjustment
from .queries import changed_counted

CHUNK = 5000


def when(at) -> str:
    """"12月6日 20:30" / "December 6 20:30", in the active language (the reader's)."""
    local = timezone.localtime(at)
    return f"{date_format(local, 'MONTH_DAY_FORMAT')} {date_format(local, 'TIME_FORMAT')}"


def rules(zone_type) -> str:
    """What the zone type asks of its people, from its own rows (an administrator's words):
    its movement rule, and its testing when it says one."""
    if zone_type.cadence:
        return _("%(movement)s; testing: %(cadence)s") % {"movement": zone_type.movement,
                                                          "cadence": zone_type.cadence}
    return zone_type.movement


def messages(adj, changes, actor=None) -> list[dict]:
    """The messages of a publication `adj` whose households changed as `changes`
    (`engine.Change`s): one per group of families told the same words, and one per
    community, grid and building for the people who work there."""
    if not changes:
        return []
    notice = adj.notice
    url = reverse("zones_notice", args=[notice.id])
    at = adj.effective_at
    by_id = {c.household_id: c for c in changes}
    levels = {}
    ids = list(by_id)
    for i in range(0, len(ids), CHUNK):
        for hid, community, grid, building in Household.objects.filter(id__in=ids[i:i + CHUNK]).values_list(
                "id", "community_id", "grid_id", "building_id"):
            levels[hid] = (community, grid, building)
    shown = {c.new.place_id for c in changes if c.new} | {c.old.designation.place_id for c in changes if c.old}
    places = Place.objects.in_bulk(shown)
    labels = place_labels(places.values())
    out = _families(adj, changes, labels, places, url, at)
    names = {pk: p.name for pk, p in places.items()}
    out += _workers(adj, changes, levels, labels, names, url, at, actor)
    return out


def _target(c, adj):
    """(the place the change is about, its zone type after or None, before or None, the
    place whose zone the household keeps when that is another place, else None, whether
    this publication ended the zone the household had).

    A zone this publication ended (lifted or changed) is what the change is about — 3号楼
    lifted while 光明小区 stays controlled reads "3号楼: 封控区 → 管控区 (as 光明小区)",
    never "光明小区 is a 管控区" as if the compound were newly zoned."""
    old_type = c.old.zone_type if c.old else None
    ended = c.old is not None and c.old.designation.ended_by_id == adj.id
    if c.new is None:
        return c.old.designation.place_id, None, old_type, None, True
    if ended and c.new.place_id != c.old.designation.place_id:
        return c.old.designation.place_id, c.new.zone_type, old_type, c.new.place_id, True
    return c.new.place_id, c.new.zone_type, old_type, None, ended


def _families(adj, changes, labels, places, url, at) -> list[dict]:
    groups = defaultdict(list)
    for c in changes:
        place_id, new, old, via, ended = _target(c, adj)
        groups[(place_id, new.id if new else None, old.id if old else None, via, ended)].append(c.household_id)
    logins = defaultdict(set)
    ids = [c.household_id for c in changes]
    for i in range(0, len(ids), CHUNK):
        for hid, uid in Membership.objects.filter(household_id__in=ids[i:i + CHUNK], is_active=True,
                                                  role=Role.RESIDENT).values_list("household_id", "user_id"):
            logins[hid].add(uid)
    types = {c.new.zone_type_id: c.new.zone_type for c in changes if c.new}
    types |= {c.old.zone_type_id: c.old.zone_type for c in changes if c.old}
    out = []
    for (place_id, new_id, old_id, via, ended), hids in groups.items():
        users = {u for h in hids for u in logins.get(h, ())}
        if not users:
            continue
        title, body = _family_words(labels.get(place_id, ""), types.get(new_id), types.get(old_id),
                                    adj.notice.number, at, places[via].name if via in places else None, ended)
        body = _with_stated(body, adj, at)
        out.append({"users": users, "kind": "zones.published", "title": title, "body": body, "url": url,
                    "place": places.get(place_id),
                    "key": f"zones.published.{adj.id}.family.{place_id}.{new_id}.{old_id}.{via or ''}.{int(ended)}"})
    return out


def _with_stated(body, adj, at):
    """The body, and when the publication's minute is not the notice's (published "now"
    before or after the time the notice states), both in words: the family reading "19号"
    sees another time in its text."""
    stated = adj.notice.effective_at
    if abs((stated - at).total_seconds()) < 60:
        return body
    return lambda: _("%(body)s In force from %(at)s, when it was published; the time stated in notice "
                     "%(notice)s is %(stated)s.") % {"body": body(), "at": when(at), "notice": adj.notice.number,
                                       "stated": when(stated)}


def _family_words(place, new, old, number, at, via=None, ended=False):
    """(title, body) for a family, in the reader's language when rendered: what changed for
    this household — a zone given, a zone changed, a zone lifted (to none, or to the zone of
    `via`, the place above it that stays zoned)."""
    if new is not None and via is not None:
        return (lambda: _("%(place)s: %(old)s lifted from %(at)s, now a %(zone)s (as %(via)s)") % {
                    "place": place, "old": old.name, "zone": new.name, "at": when(at), "via": via},
                lambda: _("%(place)s, where you live, is no longer a %(old)s from %(at)s: it is now a %(zone)s, "
                          "as %(via)s is (%(notice)s): %(rules)s") % {
                    "place": place, "old": old.name, "zone": new.name, "at": when(at), "via": via,
                    "notice": number, "rules": rules(new)})
    if new is not None and old is not None and ended:
        return (lambda: _("%(place)s: %(old)s → %(zone)s from %(at)s") % {
                    "place": place, "old": old.name, "zone": new.name, "at": when(at)},
                lambda: _("%(place)s, where you live, changes from a %(old)s to a %(zone)s from %(at)s "
                          "(%(notice)s): %(rules)s") % {
                    "place": place, "old": old.name, "zone": new.name, "at": when(at), "notice": number,
                    "rules": rules(new)})
    if new is not None:
        return (lambda: _("%(place)s is a %(zone)s from %(at)s") % {
                    "place": place, "zone": new.name, "at": when(at)},
                lambda: _("%(place)s, where you live, is a %(zone)s from %(at)s (%(notice)s): %(rules)s") % {
                    "place": place, "zone": new.name, "at": when(at), "notice": number, "rules": rules(new)})
    return (lambda: _("%(place)s is no longer a %(zone)s from %(at)s") % {
                "place": place, "zone": old.name, "at": when(at)},
            lambda: _("%(place)s, where you live, is no longer a %(zone)s from %(at)s (%(notice)s): no "
                      "zone rules apply to your home any more.") % {
                "place": place, "zone": old.name, "at": when(at), "notice": number})


def _workers(adj, changes, levels, labels, names, url, at, actor) -> list[dict]:
    """Staff of each community, grid workers of each grid and leaders of each building
    whose households changed zone: what changed there, households counted as everywhere.
    And the level that published the zones this publication ends (a street command's seal
    lifted by the community): what became of them."""
    counted = changed_counted([c.household_id for c in changes])
    areas = defaultdict(lambda: defaultdict(int))  # (role, area id) → {(place, new, old, via): households}
    earlier = defaultdict(lambda: defaultdict(int))  # the adjustment that made an ended zone → moves
    whole = defaultdict(int)  # every move of the publication: the street's command
    for c in changes:
        if c.household_id not in counted:
            continue
        place_id, new, old, via, ended = _target(c, adj)
        move = (place_id, new, old, via)
        whole[move] += 1
        community, grid, building = levels.get(c.household_id, (None, None, None))
        for role, area in ((Role.STAFF, community), (Role.GRID, grid), (Role.LEADER, building)):
            if area:
                areas[(role, area)][move] += 1
        if ended and c.old.designation.adjustment_id != adj.id:
            earlier[c.old.designation.adjustment_id][move] += 1
    if not areas and not earlier and not whole:
        return []
    members = defaultdict(set)
    me = getattr(getattr(actor, "user", None), "pk", None)
    for role, place_id, uid in Membership.objects.filter(
            is_active=True, role__in=[Role.STAFF, Role.GRID, Role.LEADER],
            place_id__in={a for _r, a in areas}).values_list("role", "place_id", "user_id"):
        if uid != me:
            members[(role, place_id)].add(uid)
    area_places = Place.objects.in_bulk({a for (_r, a) in areas})
    out = []
    told = set()
    for (role, area), moves in areas.items():
        users = members.get((role, area))
        if not users:
            continue
        told |= users
        area_name = area_places[area].name if area in area_places else ""
        out.append({"users": users, "kind": "zones.published",
                    "title": lambda number=adj.notice.number: _("Zones published: %(notice)s") % {"notice": number},
                    "body": _worker_body(area_name, _sorted(moves, labels, names), adj.notice.number, at), "url": url,
                    "place": area_places.get(area), "key": f"zones.published.{adj.id}.{role}.{area}"})
    out += _earlier(adj, earlier, labels, names, url, at, me, told)
    return out + _command(adj, whole, labels, names, url, at, actor, told | {u for m in out for u in m["users"]})


def _command(adj, whole, labels, names, url, at, actor, told) -> list[dict]:
    """The street's command: every publication in its street, once, with all its moves and who
    published it (a community worker lifting a building is never unknown above)."""
    me = getattr(getattr(actor, "user", None), "pk", None)
    users = approval.command_of(adj) - told - {me}
    if not whole or not users:
        return []
    who = getattr(getattr(actor, "user", None), "display_name", "") or getattr(
        getattr(actor, "user", None), "username", "") or ""
    said = _worker_body(adj.place.name, _sorted(whole, labels, names), adj.notice.number, at)
    number, issued_by, area = adj.notice.number, adj.notice.issued_by, adj.place.name

    def body():  # in each reader's language
        by = (_("Published by %(who)s under %(notice)s (%(issued_by)s).") % {
            "who": who, "notice": number, "issued_by": issued_by} if who else
              _("Published under %(notice)s (%(issued_by)s).") % {"notice": number, "issued_by": issued_by})
        return f"{said()} {by}"

    return [{"users": users, "kind": "zones.published",
             "title": lambda: _("Zones published in %(area)s: %(notice)s") % {"area": area, "notice": number},
             "body": body, "url": url, "place": adj.place, "key": f"zones.published.{adj.id}.command"}]


def _sorted(moves, labels, names):
    """The moves by place; the place a household keeps its zone from by its own name (it is
    above the place that moved: "（随光明小区）")."""
    return sorted(((labels.get(p, ""), new, old, names.get(via) if via else None, n)
                   for (p, new, old, via), n in moves.items()), key=lambda m: m[0])


def _earlier(adj, earlier, labels, names, url, at, me, told) -> list[dict]:
    """The staff and command of the level whose adjustment made the zones this one ends, and
    whoever published it (when still active there), unless told above or publishing now."""
    if not earlier:
        return []
    prev = Adjustment.objects.select_related("place", "notice").in_bulk(list(earlier))
    members = defaultdict(set)
    for place_id, uid in Membership.objects.filter(
            is_active=True, role__in=[Role.COMMAND, Role.STAFF],
            place_id__in={p.place_id for p in prev.values()}).values_list("place_id", "user_id"):
        members[place_id].add(uid)
    out = []
    for pk, moves in earlier.items():
        p = prev.get(pk)
        if p is None:
            continue
        users = members.get(p.place_id, set()) - told - {me}
        if not users:
            continue
        previous = p.notice.number if p.notice_id else p.title
        out.append({"users": users, "kind": "zones.published",
                    "title": lambda number=adj.notice.number, previous=previous: _(
                        "Changed by %(notice)s: the zones published in %(previous)s") % {"notice": number,
                                                                             "previous": previous},
                    "body": _worker_body(p.place.name, _sorted(moves, labels, names), adj.notice.number, at),
                    "url": url, "place": p.place, "key": f"zones.published.{adj.id}.earlier.{pk}"})
    return out


def _worker_body(area, moves, number, at):
    def body():
        said = []
        for label, new, old, via, n in moves:
            hh = ngettext("%(n)d household", "%(n)d households", n) % {"n": n}
            words = {"place": label, "zone": new.name if new else "", "old": old.name if old else "",
                     "via": via, "households": hh}
            if old is None:
                said.append(_("%(place)s: now a %(zone)s (%(households)s)") % words)
            elif new is None:
                said.append(_("%(place)s: %(old)s → no zone, %(households)s") % words)
            elif via:
                said.append(_("%(place)s: %(old)s → %(zone)s (as %(via)s), %(households)s") % words)
            else:
                said.append(_("%(place)s: %(old)s → %(zone)s, %(households)s") % words)
        return _("%(notice)s, in %(area)s from %(at)s: %(changes)s.") % {
            "notice": number, "area": area, "at": when(at), "changes": join_words(said)}
    return body
