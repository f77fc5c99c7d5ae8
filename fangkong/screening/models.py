"""Testing rounds: planning, sampling (tubes and registrations), transport, lab results,
follow-up of positive pools, and the running counters behind live coverage.

Designed for a city: a registration (`Sample`) carries a copy of its resident's level
columns (`Levels`) and household, so coverage of any node is one indexed equality and a
GROUP BY, never a join to the registry. `RoundCounter` keeps running totals per
(round, community), updated in the same transaction as each registration, so a district
roll-up of 500 communities reads 500 small rows.

Idempotency: every registration has a client-generated UUID (`client_id`, unique); a
station's retry or a replayed batch inserts nothing twice (INSERT … ON CONFLICT DO
NOTHING). A person is registered at most once per round outside re-tests (partial unique
index), which is what makes two tables scanning the same person at the same instant safe.
"""

import datetime
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.registry.models import Levels
from fangkong.zones.models import CodeColour, Group, HealthCode, PoolingRule  # noqa: F401 (moved to zones)
from fangkong.zones.models import ZoneKind as ZoneType  # noqa: F401

from . import lookups  # noqa: F401  (field__any_of)

# A confirmed case counts as one (and their housemates as close contacts) this long: the
# longest of the 2022 presets (Shanghai, April: 7 days sealed + 7 days home monitoring).
# `status.close_contacts`, `status.held_codes`' "case", `figures.confirmed_case`.
CONTACT_DAYS = 14


class RoundKind(models.TextChoices):
    PCR = "pcr", _("PCR (nucleic acid)")
    ANTIGEN = "antigen", _("Antigen")


class RoundStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    CLOSED = "closed", _("Finished")


# A PCR round nobody ended still takes people in this long past its planned end (`Round.running`):
# rounds ran through the night, and a round staff forgot to end is not the next day's work.
RUNNING_GRACE = datetime.timedelta(hours=12)


class Round(Levels):
    """One testing round over one or more nodes (`RoundArea`), owned by `place` (the node it
    was planned on; its level columns are copied here, so scope checks work as for any row)."""

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+",
                              verbose_name=_("planned for"))
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=10, choices=RoundKind.choices,
                            default=RoundKind.PCR)
    status = models.CharField(_("status"), max_length=10, choices=RoundStatus.choices,
                              default=RoundStatus.PLANNED)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    pool_size = models.PositiveSmallIntegerField(_("people per tube"), default=10)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    counted_at = models.DateTimeField(null=True, blank=True)  # last full recount of counters
    # Its personal data erased (screening.erasure): coverage is read from the kept figures.
    erased_at = models.DateTimeField(null=True, blank=True)
    # The volunteers' team that re-samples at home: told at once when a pooled tube is
    # positive, together with the community staff and grid workers.
    emergency_team = models.ForeignKey("volunteers.Team", models.SET_NULL, null=True, blank=True,
                                       related_name="+", verbose_name=_("emergency sampling team"))
    # Still running past its planned end: its staff were told once then (the worker's pass,
    # `actions.planning.tell_overrun`); a round nobody ended is not the next day's work.
    overrun_told_at = models.DateTimeField(null=True, blank=True)
    # The planning form's (or the API caller's) id: a double tap or a retry sends it again and
    # gets this round back, planned and announced once (`actions.planning.plan_round`).
    client_id = models.UUIDField(unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["community", "starts_at"], name="round_comm_idx"),
                   models.Index(fields=["district", "starts_at"], name="round_district_idx")]

    def __str__(self):
        return self.name

    def past_end(self, now=None) -> bool:
        """Its planned window is over (whatever its status)."""
        return (now or timezone.now()) > self.ends_at

    @staticmethod
    def overrun_q(now=None) -> Q:
        """`overrun` as a filter: running and past its planned end at `now` (default now)."""
        return Q(status=RoundStatus.RUNNING, ends_at__lt=now or timezone.now())

    @property
    def overrun(self) -> bool:
        """Still running past its planned end: nobody ended it. Staff are asked to end it
        ("已过计划结束时间 14:00，请结束本轮"); residents are no longer asked to report an
        antigen result for it, while a PCR round still registers people at the station
        (`running`); the day's figures count it by its window only (`node_figures.rounds_of_day`)."""
        return self.status == RoundStatus.RUNNING and self.past_end()

    def running(self, now=None) -> bool:
        """Still takes people in now, the one definition: running within its planned window,
        or a PCR round running past it until staff end it, at most `RUNNING_GRACE` past its
        planned end (the station registers people until staff end it, and rounds ran through
        the night: one due to end at 22:00 still sampled after midnight; a round nobody ended
        is not the next day's work for ever; an antigen round's end is its report deadline).
        A family's home-sampling request is listed on it (`home_requests.rounds_over`) and
        the household's page still asks its swab or says the sampler still to come
        (`status.household_now`). `running_q` is the same as a filter."""
        now = now or timezone.now()
        if self.status != RoundStatus.RUNNING or self.kind == RoundKind.ANTIGEN and self.past_end(now):
            return False
        return self.ends_at >= now - RUNNING_GRACE

    @staticmethod
    def running_q(now=None) -> Q:
        """`running` as a filter."""
        now = now or timezone.now()
        return Q(status=RoundStatus.RUNNING) & (Q(ends_at__gte=now) | ~Q(kind=RoundKind.ANTIGEN)
                                                & Q(ends_at__gte=now - RUNNING_GRACE))

    @property
    def open_now(self) -> bool:
        """Running and within its planned window: people are asked to be sampled or report."""
        return self.status == RoundStatus.RUNNING and not self.past_end()


