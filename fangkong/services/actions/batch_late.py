"""A delivery late at the gate is said to those who wait for it (walk_family 1: the demo's
美特好超市 batch, due at the gate at 15:30 for 24 sealed households, had not come at 22:10;
the family's page said "已晚点", but no inbox had a word and the grid worker's panel still
read "待到货"):

- `escalate_late_batches` (the worker's pass, with `order_news.escalate_late_orders`): a
  batch still expected `late_after()` (settings.FANGKONG_BATCH_LATE_MINUTES) past its time
  and not said to be at the gate (`arrival.arrived`) is told of (claimed on
  `Batch.late_told_at`, so retries and two workers at once never tell twice): the team on
  duty at the gate, the grid workers and staff of its households (`access.answerer_ids`),
  the supplier's logins (to chase or say when), and each household's family ("社区已知晓，
  到达后会送到门口"). Audited `services.batch.late`. While it stays late and not at the
  gate, the gate team, grid workers and staff (not the families, nor the supplier) are told
  again every `again_every()` (settings.FANGKONG_BATCH_LATE_AGAIN_HOURS) with how long it has
  been late ("已晚点 2 小时 30 分钟"), claimed the same way on the time it was last told
  (`core.once.claim(again_before=…)`). Audited `services.batch.late_again`.
- `door_delivered` (`delivery.confirm_stop`): the family is told its goods are at the door
  (a sealed 82-year-old did not know there was food outside his door).

Whether a batch is late is one rule, `Batch.is_late` (its state words, the panels' badge,
the family's order line); the alarm waits `late_after()` more so a few minutes' delay does
not text every family. The two delays are site-wide settings: services keeps no settings per
community (its request categories' answer times are site-wide too). Messages are rendered in each reader's language (`notify`)."""

import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.once import claim
from fangkong.core.when import short_time

from .. import access
from ..models import Batch, Line, Stop
from ..panels import waited
from .door_helpers import tell_helpers
from .order_news import supplier_users
from .told import family_accounts

LATE_AT_ONCE = 50  # batches told of a pass (the rest on the next)


def late_after() -> datetime.timedelta:
    """Past its time before anyone is texted (settings.FANGKONG_BATCH_LATE_MINUTES, 30)."""
    return datetime.timedelta(minutes=settings.FANGKONG_BATCH_LATE_MINUTES)


def again_every() -> datetime.timedelta | None:
    """Told again this often while it stays late (settings.FANGKONG_BATCH_LATE_AGAIN_HOURS, 2;
    0: never again)."""
    hours = settings.FANGKONG_BATCH_LATE_AGAIN_HOURS
    return datetime.timedelta(hours=hours) if hours > 0 else None


def _handlers(household_ids) -> set[int]:
    """The grid workers and staff of these households (`access.answerers_of`, the rule of
    whom a household's requests tell, in one query)."""
    from fangkong.registry.models import Household

    return access.answerers_of(Household.objects.filter(pk__in=household_ids)
                               .values_list("grid_id", "community_id"), staff=True)


def escalate_late_batches(now=None) -> int:
    """(the worker's pass) Batches `late_after()` past their time, still expected and not at
    the gate: an audit event and the messages, once a batch; then told again to those who
    chase it every `again_every()` while it stays so (`_again`). Returns how many batches
    were told of, first or again."""
    from fangkong.core.actor import Actor
    from fangkong.notify.actions import notify

    now = now or timezone.now()
    system = Actor.system(via="task")
    qs = (Batch.objects.filter(state=Batch.State.EXPECTED, arrived_at=None, due_at__lt=now - late_after())
          .select_related("supplier", "checkpoint"))
    again = _again(system, qs, now)
    with transaction.atomic():
        late = claim(qs, "late_told_at", now, order=("due_at", "id"), limit=LATE_AT_ONCE)
        for b in late:
            homes = sorted(set(Line.objects.filter(batch=b).values_list("household_id", flat=True)))
            record(system, "services.batch.late", b, {"due_at": b.due_at.isoformat(), "households": len(homes)},
                   levels_from=b)
            words = {"supplier": b.supplier.name, "gate": b.checkpoint.name, "n": len(homes)}
            due = b.due_at

            def title(words=words, due=due):
                return _("Late: %(supplier)s was due at %(gate)s at %(due)s and has not come") % dict(
                    words, due=short_time(due))

            def body(words=words):
                return ngettext("Goods for %(n)d household. Call the supplier for the time it will come, and "
                                "tell the gate team.",
                                "Goods for %(n)d households. Call the supplier for the time it will come, and "
                                "tell the gate team.", words["n"]) % words

            sup = supplier_users(b.supplier)
            if sup:
                notify(system, sup, kind="services.handoff", title=title,
                       body=lambda words=words: ngettext(
                           "Goods for %(n)d household are waited for at the gate. Say when they will come: call "
                           "the community.",
                           "Goods for %(n)d households are waited for at the gate. Say when they will come: call "
                           "the community.", words["n"]) % words,
                       url=reverse("supplier_home"), place=b.checkpoint, key=f"services.batch.{b.id}.late")
            gate = (set(access.team_user_ids(b.team_id)) | _handlers(homes)) - sup
            if gate:
                notify(system, gate, kind="services.handoff", title=title, body=body,
                       url=reverse("services_batch", args=[b.id]), place=b.checkpoint,
                       key=f"services.batch.{b.id}.late")
            _tell_families(system, b, homes)
    return len(late) + again


