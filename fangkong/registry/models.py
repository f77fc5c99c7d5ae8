"""The place registry: the tree of places, households and residents.

The tree has fixed residential levels (district → street → community → grid → compound →
building → unit). Every place, household and resident carries a copy of its ancestors at
each level (`district_id` … `unit_id`), so "everything under node N" is one indexed
equality (`<N.kind>_id = N.id`) on any table, on SQLite and PostgreSQL alike, and roll-ups
are a GROUP BY on a level column. Moving a node rewrites those columns below it in one
UPDATE per table (see actions.move_place). Non-residential places (shop, sampling point…)
hang under any node and inherit its levels.
"""

import re
import secrets

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    DISTRICT = "district", _("District")
    STREET = "street", _("Street office")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    COMPOUND = "compound", _("Compound")
    BUILDING = "building", _("Building")
    UNIT = "unit", _("Unit")
    SHOP = "shop", _("Shop")
    SAMPLING_POINT = "sampling_point", _("Sampling point")
    HOTEL = "hotel", _("Hotel")
    QUARANTINE_SITE = "quarantine_site", _("Quarantine site")
    CHECKPOINT = "checkpoint", _("Checkpoint")
    OTHER = "other", _("Other place")


LEVELS = [Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY, Kind.GRID, Kind.COMPOUND,
          Kind.BUILDING, Kind.UNIT]
LEVEL_FIELDS = [f"{k}_id" for k in LEVELS]
# Which kinds may stand directly under which (None: a root).
ALLOWED_PARENTS = {
    Kind.DISTRICT: {None},
    Kind.STREET: {Kind.DISTRICT},
    Kind.COMMUNITY: {Kind.STREET},
    Kind.GRID: {Kind.COMMUNITY},
    Kind.COMPOUND: {Kind.COMMUNITY, Kind.GRID},
    Kind.BUILDING: {Kind.COMPOUND, Kind.GRID, Kind.COMMUNITY},
    Kind.UNIT: {Kind.BUILDING},
}
NON_RESIDENTIAL = [k for k in Kind if k not in LEVELS]
# Households hang under a unit, or under a building that has no units.
HOUSEHOLD_PARENTS = {Kind.UNIT, Kind.BUILDING}


def natural_key(text: str) -> str:
    """'3号楼' < '10号楼': pad every run of digits so text order is natural order."""
    return re.sub(r"\d+", lambda m: m.group().zfill(8), text or "")[:120]


class Levels(models.Model):
    """Copies of a row's ancestor at each level of the tree (see module docstring)."""

    district = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                                 related_name="+", db_constraint=False, db_index=False)
    street = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                               related_name="+", db_constraint=False, db_index=False)
    community = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                                  related_name="+", db_constraint=False, db_index=False)
    grid = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                             related_name="+", db_constraint=False, db_index=False)
    compound = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                                 related_name="+", db_constraint=False, db_index=False)
    building = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                                 related_name="+", db_constraint=False, db_index=False)
    unit = models.ForeignKey("registry.Place", models.DO_NOTHING, null=True, blank=True,
                             related_name="+", db_constraint=False, db_index=False)

    class Meta:
        abstract = True

    def levels(self) -> dict[str, int | None]:
        return {f: getattr(self, f) for f in LEVEL_FIELDS}

    def copy_levels(self, source: "Levels"):
        for f in LEVEL_FIELDS:
            setattr(self, f, getattr(source, f))


class Place(Levels):
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=80)
    parent = models.ForeignKey("self", models.PROTECT, null=True, blank=True,
                               related_name="children", verbose_name=_("parent"))
    depth = models.PositiveSmallIntegerField(default=0)
    sort_key = models.CharField(max_length=120, default="")
    code = models.CharField(_("official code"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    # The place's duty phone (值班电话): whom a guard at the gate or a sealed family calls;
    # the nearest one up the tree answers for a place (`queries.duty_phone_for`).
    duty_phone = models.CharField(_("duty phone"), max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "kind", "name"], name="place_unique_name"),
            models.UniqueConstraint(fields=["kind", "name"], condition=models.Q(parent=None),
                                    name="place_unique_root_name"),
        ]
        indexes = [models.Index(fields=[f], name=f"place_{f}_idx") for f in LEVEL_FIELDS[:6]]

    def __str__(self):
        return self.name

    @property
    def is_level(self):
        return self.kind in LEVELS

    def save(self, *args, **kwargs):
        self.sort_key = natural_key(self.name)
        super().save(*args, **kwargs)


