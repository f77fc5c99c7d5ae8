"""Volunteers: registration (报到), teams, urgent calls with slots (召集令), attendance, hours.

A `Volunteer` registers with the community where they live (no account needed), staff
approve, and approval links an account with the volunteer role. A `Call` asks for a number
of people at a place and time; an `Assignment` is one volunteer's answer to it —
confirmed, waitlisted (in arrival order), cancelled — and later their verified check-in and
check-out, from which the credited minutes come.

Every row that belongs to a place carries the place's level columns (`Levels`), so a
community's volunteers, calls and hours are one indexed equality on `community_id`.
"""

import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangkong.registry.models import Levels


class Skill(models.TextChoices):
    MEDICAL = "medical", _("Medical training")
    SAMPLING = "sampling", _("Sampling-trained")
    DRIVING = "driving", _("Driving")
    IT = "it", _("IT")
    PSYCH = "psych", _("Psychological support")
    INTERPRETING = "interpreting", _("Interpreting")
    ELECTRICIAN = "electrician", _("Repairs and electrics")
    DISINFECTION = "disinfection", _("Disinfection")


def tenths(minutes: int) -> int:
    """The one rule for hours: a place's credited minutes in tenths of an hour, half up
    (integers, so Python and both databases agree: `TENTHS`). A row shows `tenths / 10`
    hours; a total (a volunteer's, a group's) is the sum of its rows' tenths, so the rows
    on a page always add up to the total beside them."""
    return (minutes * 10 + 30) // 60


def tenths_of(field="minutes"):
    """`tenths` in SQL over an Assignment minutes field (integer division on SQLite and
    PostgreSQL alike); Sum() it for a total."""
    return models.ExpressionWrapper((models.F(field) * 10 + 30) / 60,
                                    output_field=models.IntegerField())


class Day(models.TextChoices):
    MON = "mon", _("Mon")
    TUE = "tue", _("Tue")
    WED = "wed", _("Wed")
    THU = "thu", _("Thu")
    FRI = "fri", _("Fri")
    SAT = "sat", _("Sat")
    SUN = "sun", _("Sun")


def pack(values, order) -> str:
    """Store a set of choices as ",a,b," (so `field__contains=",a,"` is exact)."""
    if not values:
        return ""
    pos = {v: i for i, v in enumerate(order)}
    return "," + ",".join(sorted(set(values), key=lambda v: pos.get(v, 99))) + ","


def unpack(text) -> list[str]:
    return [t for t in (text or "").split(",") if t]


def new_token() -> str:
    return secrets.token_urlsafe(16)


