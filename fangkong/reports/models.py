"""Nightly reports (日报): a definition per level (cut-off, when it is due, which figures),
one report per node and day, locked once submitted; a correction is a new version."""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.registry.models import Kind, Levels

REPORT_LEVELS = [(Kind.COMMUNITY.value, Kind.COMMUNITY.label), (Kind.STREET.value, Kind.STREET.label),
                 (Kind.DISTRICT.value, Kind.DISTRICT.label)]


# Each level's report by its built-in name, said in the reader's language (`ReportDefinition.title`).
DEFAULT_NAMES = {Kind.COMMUNITY: _("Community nightly report"),
                 Kind.STREET: _("Street nightly report"),
                 Kind.DISTRICT: _("District nightly report")}


class ReportDefinition(models.Model):
    """What a level reports each night and when (set by an administrator, /admin/)."""

    level = models.CharField(_("level"), max_length=20, choices=REPORT_LEVELS, unique=True)
    # blank: the level's built-in name, in the reader's language (`title`)
    name = models.CharField(_("name"), max_length=80, blank=True,
                            help_text=_("Leave empty for the usual name, shown in each reader's language."))
    # Figures are counted as of the cut-off: a scan at 20:01 belongs to the next day.
    cutoff = models.TimeField(_("cut-off"), default=datetime.time(20, 0))
    # On time when first submitted by cut-off + due_minutes; late after; missing if never.
    due_minutes = models.PositiveSmallIntegerField(_("minutes after the cut-off it is due"),
                                                   default=60)
    # The scheduled job prepares the figures and sends reminders this long before the cut-off.
    prepare_minutes = models.PositiveSmallIntegerField(_("minutes before the cut-off to prepare"),
                                                       default=30)
    figures = models.JSONField(_("figures (keys; empty: all)"), default=list, blank=True)

    def __str__(self):
        return str(self.title)

    @property
    def title(self) -> str:
        """The report's name as shown: the administrator's own name, or — left empty, or the
        built-in name as it was saved, in Chinese or in English — the level's built-in name
        in the reader's language (saving a cut-off in /admin/ had kept "社区日报" for English
        readers too)."""
        default = DEFAULT_NAMES.get(self.level)
        name = (self.name or "").strip()
        if default is None:
            return name or self.level
        if not name:
            return str(default)
        from django.utils import translation

        said = set()
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                said.add(str(default))
        return str(default) if name in said else name

    def cutoff_on(self, day: datetime.date) -> datetime.datetime:
        """The cut-off of `day` (the site's zone), in UTC as every stored time reads back: the
        API gave a completeness' `due_at` as …+08:00 when computed here and …Z when read from
        a report (walked 2026-12-07)."""
        return timezone.make_aware(datetime.datetime.combine(day, self.cutoff)).astimezone(datetime.UTC)

    def due_on(self, day: datetime.date) -> datetime.datetime:
        return self.cutoff_on(day) + datetime.timedelta(minutes=self.due_minutes)


class DailyReport(Levels):
    """One version of a node's nightly report. The current version of (place, day) has
    `current`; a submitted version is never edited again (a correction is a new version with
    its reason, the earlier one kept)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        RETURNED = "returned", _("Returned")

    place = models.ForeignKey("registry.Place", models.PROTECT, related_name="+")
    level = models.CharField(max_length=20, choices=REPORT_LEVELS)
    day = models.DateField(_("day"))
    version = models.PositiveSmallIntegerField(default=1)
    current = models.BooleanField(default=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    cutoff_at = models.DateTimeField(_("cut-off"))
    due_at = models.DateTimeField()
    figures = models.JSONField(default=dict)
    children = models.JSONField(default=list)  # roll-ups: each child's report and figures
    computed_at = models.DateTimeField(null=True, blank=True)  # figures counted then, as of cutoff_at
    remarks = models.TextField(_("remarks"), max_length=2000, blank=True)
    reason = models.CharField(_("reason for the correction"), max_length=300, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey("accounts.User", models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    return_reason = models.CharField(_("reason for returning"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    @property
    def figures_at(self):
        """As of when the figures count: the cut-off, or when they were counted if that
        was earlier (a draft before the evening)."""
        if self.computed_at is not None and self.computed_at < self.cutoff_at:
            return self.computed_at
        return self.cutoff_at

    class Meta:
        ordering = ["-day", "place_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["place", "day", "version"], name="report_version_unique"),
            models.UniqueConstraint(fields=["place", "day"], condition=models.Q(current=True),
                                    name="report_one_current"),
        ]
        indexes = [models.Index(fields=["street", "day"], name="report_street_day_idx"),
                   models.Index(fields=["district", "day"], name="report_district_day_idx"),
                   models.Index(fields=["community", "day"], name="report_community_day_idx")]

    def __str__(self):
        return f"{self.place_id} {self.day} v{self.version}"

    @property
    def locked(self) -> bool:
        return self.status != self.Status.DRAFT


class FigureSnapshot(Levels):
    """A community's live figures as last counted (by the scheduled job, or by a dashboard
    that found it stale): streets' and districts' dashboards sum these instead of counting
    a million residents in the request. Never a report: reports count as of their cut-off."""

    place = models.OneToOneField("registry.Place", models.CASCADE, related_name="+")
    computed_at = models.DateTimeField()
    values = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["street"], name="snapshot_street_idx"),
                   models.Index(fields=["district"], name="snapshot_district_idx")]


class CutoffRoll(Levels):
    """A community's roll at a day's cut-off: the figures counted from the registry as it
    stands (`core.figures.Figure.roll`: residents, households, people and households in each
    zone), which keeps no history of who lived where. Taken once, at the cut-off, by the
    scheduled job (`actions.roll.take`), or by the report's submit if that comes first; a
    report of a day whose cut-off has passed (its page, API, exports, the sums above it, a
    late submit or a correction) takes these figures from here, never from today's roll.
    `taken_at` long after the cut-off (the worker was down) is said under the figures."""

    place = models.ForeignKey("registry.Place", models.CASCADE, related_name="+")
    day = models.DateField()
    cutoff_at = models.DateTimeField()
    taken_at = models.DateTimeField()
    values = models.JSONField(default=dict)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["place", "day"], name="cutoff_roll_unique")]
        indexes = [models.Index(fields=["street", "day"], name="cutoff_roll_street_day_idx"),
                   models.Index(fields=["day"], name="cutoff_roll_day_idx")]

    def __str__(self):
        return f"{self.place_id} {self.day} roll"
