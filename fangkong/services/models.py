"""Life in a sealed area: suppliers and their catalogues, orders, the checkpoint hand-off
(batch, manifest lines checked, both signatures), delivery runs with one stop per door,
exceptions back to staff; requests (诉求) with categories and deadlines; pets and their
feeding; morning check-ins; disinfection. Every row that belongs to a household or a place
copies its level columns, so the usual scope filters apply."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, pgettext_lazy

from fangkong.core.said import define, say
from fangkong.core.when import short_time
from fangkong.registry.models import Levels


class Supplier(Levels):
    """A supermarket, a pharmacy or the government package, serving one community (its
    levels). Its logins (role SUPPLIER) are listed in `users`."""

    class Kind(models.TextChoices):
        SUPERMARKET = "supermarket", _("Supermarket")
        PHARMACY = "pharmacy", _("Pharmacy")
        GOVERNMENT = "government", _("Government supply package")

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SUPERMARKET)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    users = models.ManyToManyField("accounts.User", related_name="suppliers", blank=True)
    is_active = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class Item(models.Model):
    """One line of a supplier's catalogue: a package (蔬菜包) or a single item, or a medicine."""

    class Kind(models.TextChoices):
        PACKAGE = "package", _("Package")
        ITEM = "item", _("Item")
        MEDICINE = "medicine", _("Medicine")

    supplier = models.ForeignKey(Supplier, models.CASCADE, related_name="items")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ITEM)
    unit = models.CharField(_("unit"), max_length=20, default="份")
    price = models.DecimalField(_("price"), max_digits=9, decimal_places=2)
    contents = models.CharField(_("contents"), max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["supplier_id", "kind", "name"]

    def __str__(self):
        return self.name


class GroupOrder(Levels):
    """社区集单: one building's orders collected by its leader, delivered in one batch."""

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")  # the building
    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="group_orders")
    title = models.CharField(_("title"), max_length=80)
    closes_at = models.DateTimeField(_("closes at"))
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)


class Payer(models.TextChoices):
    """Who pays for a medicine order (付款方式): the family at the door, already paid online,
    the community paying first, medical insurance or another way."""
    AT_DOOR = "at_door", _("The household pays on delivery")
    ONLINE = "online", _("Paid online already")
    COMMUNITY = "community", _("The community pays first")
    INSURANCE = "insurance", _("Medical insurance or other")


