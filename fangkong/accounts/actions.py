"""Writes to accounts: users, memberships, API tokens. All audited."""

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core import pii
from fangkong.core.access import one
from fangkong.core.clean import bounded, limit_of
from fangkong.core.db import convert_rows, prepared_cursor, row_converters
from fangkong.core.errors import Invalid, NotFound

from . import usernames
from .access import require_grant, require_manage
from .actions_endings import end_stale, refuse_own_last
from .models import ApiToken, Membership, User, reader_language
from .roles import Role


def create_user(actor, username: str, password: str, *, display_name="", phone="", place=None,
                check_password=True, must_change=False) -> User:
    errors = {}
    username = bounded(username, limit_of(User, "username"), "username", errors)
    if not username:
        errors["username"] = [_("Username is required.")]
    elif usernames.looks_like_phone(username) or usernames.MOBILE.search(username):
        errors["username"] = [_("A username must not be a phone number (it would show in "
                                "the audit log). People log in with their phone anyway, once "
                                "it is entered as their phone.")]
    display_name = bounded(display_name, limit_of(User, "display_name"), "display_name", errors)
    try:
        phone = pii.validate_phone(phone)
    except ValidationError as e:
        errors["phone"] = e.messages
    if check_password:
        try:
            validate_password(password)
        except ValidationError as e:
            errors["password"] = e.messages
    if errors:
        raise Invalid(fields=errors)
    user = User(username=username, display_name=display_name, phone=phone or None)
    if must_change:  # someone else chose it: it expires, and the person sets their own
        user.set_one_time_password(password)
    else:
        user.set_password(password)
    with transaction.atomic():
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError:
            raise Invalid(fields={"username": [_("That username or phone is already taken.")]}) from None
        # at the place of the role it is made for: the command above sees it (audit log)
        record(actor, "user.create", user, {"username": username}, levels_from=place)
    return user


def grant(actor, user: User, role: str, place, *, household=None) -> Membership:
    """Give `user` the `role` on `place` (a resident's role names their household)."""
    if role == Role.RESIDENT:
        if household is None:
            raise Invalid(fields={"household": [_("A resident's account names their household.")]})
        place = household.place
    if place is None:
        raise NotFound()
    require_grant(actor, role, place)  # who gives what, on which kind of place
    with transaction.atomic():
        m, created = Membership.objects.get_or_create(
            user=user, role=role, place=place,
            defaults={"household": household, "created_by": actor.user if actor.user else None},
        )
        if not created and not m.is_active:
            m.is_active = True
            m.save(update_fields=["is_active"])
        record(actor, "membership.grant", m, {"user": user.username, "role": role},
               levels_from=place, label=f"{user} {role} {place}")
    return m


def create_token(actor, name: str) -> tuple[ApiToken, str]:
    """A new API token for the acting user. The raw token is returned once, never stored."""
    name = bounded(name, limit_of(ApiToken, "name"), "name")
    if not name:
        raise Invalid(fields={"name": [_("Give the token a name, e.g. the device it is for.")]})
    lookup, raw = ApiToken.generate()
    with transaction.atomic():
        tok = ApiToken.objects.create(user=actor.user, name=name, lookup=lookup,
                                      digest=ApiToken.hash(raw))
        record(actor, "token.create", tok, {"name": tok.name})
    return tok, raw