class RoundArea(models.Model):
    """A node of the tree the round covers (the round's place or any node under it)."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="areas")
    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "place"], name="roundarea_unique")]

    def __str__(self):
        return f"{self.round_id} → {self.place_id}"


class SamplingPoint(models.Model):
    """A sampling point of a round: a place of kind sampling_point, with its tables."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="points")
    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    tables = models.PositiveSmallIntegerField(_("tables"), default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "place"], name="point_unique")]

    def __str__(self):
        return self.place.name


class Sampler(models.Model):
    """A user assigned to sample at a point's table in a round. This assignment is what
    lets a volunteer register samples (only in that round)."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="samplers")
    point = models.ForeignKey(SamplingPoint, models.CASCADE, related_name="samplers")
    user = models.ForeignKey("accounts.User", models.CASCADE, related_name="+")
    table = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "user"], name="sampler_unique")]

    def __str__(self):
        return f"{self.user_id} @ {self.point_id} #{self.table}"


class ExemptReason(models.TextChoices):
    ISOLATION = "isolation", _("In isolation")
    HOSPITAL = "hospital", _("In hospital")
    AWAY = "away", _("Away")
    VACCINATED = "vaccinated", _("Vaccinated in the last 72 hours")
    INFANT = "infant", _("Infant")
    OTHER = "other", _("Other reason")


class Exemption(Levels):
    round = models.ForeignKey(Round, models.CASCADE, related_name="exemptions")
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    household_id = models.BigIntegerField()
    reason = models.CharField(_("reason"), max_length=20, choices=ExemptReason.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "resident"],
                                               name="exemption_unique")]
        indexes = [models.Index(fields=["round", "community"], name="exempt_round_comm_idx")]

    def __str__(self):
        return f"{self.resident_id}: {self.reason}"


class HomeVisit(Levels):
    """A person to sample at the door: listed in advance (bedridden, limited mobility),
    added from the missing list, or created as a single re-test after a positive pool."""

    class Source(models.TextChoices):
        TAGS = "tags", _("From the registry tags")
        MANUAL = "manual", _("Added by hand")
        RETEST = "retest", _("Single re-test after a positive pool")
        # the lab found the person's pooled tube invalid: their swab is void, sample again
        RESAMPLE = "resample", _("To sample again: the tube was invalid")
        # the family asked for it (a 上门采样 request of services: `request_id`)
        REQUEST = "request", _("Asked for by the family")

    class Status(models.TextChoices):
        OPEN = "open", _("To do")
        DONE = "done", _("Sampled")
        CANCELLED = "cancelled", _("Cancelled")

    class Door(models.TextChoices):
        """What happened at the door when no swab was taken (`actions.door.record_door`):
        the visit stays open for another attempt."""
        NO_ANSWER = "no_answer", _("No answer at the door")
        REFUSED = "refused", _("Refused the swab")
        NOT_HERE = "not_here", _("Not at this address")

    round = models.ForeignKey(Round, models.CASCADE, related_name="home_visits")
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    household_id = models.BigIntegerField()
    source = models.CharField(max_length=10, choices=Source.choices)
    # A re-test (after a positive pool or a positive antigen test) is urgent: the household
    # is held until it is done. The home-sampling list puts them first, marked.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    # the sampler who goes to the door (`home_assign.assign_home_visits`): one of the round's
    # samplers; their landing page lists it until the person is sampled or the visit ends
    assignee = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    assigned_at = models.DateTimeField(null=True, blank=True)
    # the last door outcome without a swab (`actions.door.record_door`), when, by whom, a
    # note; how many were recorded; the last one's client id (a retry records nothing twice)
    door = models.CharField(max_length=10, choices=Door.choices, blank=True)
    door_at = models.DateTimeField(null=True, blank=True)
    door_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                                related_name="+")
    door_note = models.CharField(max_length=200, blank=True)
    door_attempts = models.PositiveSmallIntegerField(default=0)
    door_client_id = models.UUIDField(null=True, blank=True)
    # the family's home-sampling request (诉求 上门采样) this visit answers: services' Request id,
    # no foreign key (services and screening never import each other; `actions.home_request`).
    # On a visit of another source too: the person was listed already, the request noted on it.
    request_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "resident", "source"],
                                               name="homevisit_unique")]
        indexes = [models.Index(fields=["round", "community"], name="home_round_comm_idx"),
                   models.Index(fields=["assignee", "status"], name="home_assignee_idx"),
                   models.Index(fields=["request_id", "status"], name="home_request_idx",
                                condition=Q(request_id__isnull=False))]

    def __str__(self):
        return f"{self.resident_id}: {self.source}/{self.status}"

    @property
    def urgent(self) -> bool:
        return self.source == self.Source.RETEST

    # what the system notes on a re-test visit: facts, put in words in the reader's language
    # (a note written in Chinese at the time showed in Chinese on an English page)
    POOL_NOTE = "pool-positive:"  # + the tube's barcode
    ANTIGEN_NOTE = "antigen-positive"
    INVALID_NOTE = "pool-invalid:"  # + the tube's barcode
    ZONE_NOTE = "zone-home"  # listed because the household's zone is sampled at home (no tag)

    def note_text(self) -> str:
        """The note as shown: the system's notes in the reader's language, a person's as
        typed (and an older system note as it was kept)."""
        if self.note.startswith(self.POOL_NOTE):
            return str(_("Single re-test: tube %(code)s positive")
                       % {"code": self.note[len(self.POOL_NOTE):]})
        if self.note == self.ANTIGEN_NOTE:
            return str(_("URGENT: antigen positive, PCR re-test at home"))
        if self.note == self.ZONE_NOTE:  # said by `source_label`
            return ""
        if self.note.startswith(self.INVALID_NOTE):
            return str(_("Sample invalid (tube %(code)s): to be sampled again")
                       % {"code": self.note[len(self.INVALID_NOTE):]})
        return self.note

    def source_label(self, rnd: Round | None = None) -> str:
        """What put the person on the list, as pages and the API say it: in an antigen round
        a re-test follows a positive antigen test, not a positive pool. `rnd`: the visit's
        round when the caller has it (a list of one round's visits)."""
        rnd = rnd if rnd is not None else self.round
        if self.source == self.Source.RETEST and rnd.kind == RoundKind.ANTIGEN:
            return str(_("Single PCR re-test after a positive antigen test"))
        if self.source == self.Source.TAGS and self.note == self.ZONE_NOTE:
            label = str(_("Sampled at home: the household's zone"))
        else:
            label = str(self.get_source_display())
        if self.request_id is not None and self.source != self.Source.REQUEST:  # listed, and asked for
            return f"{label} · {self.Source.REQUEST.label}"
        return label

    def door_text(self) -> str:
        """The last door outcome in the reader's words, the one way every list says it (the
        sampler's, the home list, the missing list and its .xlsx, the API's `door.text`):
        "上门无人应答 · 12-07 15:40 · 田晓燕 · 已上门 2 次：敲门无人"; "" for none. The sampler
        (`door_by`) is read with the visit where a list shows many."""
        from django.utils.translation import gettext, ngettext

        from fangkong.core.when import short_time

        if not self.door:
            return ""
        parts = [str(self.get_door_display())]
        if self.door_at is not None:
            parts.append(short_time(self.door_at))
        if self.door_by_id is not None and self.door_by is not None:
            parts.append(str(self.door_by))
        if self.door_attempts > 1:
            parts.append(ngettext("%(n)d visit at the door", "%(n)d visits at the door",
                                  self.door_attempts) % {"n": self.door_attempts})
        said = " · ".join(parts)
        return gettext("%(said)s: %(note)s") % {"said": said, "note": self.door_note} if self.door_note else said


class Box(models.Model):
    """A transport box (转运箱) of sealed tubes, signed over at each hand-over (双签收)."""

    class State(models.TextChoices):
        PACKING = "packing", _("Packing")
        IN_TRANSIT = "in_transit", _("With the courier")
        AT_LAB = "at_lab", _("At the lab")

    round = models.ForeignKey(Round, models.CASCADE, related_name="boxes")
    code = models.CharField(_("box code"), max_length=40)
    point = models.ForeignKey(SamplingPoint, models.PROTECT, null=True, blank=True, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PACKING)
    # The lab the box is sent to: a lab account serving the round's area (`access.lab_choices`).
    # Only it signs for the box at the lab and writes its tubes' results (docs/screening.md).
    lab = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True, related_name="+",
                            verbose_name=_("lab"))
    created_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "code"], name="box_unique")]

    def __str__(self):
        return self.code