class Order(Levels):
    class State(models.TextChoices):
        PLACED = "placed", _("Placed")
        IN_BATCH = "in_batch", _("On its way")
        OUT = "out", _("Out for delivery")
        DELIVERED = "delivered", _("Delivered")
        PROBLEM = "problem", _("Problem")
        CANCELLED = "cancelled", _("Cancelled")

    class Why(models.TextChoices):  # why an order was cancelled (said to the household)
        BY_HAND = "by_hand", _("Cancelled")
        GROUP_CHANGED = "group_changed", _("The building's group order was changed: the new order replaces it")
        GROUP_EMPTIED = "group_emptied", _("Taken out of the building's group order")
        # its door was not delivered and staff closed the exception without delivering it
        # (`delivery.resolve_problem`): not coming, nothing owed
        NOT_DELIVERED = "not_delivered", _("Not delivered to the door: not charged")
        # taken out of its batch before the supplier handed it over (`orders.cancel_order`)
        OUT_OF_BATCH = "out_of_batch", _("Taken out of its delivery before the supplier came")

    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="orders")
    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="orders")
    group = models.ForeignKey(GroupOrder, models.PROTECT, null=True, blank=True, related_name="orders")
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PLACED)
    is_medicine = models.BooleanField(_("medicine"), default=False)
    medicine = models.CharField(_("medicine"), max_length=200, blank=True)
    prescription = models.FileField(_("prescription photo"), upload_to="prescriptions/%Y/%m/", blank=True)
    # who pays for a medicine order, chosen when ordering: said to the pharmacy (batch page,
    # manifest and its file) and to the volunteer at the door (run page, request page)
    payer = models.CharField(_("who pays"), max_length=12, choices=Payer.choices, blank=True)
    deadline = models.DateTimeField(_("needed by"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=0)
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    placed_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    placed_at = models.DateTimeField(default=timezone.now)
    batch = models.ForeignKey("Batch", models.SET_NULL, null=True, blank=True, related_name="orders")
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_why = models.CharField(_("why cancelled"), max_length=20, choices=Why.choices, blank=True)
    # its "needed by" passed while not yet delivered: told once (`orders.escalate_late_orders`)
    late_told_at = models.DateTimeField(null=True, blank=True)
    # 补送: a follow-up making good what an order's door did not get (`actions.redelivery`): the
    # order it makes good, and the gate's exception or the family's report (物资问题) it answers;
    # once an exception and order, once a report (the constraints below)
    redelivers = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="redeliveries",
                                   verbose_name=_("re-delivers"))
    redelivery_problem = models.ForeignKey("Problem", models.SET_NULL, null=True, blank=True, related_name="+")
    redelivery_request = models.ForeignKey("Request", models.SET_NULL, null=True, blank=True, related_name="+")

    @property
    def progress(self) -> tuple:
        """Where it is, in words that say what is true (found walking a sealed family's day:
        "On its way / 配送中" while its delivery was only expected at the gate at 15:30, a
        time the family never saw): (code, words in the active language, when its delivery
        is due at the gate or None) — the one wording for the household's page, a request's
        page, the staff's household card and the API (`progress`, `progress_text`,
        `expected_at`). Codes: at_supplier, expected, at_gate, checked, to_door, delivered,
        problem, cancelled; "expected" past its time says it is late (a family could not tell
        late from on time at 15:38 under "预计 15:30 到达卡口"). Reads `batch` (select it with
        the order)."""
        from django.utils.translation import gettext

        s = self.state
        if s == self.State.PLACED:
            return "at_supplier", gettext("Waiting at the supplier: no delivery time yet"), None
        if s == self.State.IN_BATCH and self.batch_id:
            b = self.batch
            if b.state == Batch.State.EXPECTED and b.arrived_at:  # said to be at the gate (`arrival`)
                return "at_gate", gettext("At the gate, waiting to be checked"), b.due_at
            if b.state == Batch.State.EXPECTED:
                if b.is_late:  # the promised time has passed
                    return "expected", gettext("Late: expected at the gate %(when)s, not there yet") % {
                        "when": short_time(b.due_at)}, b.due_at
                return "expected", gettext("Expected at the gate %(when)s") % {"when": short_time(b.due_at)}, b.due_at
            if b.state == Batch.State.CHECKING:
                return "at_gate", gettext("At the gate, being checked"), b.due_at
            return "checked", gettext("Checked at the gate, waiting to be carried to the door"), b.due_at
        if s in (self.State.IN_BATCH, self.State.OUT):
            return "to_door", gettext("On its way to the door"), None
        if s == self.State.DELIVERED:
            return "delivered", gettext("Delivered to the door"), None
        if s == self.State.PROBLEM:
            return "problem", gettext("Not delivered: the community staff are dealing with it"), None
        return "cancelled", gettext("Cancelled"), None

    @property
    def goods_text(self) -> str:
        """What it brings in a few words: its lines ("大米 5kg × 1、…") and its typed medicine."""
        from fangkong.core.text import join_words

        return join_words([f"{ln.name} × {ln.quantity}" for ln in self.lines.all()]
                          + ([self.medicine] if self.medicine else []))

    def cancel_refused(self) -> str:
        """"" while the order may be cancelled (`orders.cancel_order`): placed, or in a batch
        not yet at the checkpoint (neither said to have arrived nor being checked); else why
        not, in the reader's words (the household's page says it beside the order)."""
        from django.utils.translation import gettext

        if self.state in (self.State.PLACED, self.State.CANCELLED):
            return ""
        if self.state == self.State.IN_BATCH and self.batch_id and self.batch.state == Batch.State.EXPECTED \
                and not self.batch.arrived_at:
            return ""
        if self.state == self.State.IN_BATCH and self.batch_id and self.batch.state == Batch.State.CHECKING \
                or self.state == self.State.IN_BATCH and self.batch_id and self.batch.arrived_at:
            # the goods are on the gate's table, being counted (walk_family 2: a family's
            # cancel then took its lines out of a counted batch and nobody was told)
            return gettext("The goods are at the checkpoint already: it can no longer be cancelled. Refuse "
                           "them at the door, or call the community.")
        if self.state in (self.State.IN_BATCH, self.State.OUT):
            return gettext("The supplier has handed it over at the checkpoint: it can no longer be cancelled; "
                           "it is on its way to the door.")
        if self.state == self.State.PROBLEM:
            return gettext("It could not be delivered: the community staff are dealing with it.")
        return gettext("It was delivered: it can no longer be cancelled.")

    class Meta:
        ordering = ["-is_medicine", "deadline", "placed_at", "id"]
        indexes = [models.Index(fields=["supplier", "state"], name="svc_order_sup_idx"),
                   models.Index(fields=["household", "placed_at"], name="svc_order_hh_idx"),
                   models.Index(fields=["community", "state"], name="svc_order_comm_idx")]
        constraints = [models.UniqueConstraint(fields=["redelivery_problem", "redelivers"],
                                               name="svc_redeliver_problem_once"),
                       models.UniqueConstraint(fields=["redelivery_request"], name="svc_redeliver_request_once")]


