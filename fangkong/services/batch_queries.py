"""Reads for making a hand-off batch (never writes): which orders a new batch of a supplier
takes (`waiting_orders`: the one rule, used by `actions.handoff.create_batch`, the
supplier's page and the new-batch page), their figures (orders, medicine, households,
manifest lines), the suppliers and named gates a user may make a batch for, the time a
batch is due by default (the daily hand-off, `FANGKONG_HANDOFF_TIME`, 15:30), and the
batches signed at the gate that wait to be split into runs (`to_split`)."""

import datetime

from django.conf import settings
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.core.text import join_words
from fangkong.core.when import short_time
from fangkong.registry.models import LEVELS, Household, Kind, Place

from . import access
from .models import Batch, Line, Order, OrderLine, Supplier
from .queries import batches, door_labels


def waiting_orders(supplier: Supplier):
    """Placed orders of the supplier's community not yet in a batch, medicine first (by
    deadline), then as placed: what a new batch of this supplier takes."""
    return Order.objects.filter(supplier=supplier, state=Order.State.PLACED, batch=None,
                                community_id=supplier.community_id) \
        .order_by("-is_medicine", "deadline", "placed_at", "id")


def typed_is_line(typed: str, names) -> bool:
    """Is an order's typed medicine a line of its own, or the name and dose of one of its
    catalogue items (`names`: "硝苯地平缓释片" in "硝苯地平缓释片 10mg")?"""
    return not any(n and n in typed for n in names)


def order_note(order, names) -> tuple[str, str]:
    """(the note each of an order's manifest lines carries, its typed medicine when a line of
    its own — else ""): the order's note ("冷藏"), after a typed medicine that names one of
    its catalogue items (`names`: "硝苯地平缓释片 10mg；放门口"). A batch's lines
    (`handoff.manifest_lines`) and the supplier's manifest file read back
    (`actions.manifest`) alike: the household's words are the order's, never the file's."""
    note, typed = (order.note or "").strip(), (order.medicine or "").strip()
    if typed and typed_is_line(typed, names):
        return note[:200], typed[:200]
    if typed:
        note = f"{typed}；{note}" if note else typed
    return note[:200], ""


def waiting_figures(supplier: Supplier) -> dict:
    """{orders, households, medicine, lines (the manifest lines a batch would get), items
    (their quantities added up), first
    (the earliest medicine deadline)}."""
    qs = waiting_orders(supplier).order_by()
    out = qs.aggregate(orders=Count("id"), households=Count("household_id", distinct=True),
                       medicine=Count("id", filter=Q(is_medicine=True)), first=Min("deadline"))
    got = OrderLine.objects.filter(order__in=qs.values("id")).aggregate(lines=Count("id"), items=Sum("quantity"))
    out["lines"], out["items"] = got["lines"], got["items"] or 0  # "8 项" were 15 items to count
    names = {}
    for oid, name in OrderLine.objects.filter(order__in=qs.exclude(medicine="").values("id")).values_list(
            "order_id", "name"):
        names.setdefault(oid, []).append(name)
    # a typed medicine is a line of its own unless it names one of the order's items (`handoff.manifest_lines`)
    typed = sum(1 for oid, text in qs.exclude(medicine="").values_list("id", "medicine")
                if typed_is_line(text.strip(), names.get(oid, [])))
    out["lines"] += typed
    out["items"] += typed
    return out


def late_orders(supplier: Supplier, due_at, *, orders=None, limit=20) -> list[Order]:
    """The waiting orders (or the `orders` named) a batch at `due_at` brings after they are
    needed (need-by before `due_at`), earliest first, each with .late (a timedelta): found on
    the services evening, a medicine needed by 08:05 went in a 15:30 batch and nobody said so."""
    qs = waiting_orders(supplier).filter(deadline__lt=due_at)
    if orders is not None:
        qs = qs.filter(id__in=[int(o) for o in orders])
    rows = list(qs.order_by("deadline", "id")[:limit])
    for o in rows:
        o.late = due_at - o.deadline
    return rows