class Handover(models.Model):
    """One signed hand-over of a box: who gave it, who took it, when."""

    class Stage(models.TextChoices):
        PICKUP = "pickup", _("Point → courier")
        LAB = "lab", _("Courier → lab")

    box = models.ForeignKey(Box, models.CASCADE, related_name="handovers")
    stage = models.CharField(max_length=10, choices=Stage.choices)
    given_by = models.CharField(_("handed over by"), max_length=50)
    received_by = models.CharField(_("received by"), max_length=50)
    recorded_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["box", "stage"], name="handover_unique")]

    def __str__(self):
        return f"{self.box_id} {self.stage}"


class TubeState(models.TextChoices):
    OPEN = "open", _("Open")
    SEALED = "sealed", _("Sealed")


class Result(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    POSITIVE = "positive", _("Positive")
    INVALID = "invalid", _("Invalid, re-sample")


# An antigen cassette is not re-sampled: an invalid one (no line at C) is tested again with a
# new kit by whoever tested (the family, or at the door). The antigen pages, the API's words
# and `AntigenResult.get_result_display` say it so; PCR keeps "re-sample".
ANTIGEN_RESULTS = [(Result.NEGATIVE.value, _("Negative")), (Result.POSITIVE.value, _("Positive")),
                   (Result.INVALID.value, _("Invalid, test again"))]


def result_word(value) -> str:
    """A result in one word, to quote in a sentence (a choice's label also says what to do:
    "Invalid, re-sample")."""
    return str({Result.NEGATIVE: _("Negative"), Result.POSITIVE: _("Positive"),
                Result.INVALID: _("Invalid")}.get(value, value))


class Lost(models.TextChoices):
    """A tube the lab did not get whole when it signed for its box."""
    MISSING = "missing", _("Missing from the box")
    DAMAGED = "damaged", _("Damaged (broken or leaked)")


class Tube(Levels):
    """A sampling tube: barcode unique within the round, `capacity` people (the pool size),
    `count` kept by the registering statement itself so two stations can never overfill it."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="tubes", db_index=False)  # in tube_unique
    barcode = models.CharField(_("tube barcode"), max_length=40)
    capacity = models.PositiveSmallIntegerField()
    count = models.PositiveSmallIntegerField(default=0)
    state = models.CharField(max_length=10, choices=TubeState.choices, default=TubeState.OPEN)
    retest = models.BooleanField(default=False)  # a single tube of a re-test
    point = models.ForeignKey(SamplingPoint, models.PROTECT, null=True, blank=True, related_name="+")
    table = models.PositiveSmallIntegerField(null=True, blank=True)
    opened_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    client_id = models.UUIDField(null=True, blank=True, unique=True)  # the station's open
    sealed_at = models.DateTimeField(null=True, blank=True)
    box = models.ForeignKey(Box, models.SET_NULL, null=True, blank=True, related_name="tubes")
    at_lab_at = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices, blank=True)
    result_at = models.DateTimeField(null=True, blank=True)
    # A lab reported the tube positive but its row was refused for the chain of custody (no
    # box, a box not signed for at the lab, a box sent to another lab): its people are held
    # all the same and the tube is "来源待核实" until a result for it is recorded
    # (`actions.lab.record_results` → `followup.unverified_positives`; `source_unverified`).
    unverified_positive_at = models.DateTimeField(null=True, blank=True)
    unverified_positive_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                                               related_name="+")
    # The lab found the tube missing from its box, or damaged, when it signed for the box:
    # recorded invalid (its people to be sampled again), said so (`actions.lab.hand_over`).
    lost = models.CharField(max_length=10, choices=Lost.choices, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "barcode"], name="tube_unique")]
        indexes = [models.Index(fields=["round", "state", "at_lab_at"], name="tube_round_state_idx"),
                   models.Index(fields=["barcode"], name="tube_barcode_idx")]

    def __str__(self):
        return self.barcode

    @property
    def left(self):
        return max(0, self.capacity - self.count)

    @property
    def source_unverified(self) -> bool:
        """A positive the lab reported but whose row the chain of custody refused, with no
        result recorded for the tube since: its people are held, "来源待核实"."""
        return self.unverified_positive_at is not None and not self.result


class Sample(Levels):
    """One person's swab in one tube (a registration). Levels copied from the resident."""

    # No index of their own: (round, resident), (round, community), tube and resident are
    # indexed in Meta; the FKs' default indexes doubled two of them (the biggest table:
    # every registration wrote three index entries more than needed).
    round = models.ForeignKey(Round, models.DO_NOTHING, db_constraint=False, db_index=False,
                              related_name="+")
    tube = models.ForeignKey(Tube, models.DO_NOTHING, db_constraint=False, db_index=False,
                             related_name="samples")
    resident = models.ForeignKey("registry.Resident", models.DO_NOTHING, db_constraint=False,
                                 db_index=False, related_name="+")
    household_id = models.BigIntegerField()
    client_id = models.UUIDField(unique=True, default=uuid.uuid4)
    retest = models.BooleanField(default=False)
    out_of_scope = models.BooleanField(default=False)
    sampled_at = models.DateTimeField()  # on the station's clock
    recorded_at = models.DateTimeField(default=timezone.now)  # on the server's
    sampler = models.ForeignKey("accounts.User", models.DO_NOTHING, db_constraint=False,
                                null=True, related_name="+")
    point_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "resident"],
                                               condition=Q(retest=False), name="sample_once")]
        indexes = [models.Index(fields=["round", "community"], name="sample_round_comm_idx"),
                   models.Index(fields=["tube"], name="sample_tube_idx"),
                   models.Index(fields=["resident"], name="sample_resident_idx")]

    def __str__(self):
        return f"{self.resident_id} in {self.tube_id}"