class OrderLine(models.Model):
    order = models.ForeignKey(Order, models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, models.PROTECT, null=True, blank=True, related_name="+")
    name = models.CharField(_("name"), max_length=80)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    price = models.DecimalField(_("price"), max_digits=9, decimal_places=2)

    def __str__(self):
        return f"{self.name} × {self.quantity}"


class Batch(Levels):
    """A supplier's delivery at a checkpoint at a set time, with its manifest per household."""

    class State(models.TextChoices):
        EXPECTED = "expected", _("Expected")
        CHECKING = "checking", _("Being checked")
        SIGNED = "signed", _("Signed by both sides")
        SPLIT = "split", _("Runs assigned by building")
        # every door confirmed, delivered or not: how many were not is counted
        # (delivery_queries.outcome), never said by this label
        DONE = "done", _("Carried to the doors")

    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="batches")
    checkpoint = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    team = models.ForeignKey("volunteers.Team", models.SET_NULL, null=True, blank=True, related_name="+",
                             verbose_name=_("team on duty at the checkpoint"))
    due_at = models.DateTimeField(_("arrives at"))
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.EXPECTED)
    supplier_signed_by = models.CharField(_("supplier's signature"), max_length=50, blank=True)
    supplier_signed_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+")
    checked_at = models.DateTimeField(null=True, blank=True)
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # "已到达卡口": the supplier (or the gate's team) said the goods are at the gate
    # (`arrival.arrived`), before anyone starts checking: its time beside `due_at`
    arrived_at = models.DateTimeField(_("arrived at the checkpoint"), null=True, blank=True)
    arrived_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    # past its time and not at the gate: the gate team, grid workers, supplier and families
    # told once (`batch_late.escalate_late_batches`)
    late_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-due_at", "id"]

    @property
    def is_late(self) -> bool:
        """Still expected, not said to be at the gate, and its time has passed: the one rule
        for its state words, the panels' badge and the family's order line."""
        return self.state == self.State.EXPECTED and not self.arrived_at and self.due_at < timezone.now()

    def __str__(self):  # the audit log's label: "美特好超市（光明店） 12-06 15:00"
        return f"{self.supplier.name} {timezone.localtime(self.due_at):%m-%d %H:%M}"

    def get_state_display(self) -> str:
        """The state in words, as both sides' batch pages, the team's home and the API
        (`state_text`) say it: an expected batch said to be at the gate (`arrival.arrived`)
        reads "At the checkpoint since 15:32" (found on a lockdown day: the gate team read
        "待到货" until it began checking)."""
        from django.utils.translation import gettext

        if self.state == self.State.EXPECTED and self.arrived_at:
            return gettext("At the checkpoint since %(when)s") % {"when": short_time(self.arrived_at)}
        if self.is_late:
            return gettext("Late: expected %(when)s, not at the checkpoint yet") % {"when": short_time(self.due_at)}
        return str(self.State(self.state).label) if self.state in self.State.values else self.state

    state_text = property(get_state_display)