class Presence(models.TextChoices):
    HOME = "home", _("At home")
    QUARANTINE = "quarantine", _("Centralized quarantine")
    HOSPITAL = "hospital", _("In hospital")
    AWAY = "away", _("Away")
    MOVED_OUT = "moved_out", _("Moved out")


class Tag(models.TextChoices):
    ELDERLY_ALONE = "elderly_alone", _("Elderly living alone")
    LIMITED_MOBILITY = "limited_mobility", _("Limited mobility")
    BEDRIDDEN = "bedridden", _("Bedridden")
    PREGNANT = "pregnant", _("Pregnant")
    DIALYSIS = "dialysis", _("Dialysis")
    CHRONIC = "chronic", _("Chronic illness")
    INFANT = "infant", _("Infant")
    DISABILITY = "disability", _("Disability")


# Tag → its position, for Resident.pack_tags (Tag.values builds a new list on every access).
_TAG_ORDER = {t: i for i, t in enumerate(Tag.values)}


def _tag_position(tag) -> int:
    try:
        return _TAG_ORDER[tag]
    except KeyError:
        raise ValueError(f"{tag!r} is not a tag") from None


class KeyGroup(models.TextChoices):
    """重点人群 for testing: people whose work puts them at risk (or others at risk) and who
    are sampled singly or more often, whatever their zone (zones' `PoolingRule`, group key)."""

    NONE = "", _("Not in a key group")
    MEDICAL = "medical", _("Medical staff")
    QUARANTINE = "quarantine", _("Quarantine-site staff")
    COLD_CHAIN = "cold_chain", _("Port and cold-chain workers")
    TRANSPORT = "transport", _("Drivers, couriers and delivery riders")
    SERVICE = "service", _("Shop, market and public-service staff")
    OTHER = "other", _("Other key group")


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    GRANDCHILD = "grandchild", _("Grandchild")
    SIBLING = "sibling", _("Sibling")
    TENANT = "tenant", _("Tenant")
    OTHER = "other", _("Other")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Household(Levels):
    place = models.ForeignKey(Place, models.PROTECT, related_name="households",
                              verbose_name=_("unit or building"))
    door = models.CharField(_("door number"), max_length=20)
    sort_key = models.CharField(max_length=120, default="")
    phone = models.CharField(_("household phone"), max_length=20, blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sort_key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["place", "door"], name="household_unique_door"),
        ]
        indexes = [models.Index(fields=[f], name=f"household_{f}_idx") for f in LEVEL_FIELDS]

    def __str__(self):
        return self.door

    def save(self, *args, **kwargs):
        self.sort_key = natural_key(self.door)
        super().save(*args, **kwargs)


def new_token() -> str:
    return secrets.token_urlsafe(16)


# A token as looked up (`codes.token_key`, whose docstring says why): lower case, then the
# look-alikes typed from a card folded together (o → 0, i and l → 1, _ → -). One fixed SQL
# text, no parameters, so the unique index below, the ORM's look-ups and the station's raw
# SQL (`TOKEN_KEY_SQL % {"expressions": "r.token"}`) are the same expression and use it, on
# SQLite and PostgreSQL alike.
TOKEN_KEY_SQL = (  # nosec B105 -- an SQL expression over the token column, not a password
    "REPLACE(REPLACE(REPLACE(REPLACE(LOWER(%(expressions)s), 'o', '0'), 'i', '1'), "
    "'l', '1'), '_', '-')")


class TokenKey(models.Func):
    """`codes.token_key` in SQL: `TokenKey("token")`."""
    template = TOKEN_KEY_SQL
    arity = 1
    output_field = models.CharField()