class VoidSample(Levels):
    """A registration made void because the lab found its pooled tube invalid (样本无效):
    kept here for the record (who, when, which tube, where), out of `Sample`, so the person
    is not done by every definition that reads registrations (`figures`, the station's
    "already sampled", the batch) and is sampled again in a new row. A correction of the
    tube's result away from invalid puts back those not sampled again meanwhile
    (`actions.resample`)."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="+")
    tube = models.ForeignKey(Tube, models.CASCADE, related_name="+")
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    household_id = models.BigIntegerField()
    client_id = models.UUIDField()  # the registration's, as the station sent it
    out_of_scope = models.BooleanField(default=False)
    sampled_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    sampler = models.ForeignKey("accounts.User", models.DO_NOTHING, db_constraint=False,
                                null=True, related_name="+")
    point_id = models.BigIntegerField(null=True, blank=True)
    voided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["round", "resident"], name="void_round_resident_idx"),
                   models.Index(fields=["tube"], name="void_tube_idx")]

    def __str__(self):
        return f"{self.resident_id} in {self.tube_id} (void)"


class DetachedRetest(Levels):
    """A single re-test tube recorded on the wrong person and taken off her before the lab
    had it (`actions.retest_detach.detach_retest`): the registration kept here for the
    record (which tube, who recorded it, who took it off and why), the person waiting for
    her re-test again and the barcode free to record on the right person. Its `client_id`
    (the recording's) is never recorded again: a phone sending it late is told so."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="+")
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    household_id = models.BigIntegerField()
    barcode = models.CharField(max_length=40)
    client_id = models.UUIDField(unique=True)
    sampled_at = models.DateTimeField()
    sampler = models.ForeignKey("accounts.User", models.DO_NOTHING, db_constraint=False,
                                null=True, related_name="+")
    reason = models.CharField(max_length=200)
    detached_by = models.ForeignKey("accounts.User", models.DO_NOTHING, db_constraint=False,
                                    null=True, related_name="+")
    detached_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["round", "resident"], name="detached_round_resident_idx")]

    def __str__(self):
        return f"{self.barcode} off {self.resident_id}"