class Line(models.Model):
    """One manifest line: an order line as it came through the checkpoint."""

    class Check(models.TextChoices):
        PENDING = "pending", _("Not checked")
        RECEIVED = "received", _("Received")
        SHORT = "short", _("Short")
        DAMAGED = "damaged", _("Damaged")
        SUBSTITUTED = "substituted", _("Substituted")

    batch = models.ForeignKey(Batch, models.CASCADE, related_name="lines")
    order = models.ForeignKey(Order, models.PROTECT, related_name="manifest_lines")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    # an order line's item, or the order's typed medicine ("胰岛素 诺和锐 3盒（冷藏）", up to 200)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"))
    price = models.DecimalField(max_digits=9, decimal_places=2)
    # the order's own note ("冷藏"), on each of its lines: said at the gate, on the manifest and the run
    order_note = models.CharField(_("order note"), max_length=200, blank=True, default="")
    outcome = models.CharField(_("check"), max_length=20, choices=Check.choices, default=Check.PENDING)
    received = models.PositiveIntegerField(_("received"), null=True, blank=True)
    substitute = models.CharField(_("substituted by"), max_length=80, blank=True)
    # what the substitute costs (asked at the gate, else the manifest's or the catalogue's
    # price of that item); none known: 价格待定, charged nothing until it is (`charged_price`)
    substitute_price = models.DecimalField(_("substitute's price"), max_digits=9, decimal_places=2,
                                           null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["batch_id", "id"]

    def __str__(self):
        return f"{self.name} × {self.quantity}"

    @property
    def charged_price(self):
        """Each one's price as owed (`queries.CHARGED`): a substitute's own, None while not known."""
        return self.substitute_price if self.outcome == self.Check.SUBSTITUTED else self.price

    @property
    def price_pending(self) -> bool:
        return self.outcome == self.Check.SUBSTITUTED and self.substitute_price is None


class Run(Levels):
    """One building's part of a batch, carried by a team (or a person), door by door."""

    class State(models.TextChoices):
        OPEN = "open", _("To carry")
        DONE = "done", _("Carried to the doors")  # every door confirmed (delivery_queries.outcome)

    batch = models.ForeignKey(Batch, models.CASCADE, related_name="runs")
    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")  # the building
    team = models.ForeignKey("volunteers.Team", models.SET_NULL, null=True, blank=True, related_name="+")
    carrier = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)

    class Meta:
        ordering = ["batch_id", "id"]


class Stop(Levels):
    """One door of a run: confirmed once (retries with the same client id answer the same)."""

    class State(models.TextChoices):
        PENDING = "pending", _("To deliver")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Not delivered")

    class Why(models.TextChoices):  # why a door was not delivered, as the carrier chose it
        NO_ANSWER = "no_answer", pgettext_lazy("door not delivered", "Nobody answered")
        REFUSED = "refused", pgettext_lazy("door not delivered", "Refused")
        WRONG_ADDRESS = "wrong_address", pgettext_lazy("door not delivered", "Wrong address")
        OTHER = "other", pgettext_lazy("door not delivered", "Other")

    run = models.ForeignKey(Run, models.CASCADE, related_name="stops")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    position = models.PositiveIntegerField()
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # blank: not said (a phone's queue from before the choice): taken as nobody answering
    why = models.CharField(_("why not delivered"), max_length=20, choices=Why.choices, blank=True)
    photo = models.FileField(upload_to="doors/%Y/%m/", blank=True)
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    confirmed_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run_id", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "household"], name="svc_stop_once")]


def visit_client_id(stop_id):
    """The client id of the visit a door nobody answered raised (`delivery._visit`): once a
    door, and how its exception finds it (`delivery.resolve_problem`, the place page)."""
    import uuid

    return uuid.uuid5(uuid.NAMESPACE_URL, f"fangkong:services.stop.{stop_id}.visit")


