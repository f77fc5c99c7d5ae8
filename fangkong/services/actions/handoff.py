"""The checkpoint hand-off: a batch is the supplier's delivery at a gate at a set time with
its manifest (one line per order line, per household). The team on duty checks each line
(received / short / damaged / substituted); the supplier and the checker both sign; the
batch then splits into one run per building, stops in carrying order (unit, floor, door).
Problems (short, damaged, substituted) go back to staff as exceptions."""

from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Forbidden, Invalid
from fangkong.core.when import short_time
from fangkong.registry.models import Household, Place

from .. import access, checks
from ..batch_queries import late_orders, late_words, order_note, split_preview, waiting_orders
from ..models import Batch, Line, Order, OrderLine, Problem, Run, Stop, Supplier, line_problem

Check = Line.Check


def create_batch(actor, supplier: Supplier, checkpoint: Place, *, due_at, orders=None, team=None,
                 client_id=None) -> Batch:
    """The manifest: every placed order of the supplier under the checkpoint's community
    (or the `orders` named), medicine orders first. All or nothing; a retry with the same
    client id answers the same batch. The orders it brings after their need-by are said
    (`batch.late`, their words; audited as `late`), as the page's confirm step says them."""
    access.require(actor, access.RUN, checkpoint)
    cid = checks.client_id(client_id)
    if cid is not None and (found := Batch.objects.filter(client_id=cid).first()) is not None:
        return found
    if checkpoint.community_id != supplier.community_id:
        raise Invalid(fields={"checkpoint": [_("This gate is not in the supplier's community.")]})
    due_at = checks.when(due_at, "due_at")
    if due_at is None:
        raise Invalid(fields={"due_at": [_("Enter a date and time.")]})
    if team is not None and team.community_id != supplier.community_id:
        raise Invalid(fields={"team": [_("This team is not of this community.")]})
    qs = waiting_orders(supplier).order_by()
    if orders is not None:
        ids = {int(o) for o in orders}
        qs = qs.filter(id__in=ids)
        if qs.count() != len(ids):
            raise Invalid(fields={"orders": [_("Some of these orders are not waiting for this supplier.")]})
    batch = Batch(supplier=supplier, checkpoint=checkpoint, due_at=due_at, team=team, client_id=cid)
    batch.copy_levels(checkpoint)
    with transaction.atomic():
        chosen = list(qs.select_for_update().values_list("id", "household_id"))
        # a double tap: the first may have taken these orders while this one waited for them
        if cid is not None and (found := Batch.objects.filter(client_id=cid).first()) is not None:
            return found
        if not chosen:
            raise Invalid(fields={"orders": [_("No orders are waiting for this supplier.")]})
        batch.save()
        hh = dict(chosen)
        lines = manifest_lines(batch, hh)
        Line.objects.bulk_create(lines, batch_size=500)
        late = late_orders(supplier, due_at, orders=hh)
        Order.objects.filter(id__in=hh).update(state=Order.State.IN_BATCH, batch=batch)
        record(actor, "services.batch.create", batch, {"orders": len(hh), "lines": len(lines),
                                                       **({"late": [o.id for o in late]} if late else {})},
               levels_from=batch)
    batch.late = [late_words(o, due_at) for o in late]
    if team is not None:
        _tell_team(actor, batch, households=len(set(hh.values())))
    return batch


def manifest_lines(batch: Batch, hh: dict) -> list[Line]:
    """The manifest lines of the orders `hh` ({order id: household id}), medicine orders
    first: each order line, then the order's typed medicine (no catalogue item, no price:
    the medicine's price is not included), every line carrying the order's note ("冷藏").
    Every order gives its household lines, so a stop (found on the lab walk: an order of
    only "胰岛素 3盒（冷藏）" made a batch of 0 households, nothing to check at the gate and no
    door to carry it to). An order with neither says its note, or its number."""
    by_order = defaultdict(list)
    for ol in OrderLine.objects.filter(order_id__in=hh).order_by("id"):
        by_order[ol.order_id].append(ol)
    out = []
    for o in Order.objects.filter(id__in=hh).order_by("-is_medicine", "deadline", "id"):
        own = [(ol.name, ol.quantity, ol.price) for ol in by_order[o.id]]
        # a typed medicine naming a catalogue item of the order ("硝苯地平缓释片 10mg"): its dose, said as a note
        note, typed = order_note(o, [n for n, _q, _p in own])
        if typed:
            own.append((typed, 1, 0))
        if not own:
            own.append(((note or _("Order %(n)d") % {"n": o.id})[:200], 1, 0))
        out += [Line(batch=batch, order_id=o.id, household_id=hh[o.id], name=name, quantity=qty, price=price,
                     order_note=note[:200]) for name, qty, price in own]
    return out