class RoundCounter(models.Model):
    """Running totals of one round in one community, kept in the registering transaction
    (`sampled`) and by full recounts (`expected`, `exempt`, households)."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="+")
    community_id = models.BigIntegerField()
    street_id = models.BigIntegerField(null=True)
    district_id = models.BigIntegerField(null=True)
    expected = models.IntegerField(default=0)
    exempt = models.IntegerField(default=0)
    sampled = models.IntegerField(default=0)
    # The community's coverage kept when the round's personal data was erased.
    figures = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "community_id"],
                                               name="counter_unique")]

    def __str__(self):
        return f"{self.round_id}/{self.community_id}"


class Conflict(models.Model):
    """A scan the server could not register as sent: kept, shown to the station and the
    staff, and resolved by a person (never dropped or merged silently)."""

    class Kind(models.TextChoices):
        ALREADY_SAMPLED = "already_sampled", _("Already sampled in this round")
        TUBE_FULL = "tube_full", _("Tube full")
        TUBE_SEALED = "tube_sealed", _("Tube already sealed")
        TUBE_UNKNOWN = "tube_unknown", _("Tube not opened")
        BARCODE_USED = "barcode_used", _("Tube barcode already used")
        OUT_OF_SCOPE = "out_of_scope", _("Not in this round's area")
        SINGLE_TUBE = "single_tube", _("Red or yellow code: single tube needed")
        ZONE_TUBE = "zone_tube", _("Zone: a single or smaller tube needed")
        UNKNOWN_PERSON = "unknown_person", _("Person not found")
        # held by a positive pooled tube (or antigen test), awaiting the single re-test at
        # home: never sampled at a point (`refusals`: said first)
        HELD = "held", _("Held after a positive test: not to be sampled at a point")

    class Status(models.TextChoices):
        OPEN = "open", _("To resolve")
        ACCEPTED = "accepted", _("Registered after review")
        DISMISSED = "dismissed", _("Dismissed after review")

    round = models.ForeignKey(Round, models.CASCADE, related_name="conflicts")
    client_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    barcode = models.CharField(max_length=40, blank=True)
    tube = models.ForeignKey(Tube, models.SET_NULL, null=True, blank=True, related_name="+")
    resident = models.ForeignKey("registry.Resident", models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    person = models.CharField(max_length=64, blank=True)  # what was scanned (never an ID in clear)
    sampled_at = models.DateTimeField()
    sampler = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["round", "status"], name="conflict_round_status_idx")]

    def __str__(self):
        return f"{self.kind} {self.barcode}"


class LabResult(models.Model):
    """One result for one tube. A correction adds a row (`replaces`); history is kept."""

    tube = models.ForeignKey(Tube, models.CASCADE, related_name="results")
    result = models.CharField(max_length=10, choices=Result.choices)
    ct_orf = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    ct_n = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    tested_at = models.DateTimeField()
    source = models.CharField(max_length=10)  # upload, api, web
    entered_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    replaces = models.ForeignKey("self", models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.tube_id}: {self.result}"


class HeldLabFile(models.Model):
    """A lab's results file whose changes to recorded results it was asked to confirm (the
    confirm step cannot post a file again): its parsed rows, kept for the account that
    uploaded it under a random token until it confirms or cancels, or `expires_at`. In the
    database, not the cache, so the "yes" may reach any app server (`actions.lab.hold_file`;
    expired rows are ignored and deleted on the next upload and by the worker's pass)."""

    user = models.ForeignKey("accounts.User", models.CASCADE, related_name="+")
    token = models.CharField(max_length=32, unique=True)
    rows = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.user_id}: {self.token}"