def _again(system, qs, now) -> int:
    """The batches of `qs` told of at least `again_every()` ago, still late and not at the
    gate: the gate team, grid workers and staff told again how long it has been late (the
    families were told it is late and that it comes to the door: not again each time).
    Claimed on `late_told_at` (a pass run twice at once tells once). How many."""
    from fangkong.notify.actions import notify

    every = again_every()
    if every is None:
        return 0
    with transaction.atomic():
        late = claim(qs, "late_told_at", now, order=("due_at", "id"), limit=LATE_AT_ONCE, again_before=now - every)
        for b in late:
            homes = sorted(set(Line.objects.filter(batch=b).values_list("household_id", flat=True)))
            record(system, "services.batch.late_again", b, {"due_at": b.due_at.isoformat(), "households": len(homes),
                                                            "late_minutes": int((now - b.due_at).total_seconds() // 60)},
                   levels_from=b)
            words = {"supplier": b.supplier.name, "gate": b.checkpoint.name, "n": len(homes)}
            due = b.due_at

            def title(words=words, due=due):
                return _("Still late: %(supplier)s, due at %(gate)s at %(due)s, late by %(late)s") % dict(
                    words, due=short_time(due), late=waited(due, now))

            def body(words=words):
                return ngettext("Goods for %(n)d household, still not at the gate. Call the supplier again for the "
                                "time it will come, and tell the gate team.",
                                "Goods for %(n)d households, still not at the gate. Call the supplier again for "
                                "the time it will come, and tell the gate team.", words["n"]) % words

            gate = (set(access.team_user_ids(b.team_id)) | _handlers(homes)) - supplier_users(b.supplier)
            if gate:
                notify(system, gate, kind="services.handoff", title=title, body=body,
                       url=reverse("services_batch", args=[b.id]), place=b.checkpoint,
                       key=f"services.batch.{b.id}.late.{int(now.timestamp())}")
    return len(late)


def _tell_families(actor, batch: Batch, household_ids) -> None:
    """Each household's family: late, the community knows, it comes to the door."""
    from fangkong.notify.actions import notify
    from fangkong.registry.models import Household

    words = {"supplier": batch.supplier.name}
    due = batch.due_at
    for h in Household.objects.filter(pk__in=household_ids).select_related("place"):
        users = family_accounts(h.id)
        if not users:
            continue
        notify(actor, users, kind="services.order",
               title=lambda: _("Your order from %(supplier)s is late") % words,
               body=lambda: _("It was due at the gate at %(due)s and has not come yet. The community knows and "
                              "is asking the supplier; once it comes it is brought to your door.") % dict(
                   words, due=short_time(due)),
               url=reverse("services_household", args=[h.id]) + "#orders", place=h.place,
               key=f"services.batch.{batch.id}.late.{h.id}")


def door_delivered(actor, stop: Stop, supplier_name: str) -> int:
    """A door confirmed delivered: the family is told its goods are outside its door, once."""
    from fangkong.notify.actions import notify
    from fangkong.registry.models import Household

    tell_helpers(actor, stop, supplier_name)  # nobody at home can read it: who ordered, the grid worker
    users = family_accounts(stop.household_id)
    if not users:
        return 0
    h = Household.objects.select_related("place").get(pk=stop.household_id)
    words = {"supplier": supplier_name}
    return notify(actor, users, kind="services.order",
                  title=lambda: _("Your order from %(supplier)s is at your door") % words,
                  body=lambda: _("Take it in soon. If something is missing or damaged, report it under your "
                                 "orders."),
                  url=reverse("services_household", args=[h.id]) + "#orders", place=h.place,
                  key=f"services.stop.{stop.id}.delivered")