def revoke_token(actor, token_id) -> ApiToken:
    try:
        tok = ApiToken.objects.get(pk=int(token_id), user=actor.user)
    except (ApiToken.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    if tok.revoked_at is None:
        with transaction.atomic():
            tok.revoked_at = timezone.now()
            tok.save(update_fields=["revoked_at"])
            record(actor, "token.revoke", tok, {"name": tok.name})
    return tok


def authenticate_token(raw: str) -> User | None:
    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    tok = (ApiToken.objects.select_related("user")
           .filter(digest=ApiToken.hash(raw), revoked_at__isnull=True).first())
    if tok is None or not tok.user.is_active:
        return None
    now = timezone.now()
    if tok.last_used_at is None or (now - tok.last_used_at).total_seconds() > 300:
        ApiToken.objects.filter(pk=tok.pk).update(last_used_at=now)
    return tok.user


_TOKEN_QUERY: dict = {}


def _token_query(conn):
    """(sql, converters, user attnames, place attnames) of the token query, made once per
    database: the backend's converters as the ORM would apply them (SQLite datetimes come
    back naive, booleans as integers…)."""
    made = _TOKEN_QUERY.get(conn.alias)
    if made is not None:
        return made
    from fangkong.registry.models import Place

    qn = conn.ops.quote_name
    ucols = [f for f in User._meta.concrete_fields]
    pcols = [f for f in Place._meta.concrete_fields]
    sql = (
        "SELECT t.id, t.last_used_at, m.id, m.role, m.household_id, "
        + ", ".join(f"u.{qn(f.column)}" for f in ucols) + ", "
        + ", ".join(f"p.{qn(f.column)}" for f in pcols)
        + f" FROM {qn(ApiToken._meta.db_table)} t"
        f" JOIN {qn(User._meta.db_table)} u ON u.id = t.user_id"
        f" LEFT JOIN {qn(Membership._meta.db_table)} m ON m.user_id = u.id AND m.is_active"
        f" LEFT JOIN {qn(Place._meta.db_table)} p ON p.id = m.place_id"
        " WHERE t.digest = %s AND t.revoked_at IS NULL"
        " ORDER BY p.depth, m.id")
    fields = [ApiToken._meta.get_field("id"), ApiToken._meta.get_field("last_used_at"),
              Membership._meta.get_field("id"), Membership._meta.get_field("role"),
              Membership._meta.get_field("household"), *ucols, *pcols]
    made = (sql, row_converters(conn, fields), [f.attname for f in ucols], [f.attname for f in pcols])
    _TOKEN_QUERY[conn.alias] = made
    return made


def authenticate_token_and_scope(raw: str):
    """(user, Scope) for a bearer token, or None — in ONE query: the token, its user and
    the user's active memberships with their places (LEFT JOINs). Every API request pays
    for authentication, and a scanning station sends hundreds a minute; the two-query
    path (`authenticate_token` + `Scope.for_user`) cost ~1.7 ms of it."""
    from fangkong.registry.models import Place

    from .scope import Grant, Scope, grant_perms

    if not raw or not raw.startswith(ApiToken.PREFIX):
        return None
    conn = connections[router.db_for_read(ApiToken)]
    sql, converters, uattrs, pattrs = _token_query(conn)
    with prepared_cursor(conn.alias) as cur:  # PostgreSQL keeps its plan (fixed text)
        cur.execute(sql, [ApiToken.hash(raw)])
        rows = cur.fetchall()
    if not rows:
        return None
    rows = convert_rows(rows, converters, conn)
    nu = len(uattrs)
    first = rows[0]
    user = User.from_db(conn.alias, uattrs, first[5:5 + nu])
    if not user.is_active:
        return None
    grants = []
    for row in rows:
        if row[2] is None:
            continue
        place = Place.from_db(conn.alias, pattrs, row[5 + nu:])
        grants.append(Grant(row[3], place, row[4], grant_perms(row[3])))
    now = timezone.now()
    if first[1] is None or (now - first[1]).total_seconds() > 300:
        ApiToken.objects.filter(pk=first[0]).update(last_used_at=now)
    return user, Scope(user=user, grants=grants)


def revoke_membership(actor, membership_id, *, reason="") -> Membership:
    """End a membership (the account stays; it loses that role on that node) and, with it,
    what it carried (`actions_endings.end_stale`: a round's table, a team, a call's place,
    a run…; `m.ended` says what, in the actor's words). One's own last managing role there
    is refused (`actions_endings.refuse_own_last`)."""
    m = one(Membership.objects.select_related("place", "user"), membership_id)
    require_manage(actor, m.place)
    refuse_own_last(actor, m)
    m.ended = []
    if m.is_active:
        with transaction.atomic():
            m.is_active = False
            m.save(update_fields=["is_active"])
            record(actor, "membership.revoke", m, {"user": m.user.username, "role": m.role},
                   levels_from=m.place, label=f"{m.user} {m.role} {m.place}")
            m.ended = end_stale(actor, m.user, reason=reason)
    return m


# Roles a community's staff hand out on the people page (the rule, for every managing
# role: accounts.access.GIVES; command also gives command and lab roles, a superuser any).
GRANTABLE_BY_STAFF = [Role.STAFF, Role.GRID, Role.LEADER, Role.VOLUNTEER, Role.SUPPLIER]


def add_person(actor, *, username, password, display_name, phone, role, place) -> tuple[Membership, str]:
    """Create an account and give it a role on a node, in one step (the People page and
    POST /api/v1/people). A blank username is made up (`<role>-` and random letters: not
    personal data), a blank password too; either way the person sets their own at their
    first login. Returns the membership and the first password, to be shown this once."""
    require_grant(actor, role, place)
    username = (username or "").strip() or usernames.new_username(usernames.ROLE_PREFIX.get(role, "u"))
    password = password or new_password()
    with transaction.atomic():
        user = create_user(actor, username, password, place=place, display_name=display_name, phone=phone,
                           must_change=True)
        return grant(actor, user, role, place), password


def new_password() -> str:
    """A first or reset password to read out or write down: 10 letters and digits with
    none that look alike (≈ 50 bits); the person replaces it at their first login."""
    return usernames.random_text(10)


def household_login(actor, household, *, phone: str, display_name: str = "") -> tuple[User, str | None]:
    """A login for a household (the resident role on it), so the family sees its own
    members, results and codes. They log in with the phone; the username is random (not
    personal data). A phone that already has an account gets the household added to it
    (returned password None); otherwise a new account is made with a generated password,
    returned once for staff to pass on — a one-time password, as every account staff make
    (`add_person`): read aloud or written down, it works until the family sets its own at
    its first login (found on the family walk: it never had to be changed, though the login
    sees members, phones and the sampling codes that register samples in their names)."""
    require_manage(actor, household)
    try:
        phone = pii.validate_phone(phone)
    except ValidationError as e:
        raise Invalid(fields={"phone": e.messages}) from None
    if not phone or not phone.startswith("1"):
        raise Invalid(fields={"phone": [_("Enter the mobile number the family will log in with.")]})
    with transaction.atomic():
        user = User.objects.filter(phone=phone).first()
        password = None
        if user is None:
            password = new_password()
            user = create_user(actor, usernames.new_username("hh"), password, place=household,
                               display_name=display_name, phone=phone, check_password=False,
                               must_change=True)
        elif Membership.objects.filter(user=user, role=Role.RESIDENT, household=household,
                                       is_active=True).exists():
            raise Invalid(fields={"phone": [_("This number can already log in for this household.")]})
        grant(actor, user, Role.RESIDENT, None, household=household)
    return user, password


def remember_language(user, code) -> bool:
    """The user's own language preference: the language of the pages they use (or switch
    to) is the one their messages are written in (notify). Written only when it changes;
    blank reads as the site's default. Not audited: the person's own setting, taken from
    how they read the site (as `notify.actions.mark_read` is). True when it changed."""
    lang = reader_language(code)
    if reader_language(user.language) == lang:
        return False
    User.objects.filter(pk=user.pk).update(language=lang)
    user.language = lang
    return True
