"""Risk zones (封控区 / 管控区 / 防范区): the policy as rows, notices, adjustments, designations
over any node, and each household's zone materialised with its history.

- `Policy` → `ZoneType` (names, severity, movement rule, testing cadence, pool size, door
  services, escalation) → `LiftRule` (clean days, the final round's day, step down or lift).
  Three presets are shipped (`presets.py`); exactly one policy is active.
- A `Designation` puts a zone type on one node (a unit, building, compound, community or a
  non-residential place) from `starts_at` until `ends_at`. Designations are only made,
  changed and ended by publishing an `Adjustment` (a draft of several `AdjustmentItem`s
  under one `Notice`), at once or at its scheduled minute.
- `HouseholdZone` is the household's zone, materialised when an adjustment is published:
  the most severe designation over any of its levels. One row per household and period
  (`until` NULL for the current one), with level columns, so "who is sealed now in district
  D" is one indexed query.
- `HealthCode` (current colour per person) and `PoolingRule` moved here from screening
  (their tables keep their names); `HealthCodeObservation` is every colour seen, and
  `CheckpointEvent` the gate's log.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from fangkong.registry.models import Levels


class ZoneKind(models.TextChoices):
    """What a zone type means for the rest of Fangkong (the behaviour class)."""

    NONE = "", _("No zone")
    SEALED = "sealed", _("Sealed area")
    CONTROLLED = "controlled", _("Controlled area")
    PRECAUTION = "precaution", _("Precaution area")


class Group(models.TextChoices):
    GENERAL = "general", _("General population")
    KEY = "key", _("Key group")
    RED_YELLOW = "red_yellow", _("Red or yellow health code")


class CodeColour(models.TextChoices):
    GREEN = "green", _("Green")
    YELLOW = "yellow", _("Yellow")
    RED = "red", _("Red")


class PoolingRule(models.Model):
    """The pooling policy: pool size by zone kind and group. Editable without code (admin);
    the defaults (sealed 1, controlled 10, precaution 20, key groups and red/yellow codes
    1) were written by screening's migration. Outside any zone the round's own size applies."""

    zone_type = models.CharField(_("zone type"), max_length=20, choices=ZoneKind.choices)
    group = models.CharField(_("group"), max_length=20, choices=Group.choices)
    pool_size = models.PositiveSmallIntegerField(_("pool size"))

    class Meta:
        db_table = "screening_poolingrule"
        constraints = [models.UniqueConstraint(fields=["zone_type", "group"],
                                               name="poolingrule_unique")]

    def __str__(self):
        return f"{self.zone_type}/{self.group}: {self.pool_size}"


class HealthCode(models.Model):
    """The health-code colour last observed for a resident (Fangkong records, never issues,
    codes). The station refuses a red or yellow code in a pooled tube; the call-out rules
    and the checkpoint read it. Every observation is kept in `HealthCodeObservation`."""

    resident = models.OneToOneField("registry.Resident", models.CASCADE, related_name="+",
                                    primary_key=True)
    colour = models.CharField(max_length=10, choices=CodeColour.choices)
    observed_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=40, blank=True)

    class Meta:
        db_table = "screening_healthcode"

    def __str__(self):
        return f"{self.resident_id}: {self.colour}"


class Source(models.TextChoices):
    SAMPLING = "sampling", _("Sampling point")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    IMPORT = "import", _("City file import")
    MANUAL = "manual", _("Entered by hand")


class HealthCodeObservation(Levels):
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    colour = models.CharField(_("colour"), max_length=10, choices=CodeColour.choices)
    observed_at = models.DateTimeField(_("observed at"), default=timezone.now)
    place = models.ForeignKey("registry.Place", models.SET_NULL, null=True, blank=True,
                              related_name="+")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    recorded_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    client_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["resident", "observed_at"], name="hcobs_resident_idx"),
                   models.Index(fields=["community", "observed_at"], name="hcobs_comm_idx")]


# --- policy ------------------------------------------------------------------------

def in_language(zh, en):
    return zh if (translation.get_language() or "zh").startswith("zh") else (en or zh)


class Policy(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    basis = models.CharField(_("basis"), max_length=300, blank=True)  # the documents it follows
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                               name="policy_one_active")]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return in_language(self.name_zh, self.name_en)


class ZoneType(models.Model):
    """A zone type of a policy with its rules as data."""

    policy = models.ForeignKey(Policy, models.CASCADE, related_name="types")
    code = models.SlugField(_("code"), max_length=20)
    kind = models.CharField(_("kind"), max_length=20, choices=ZoneKind.choices[1:])
    name_zh = models.CharField(_("name (Chinese)"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40)
    severity = models.PositiveSmallIntegerField(_("severity"))  # higher is stricter
    colour = models.CharField(_("colour"), max_length=7, default="#c0392b")
    movement_zh = models.CharField(_("movement rule (Chinese)"), max_length=200)
    movement_en = models.CharField(_("movement rule (English)"), max_length=200)
    cadence_zh = models.CharField(_("testing cadence (Chinese)"), max_length=200, blank=True)
    cadence_en = models.CharField(_("testing cadence (English)"), max_length=200, blank=True)
    pcr_per_week = models.PositiveSmallIntegerField(_("PCR rounds a week"), default=0)
    antigen_per_week = models.PositiveSmallIntegerField(_("antigen tests a week"), default=0)
    pool_size = models.PositiveSmallIntegerField(_("people per tube"), default=10)
    door_services = models.BooleanField(_("services come to the door"), default=False)
    home_sampling = models.BooleanField(_("sampled at home"), default=False)
    may_leave_home = models.BooleanField(_("may leave home"), default=True)
    may_leave_area = models.BooleanField(_("may leave the area"), default=True)
    # controlled: one person per household every N days may collect goods at a set place
    collect_every_days = models.PositiveSmallIntegerField(_("one collector per household every N days"),
                                                          null=True, blank=True)
    # where and when that collector goes (the guard at the gate is told, and an exit outside
    # the hours is refused: actions.gate): the place in words (empty: the gate's own
    # collection point), the hours as "HH:MM" (both empty: any hour)
    collect_place_zh = models.CharField(_("collection point (Chinese)"), max_length=60, blank=True)
    collect_place_en = models.CharField(_("collection point (English)"), max_length=60, blank=True)
    collect_from = models.CharField(_("collection from"), max_length=5, blank=True)
    collect_until = models.CharField(_("collection until"), max_length=5, blank=True)
    called_out = models.BooleanField(_("residents may be called out as volunteers"), default=True)
    escalate_to = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+",
                                    verbose_name=_("a case inside makes it"))
    escalate_scope = models.CharField(_("escalation covers"), max_length=20, default="building",
                                      help_text=_("building, unit or the whole designation"))
    # lifting it, or stepping it down, needs the approval of the level above the community
    # (the street's command): the draft waits "awaiting approval" (`actions.approval`)
    lift_approval = models.BooleanField(_("lifting or stepping down needs the street's approval"),
                                        default=False)
    changed_at = models.DateTimeField(default=timezone.now)

    @property
    def escalate_scope_label(self) -> str:
        """What an escalation covers, in the reader's language (the field keeps a code)."""
        return str({"building": _("the building"), "unit": _("the unit"),
                    "designation": _("the whole designated area")}.get(self.escalate_scope,
                                                                       self.escalate_scope))

    class Meta:
        ordering = ["policy_id", "-severity"]
        constraints = [models.UniqueConstraint(fields=["policy", "code"], name="zonetype_unique")]

    def __str__(self):
        return self.name

    @property
    def name(self):
        return in_language(self.name_zh, self.name_en)

    @property
    def movement(self):
        return in_language(self.movement_zh, self.movement_en)

    @property
    def cadence(self):
        """The testing it calls for, worded from its numbers in the reader's language (the
        free text `cadence_zh`/`cadence_en` is only a note: `cadence_note`)."""
        from .rule_words import cadence_words

        return cadence_words(self.pcr_per_week, self.antigen_per_week)

    @property
    def cadence_note(self):
        return in_language(self.cadence_zh, self.cadence_en)

    @property
    def collect_place(self):
        return in_language(self.collect_place_zh, self.collect_place_en)

    @property
    def collect_words(self):
        """Its collection rule in words (every how many days, where, when), "" for none."""
        from .rule_words import collect_words

        return collect_words(self.collect_every_days, self.collect_place, self.collect_from,
                             self.collect_until, self.may_leave_area)

    def lift_rule(self):
        """The type's own lifting rule (the one not tied to a stricter type it stepped down
        from): the one an administrator edits."""
        return next((r for r in self.lift_rules.all() if r.after_id is None), None)

    def rule_values(self) -> dict:
        """Its editable rules as stored values (`EDITABLE_RULES` and `LIFT_RULES`; a type
        of the same policy by its code)."""
        values = {f: getattr(self, f) for f in EDITABLE_RULES if f != "escalate_to"}
        values["escalate_to"] = self.escalate_to.code if self.escalate_to_id else None
        r = self.lift_rule()
        values.update(lift_clean_days=r.clean_days if r else None, lift_round_day=r.round_day if r else None,
                      lift_outcome=r.outcome if r else None, lift_to=r.to.code if r and r.to_id else None)
        return values