def _tell_team(actor, batch: Batch, *, households: int) -> None:
    """The team on duty at the gate (its leader and volunteers who may go out for it, none
    kept home; not whoever made it) is told once, in each reader's language, when a batch
    is made for it: whose goods, which gate, when, how many households, the batch's link
    (found on the services evening: 封控五组's leader heard nothing of the 15:30 hand-off)."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from fangkong.notify.actions import notify

    me = getattr(_user(actor), "id", None)
    users = {u for u in access.team_user_ids(batch.team_id) if u != me}
    if not users:
        return
    due = batch.due_at
    facts = {"team": batch.team.name, "supplier": batch.supplier.name, "gate": batch.checkpoint.name,
             "n": households}

    def words():  # the time said in the reader's language, when the message is rendered
        return dict(facts, time=short_time(due))

    notify(actor, users, kind="services.handoff",
           title=lambda: _("Hand-off for %(team)s: %(supplier)s at %(gate)s, %(time)s") % words(),
           body=lambda: ngettext(
               "Meet %(supplier)s at %(gate)s at %(time)s and check the goods of %(n)d household against "
               "the list; then the goods go to the doors.",
               "Meet %(supplier)s at %(gate)s at %(time)s and check the goods of %(n)d households against "
               "the list; then the goods go to the doors.", households) % words(),
           url=reverse("services_batch", args=[batch.id]), place=batch.checkpoint,
           key=f"services.batch.{batch.id}.team")


def check_line(actor, line: Line, check: str, *, received=None, substitute="", note="",
               substitute_price=None) -> Line:
    """One line checked at the gate. Checking it again replaces the earlier check. A
    substitution is owed at the substitute's price (found on the gate walk: 蔬菜包（6种） charged
    at the 8种's ¥39.90): as given (optional), else the batch's manifest's price of that item,
    else its supplier's catalogue's; none known, the line is 价格待定 (`Line.price_pending`)
    and charged nothing until it is, never the listed price."""
    batch = line.batch
    access.require_batch(actor, batch, check=True)
    if not access.checks_batch(actor, batch):  # the supplier's own login: it signs, it does not check
        raise Forbidden(_("The team on duty checks the lines; the supplier signs."))
    if batch.state not in (Batch.State.EXPECTED, Batch.State.CHECKING):
        raise Conflict(_("This batch has been signed: its lines can no longer change."))
    check = checks.choice(check, "check", Check.choices)
    if check == Check.PENDING:
        raise Invalid(fields={"check": [_("Choose one of the options.")]})
    if check == Check.SHORT:
        try:
            got = checks.quantity(received if received not in (None, "") else 0, "received",
                                  low=0, high=line.quantity - 1)
        except Invalid:  # "0 to 0" said nothing to someone who typed 5 for a line of 1
            raise Invalid(fields={"received": [
                _("Short means fewer than the %(n)d listed came: enter how many came, 0 to %(m)d.")
                % {"n": line.quantity, "m": line.quantity - 1}]}) from None
    elif check == Check.DAMAGED:
        got = 0
    else:
        got = line.quantity
    price = None
    if check == Check.SUBSTITUTED:
        substitute = checks.text(substitute, "substitute", max_length=80)
        price = _substitute_price(line, substitute, substitute_price)
    line.outcome, line.received = check, got
    line.substitute = substitute if check == Check.SUBSTITUTED else ""
    line.substitute_price = price
    line.note = checks.text(note, "note", max_length=200, required=False)
    with transaction.atomic():
        line.save(update_fields=["outcome", "received", "substitute", "substitute_price", "note"])
        Batch.objects.filter(pk=batch.pk, state=Batch.State.EXPECTED).update(state=Batch.State.CHECKING)
        # the supplier signed the list as it was: it signs again what is listed now
        Batch.objects.filter(pk=batch.pk).exclude(supplier_signed_at=None).update(
            supplier_signed_by="", supplier_signed_at=None)
        Problem.objects.filter(line=line, resolved_at=None).delete()
        if check != Check.RECEIVED:
            text = line_problem(check, line)
            # about one household: its levels (not the gate's), so its building's page and
            # every level above count it (building + building + … = compound)
            p = Problem(batch=batch, household_id=line.household_id, line=line, kind=check, text=text[:300])
            p.copy_levels(Household.objects.get(pk=line.household_id))
            p.save()
            from .told import line_short

            line_short(actor, line)  # the household hears what did not come, and that it is not charged
        record(actor, "services.line.check", batch, {"line": line.id, "check": check, "received": got,
                                                     **({"price": str(price) if price is not None else ""}
                                                        if check == Check.SUBSTITUTED else {})},
               levels_from=batch)
    return line


def _substitute_price(line: Line, name: str, given):
    """The substitute's price: as given; else the batch's manifest's (a line of that item with a
    price) or the supplier's catalogue's; else None (价格待定)."""
    from ..models import Item

    if given not in (None, ""):
        return checks.money(given, "substitute_price").quantize(Decimal("0.01"))
    listed = (Line.objects.filter(batch_id=line.batch_id, name=name, price__gt=0)
              .order_by("id").values_list("price", flat=True).first())
    if listed is not None:
        return listed
    return (Item.objects.filter(supplier_id=line.batch.supplier_id, name=name, is_active=True)
            .values_list("price", flat=True).first())


def receive_rest(actor, batch: Batch) -> int:
    """Everything not yet checked was received as listed (one tap after the exceptions)."""
    access.require_batch(actor, batch, check=True)
    if not access.checks_batch(actor, batch):
        raise Forbidden(_("The team on duty checks the lines; the supplier signs."))
    if batch.state not in (Batch.State.EXPECTED, Batch.State.CHECKING):
        raise Conflict(_("This batch has been signed: its lines can no longer change."))
    with transaction.atomic():
        n = Line.objects.filter(batch=batch, outcome=Check.PENDING).update(outcome=Check.RECEIVED,
                                                                         received=F("quantity"))
        Batch.objects.filter(pk=batch.pk, state=Batch.State.EXPECTED).update(state=Batch.State.CHECKING)
        record(actor, "services.batch.receive_rest", batch, {"lines": n}, levels_from=batch)
    return n


def sign(actor, batch: Batch, *, supplier_name: str = "") -> Batch:
    """Both sides sign, once every line is checked.

    - The supplier's own login signs its side only (`supplier_name`: who signs; its login's
      name when empty): the batch stays with the checkers. Once; again answers the batch.
    - The checker (the team on duty, staff) signs the checkpoint's side and closes the list:
      the supplier's side is the login's signature when it signed, otherwise the driver's
      name typed on the checker's phone (`supplier_name`, required then). Signing twice
      answers the signed batch."""
    access.require_batch(actor, batch, check=True)
    if batch.state not in (Batch.State.EXPECTED, Batch.State.CHECKING):
        return batch
    supplier_side = not access.checks_batch(actor, batch)  # the supplier's own login
    if supplier_side and batch.supplier_signed_at is not None:
        return batch
    pending = Line.objects.filter(batch=batch, outcome=Check.PENDING).count()
    if pending:
        from django.utils.translation import ngettext

        raise Invalid(ngettext("%(n)d line is not checked yet.", "%(n)d lines are not checked yet.", pending)
                      % {"n": pending})
    now = timezone.now()
    open_ = Batch.objects.filter(pk=batch.pk, state__in=[Batch.State.EXPECTED, Batch.State.CHECKING])
    if supplier_side:
        user = _user(actor)
        name = checks.text(supplier_name or (getattr(user, "display_name", "") or str(user or "")),
                           "supplier_name", max_length=50)
        with transaction.atomic():
            if open_.filter(supplier_signed_at=None).update(supplier_signed_by=name, supplier_signed_at=now):
                record(actor, "services.batch.supplier_sign", batch, {"supplier": name}, levels_from=batch)
    else:
        signed = open_.exclude(supplier_signed_at=None).values_list("supplier_signed_by", flat=True).first()
        if not signed and not (supplier_name or "").strip():  # as the page: the driver's name, with the signing
            raise Invalid(fields={"supplier_name": [_(
                "The supplier has not signed on its own login: enter the name of the supplier's driver who "
                "signs here.")]})
        name = signed or checks.text(supplier_name, "supplier_name", max_length=50)
        with transaction.atomic():
            fields = dict(state=Batch.State.SIGNED, checked_by=_user(actor), checked_at=now)
            if not signed:
                fields.update(supplier_signed_by=name, supplier_signed_at=now)
            if open_.update(**fields):
                record(actor, "services.batch.sign", batch, {"supplier": name}, levels_from=batch)
                tell_splitters(actor, batch)  # 300 households wait for it: nobody must have to look
    batch.refresh_from_db()
    return batch


def tell_splitters(actor, batch: Batch) -> None:
    """A batch signed at the checkpoint waits to be split into runs (`split`) before anyone
    carries it: the staff and grid workers who may split it (`access.splitter_ids`), but not
    whoever signed, are told once (in each reader's language) — whose goods, which gate, how
    many households wait — with the batch's link, where "split" is."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from fangkong.notify.actions import notify

    me = getattr(_user(actor), "id", None)
    users = {u for u in access.splitter_ids(batch) if u != me}
    if not users:
        return
    f = split_preview(batch)
    words = {"supplier": batch.supplier.name, "gate": batch.checkpoint.name, "n": f["doors"], "runs": f["runs"]}
    notify(actor, users, kind="services.batch",
           title=lambda: _("To split: %(supplier)s's goods are signed for at %(gate)s") % words,
           body=lambda: ngettext(
               "%(n)d household waits for them. Open the hand-off and split it into runs by building "
               "(%(runs)d), so the goods go to the doors.",
               "%(n)d households wait for them. Open the hand-off and split it into runs by building "
               "(%(runs)d), so the goods go to the doors.", f["doors"]) % words,
           url=reverse("services_batch", args=[batch.id]), place=batch.checkpoint,
           key=f"services.batch.{batch.id}.to_split")


def split(actor, batch: Batch, *, teams=None) -> list[Run]:
    """One run per building, its stops in carrying order (unit, then floor and door: the
    household's sort key), teams given round-robin; none given: the batch's own team (the
    one rule for the page and the API: found with the API's split leaving every run without
    a team while the page's gave them the batch's). Splitting again answers the same runs."""
    access.require_batch(actor, batch, manage=True)
    teams = list(teams or ([batch.team] if batch.team_id else []))
    if batch.state in (Batch.State.SPLIT, Batch.State.DONE):
        return list(batch.runs.order_by("id"))
    if batch.state != Batch.State.SIGNED:
        raise Invalid(_("Sign the batch at the checkpoint before splitting it into runs."))
    for t in teams:
        if t.community_id != batch.community_id:
            raise Invalid(fields={"teams": [_("This team is not of this community.")]})
    # a door only where something came through the gate (found on the gate walk: a household
    # whose one line came 0 of 1 got a stop with 已送达 as its button — six floors for
    # nothing, and a delivery on record); one of which nothing came is told by the gate's
    # check (`told.line_short`), named on the batch page (`batch_queries.nothing_came`) and
    # its orders stay a problem for staff
    hh_ids = set(Line.objects.filter(batch=batch, received__gt=0).values_list("household_id", flat=True))
    empty = set(Line.objects.filter(batch=batch).values_list("household_id", flat=True)) - hh_ids
    households = list(Household.objects.filter(id__in=hh_ids).select_related("place")
                      .order_by("building_id", "place__sort_key", "sort_key", "id"))
    by_building = defaultdict(list)
    for h in households:
        by_building[h.building_id or h.place_id].append(h)
    buildings = {p.id: p for p in Place.objects.filter(id__in=by_building)}
    runs, stops = [], []
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        if locked.state != Batch.State.SIGNED:
            return list(batch.runs.order_by("id"))
        for n, bid in enumerate(sorted(by_building, key=lambda b: (buildings[b].sort_key, b))):
            run = Run(batch=batch, place=buildings[bid], team=teams[n % len(teams)] if teams else None)
            run.copy_levels(buildings[bid])
            run.save()
            runs.append(run)
            for pos, h in enumerate(by_building[bid], 1):
                s = Stop(run=run, household=h, position=pos)
                s.copy_levels(h)
                stops.append(s)
        Stop.objects.bulk_create(stops, batch_size=500)
        Batch.objects.filter(pk=batch.pk).update(state=Batch.State.SPLIT)
        Order.objects.filter(batch=batch, state=Order.State.IN_BATCH, household_id__in=empty).update(
            state=Order.State.PROBLEM)
        Order.objects.filter(batch=batch, state=Order.State.IN_BATCH).update(state=Order.State.OUT)
        record(actor, "services.batch.split", batch, {"runs": len(runs), "stops": len(stops),
                                                      **({"nothing_came": len(empty)} if empty else {})},
               levels_from=batch)
        doors = defaultdict(int)
        for s in stops:
            doors[s.run_id] += 1
        for run in runs:  # "the runs go to the volunteers' phones at once": they do
            tell_carriers(actor, run, doors[run.id])
    batch.state = Batch.State.SPLIT
    return runs


def tell_carriers(actor, run: Run, doors: int | None = None, *, but: int | None = None) -> None:
    """The inbox (and phone) of who carries the run (`access.carrier_ids`: its carrier and
    its team's volunteers, none kept home), but not of whoever gave it: the building, how
    many doors, the run's link. Once a person for each run, however often it is split or
    given again. `but`: someone told in words of their own (the team's leader)."""
    from django.urls import reverse
    from django.utils.translation import ngettext

    from fangkong.notify.actions import notify

    me = getattr(_user(actor), "id", None)
    users = {u for u in access.carrier_ids(run) if u not in (me, but)}
    if not users:
        return
    if doors is None:
        doors = run.stops.count()
    batch = run.batch
    words = {"building": run.place.name, "n": doors, "supplier": batch.supplier.name, "gate": batch.checkpoint.name}
    notify(actor, users, kind="services.run",  # in each reader's language
           title=lambda: ngettext("Delivery run: %(building)s, %(n)d door",
                                  "Delivery run: %(building)s, %(n)d doors", doors) % words,
           body=lambda: _("%(supplier)s's goods from %(gate)s: open the run for its doors in carrying order.") % words,
           url=reverse("services_run", args=[run.id]), place=run.place, key=f"services.run.{run.id}.carry")


def assign_run(actor, run: Run, *, team=None, carrier=None) -> Run:
    """Give a run to a team of its community (or a person): staff and grid workers
    (`access.require_run(manage=True)`). It is taken from the team and the person who had
    it. Told, once each give (`key`), in each reader's language: the new carriers
    (`tell_carriers`), the new team's leader in words of their own (`_tell_leader`: their
    team was given it, from whom, how many doors are left) and the carriers it was taken
    from, who may be on the stairs with it (`_tell_taken`). Given again as it is (a retry, a
    double tap): nothing changes, nobody is told again. `told` on the run returned: how many
    carry it (told, now or at the first give; 0: nobody may go out for it). A finished run (every door confirmed) is
    refused (409): its doors are closed."""
    access.require_run(actor, run, manage=True)
    if team is not None and team.community_id != run.community_id:
        raise Invalid(fields={"team": [_("This team is not of this community.")]})
    if carrier is not None and kept_home_user(carrier):
        raise Invalid(fields={"carrier": [_("%(name)s is kept at home (a sealed or controlled area, or a "
                                            "code not green) and cannot carry a run.") % {
            "name": carrier.display_name or carrier.username}]})
    with transaction.atomic():
        locked = Run.objects.select_for_update().get(pk=run.pk)
        if locked.state != Run.State.OPEN:
            raise Conflict(_("This run is finished: every door is confirmed, so it can no longer be "
                             "given to a team."))
        was = {"team": locked.team_id, "carrier": locked.carrier_id}
        now = {"team": getattr(team, "id", None), "carrier": getattr(carrier, "id", None)}
        run.team, run.carrier = team, carrier
        run.told = len(access.carrier_ids(run) - {getattr(_user(actor), "id", None)})  # who carries it, told
        if was == now:
            return run
        Run.objects.filter(pk=run.pk).update(team=team, carrier=carrier)
        event = record(actor, "services.run.assign", run, {**now, "was": was}, levels_from=run)
        leader = _leader_id(team)
        tell_carriers(actor, run, but=leader)
        if leader is not None:
            _tell_leader(actor, run, leader, was["team"], key=f"services.run.{run.id}.given.{event.id}")
        _tell_taken(actor, run, was, key=f"services.run.{run.id}.taken.{event.id}")
    return run


def _leader_id(team) -> int | None:
    """The account of the team's leader, when their record counts now (as its volunteers'
    do: `access.team_user_ids`, none kept home) — the leader who may open the run."""
    if team is None or team.leader_id is None:
        return None
    uid = team.leader.user_id
    return uid if uid in access.team_user_ids(team.id) else None


def _tell_leader(actor, run: Run, leader: int, was_team: int | None, *, key: str) -> None:
    from django.urls import reverse
    from django.utils.translation import ngettext

    from fangkong.notify.actions import notify
    from fangkong.volunteers.models import Team

    if leader == getattr(_user(actor), "id", None):
        return
    left = run.stops.filter(state=Stop.State.PENDING).count()
    before = Team.objects.filter(pk=was_team).values_list("name", flat=True).first() if was_team else None
    words = {"team": run.team.name, "building": run.place.name, "n": left, "from": before or ""}

    def body():
        if before:
            return ngettext("Taken over from %(from)s, who no longer carry it. %(n)d door is still to deliver: "
                            "open the run for them in carrying order.",
                            "Taken over from %(from)s, who no longer carry it. %(n)d doors are still to deliver: "
                            "open the run for them in carrying order.", left) % words
        return ngettext("%(n)d door is still to deliver: open the run for them in carrying order.",
                        "%(n)d doors are still to deliver: open the run for them in carrying order.", left) % words

    notify(actor, [leader], kind="services.run",
           title=lambda: _("Your team %(team)s was given the delivery run to %(building)s") % words,
           body=body, url=reverse("services_run", args=[run.id]), place=run.place, key=key)


def _tell_taken(actor, run: Run, was: dict, *, key: str) -> None:
    """Who carried the run before (its carrier and team's volunteers, none kept home) and
    does not now: it is no longer theirs, and to whom it went."""
    from fangkong.notify.actions import notify

    me = getattr(_user(actor), "id", None)
    users = access.carriers_of(was["team"], was["carrier"]) - access.carrier_ids(run) - {me}
    if not users:
        return
    words = {"building": run.place.name, "to": run.team.name if run.team_id else (
        (run.carrier.display_name or run.carrier.username) if run.carrier_id else "")}
    notify(actor, users, kind="services.run",
           title=lambda: _("The delivery run to %(building)s is no longer yours") % words,
           body=lambda: (_("It was given to %(to)s: do not carry it. The doors already confirmed stay "
                           "confirmed.") if words["to"] else _("It was taken back: do not carry it. The doors "
                                                              "already confirmed stay confirmed.")) % words,
           place=run.place, key=key)


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


def kept_home_user(user) -> bool:
    """Is this account a volunteer who must stay home (`zones.queries.kept_home`)?"""
    from fangkong.volunteers.models import Volunteer
    from fangkong.zones.queries import kept_home

    return Volunteer.objects.filter(user=user).filter(kept_home()).exists()
