"""The audit log's filters, for the page, its .xlsx and the API alike: a resident (the
events that showed or changed them, a list of many included), an account, a time range,
a kind (ID numbers, phones, changes, imports, exports, accounts) and an action code.

`read(scope, values)` checks what was asked (raw strings from a query string) and answers
a `LogFilter`; a resident or an account the reader may not see is not found (404), as a
missing one; a bad date or kind is a clear error naming the field (400)."""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from fangkong.core.access import ids
from fangkong.core.clean import in_utc
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.text import join_words

from . import words
from .access import log_places_q, log_q, reads_everything
from .models import AuditEvent

FIELDS = ("resident", "actor", "since", "until", "kind", "action")


@dataclass
class LogFilter:
    resident: int | None = None
    household: int | None = None  # the resident's: their household's phone shown
    actor: int | None = None
    since: datetime.datetime | None = None  # UTC, inclusive
    until: datetime.datetime | None = None  # UTC, exclusive
    kind: str | None = None
    action: str | None = None
    resident_text: str = ""  # "李卫华 (光明小区 3号楼 1单元 301)"
    actor_text: str = ""
    asked: dict = field(default_factory=dict)  # the values as sent, to keep in links

    def query(self, **changed) -> str:
        """The query string of these filters, with `changed` (None drops one)."""
        from django.utils.http import urlencode

        values = {k: v for k, v in {**self.asked, **changed}.items() if v not in (None, "")}
        return urlencode(values)

    def said(self) -> dict:
        """The filters in use, as stored in an export's audit event (ids as numbers, said
        as names on the log)."""
        out = {k: str(v) for k, v in self.asked.items() if k in FIELDS and v not in (None, "")}
        out.update({k: getattr(self, k) for k in ("resident", "actor") if getattr(self, k)})
        return out


def moment(text: str, name: str, end: bool) -> datetime.datetime:
    """"2026-12-05" (the whole day, in the site's zone) or "2026-12-05T18:00[+08:00]"."""
    text = (text or "").strip()
    try:
        if len(text) == 10:
            day = datetime.date.fromisoformat(text)
            if end:
                day += datetime.timedelta(days=1)
            return in_utc(datetime.datetime.combine(day, datetime.time()))
        at = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(fields={name: [_("Enter a date like 2026-12-05, or a date and time like "
                                       "2026-12-05T18:00.")]}) from None
    return in_utc(at)


def one_id(value) -> int:
    """A row id from outside: not found when no row can have it (core.access.ids)."""
    return ids([value]).pop()


def read(scope, values) -> LogFilter:
    """The filters asked for in `values` (a query string's or the API's)."""
    from .present import people

    asked = {k: values.get(k) for k in FIELDS if values.get(k) not in (None, "")}
    f = LogFilter(asked=asked)
    errors = {}
    if "resident" in asked:
        pk = one_id(asked["resident"])
        found = people().residents(scope, [pk]).get(pk)
        if found is None:
            raise NotFound()
        f.resident, f.household = pk, found.get("household")
        f.resident_text = _("%(name)s (%(where)s)") % found if found.get("where") else found["name"]
    if "actor" in asked:
        pk = one_id(asked["actor"])
        user = seen_account(scope, pk)
        if user is None:
            raise NotFound()
        f.actor, f.actor_text = pk, user.display_name or user.username
    for name, end in (("since", False), ("until", True)):
        if name in asked:
            try:
                setattr(f, name, moment(str(asked[name]), name, end))
            except Invalid as e:
                errors.update(e.fields)
    if f.since and f.until and f.since >= f.until:
        errors["until"] = [_("The end comes before the start.")]
    if "kind" in asked:
        if asked["kind"] not in words.KINDS:
            errors["kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": join_words(words.KINDS)}]
        else:
            f.kind = asked["kind"]
    if "action" in asked:
        f.action = str(asked["action"]).strip()[:60]
    if errors:
        raise Invalid(fields=errors)
    return f


def seen_account(scope, pk):
    """The account `pk` if the reader may filter by it: it acted in the reader's part of the
    log, or holds a role there (a superuser: any). Otherwise None (as for a missing one)."""
    from fangkong.accounts.models import Membership, User

    user = User.objects.filter(pk=pk).first()
    if user is None:
        return None
    if reads_everything(scope):
        return user
    acted = AuditEvent.objects.filter(log_q(scope), actor_id=pk).exists()
    if acted:
        return user
    Place = Membership._meta.get_field("place").related_model  # noqa: N806 (the tree's node)
    places = Place.objects.filter(log_places_q(scope)).values("id")
    return user if Membership.objects.filter(user_id=pk, place_id__in=places).exists() else None


def find_accounts(scope, text: str, limit: int = 20) -> list:
    """Accounts whose username or name contains `text`, holding a role where the reader
    reads the log (a superuser: any account; the page's "account" search)."""
    from django.db.models import Q

    from fangkong.accounts.models import Membership, User

    text = (text or "").strip()[:50]
    if not text:
        return []
    found = User.objects.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    if not reads_everything(scope):
        Place = Membership._meta.get_field("place").related_model  # noqa: N806 (the tree's node)
        places = Place.objects.filter(log_places_q(scope)).values("id")
        found = found.filter(id__in=Membership.objects.filter(place_id__in=places).values("user_id"))
    return list(found.order_by("display_name", "username")[:limit])