class RuleChange(models.Model):
    """A change to a zone type's rules that takes effect from a stated time (audited). The
    rules in force at T are the type's as changed by every change whose `effective_from`
    is at or before T (`queries.rules_at`); a scheduled change is written into the type at
    its minute by the worker (`actions.policy.apply_due`), or by recovery if it was lost.
    `changes`: {field: [before, after]}."""

    class State(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        APPLIED = "applied", _("In force")
        CANCELLED = "cancelled", _("Cancelled")

    zone_type = models.ForeignKey(ZoneType, models.CASCADE, related_name="changes")
    effective_from = models.DateTimeField(_("in force from"))
    changes = models.JSONField(default=dict)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_from", "id"]
        indexes = [models.Index(fields=["state", "effective_from"], name="rulechange_due_idx")]

    def __str__(self):
        return f"{self.zone_type_id} @ {self.effective_from:%Y-%m-%d %H:%M}"


class LiftRule(models.Model):
    """When a designation of `zone_type` may be stepped down or lifted: `clean_days` days
    without a new case inside it (counted from the case, or from the start of the zone when
    there was none), and, when `round_day` is set, an all-negative round held on or after
    that day of the count. `after`: the rule applies only to a designation stepped down
    from that type (June 2022: medium after high needs 3 more days, 10 in all)."""

    class Outcome(models.TextChoices):
        STEP_DOWN = "step_down", _("Step down")
        LIFT = "lift", _("Lift")

    zone_type = models.ForeignKey(ZoneType, models.CASCADE, related_name="lift_rules")
    after = models.ForeignKey(ZoneType, models.CASCADE, null=True, blank=True, related_name="+")
    clean_days = models.PositiveSmallIntegerField(_("days without a new case"))
    round_day = models.PositiveSmallIntegerField(_("all-negative round on or after day"),
                                                 null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    to = models.ForeignKey(ZoneType, models.CASCADE, null=True, blank=True, related_name="+")
    note_zh = models.CharField(max_length=200, blank=True)
    note_en = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["zone_type_id", "id"]

    def __str__(self):
        return f"{self.zone_type_id}: {self.clean_days} → {self.outcome}"

    @property
    def note(self):
        return in_language(self.note_zh, self.note_en)

    @property
    def words(self):
        """The rule worded from its numbers (`rule_words.lift_words`); `note` is free text."""
        from .rule_words import lift_words

        return lift_words(self.clean_days, self.round_day, self.outcome, self.to.name if self.to_id else None)


# --- notices, adjustments, designations ---------------------------------------------

class Notice(Levels):
    """通告: the public notice a change of zones comes from."""

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+",
                              verbose_name=_("issued for"))
    number = models.CharField(_("number"), max_length=40)
    issued_by = models.CharField(_("issued by"), max_length=80)
    title = models.CharField(_("title"), max_length=120)
    text = models.TextField(_("text"), blank=True)
    effective_at = models.DateTimeField(_("takes effect"))
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # withdrawn (作废), or replaced by a correcting notice ("已被第22号更正"; that one "更正第19号"):
    # `actions.notices.withdraw`. What it published stays in force until another notice lifts it.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+")
    replaced_by = models.ForeignKey("self", models.PROTECT, null=True, blank=True, related_name="replaces")

    class Meta:
        ordering = ["-effective_at", "-id"]
        indexes = [models.Index(fields=["community", "effective_at"], name="notice_comm_idx"),
                   models.Index(fields=["street", "effective_at"], name="notice_street_idx")]

    def __str__(self):
        return f"{self.number} {self.title}"


class Adjustment(Levels):
    """A dynamic adjustment: designations created, changed and lifted together, published
    at once or at `effective_at` by the worker."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")
        # lifting or stepping down a zone whose type needs the approval of the level above
        # (`ZoneType.lift_approval`): submitted, not yet approved or returned (`actions.approval`)
        AWAITING = "awaiting", _("Awaiting approval")

    class Reason(models.TextChoices):
        MANUAL = "manual", _("Drawn by hand")
        ESCALATION = "escalation", _("Escalation after a case")
        LIFTING = "lifting", _("Lifting recommendation")

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+",
                              verbose_name=_("for"))
    notice = models.ForeignKey(Notice, models.PROTECT, null=True, blank=True,
                               related_name="adjustments")
    title = models.CharField(_("title"), max_length=120)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.MANUAL)
    why = models.CharField(_("why"), max_length=300, blank=True)
    # the same kept as a message code and its parameters (an escalation's case: `case_words`),
    # said in each reader's language (`why_text`); {} for a reason typed or kept before as text
    why_said = models.JSONField(default=dict, blank=True)
    case = models.ForeignKey("zones.ZoneCase", models.SET_NULL, null=True, blank=True,
                             related_name="+")
    effective_at = models.DateTimeField(_("takes effect"), null=True, blank=True)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    households_changed = models.PositiveIntegerField(default=0)
    failure = models.CharField(max_length=300, blank=True)  # why the worker could not publish it
    # the same, kept as a message code and its parameters (core.said), said in the reader's language
    failure_said = models.JSONField(default=dict, blank=True)
    # published lifting or stepping down a zone while its lifting rule was not met (the
    # officials decided so, confirmed): one row per place (`lifting.Against.kept`), said on
    # its page and in the API as "不符合解除规则发布"; [] for one within the rules
    against_rule = models.JSONField(default=list, blank=True)
    # the approval of the level above (`actions.approval`): submitted, then approved (it may be
    # published) or returned with a reason (back to draft); changing the draft clears it
    submitted_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+")
    returned_at = models.DateTimeField(null=True, blank=True)
    return_reason = models.CharField(max_length=300, blank=True)
    # an escalation re-sealing a place lifted on wrong facts (a case confirmed before the lift,
    # reported after it): first in the lists and red at once (`lift_flaws`)
    urgent = models.BooleanField(default=False)
    # the lifts a late-reported case shows rested on wrong facts, one row per case and lift
    # (`zones.lift_flaws`): on the lift ("解除依据有误：…") and on the escalation it makes urgent
    lift_flaws = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "effective_at"], name="adjust_due_idx",
                                condition=Q(state="scheduled")),
                   models.Index(fields=["community", "state"], name="adjust_comm_idx")]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.state in (self.State.DRAFT, self.State.SCHEDULED, self.State.AWAITING)

    @property
    def failure_text(self) -> str:
        """Why the worker could not publish it, in the language of the reader now."""
        from fangkong.core.said import say

        from . import failures  # noqa: F401 - the failure codes are defined there

        kept = self.failure_said or {}
        return say(kept.get("code"), kept.get("params"), self.failure)

    @property
    def why_text(self) -> str:
        """Why it was drafted, in the language of the reader now (`why` when kept as text only)."""
        from .case_words import why_text

        return why_text(self)


class Designation(Levels):
    """A zone type on one node from `starts_at` until `ends_at` (NULL while in force)."""

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    zone_type = models.ForeignKey(ZoneType, models.PROTECT, related_name="+")
    notice = models.ForeignKey(Notice, models.PROTECT, null=True, blank=True, related_name="+")
    adjustment = models.ForeignKey(Adjustment, models.PROTECT, related_name="created")
    ended_by = models.ForeignKey(Adjustment, models.PROTECT, null=True, blank=True,
                                 related_name="ended")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    # where the lifting count starts (a step-down keeps its predecessor's), and what it came from
    clock_from = models.DateTimeField()
    stepped_from = models.ForeignKey(ZoneType, models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    previous = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["place"], name="desig_current_idx",
                                condition=Q(ends_at=None)),
                   models.Index(fields=["community", "starts_at"], name="desig_comm_idx"),
                   models.Index(fields=["district", "starts_at"], name="desig_district_idx")]

    def __str__(self):
        return f"{self.place_id}: {self.zone_type_id}"

    @property
    def current(self):
        return self.ends_at is None


class AdjustmentItem(models.Model):
    class Op(models.TextChoices):
        CREATE = "create", _("Designate")
        CHANGE = "change", _("Change type")
        LIFT = "lift", _("Lift")

    adjustment = models.ForeignKey(Adjustment, models.CASCADE, related_name="items")
    op = models.CharField(max_length=10, choices=Op.choices)
    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    designation = models.ForeignKey(Designation, models.PROTECT, null=True, blank=True,
                                    related_name="+")
    zone_type = models.ForeignKey(ZoneType, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["adjustment", "place"],
                                               name="adjustitem_one_per_place")]

    def __str__(self):
        return f"{self.op} {self.place_id}"


class HouseholdZone(Levels):
    """A household's zone over a period: the most severe designation covering it."""

    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="zones")
    zone_type = models.ForeignKey(ZoneType, models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=ZoneKind.choices)
    severity = models.PositiveSmallIntegerField()
    designation = models.ForeignKey(Designation, models.PROTECT, related_name="+")
    since = models.DateTimeField()
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-since", "-id"]
        constraints = [models.UniqueConstraint(fields=["household"], condition=Q(until=None),
                                               name="hhzone_one_current")]
        indexes = [models.Index(fields=[f, "kind"], name=f"hhzone_{f}_now_idx", condition=Q(until=None))
                   for f in ("district", "street", "community", "building")] + [
            models.Index(fields=["household", "since"], name="hhzone_history_idx")]