class FollowUp(Levels):
    """A person whose pooled tube was positive (or whose antigen test was): held until a
    single re-test releases them or confirms a case."""

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("Pooled positive, awaiting single re-test")
        RESAMPLED = "resampled", _("Re-sampled, awaiting the lab")
        RELEASED = "released", _("Released: single re-test negative")
        CASE = "case", _("Positive case")

    round = models.ForeignKey(Round, models.CASCADE, related_name="followups")
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    household_id = models.BigIntegerField()
    # the positive pool; empty when an antigen test was positive (see AntigenResult)
    tube = models.ForeignKey(Tube, models.CASCADE, null=True, blank=True, related_name="+")
    retest_tube = models.ForeignKey(Tube, models.SET_NULL, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AWAITING)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The lab corrected the positive pool (negative or invalid) when: the hold is lifted
    # (status released, or a case kept as it stands on its own re-test), and it says so.
    corrected_at = models.DateTimeField(null=True, blank=True)
    # Staff were told the hold is overdue (`figures.overdue_q`: no single re-test result
    # FANGKONG_HOLD_OVERDUE_HOURS after it began) when: once a hold (`followup.tell_overdue`).
    overdue_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "resident"],
                                               name="followup_unique")]
        indexes = [models.Index(fields=["round", "status"], name="followup_round_status_idx")]

    def __str__(self):
        return f"{self.resident_id}: {self.status}"

    def status_text(self) -> str:
        """The status as pages and the API say it: a hold lifted by the lab's correction of
        the pool is not a negative single re-test, and a case whose pool the lab corrected
        stays a case on its own single re-test (never "the case was corrected")."""
        if self.corrected_at is not None and self.status == self.Status.RELEASED:
            if not self.tube_id:  # an antigen hold: its positive corrected by the staff
                return str(_("Released: the staff corrected the positive antigen result"))
            return str(_("Released: the lab corrected the pool's result"))
        if self.corrected_at is not None and self.status == self.Status.CASE and self.tube_id:
            return str(_("Pool result corrected to %(result)s; own single re-test positive: still a case")
                       % {"result": self.pool_result_word()})
        return str(self.get_status_display())

    def pool_result_word(self) -> str:
        """The positive pool's result now, in one word ("" for an antigen hold)."""
        return result_word(self.tube.result) if self.tube_id else ""