def late_words(order: Order, due_at) -> str:
    """"药品订单 #25 需在 08:05 前送到，此批 15:30 到，晚 7 小时" (the day too when the two differ)."""
    need, due = timezone.localtime(order.deadline), timezone.localtime(due_at)
    same_day = need.date() == due.date()
    minutes = int(order.late.total_seconds() // 60)
    late = (ngettext("%(n)d hour", "%(n)d hours", round(minutes / 60)) % {"n": round(minutes / 60)}
            if minutes >= 60 else ngettext("%(n)d minute", "%(n)d minutes", max(minutes, 1)) % {"n": max(minutes, 1)})
    words = (_("Medicine order #%(id)d must reach the door by %(need)s; this batch arrives at %(due)s, %(late)s late.")
             if order.is_medicine else
             _("Order #%(id)d must reach the door by %(need)s; this batch arrives at %(due)s, %(late)s late."))
    return words % {"id": order.id, "need": f"{need:%H:%M}" if same_day else short_time(need),
                    "due": f"{due:%H:%M}" if same_day else short_time(due), "late": late}


def waiting_list(supplier: Supplier, *, limit=60) -> list[Order]:
    """The first waiting orders, medicine first, each with .label (its door) and .lines_n (its
    manifest lines: a typed medicine that names none of its items is one, as in
    `waiting_figures` — the new-batch page said "0 项" of a typed medicine)."""
    rows = list(waiting_orders(supplier).select_related("household").annotate(lines_n=Count("lines"))[:limit])
    labels = door_labels({o.household_id: o.household for o in rows}.values())
    names = {}
    typed = {o.id for o in rows if (o.medicine or "").strip()}
    for oid, name in OrderLine.objects.filter(order_id__in=typed).values_list("order_id", "name") if typed else ():
        names.setdefault(oid, []).append(name)
    for o in rows:
        o.label = labels.get(o.household_id, "")
        if o.id in typed and typed_is_line(o.medicine.strip(), names.get(o.id, [])):
            o.lines_n += 1
    return rows


def batch_suppliers(scope, place: Place) -> list[Supplier]:
    """Active suppliers serving the place (its communities for a street or district), each
    with .waiting (orders waiting for a batch), most waiting first — for a user who may run
    services there."""
    if not scope.allows(access.RUN, place):
        return []
    qs = Supplier.objects.filter(is_active=True)
    if place.kind in LEVELS and place.kind in ("district", "street", "community"):
        qs = qs.filter(**{f"{place.kind}_id": place.id})
    else:
        qs = qs.filter(community_id=place.community_id)
    return list(qs.annotate(waiting=Count("orders", filter=Q(orders__state=Order.State.PLACED,
                                                            orders__batch=None))).order_by("-waiting", "name"))


def gates(scope, supplier: Supplier) -> list[Place]:
    """The named checkpoints of the supplier's community where the user may run a hand-off."""
    qs = Place.objects.filter(kind=Kind.CHECKPOINT, community_id=supplier.community_id).order_by("sort_key", "id")
    return [g for g in qs[:100] if scope.allows(access.RUN, g)]


def last_batch(supplier: Supplier) -> Batch | None:
    """The supplier's latest batch: its gate and team are the new one's defaults."""
    return Batch.objects.filter(supplier=supplier).order_by("-due_at", "-id").first()


def default_due(now=None) -> datetime.datetime:
    """Today's hand-off time (FANGKONG_HANDOFF_TIME, local), or tomorrow's once today's
    evening has come (after 20:00)."""
    now = timezone.localtime(now)
    h, m = (int(x) for x in settings.FANGKONG_HANDOFF_TIME.split(":"))
    day = now.date() + datetime.timedelta(days=1 if now.hour >= 20 else 0)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(h, m)))


def split_preview(batch: Batch) -> dict:
    """What splitting a batch into runs makes (`handoff.split`): a stop a door, a run a
    building — for the question asked before it."""
    doors = set(Line.objects.filter(batch=batch).values_list("household_id", flat=True))
    buildings = {b or p for b, p in Household.objects.filter(id__in=doors).values_list("building_id", "place_id")}
    return {"doors": len(doors), "runs": len(buildings)}


def to_split(scope, *, place=None):
    """Batches signed at the checkpoint and not yet split into runs (`handoff.split`) that
    the user sees (under `place`), the longest waiting first (signed earliest), each with
    .households_n (the doors waiting for it): the staff's home ("N 批物资待分配", with how
    long each has waited since `checked_at`) and `GET /api/v1/services/batches?to_split=true`."""
    return batches(scope, place=place).filter(state=Batch.State.SIGNED).annotate(
        households_n=Count("lines__household", distinct=True)).order_by("checked_at", "id")


def left_out(batch) -> list[int]:
    """The orders the batch's manifest files left out (back to waiting for the next batch,
    `actions.manifest`) and still waiting: kept in the imports' audit events."""
    from fangkong.audit.models import AuditEvent

    ids = {i for ev in AuditEvent.objects.filter(action="services.manifest.import", target_type="batch",
                                                 target_id=batch.id).values_list("changes", flat=True)[:50]
           for i in ((ev or {}).get("released_orders") or []) if isinstance(i, int)}
    return list(Order.objects.filter(id__in=ids, batch=None, state=Order.State.PLACED).order_by("id")
                .values_list("id", flat=True))


def left_out_words(order_ids) -> str:
    """"1 单（1号楼1单元301）不在清单中，已退回待下批"; "" for none."""
    if not order_ids:
        return ""
    hh = {o.household_id: o.household for o in Order.objects.filter(id__in=order_ids).select_related(
        "household", "household__place")}
    labels = door_labels(hh.values())
    doors = join_words([labels.get(h, "") for h in sorted(hh)])
    n = len(order_ids)
    return ngettext("%(n)d order (%(doors)s) is not in the manifest: back to waiting for the next batch.",
                    "%(n)d orders (%(doors)s) are not in the manifest: back to waiting for the next batch.",
                    n) % {"n": n, "doors": doors}


def nothing_came(batch) -> list[str]:
    """The doors of a batch of which nothing came through the gate (every line checked, short
    to 0 or damaged): no stop is made for them (`handoff.split`); the household must be told."""
    lines = Line.objects.filter(batch=batch)
    came = set(lines.filter(received__gt=0).values_list("household_id", flat=True))
    pending = set(lines.filter(outcome=Line.Check.PENDING).values_list("household_id", flat=True))
    empty = set(lines.values_list("household_id", flat=True)) - came - pending
    labels = door_labels(Household.objects.filter(id__in=empty).select_related("place"))
    return sorted(labels.values())