# A person's case stays open this long after it was confirmed: reported again meanwhile
# (the same notice), it is the same case (`actions.escalate.record_case`), and confirmed again
# (screening's re-test and the health authority's notice) it is not a new one in the day's
# positive cases (`screening.day_cases`). The longest of the 2022 presets (7 + 7 days).
CASE_OPEN_DAYS = 14


class ZoneCase(Levels):
    """A confirmed case (from a follow-up in screening, or reported by the health authority):
    restarts the lifting count of every zone over the household and proposes escalation."""

    resident = models.ForeignKey("registry.Resident", models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"))
    source = models.CharField(_("source"), max_length=80)
    source_ref = models.CharField(max_length=60, null=True, blank=True, unique=True)
    client_id = models.UUIDField(null=True, blank=True, unique=True)  # a retried report: one case
    recorded_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-confirmed_at"]
        indexes = [models.Index(fields=["community", "confirmed_at"], name="zcase_comm_idx")]


class CheckpointEvent(Levels):
    """One person through (or refused at) a gate: the gate's log."""

    class Direction(models.TextChoices):
        IN = "in", _("Entry")
        OUT = "out", _("Exit")

    gate = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    resident = models.ForeignKey("registry.Resident", models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    household_id = models.BigIntegerField(null=True, blank=True)
    name = models.CharField(max_length=50, blank=True)  # as seen, for a visitor not on the roll
    direction = models.CharField(max_length=3, choices=Direction.choices)
    colour = models.CharField(max_length=10, choices=CodeColour.choices, blank=True)
    temperature = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    allowed = models.BooleanField()
    reason = models.CharField(max_length=200, blank=True)
    zone_kind = models.CharField(max_length=20, choices=ZoneKind.choices, blank=True)
    # why the person is kept in whatever their code and zone (`zones.gate_rules.HOLDS`: an
    # open case, a case's housemate, a positive pool or antigen test awaiting the re-test)
    hold = models.CharField(max_length=20, blank=True)
    # an exit let through on terms (a controlled area's collector: where, back by when), as said
    terms = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    client_id = models.UUIDField(unique=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["gate", "at"], name="gate_log_idx"),
                   models.Index(fields=["resident", "direction", "at"], name="gate_person_idx")]


# The places the map draws (a compound's or building's outline, a gate's point…).
MAPPED_KINDS = ("compound", "building", "checkpoint", "sampling_point", "shop", "other")


class Shape(models.Model):
    """A building's or compound's outline or point on the map (GeoJSON geometry)."""

    place = models.OneToOneField("registry.Place", models.CASCADE, primary_key=True,
                                 related_name="+")
    geometry = models.JSONField()
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return str(self.place_id)


# The rules of a zone type an administrator may change (actions.policy edits them,
# queries.rules_at reads them as they were at a time).
EDITABLE_RULES = ["name_zh", "name_en", "severity", "colour", "movement_zh", "movement_en",
                  "cadence_zh", "cadence_en", "pcr_per_week", "antigen_per_week", "pool_size",
                  "door_services", "home_sampling", "may_leave_home", "may_leave_area",
                  "collect_every_days", "collect_place_zh", "collect_place_en", "collect_from",
                  "collect_until", "called_out", "escalate_to", "escalate_scope", "lift_approval"]
# The type's own lifting rule (`ZoneType.lift_rule`), edited with the rules above.
LIFT_RULES = ["lift_clean_days", "lift_round_day", "lift_outcome", "lift_to"]
ESCALATE_SCOPES = ("building", "unit", "designation")