class Resident(Levels):
    household = models.ForeignKey(Household, models.PROTECT, related_name="residents",
                                  verbose_name=_("household"))
    name = models.CharField(_("name"), max_length=50)
    pinyin = models.CharField(max_length=200, default="", db_index=True)  # "zhangsan"
    initials = models.CharField(max_length=50, default="", db_index=True)  # "zs"
    pinyin_given = models.CharField(max_length=200, default="", db_default="", db_index=True)  # "sanzhang"
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    phone_tail = models.CharField(max_length=4, blank=True, db_index=True)
    # ID number: encrypted at rest; keyed hash for exact look-up; last 4 for tail search.
    id_enc = models.TextField(blank=True)
    id_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    id_head = models.CharField(max_length=4, blank=True)  # first 4 (region), for masking
    id_tail = models.CharField(max_length=4, blank=True, db_index=True)
    relation = models.CharField(_("relation to head"), max_length=20, choices=Relation.choices,
                                default=Relation.OTHER)
    presence = models.CharField(_("presence"), max_length=20, choices=Presence.choices,
                                default=Presence.HOME)
    # None: not known (a roster imported without the 智能手机 column): counted with those
    # without one for the code cards, "未知" in the export
    has_smartphone = models.BooleanField(_("has a smartphone"), null=True, default=True)
    tags = models.CharField(_("vulnerability"), max_length=200, default="", blank=True)
    key_group = models.CharField(_("key group"), max_length=20, choices=KeyGroup.choices,
                                 default="", blank=True)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    unverified = models.BooleanField(default=False)  # registered on the spot, to be checked
    # The personal QR code (`codes.code_payload`); found by its key (`codes.token_key`: lower
    # case, look-alikes folded — a scanner may change the case, a person may type O for 0),
    # so that is what is unique and indexed.
    token = models.CharField(max_length=32, default=new_token)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["household_id", "id"]
        indexes = [models.Index(fields=[f], name=f"resident_{f}_idx") for f in LEVEL_FIELDS
                   if f != "unit_id"]
        constraints = [models.UniqueConstraint(TokenKey("token"), name="resident_token_key")]

    def __str__(self):
        return self.name

    # tags are stored ",a,b," so that `tags__contains=",a,"` is exact
    @property
    def tag_list(self) -> list[str]:
        return [t for t in self.tags.split(",") if t]

    def tag_labels(self) -> list[str]:
        labels = dict(Tag.choices)
        return [str(labels.get(t, t)) for t in self.tag_list]

    @staticmethod
    def pack_tags(tags) -> str:
        if not tags:
            return ""
        tags = sorted(set(tags), key=_tag_position)
        return "," + ",".join(tags) + ","

    @property
    def id_masked(self) -> str:
        if not self.id_hash:
            return ""
        return self.id_head + "*" * 10 + self.id_tail

    @property
    def age(self):
        if not self.birth_date:
            return None
        today = timezone.localdate()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))


class ImportJob(models.Model):
    """One roster import: the file, its progress, and its row errors."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to start")
        READING = "reading", _("Reading and checking")
        # checked and planned, nothing written: waiting for someone to confirm or discard
        CHECKED = "checked", _("Checked: waiting for your confirmation")
        CONFIRMED = "confirmed", _("Confirmed: waiting to be saved")
        WRITING = "writing", _("Saving")
        DONE = "done", _("Imported")
        REJECTED = "rejected", _("Rejected: nothing was imported")
        FAILED = "failed", _("Failed: nothing was imported")
        DISCARDED = "discarded", _("Discarded: nothing was imported")

    user = models.ForeignKey("accounts.User", models.PROTECT, related_name="+")
    place = models.ForeignKey(Place, models.PROTECT, related_name="+",
                              verbose_name=_("import into"))
    filename = models.CharField(max_length=200)
    content = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    households_created = models.PositiveIntegerField(default=0)
    places_created = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # people added to (new or moved into) households that already had residents, and the
    # rows to check, kept like errors but the import went ahead: [{row, column, value,
    # message, code, params, household, address}] (`importer.joining`)
    joined_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    # [{row, column, value, message, code, params}]: `message` as written in the language of
    # whoever ran the import, `code` and `params` to say it in the reader's (`core.said`;
    # rows kept before have only the message)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    said = models.JSONField(default=list, blank=True)  # `message` as [{code, params} | {text}]
    # what the write will do, as checked (`importer.writer.Plan.summary`): counts, a few
    # examples, the rows to check and the `digest` a confirmation is compared with
    summary = models.JSONField(default=dict, blank=True)
    confirmed_by = models.ForeignKey("accounts.User", models.PROTECT, related_name="+",
                                     null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Who runs it (ops.processes.identity() of the worker or web process), since when, how
    # many times it was started, the task that runs it, and the uploader's language (for
    # the messages written when it is recovered after its process died: ops.recovery).
    runner = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    task_id = models.CharField(max_length=64, blank=True)
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status"], name="importjob_status_idx",
                                condition=models.Q(status__in=["queued", "reading", "confirmed", "writing"]))]

    def __str__(self):
        return f"{self.filename} ({self.status})"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED,
                               self.Status.DISCARDED)

    @property
    def is_running(self):
        """Being read, checked or written (or waiting for it): the page keeps polling."""
        return not self.is_finished and self.status != self.Status.CHECKED

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(self.processed_rows * 100 / self.total_rows))