class Volunteer(Levels):
    """A person who registered with a community. Their levels are those of their home."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    household = models.ForeignKey("registry.Household", models.PROTECT, related_name="volunteers",
                                  verbose_name=_("home address"))
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, unique=True)
    id_enc = models.TextField(blank=True)
    id_hash = models.CharField(max_length=64, unique=True)
    id_head = models.CharField(max_length=4, blank=True)
    id_tail = models.CharField(max_length=4, blank=True)
    work_unit = models.CharField(_("work unit"), max_length=100, blank=True)
    party_member = models.BooleanField(_("Party member"), default=False)
    party_branch = models.CharField(_("Party branch"), max_length=100, blank=True)
    skills = models.CharField(_("skills"), max_length=200, blank=True, default="")
    days = models.CharField(_("available days"), max_length=40, blank=True, default="")
    hours_from = models.TimeField(_("available from"), null=True, blank=True)
    hours_to = models.TimeField(_("available until"), null=True, blank=True)
    consent_at = models.DateTimeField(_("consent given"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    decided_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    user = models.OneToOneField("accounts.User", models.SET_NULL, null=True, blank=True,
                                related_name="volunteer")
    minutes = models.PositiveIntegerField(default=0)  # credited, kept in step by actions
    # Bumped by every action that gives this person a place (sign-up, assignment,
    # promotion): a sign-up reads it with the clash check and takes its place only if it
    # is unchanged, so one person's simultaneous answers cannot overlap (no lock needed).
    places_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["community", "status"], name="volunteer_community_idx"),
            models.Index(fields=["grid"], name="volunteer_grid_idx"),
            models.Index(fields=["building"], name="volunteer_building_idx"),
            models.Index(fields=["street"], name="volunteer_street_idx"),
            models.Index(fields=["district"], name="volunteer_district_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def id_masked(self):
        return self.id_head + "*" * 10 + self.id_tail if self.id_hash else ""

    @property
    def skill_list(self):
        return unpack(self.skills)

    def skill_labels(self):
        labels = dict(Skill.choices)
        return [str(labels.get(s, s)) for s in self.skill_list]

    @property
    def day_list(self):
        return unpack(self.days)

    def day_labels(self):
        labels = dict(Day.choices)
        return [str(labels.get(d, d)) for d in self.day_list]

    @property
    def hours(self) -> float:
        """The sum of the places' hours (`Assignment.hours`, `tenths`); read from an
        annotation `hour_tenths` when the query made one (`queries.with_hours`)."""
        t = self.__dict__.get("hour_tenths")
        if t is None:
            t = (Assignment.objects.filter(volunteer_id=self.pk, minutes__gt=0)
                 .aggregate(t=models.Sum(tenths_of()))["t"]) if self.pk and self.minutes else 0
        return (t or 0) / 10


class PhoneCode(models.Model):
    """A one-time code sent to a phone to prove it belongs to the person registering.

    Only a keyed hash of the code is stored; it expires and allows a few attempts."""

    class Purpose(models.TextChoices):
        REGISTER = "register", _("Registration")
        LOGIN = "login", _("Log in")

    phone = models.CharField(max_length=20)
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.REGISTER)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)  # who asked: codes per address are limited

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone", "purpose", "created_at"], name="phonecode_idx"),
                   models.Index(fields=["ip", "created_at"], name="phonecode_ip_idx")]

    def __str__(self):
        return f"{self.purpose} code for {self.phone[:3]}****{self.phone[-4:]}"


class JoinLink(models.Model):
    """A community's registration link (and the QR poster that carries it)."""

    place = models.OneToOneField("registry.Place", models.CASCADE, related_name="volunteer_join_link")
    token = models.CharField(max_length=32, unique=True, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"join link of {self.place_id}"


class Team(Levels):
    """A standing team of a community (封控五组, 消杀工作队…), with a leader and an area."""

    community_place = models.ForeignKey("registry.Place", models.PROTECT,
                                        related_name="volunteer_teams", verbose_name=_("community"))
    name = models.CharField(_("name"), max_length=60)
    leader = models.ForeignKey(Volunteer, models.SET_NULL, null=True, blank=True,
                               related_name="leads", verbose_name=_("leader"))
    area = models.ForeignKey("registry.Place", models.PROTECT, null=True, blank=True,
                             related_name="volunteer_team_areas", verbose_name=_("area"))
    members = models.ManyToManyField(Volunteer, through="TeamMember", related_name="teams")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["community_place", "name"],
                                               name="team_unique_name")]

    def __str__(self):
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(Volunteer, models.CASCADE, related_name="team_memberships")
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "volunteer"],
                                               name="team_member_unique")]

    def __str__(self):
        return f"{self.volunteer_id} in {self.team_id}"


class Loan(models.Model):
    """A volunteer lent by their home community to another one until a given time."""

    volunteer = models.ForeignKey(Volunteer, models.CASCADE, related_name="loans")
    to_community = models.ForeignKey("registry.Place", models.PROTECT, related_name="volunteer_loans")
    until = models.DateTimeField()
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["to_community", "until"], name="loan_community_idx")]

    def __str__(self):
        return f"{self.volunteer_id} lent to {self.to_community_id} until {self.until:%Y-%m-%d %H:%M}"


class Task(models.TextChoices):
    SAMPLING = "sampling", _("Sampling support")
    ORDER = "order", _("Order keeping")
    REGISTRATION = "registration", _("Registration")
    KITS = "kits", _("Kit distribution")
    DELIVERY = "delivery", _("Delivery")
    DISINFECTION = "disinfection", _("Disinfection")
    DOOR_CHECK = "door_check", _("Door-to-door check")
    OTHER = "other", _("Other task")


class Audience(models.TextChoices):
    COMMUNITY = "community", _("Everyone approved in the community")
    TEAM = "team", _("One team")
    PARTY = "party", _("Party members")
    SKILL = "skill", _("People with a skill")
    BUILDING = "building", _("People living in a building")