class Problem(Levels):
    """An exception back to staff: a short or damaged line, a door not delivered."""

    class Kind(models.TextChoices):
        SHORT = "short", _("Short")
        DAMAGED = "damaged", _("Damaged")
        SUBSTITUTED = "substituted", _("Substituted")
        NOT_DELIVERED = "not_delivered", _("Not delivered")

    batch = models.ForeignKey(Batch, models.CASCADE, related_name="problems")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    line = models.ForeignKey(Line, models.CASCADE, null=True, blank=True, related_name="+")
    stop = models.ForeignKey(Stop, models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text = models.CharField(_("what happened"), max_length=300)
    resolution = models.CharField(_("resolution"), max_length=300, blank=True)
    resolved_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def message(self) -> str:
        """What happened, in the reader's language where it is made of facts (a line's check
        at the checkpoint); the stored text otherwise (a reason typed at the door)."""
        if self.line_id is None or self.kind == self.Kind.NOT_DELIVERED:
            return self.text
        return line_problem(self.kind, self.line)

    def summary(self) -> str:
        """What happened as one phrase: a line's check already names its kind ("蔬菜包（8种）：
        破损"), a door not delivered says so before its reason ("未送达：敲门无人应答") — not
        the kind again before the line's words ("破损: 蔬菜包（8种）：破损", found on a phone)."""
        from django.utils.translation import gettext

        if self.kind == self.Kind.NOT_DELIVERED:
            return gettext("Not delivered: %(reason)s") % {"reason": self.text}
        return self.message()


# --- requests (诉求) --------------------------------------------------------------------

class Category(models.Model):
    code = models.CharField(max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50)
    priority = models.PositiveSmallIntegerField(_("priority"), default=3)  # 1 first
    response_minutes = models.PositiveIntegerField(_("response time (minutes)"), default=240)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        """The name in the user's language (the default categories' names are msgids)."""
        from django.utils.translation import gettext

        return gettext(self.name)


# a door nobody answered at a delivery, for someone watched over (`delivery._visit`)
DOOR_NO_ANSWER = define("services.visit.door_no_answer", gettext_noop(
    "Nobody answered the door at delivery (%(reason)s): go and see %(name)s at the door."))


class Request(Levels):
    class State(models.TextChoices):
        NEW = "new", _("New")
        TAKEN = "taken", _("Taken")
        DONE = "done", _("Done")
        CONFIRMED = "confirmed", _("Confirmed")
        CANCELLED = "cancelled", _("Cancelled")

    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="service_requests")
    category = models.ForeignKey(Category, models.PROTECT, related_name="+")
    text = models.CharField(_("what is needed"), max_length=500)
    # a request the system raised (a door nobody answered: `care.no_answer_visit`), kept as
    # `core.said` {"code", "params"} to say it in the reader's language; `text` its fallback
    said = models.JSONField(default=dict, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"))
    # the household's weight when raised or last triaged, kept for its history; the queue and the
    # API weigh its people's tags again as they read it (`marks.household_weight`)
    vulnerable = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.NEW)
    due_at = models.DateTimeField(_("answer by"))
    overdue = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    team = models.ForeignKey("volunteers.Team", models.SET_NULL, null=True, blank=True, related_name="+")
    raised_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    taken_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(_("what was done"), max_length=300, blank=True)
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    # the household said it was not resolved after it was marked done (`requests.reopen`)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_reason = models.CharField(_("not resolved because"), max_length=200, blank=True)
    # asked by a neighbour of the same building for this household (`requests.raise_for_neighbour`)
    asked_from = models.ForeignKey("registry.Household", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("asked by a neighbour at"))
    # who gave it to the person or team that has it (`requests.assign`): told when it is done
    given_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    # who confirmed it, and — for someone confirming on the household's behalf — how the
    # household said so (`requests.confirm`: "电话确认")
    confirmed_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    confirmed_how = models.CharField(_("how the household said so"), max_length=10, blank=True,
                                     choices=[("phone", _("By phone")), ("door", _("At the door")),
                                              ("family", _("Told by the family"))])
    # a home-sampling request (上门采样): who of the household is to be sampled at home, chosen
    # by the asker or by default (`home_sampling.chosen`); screening lists them (`registry.signals`)
    people = models.ManyToManyField("registry.Resident", blank=True, related_name="+",
                                    verbose_name=_("to sample at home"))
    # "这单有问题": the family's order it is about (`order_problem.report`), and which line of it
    # (a manifest line, as the gate checked it) and what was wrong; resolving the gate's
    # exception for that door and line closes it with the same words (`delivery.resolve_problem`)
    order = models.ForeignKey(Order, models.SET_NULL, null=True, blank=True, related_name="+",
                              verbose_name=_("order"))
    order_line = models.ForeignKey("Line", models.SET_NULL, null=True, blank=True, related_name="+",
                                   verbose_name=_("order line"))
    # a need for medicine said on a morning call while the household's medicine order was
    # still coming (`care.record_check_in`): the request follows that order, never a second
    # purchase; whoever works on it reads the order's medicine, pharmacy, payer and prescription
    for_order = models.ForeignKey(Order, models.SET_NULL, null=True, blank=True, related_name="+",
                                  verbose_name=_("follows the order"))
    order_what = models.CharField(_("what was wrong"), max_length=12, blank=True,
                                  choices=[("short", _("Short: not all of it came")),
                                           ("damaged", pgettext_lazy("goods", "Damaged")),
                                           ("wrong", _("Wrong goods")),
                                           ("missing", _("Not received at all"))])

    # withdrawn by its own family (or the neighbour who asked it) before it was done, "no
    # longer needed" (`requests.withdraw`): cancelled, whoever had it told, and why
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    withdraw_reason = models.CharField(_("withdrawn because"), max_length=200, blank=True)

    OPEN = (State.NEW, State.TAKEN)

    @property
    def message(self) -> str:
        """What is needed, in the reader's language when the system said it (`said`: an
        order's report is said by `order_words.message`); the text typed otherwise."""
        if self.said.get("code") == "services.order.problem":  # order_words.ORDER_PROBLEM
            from .order_words import message, whats_of

            return message(self.said.get("params") or {}, whats_of(self), self.text)
        if self.said:
            return say(self.said.get("code"), self.said.get("params"), self.text)
        return self.text

    @property
    def order_said(self) -> str:
        """An order's report in the reader's words, the order by its supplier, goods and day
        (`order_words.of_request`): the request page's "Order" line. "" for other requests."""
        from .order_words import of_request

        return of_request(self)

    @property
    def holder(self) -> str:
        """Who has it, in words: the person ("赵静"), their team after them, or the team alone;
        "" when nobody. `new` with a holder: given to them, not taken yet."""
        names = [self.assignee.display_name or self.assignee.username] if self.assignee_id else []
        if self.team_id:
            names.append(self.team.name)
        return " · ".join(names)

    class Meta:
        indexes = [models.Index(fields=["community", "state", "overdue", "priority", "due_at"],
                                name="svc_req_queue_idx"),
                   models.Index(fields=["district", "state", "overdue", "priority", "due_at"],
                                name="svc_req_dist_idx"),
                   models.Index(fields=["state", "due_at"], name="svc_req_due_idx")]


