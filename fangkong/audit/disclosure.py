"""The one place that decides how a phone number or an ID number is shown — in clear or
masked — and audits what was shown in clear: for templates (the `phone` tag), API
answers, exports and lists alike.

Phones: in clear where the user holds VIEW_PHONE on the row (a resident, a household),
masked elsewhere (`138****1234`). A page, answer or export that showed phones in clear
writes ONE "resident.view_phones" event naming whose (the first 500 in the event, every
one in its `Named` rows: the log's filter by resident finds them) and where.

Phones an app shows by a rule of its own (a volunteer team's leader and members): one
event of the app's kind naming whose (`phones_shown`).

ID numbers: masked always (`1401**********1234`), except one on request (registry's
reveal, rate-limited, audited by the registry) and an export asking for them where the
user holds REVEAL_ID on every row (one "resident.export_ids" event).
"""

from fangkong.accounts.roles import Perm
from fangkong.core import pii
from fangkong.core.access import scope_of

from .actions import common_levels, record, record_shown

# --- phones -----------------------------------------------------------------------------


def phone_in_clear(who, obj) -> bool:
    """May `who` (an actor or a scope) see `obj`'s phone in clear?"""
    return scope_of(who).allows(Perm.VIEW_PHONE, obj)


def show_phone(who, obj, value=None, *, assigned=False) -> tuple[str, bool]:
    """(the phone as `who` may see it, masked?) for a resident or a household; `value`: a
    phone of `obj` other than `obj.phone`. `assigned`: the app's own access rule gave `who`
    a task at this door now (a delivery run's carrier, who holds no phone right by role):
    in clear, and audited like any other (`record_phones(…, assigned=True)`)."""
    value = obj.phone if value is None else value
    if assigned or phone_in_clear(who, obj):
        return value, False
    return pii.mask_phone(value), True


def record_phones(actor, residents, where: str, households=(), *, assigned=False) -> None:
    """One audit event for a page, answer or export that showed these residents' and
    households' phones in clear (those without a phone are left out); nothing when none
    was, or the actor holds VIEW_PHONE nowhere (unless the phones were shown to them for a
    task at these doors: `assigned`)."""
    ids = [r.id for r in residents if r.phone]
    hh_ids = [h.id for h in households if h.phone]
    if not (ids or hh_ids) or not (assigned or actor.scope.has(Perm.VIEW_PHONE)):
        return
    changes = {"where": where, "residents": ids[:500], "count": len(ids)}
    if hh_ids:
        changes["households"] = hh_ids[:500]
    rows = list(residents) + list(households)
    record(actor, "resident.view_phones", None, changes,
           levels_from=common_levels(rows) or rows[0], label=where,
           named={"resident": ids, "household": hh_ids})


def audit_phones(actor, residents, where: str, households=()) -> None:
    """For a list about to be shown (the `phone` tag masks the others): audit the phones
    it shows in clear."""
    shown = [r for r in residents if r.phone and phone_in_clear(actor, r)]
    hh_shown = [h for h in households if h.phone and phone_in_clear(actor, h)]
    if shown or hh_shown:
        record_phones(actor, shown, where, hh_shown)


def phones_column(actor, residents, where: str) -> list[str]:
    """Each resident's phone as the actor may see it (an export's or a list's column),
    the ones in clear audited in one event."""
    out, shown = [], []
    for r in residents:
        text, masked = show_phone(actor, r)
        out.append(text)
        if r.phone and not masked:
            shown.append(r)
    if shown:
        record_phones(actor, shown, where)
    return out


def phones_shown(actor, rows, allowed, where: str, action: str, key: str) -> dict:
    """Phones an app shows by its own rule rather than VIEW_PHONE (a volunteer team's
    members to its leader, its leader to the members: `allowed(row)`, decided in the app's
    access.py): {row id: phone} of the rows whose phone is shown — the others are not shown
    at all — and one `action` event naming whose (`audit.actions.record_shown`, under
    `key`) and where. Render each with the `tel` tag."""
    shown = [r for r in rows if r.phone and allowed(r)]
    record_shown(actor, action, where, shown, key)
    return {r.id: r.phone for r in shown}


# --- ID numbers -------------------------------------------------------------------------


def ids_in_full(who, residents, asked: bool) -> bool:
    """Does an export write ID numbers in full? Only when asked and `who` holds
    REVEAL_ID on every row."""
    scope = scope_of(who)
    return bool(asked and residents and all(scope.allows(Perm.REVEAL_ID, r) for r in residents))


def show_id(resident, in_full: bool = False) -> str:
    """A resident's ID number: masked, or in full when `in_full` (see `ids_in_full`)."""
    if not resident.id_hash:
        return ""
    return pii.decrypt(resident.id_enc) if in_full else resident.id_masked


def record_ids_exported(actor, residents, title: str) -> None:
    """One "resident.export_ids" event for an export that wrote ID numbers in full."""
    ids = [r.id for r in residents if r.id_hash]
    if ids:
        record(actor, "resident.export_ids", None,
               {"count": len(ids), "title": title[:100], "residents": ids[:500]},
               levels_from=common_levels(residents), label=title[:200], named={"resident": ids})