class Call(Levels):
    """An urgent call (召集令): people needed at a place and time. Levels of its place."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("call", "Open")
        FULL = "full", pgettext_lazy("call", "Full")
        CLOSED = "closed", pgettext_lazy("call", "Closed")
        CANCELLED = "cancelled", pgettext_lazy("call", "Cancelled")

    community_place = models.ForeignKey("registry.Place", models.PROTECT,
                                        related_name="volunteer_calls")
    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="volunteer_calls_here",
                              verbose_name=_("place"))
    task = models.CharField(_("task"), max_length=20, choices=Task.choices)
    title = models.CharField(_("title"), max_length=100)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    slots = models.PositiveIntegerField(_("people needed"))
    skills = models.CharField(_("required skills"), max_length=200, blank=True, default="")
    briefing = models.TextField(_("briefing"), blank=True)
    deadline = models.DateTimeField(_("sign-up deadline"))
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices,
                                default=Audience.COMMUNITY)
    team = models.ForeignKey(Team, models.PROTECT, null=True, blank=True, related_name="calls",
                             verbose_name=_("team"))
    audience_skill = models.CharField(max_length=20, blank=True, choices=Skill.choices)
    audience_place = models.ForeignKey("registry.Place", models.PROTECT, null=True, blank=True,
                                       related_name="volunteer_calls_for")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    cancel_reason = models.CharField(max_length=300, blank=True, default="")  # said on its page
    confirmed = models.PositiveIntegerField(default=0)  # kept in step under the row lock
    waitlist_seq = models.PositiveIntegerField(default=0)  # arrival numbers handed out
    token = models.CharField(max_length=32, unique=True, default=new_token)  # the QR
    created_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, related_name="+")
    published_at = models.DateTimeField(default=timezone.now)
    filled_at = models.DateTimeField(null=True, blank=True)
    notified = models.PositiveIntegerField(default=0)
    client_id = models.UUIDField(unique=True, null=True, blank=True)  # a second tap publishes nothing more

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [models.Index(fields=["community", "starts_at"], name="call_community_idx"),
                   models.Index(fields=["street"], name="call_street_idx"),
                   models.Index(fields=["district"], name="call_district_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(confirmed__lte=models.F("slots")),
                                              name="call_never_over_slots")]

    def __str__(self):
        return self.title

    @property
    def skill_list(self):
        return unpack(self.skills)

    def skill_labels(self):
        labels = dict(Skill.choices)
        return [str(labels.get(s, s)) for s in self.skill_list]

    def lacks(self, v: "Volunteer") -> list[str]:
        """The call's required skills volunteer `v` does not have (codes, the call's order):
        empty when they have them all. Staff may still assign them, knowingly."""
        have = set(v.skill_list)
        return [s for s in self.skill_list if s not in have]

    @property
    def state(self) -> str:
        """The status as it is now: an open or full call past its deadline is closed."""
        if self.status in (self.Status.OPEN, self.Status.FULL) and timezone.now() >= self.deadline:
            return self.Status.CLOSED
        return self.status

    def get_state_display(self):
        return str(dict(self.Status.choices)[self.state])

    @property
    def accepting(self) -> bool:
        return self.state in (self.Status.OPEN, self.Status.FULL)

    @property
    def time_to_fill(self):
        if self.filled_at is None:
            return None
        return self.filled_at - self.published_at

    @property
    def time_to_fill_minutes(self):
        t = self.time_to_fill
        return None if t is None else max(0, round(t.total_seconds() / 60))


class Assignment(Levels):
    """One volunteer's place on a call, and their verified attendance. Levels of the call."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("On the waitlist")
        CANCELLED = "cancelled", _("Cancelled")

    class Via(models.TextChoices):
        SIGNUP = "signup", _("Signed up")
        ASSIGNED = "assigned", _("Assigned by the organiser")
        PROMOTED = "promoted", _("Promoted from the waitlist")

    # No single-column indexes of their own: (call, volunteer) and the clash index lead with
    # them, and every index is one more write per answer.
    call = models.ForeignKey(Call, models.CASCADE, related_name="assignments", db_index=False)
    volunteer = models.ForeignKey(Volunteer, models.PROTECT, related_name="assignments", db_index=False)
    status = models.CharField(max_length=12, choices=Status.choices)
    via = models.CharField(max_length=10, choices=Via.choices, default=Via.SIGNUP)
    position = models.PositiveIntegerField(default=0)  # arrival number on the waitlist
    # Copies of the call's window, for the clash check without a join.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    signed_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    check_in_at = models.DateTimeField(null=True, blank=True)
    check_in_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, db_index=False,
                                    related_name="+")
    check_out_at = models.DateTimeField(null=True, blank=True)
    check_out_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, db_index=False,
                                     related_name="+")
    minutes = models.PositiveIntegerField(default=0)  # credited
    corrected = models.BooleanField(default=False)
    correction_reason = models.CharField(max_length=300, blank=True)
    # when the check-in was recorded (the arrival typed may be earlier): it can be undone
    # for a few minutes after (`attendance.undo_check_in`)
    check_in_noted_at = models.DateTimeField(null=True, blank=True)
    # staff settled it after the shift (核定: a time given, marked as not come, or a long
    # credit accepted): off the "to settle" list (`queries.unsettled`)
    settled_at = models.DateTimeField(null=True, blank=True)
    settled_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True, db_index=False,
                                   related_name="+")

    class Meta:
        ordering = ["call_id", "status", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["call", "volunteer"],
                                               name="assignment_once_per_call")]
        indexes = [models.Index(fields=["volunteer", "status", "starts_at"],
                                name="assignment_clash_idx"),
                   models.Index(fields=["call", "status", "position"],
                                name="assignment_waitlist_idx"),
                   models.Index(fields=["community"], name="assignment_community_idx"),
                   # only the rows that have them (an answer writes neither index)
                   models.Index(fields=["check_in_by"], name="assignment_check_in_by_idx",
                                condition=models.Q(check_in_by__isnull=False)),
                   models.Index(fields=["check_out_by"], name="assignment_check_out_by_idx",
                                condition=models.Q(check_out_by__isnull=False)),
                   models.Index(fields=["settled_by"], name="assignment_settled_by_idx",
                                condition=models.Q(settled_by__isnull=False))]

    def __str__(self):
        return f"{self.volunteer} · {self.call}"

    @property
    def due_at(self):
        """When the person was due: the call's start, or when they were given the place
        if that was later (assigned or promoted to a call under way, they cannot be late
        for the time before)."""
        given = self.confirmed_at or self.signed_at
        return max(self.starts_at, given) if given else self.starts_at

    @property
    def late_minutes(self) -> int:
        """Minutes between when they were due (`due_at`) and their check-in."""
        if not self.check_in_at:
            return 0
        return max(0, int((self.check_in_at - self.due_at).total_seconds() // 60))

    @property
    def is_late(self) -> bool:
        from django.conf import settings

        return self.late_minutes > getattr(settings, "FANGKONG_VOLUNTEER_LATE_MINUTES", 10)

    @property
    def no_show(self) -> bool:
        return (self.status == self.Status.CONFIRMED and self.check_in_at is None
                and timezone.now() > self.ends_at)

    @property
    def hours(self) -> float:
        """Credited hours to one decimal (`tenths`)."""
        return tenths(self.minutes) / 10

    @property
    def has_credit(self) -> bool:
        """Is `hours` the place's figure to show: checked out, or hours set by staff (a
        correction without a check-out counts too)? Every page asks this, never
        `check_out_at` alone."""
        return self.check_out_at is not None or self.corrected

    @property
    def shift_minutes(self) -> int:
        return max(0, int((self.ends_at - self.starts_at).total_seconds() // 60))

    @property
    def state(self) -> str:
        """Where its attendance stands (`AttendanceState`): corrected, checked out, checked
        in and not out, not come (the shift over without a check-in), or not yet in."""
        if self.corrected:
            return AttendanceState.CORRECTED
        if self.check_out_at is not None:
            return AttendanceState.OUT
        if self.check_in_at is not None:
            return AttendanceState.IN
        if self.no_show:
            return AttendanceState.ABSENT
        return AttendanceState.DUE

    def get_state_display(self) -> str:
        return str(dict(AttendanceState.choices)[self.state])


class AttendanceState(models.TextChoices):
    """A confirmed place's attendance as the roster, the person's own pages and the
    exports' status column say it (`Assignment.state`)."""
    CORRECTED = "corrected", _("Corrected")
    OUT = "out", _("Checked out")
    IN = "in", _("Not checked out")
    ABSENT = "absent", _("Did not come")
    DUE = "due", _("Not checked in yet")