class RequestEvent(models.Model):
    """What happened to a request on its way that is not one of its own fields, on its
    timeline (the request page, its API's `timeline`): a home visit of a home-sampling request
    with no swab at the door (`actions.home_door`: no answer, refused, not at this address),
    the family told once. One row per outcome screening recorded: its visit and attempt."""

    class Kind(models.TextChoices):
        DOOR = "door", _("At the door, no swab")

    request = models.ForeignKey(Request, models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    at = models.DateTimeField()  # when it happened (the door's time)
    resident = models.ForeignKey("registry.Resident", models.SET_NULL, null=True, blank=True, related_name="+")
    # the door's outcome: screening's `HomeVisit.Door` value (no_answer | refused | not_here)
    outcome = models.CharField(max_length=12, blank=True)
    # screening's home visit (its id: no foreign key between services and screening) and which
    # of its outcomes this is — one event, and one message, each
    visit = models.BigIntegerField(null=True, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "visit", "attempt"],
                                               name="svc_req_event_once")]

    def __str__(self):
        return f"{self.request_id}: {self.kind}/{self.outcome}"


class Pet(Levels):
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="pets")
    name = models.CharField(_("name"), max_length=40)
    species = models.CharField(_("species"), max_length=30)
    care = models.CharField(_("care instructions"), max_length=500)
    is_active = models.BooleanField(default=True)


class Feeding(Levels):
    """One day's feeding of a pet whose owners are all away (quarantine, hospital)."""

    pet = models.ForeignKey(Pet, models.CASCADE, related_name="feedings")
    day = models.DateField()
    volunteer = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)
    stopped = models.BooleanField(default=False)  # the owners came back before it was done

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pet", "day"], name="svc_feeding_once")]


