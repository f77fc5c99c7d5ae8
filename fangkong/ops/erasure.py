"""End of the emergency: erase a community's or a round's personal data, keep the figures.

`manage.py erase_personal_data --community ID` (or `--round ID`) runs `erase()`; without
`--commit` it is a dry run — every change is made inside a transaction that is then rolled
back, so the report counts exactly what a real run would change, and no file is touched.

A community is anonymised in place, so every figure keeps its value (coverage of every
node, running counters, hours, calls filled, households per building): each app's
`erasure.py` blanks what identifies a person in its rows (registry: names, phones, ID
numbers, birth dates, door numbers, notes, tags, personal codes, uploaded rosters;
volunteers; screening: notes, scanned text, signatures, photos), then here the accounts
used only in that community are anonymised and closed, their tokens deleted, the
messages sent to or about them deleted, and the audit trail of the community and of those
people keeps who did what and when but loses labels, before/after values and addresses.
A round (closed) keeps its per-community figures (screening.erasure) and loses its
person-level rows. Either way one audit event records the erasure, with counts only.
Photos are deleted from disk after the commit; backups made before are listed (and
deleted with --delete-backups), since they still hold what was erased.
"""

import datetime
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import CharField, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangkong.accounts.models import ApiToken, Membership, User
from fangkong.audit.actions import record
from fangkong.audit.models import AuditEvent
from fangkong.core.actor import Actor
from fangkong.core.tree import under

# What the report calls each count (ops.erasure and the apps' erasure steps).
LABELS = {
    "accounts_anonymised": _("accounts anonymised and closed"),
    "memberships_ended": _("roles of other accounts here ended"),
    "tokens_deleted": _("API tokens deleted"),
    "two_step_devices_deleted": _("two-step login devices deleted"),
    "residents_anonymised": _("residents anonymised"),
    "households_anonymised": _("households anonymised"),
    "rosters_emptied": _("imported roster files emptied"),
    "volunteers_anonymised": _("volunteers anonymised"),
    "call_briefings_cleared": _("call briefings cleared"),
    "notes_cleared": _("notes cleared"),
    "conflicts_cleared": _("scanned texts cleared"),
    "signatures_cleared": _("hand-over signatures cleared"),
    "photos_deleted": _("photos deleted"),
    "inbox_messages_deleted": _("inbox messages deleted"),
    "outgoing_messages_deleted": _("outgoing messages deleted"),
    "phone_codes_deleted": _("one-time codes deleted"),
    "audit_events_scrubbed": _("audit events scrubbed"),
    "registrations_deleted": _("registrations deleted"),
    "exemptions_deleted": _("exemptions deleted"),
    "home_visits_deleted": _("home visits deleted"),
    "follow_ups_deleted": _("follow-ups deleted"),
    "antigen_results_deleted": _("antigen results deleted"),
    "kit_issues_deleted": _("kit hand-overs deleted"),
    "conflicts_deleted": _("conflicts deleted"),
    "samplers_deleted": _("sampler assignments deleted"),
}


@dataclass
class Erasure:
    """What one erasure found and did; the per-app steps add to it."""

    scope: str  # "community" or "round"
    target: object  # the community Place or the Round
    dry_run: bool = True
    counts: Counter = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)  # storage names to delete after commit
    users: set[int] = field(default_factory=set)  # accounts to anonymise
    phones: set[str] = field(default_factory=set)  # numbers whose messages and codes go
    targets: dict[str, set] = field(default_factory=dict)  # audit target_type → ids scrubbed
    backups: list[str] = field(default_factory=list)
    at: datetime.datetime = field(default_factory=timezone.now)

    def add(self, key: str, n: int):
        if n:
            self.counts[key] += n

    def target_ids(self, target_type: str, ids):
        self.targets.setdefault(target_type, set()).update(ids)


class Rollback(Exception):
    pass