# --- antigen rounds (writes in actions/antigen.py, reads in antigen.py) ----------------

class KitIssue(Levels):
    """Antigen kits handed over at a household's door: how many, by whom, when. A household
    may get more than one issue (a top-up); its kits are the sum. `client_id` makes a
    retried submission write once."""

    round = models.ForeignKey(Round, models.CASCADE, related_name="kit_issues")
    household = models.ForeignKey("registry.Household", models.CASCADE, related_name="+")
    count = models.PositiveSmallIntegerField(_("kits"))
    issued_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    client_id = models.UUIDField(unique=True, default=uuid.uuid4)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["round", "community"], name="kit_round_comm_idx"),
                   models.Index(fields=["round", "household"], name="kit_round_hh_idx")]

    def __str__(self):
        return f"{self.household_id}: {self.count}"


def antigen_photo_path(instance, filename):
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"antigen/{instance.round_id}/{uuid.uuid4().hex}.{ext}"


class AntigenResult(Levels):
    """One person's antigen result in an antigen round (one row per person and round; a
    later entry replaces it, see antigen_actions.record_result). Entered by a volunteer or staff at
    the door, or self-reported by the resident with a photo of the cassette. A positive
    result holds the person (`FollowUp` without a tube) and lists an urgent PCR re-test."""

    class Source(models.TextChoices):
        DOOR = "door", _("Entered at the door")
        SELF = "self", _("Self-reported")

    round = models.ForeignKey(Round, models.CASCADE, related_name="antigen_results")
    resident = models.ForeignKey("registry.Resident", models.CASCADE, related_name="+")
    household_id = models.BigIntegerField()
    result = models.CharField(_("result"), max_length=10, choices=ANTIGEN_RESULTS)
    source = models.CharField(max_length=10, choices=Source.choices)
    photo = models.FileField(_("photo of the cassette"), upload_to=antigen_photo_path, blank=True)
    entered_by = models.ForeignKey("accounts.User", models.PROTECT, null=True, related_name="+")
    tested_at = models.DateTimeField(default=timezone.now)
    client_id = models.UUIDField(unique=True, default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)
    # A positive corrected by the community staff (`actions.antigen_correct.correct_positive`:
    # asked first, with a reason, audited; never the door's ordinary form): when, by whom, why,
    # and the positive's cassette photo, kept with it (the row's `photo` is then the new
    # result's, if any).
    corrected_at = models.DateTimeField(null=True, blank=True)
    corrected_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, related_name="+")
    correction_reason = models.CharField(_("reason for the correction"), max_length=200, blank=True)
    positive_photo = models.FileField(upload_to=antigen_photo_path, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["round", "resident"],
                                               name="antigen_once")]
        indexes = [models.Index(fields=["round", "community"], name="antigen_round_comm_idx"),
                   models.Index(fields=["round", "result"], name="antigen_round_result_idx")]

    def __str__(self):
        return f"{self.resident_id}: {self.result}"

    @property
    def corrected(self) -> bool:
        """A positive the staff corrected, and the row not positive again since."""
        return self.corrected_at is not None and self.result != Result.POSITIVE
