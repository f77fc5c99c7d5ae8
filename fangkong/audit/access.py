"""Who may read the audit trail: the one home of audit's permission rules. Those holding
VIEW_AUDIT somewhere read the events at or below their places (audit.queries); a superuser
reads every event, read-only, as on the installation's other pages (people, operations,
/admin/: `accounts.access.is_superuser`); anyone else gets NotFound.

A superuser's reading is of the log itself — every event, every account — not of the
registry: residents are said as the event recorded them, and found by name or phone only
where the superuser also holds VIEW_AUDIT by a role (`registry.audit_people` stays scoped)."""

from django.db.models import Q

from fangkong.accounts.access import is_superuser
from fangkong.accounts.roles import Perm
from fangkong.core.access import require_somewhere, scope_of


def reads_everything(who) -> bool:
    """Does `who` read the whole log (a superuser)?"""
    return is_superuser(who)


def require_log(who) -> None:
    if reads_everything(who):
        return
    require_somewhere(who, Perm.VIEW_AUDIT)


def log_q(who) -> Q:
    """The events `who` reads: everything for a superuser, else at or below their places."""
    return Q() if reads_everything(who) else scope_of(who).q(Perm.VIEW_AUDIT)


def log_places_q(who) -> Q:
    """The places whose accounts `who` may filter the log by (the account search)."""
    return Q() if reads_everything(who) else scope_of(who).place_q(Perm.VIEW_AUDIT)


def log_roots(who) -> list:
    """The places an export of the log is recorded at (their shared levels): none for a
    superuser, who reads the whole log."""
    return [] if reads_everything(who) else scope_of(who).roots(Perm.VIEW_AUDIT)


def searches_residents(who) -> bool:
    """May `who` look residents up to filter the log by them (VIEW_AUDIT by a role)?"""
    return scope_of(who).has(Perm.VIEW_AUDIT)
