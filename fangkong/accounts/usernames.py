"""Usernames are not personal data.

Accounts made for people (a household's login, an approved volunteer) get a random
username (`hh-…`, `vol-…`); they log in with their phone, which the login backend finds on
the account. A username a person types for someone else must not be a phone number.

`scrub` renames accounts made before this rule (`v<phone>`, a phone as the username) and
takes the phone numbers out of the audit events that named them; the data migration
accounts/0003 runs it with the historical models, the tests with the real ones.
"""

import re
import secrets

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # nothing to misread on paper
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
WORD = re.compile(r"[^\s·,]+")
# Events whose changes/label carry a username or a user's name (user.create, grants…).
EVENTS_NAMING_USERS = ("user.create", "membership.grant", "membership.revoke",
                       "volunteer.approve")


# The prefix of an account made on the people page, by its first role (what it is for,
# nothing about the person).
ROLE_PREFIX = {"command": "cmd", "staff": "staff", "grid": "grid", "leader": "ldr",
               "volunteer": "vol", "lab": "lab", "supplier": "sup", "resident": "hh"}


def random_text(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _i in range(n))


def new_username(prefix: str) -> str:
    """`prefix-` and 8 random characters (31^8 ≈ 8.5e11: collisions are retried by the
    unique index, never expected)."""
    return f"{prefix}-" + random_text(8)


def looks_like_phone(username: str) -> bool:
    from fangkong.core import pii

    value = pii.normalize_phone(username)
    try:
        return bool(value) and pii.validate_phone(value) == value
    except Exception:  # noqa: BLE001 - ValidationError: not a phone
        return False


def _mask(text: str) -> str:
    from fangkong.core.pii import mask_phone

    return MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


def _is_personal(user) -> bool:
    name = user.username or ""
    return bool(MOBILE.search(name)) or (bool(user.phone) and user.phone in name) \
        or looks_like_phone(name)


def scrub(User, Membership, AuditEvent) -> dict:
    """Rename accounts whose username holds a phone number, clear display names that are
    one, and mask phone numbers in the audit events that name users. Returns
    {old username: new username}. Safe to run twice."""
    renamed = {}
    roles = {}
    for user_id, role in Membership.objects.values_list("user_id", "role"):
        roles.setdefault(user_id, set()).add(role)
    taken = set(User.objects.values_list("username", flat=True))
    for user in User.objects.all().order_by("pk"):
        changed = []
        if _is_personal(user):
            mine = roles.get(user.pk, set())
            prefix = "vol" if "volunteer" in mine else "hh" if "resident" in mine else "user"
            name = new_username(prefix)
            while name in taken:
                name = new_username(prefix)
            taken.add(name)
            renamed[user.username] = name
            user.username = name
            changed.append("username")
        if user.display_name and MOBILE.search(user.display_name):
            user.display_name = ""
            changed.append("display_name")
        if changed:
            user.save(update_fields=changed)
    for event in AuditEvent.objects.filter(action__in=EVENTS_NAMING_USERS).iterator():
        changes = _scrub_value(event.changes, renamed)
        label = _scrub_value(event.target_label, renamed)
        if changes != event.changes or label != event.target_label:
            AuditEvent.objects.filter(pk=event.pk).update(changes=changes, target_label=label)
    return renamed


def _scrub_value(value, renamed):
    if isinstance(value, dict):
        return {k: _scrub_value(v, renamed) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v, renamed) for v in value]
    if isinstance(value, str):  # a username alone, or words around one (a label)
        return _mask(WORD.sub(lambda m: renamed.get(m.group(0), m.group(0)), value))
    return value