class CheckIn(Levels):
    """A morning call on an elderly person living alone or a vulnerable resident in a
    sealed area: fine, or needs something (then a request)."""

    class Result(models.TextChoices):
        OPEN = "open", _("To call")
        FINE = "fine", _("Fine")
        NEEDS = "needs", _("Needs something")
        NO_ANSWER = "no_answer", _("No answer")

    resident = models.ForeignKey("registry.Resident", models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    day = models.DateField()
    result = models.CharField(max_length=10, choices=Result.choices, default=Result.OPEN)
    note = models.CharField(max_length=300, blank=True)
    request = models.ForeignKey(Request, models.SET_NULL, null=True, blank=True, related_name="+")
    done_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    # still open at the day's deadline (settings.FANGKONG_CHECK_IN_BY): put on its grid's list,
    # once (`care_late.tell_open_check_ins`, claimed by `core.once.claim`); a call made after
    # the deadline (someone watched over since) is set at once: it was never on a list
    late_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "day"], name="svc_checkin_once")]


class DisinfectionRoutine(Levels):
    """Routine disinfection of a place (a building, compound or the community) at the same
    times every day — "public areas at 08:00 and 16:00" — by a team, until staff end it, its
    end date passes or, `while_sealed`, the place's seal is lifted. The worker makes each
    day's `Disinfection` rows ahead of time (`actions.routines.make_rows`; once per routine
    and time: `svc_routine_slot_once`)."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Running")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    class Why(models.TextChoices):  # why it ended
        STAFF = "staff", _("Ended by staff")
        LIFTED = "lifted", _("Seal lifted")
        DATE = "date", _("End date passed")

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    times = models.CharField(_("times of day"), max_length=200)  # "08:00,16:00", local time
    team = models.ForeignKey("volunteers.Team", models.SET_NULL, null=True, blank=True, related_name="+")
    while_sealed = models.BooleanField(_("while sealed"), default=False)
    ends_on = models.DateField(_("last day"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ACTIVE)
    ended_why = models.CharField(_("why ended"), max_length=10, choices=Why.choices, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state"], name="svc_routine_state_idx")]

    def time_list(self) -> list[str]:
        return [t for t in self.times.split(",") if t]


class Disinfection(Levels):
    class Kind(models.TextChoices):
        ROUTINE = "routine", _("Routine")
        TERMINAL = "terminal", _("Terminal (after a case)")

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.ROUTINE)
    due_at = models.DateTimeField(_("due"))
    case = models.ForeignKey("zones.ZoneCase", models.SET_NULL, null=True, blank=True, related_name="+")
    team = models.ForeignKey("volunteers.Team", models.SET_NULL, null=True, blank=True, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    area = models.CharField(_("area covered"), max_length=200, blank=True)
    agent = models.CharField(_("disinfectant"), max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    routine = models.ForeignKey(DisinfectionRoutine, models.SET_NULL, null=True, blank=True,
                                related_name="rows")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "place"], name="svc_terminal_once"),
                       # a routine's time of a day made once, whatever the retries and workers
                       models.UniqueConstraint(fields=["routine", "due_at"], name="svc_routine_slot_once")]

    def late_minutes(self, now=None) -> int:
        """Whole minutes past its due time: when it was done (signed off: kept, found with a
        disinfection done late reading "on time" once signed off), or now while still open;
        0 on time. The one rule for the page, the API and the .xlsx."""
        end = self.done_at or now or timezone.now()
        return max(0, int((end - self.due_at).total_seconds() // 60))


def line_problem(kind: str, line) -> str:
    """A checked line that is not as listed, in words (the one wording: stored with the
    problem, and shown again in the reader's language by `Problem.message`)."""
    from django.utils.translation import gettext

    got = line.received if line.received is not None else 0
    text = {Problem.Kind.SHORT: gettext("%(name)s: %(got)d of %(n)d received"),
            Problem.Kind.DAMAGED: gettext("%(name)s: damaged"),
            Problem.Kind.SUBSTITUTED: gettext("%(name)s: substituted by %(sub)s")}[kind]
    return text % {"name": line.name, "got": got, "n": line.quantity, "sub": line.substitute}