def erase(*, community=None, rnd=None, dry_run=True, delete_backups=False) -> Erasure:
    """Erase a community's (anonymise in place) or a closed round's personal data."""
    from fangkong.registry import erasure as registry
    from fangkong.screening import erasure as screening
    from fangkong.volunteers import erasure as volunteers

    e = Erasure("community" if community is not None else "round",
                community if community is not None else rnd, dry_run)
    try:
        with transaction.atomic():
            if community is not None:
                _accounts_of(e, community)
                screening.scrub_community(e, community)
                volunteers.anonymise_community(e, community)
                registry.anonymise_community(e, community)
                _anonymise_accounts(e)
                _messages(e, community)
            else:
                screening.erase_round(e, rnd)
            _audit(e, community)
            _record(e)
            if dry_run:
                raise Rollback()
            files = list(e.files)
            transaction.on_commit(lambda: _delete_files(files))
    except Rollback:
        pass
    e.backups = _backups_before(e.at)
    if delete_backups and not dry_run:
        for name in e.backups:
            Path(name).unlink(missing_ok=True)
    return e


def _accounts_of(e: Erasure, community):
    """Accounts whose every membership is in this community (residents, its volunteers,
    its staff): they are anonymised. Superusers and accounts with a role elsewhere keep
    their identity (their memberships here end)."""
    here = under(community, "place__")
    inside = set(Membership.objects.filter(here).values_list("user_id", flat=True))
    elsewhere = set(Membership.objects.filter(user_id__in=inside).exclude(here)
                    .values_list("user_id", flat=True))
    keep = set(User.objects.filter(pk__in=inside, is_superuser=True).values_list("pk", flat=True))
    e.users |= inside - elsewhere - keep
    e.add("memberships_ended", Membership.objects.filter(here, is_active=True)
          .exclude(user_id__in=e.users).update(is_active=False))


def _anonymise_accounts(e: Erasure):
    users = User.objects.filter(pk__in=e.users)
    e.phones |= {p for p in users.values_list("phone", flat=True) if p}
    e.add("accounts_anonymised", len(e.users))
    users.update(username=Concat(Value("erased-"), Cast("id", CharField())), first_name="",
                 last_name="", email="", display_name="", phone=None, password=make_password(None),
                 is_active=False, is_staff=False)
    e.add("tokens_deleted", ApiToken.objects.filter(user_id__in=e.users).delete()[0])
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for device in (TOTPDevice, StaticDevice):  # two-step login set-ups (and backup codes)
        e.add("two_step_devices_deleted", device.objects.filter(user_id__in=e.users).delete()[0])
    e.target_ids("user", e.users)


def _messages(e: Erasure, community):
    from fangkong.notify.models import Delivery, Notification
    from fangkong.volunteers.models import PhoneCode

    e.add("inbox_messages_deleted", Notification.objects.filter(
        Q(user_id__in=e.users) | under(community, "place__"))
        .delete()[0])
    e.add("outgoing_messages_deleted", Delivery.objects.filter(
        under(community) | Q(user_id__in=e.users) | Q(target__in=e.phones))
        .delete()[0])
    e.add("phone_codes_deleted", PhoneCode.objects.filter(phone__in=e.phones).delete()[0])


def _audit(e: Erasure, community):
    """Keep who did what and when; drop what the event said about the person."""
    q = Q(actor_id__in=e.users)
    if community is not None:
        q |= under(community)
    for target_type, ids in e.targets.items():
        q |= Q(target_type=target_type, target_id__in=list(ids))
    e.add("audit_events_scrubbed", AuditEvent.objects.filter(q)
          .update(changes={"erased": True}, target_label="", ip=None))
    _admin_log(e)


def _admin_log(e: Erasure):
    """The admin site's own log names the objects a superuser changed (their str())."""
    from django.apps import apps
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    q = Q(user_id__in=e.users)
    for target_type, ids in e.targets.items():
        model = next((m for m in apps.get_models() if m.__name__.lower() == target_type), None)
        if model is not None and ids:
            q |= Q(content_type=ContentType.objects.get_for_model(model),
                   object_id__in=[str(i) for i in ids])
    e.add("audit_events_scrubbed", LogEntry.objects.filter(q).update(object_repr="",
                                                                    change_message=""))


def _record(e: Erasure):
    target = e.target
    record(Actor.system(via="cli"), f"ops.erase.{e.scope}", target,
           {"scope": e.scope, "counts": dict(sorted(e.counts.items())),
            "files": len(e.files), "at": e.at.isoformat()},
           label=f"{e.scope} {target.pk}")


def _delete_files(names):
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            pass


def _backups_before(at) -> list[str]:
    folder = Path(settings.VAR_DIR) / "backups"
    if not folder.is_dir():
        return []
    return sorted(str(p) for p in folder.glob("*.tar")
                  if datetime.datetime.fromtimestamp(p.stat().st_mtime, datetime.UTC) <= at)
