from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import act, actor_of, confirm_step, confirmed, flash_error, next_or, page

from . import actions, twostep
from .models import ApiToken
from .roles_views import role_and_place


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy("Wrong phone/username or password."),
        "inactive": gettext_lazy("This account is disabled."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("Phone or username")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none"})

    def get_invalid_login_error(self):
        locked = getattr(self.request, "login_locked", None)  # set by the backend
        if locked is not None:
            return ValidationError(locked.message, code="locked")
        expired = getattr(self.request, "login_expired", None)  # the right one-time password, too old
        if expired is not None:
            return ValidationError(expired, code="one_time_password_expired")
        return super().get_invalid_login_error()


class LoginView(auth_views.LoginView):
    """Password first; then the app's code if the account has two-step login on."""

    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        return twostep.begin_login(self.request, form.get_user(), self.get_success_url())

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if getattr(self.request, "login_locked", None) is not None:
            response.status_code = 429
        return response


login_view = LoginView.as_view()


@require_POST
def logout_view(request):
    return auth_views.LogoutView.as_view()(request)


@page
def home(request):
    """Each role lands where its work is: staff, grid workers, leaders and command on their
    place (a list when they have several), a resident on their household, a volunteer on
    their tasks and calls, a lab operator on the lab's page (boxes to receive, results to
    upload), a supplier on its own page (services: orders, hand-offs, manifests, amounts owed), a
    superuser on the installation's pages (operations, /admin/, everyone's people and
    roles). Only an account without any role sees "no place yet"."""
    from .roles import Perm, Role

    scope = request.scope
    own = [g for g in scope.grants if g.household_id]
    roots = scope.roots(Perm.VIEW_REGISTRY)
    if request.user.is_superuser:  # the installation's pages, and any places of their own
        return render(request, "registry/home.html", {"roots": roots, "own": own, "system": True})
    if len(roots) == 1 and not own:
        return redirect("place", pk=roots[0].id)
    if own and not roots:
        return redirect("household", pk=own[0].household_id)
    if not roots:
        if scope.has_role(Role.VOLUNTEER):
            return redirect("volunteers_home")
        if scope.has(Perm.SCREENING_LAB):
            return redirect("screening_lab")
        if scope.has_role(Role.SUPPLIER):
            return redirect("supplier_home")
    return render(request, "registry/home.html", {"roots": roots, "own": own})


@page
def people(request):
    """Accounts and their roles below the user's node(s) (a superuser: all), each with its
    lock and what the user may do for it; add a person with a role (what each user gives:
    accounts.access)."""
    from .access import require_people_page, roles_given_anywhere
    from .queries import account_states, memberships, place_picker
    from .roles import Role

    require_people_page(request.scope)
    actor = actor_of(request)
    errors, values = {}, {}
    picker, cut = place_picker(request.scope)
    if request.method == "POST":
        values = request.POST
        try:
            created = _add_person(actor, values, picker)
        except Invalid as e:
            errors = e.fields
        else:
            return created_page(request, *created)
    roles = [(r, Role(r).label) for r in roles_given_anywhere(request.scope)]
    rows = list(memberships(request.scope)[:1000])
    states = account_states(request.scope, {m.user for m in rows})
    from fangkong.registry.queries import place_labels

    labels = place_labels(m.place for m in rows)  # "3号楼 1单元", not "1单元" ten times
    for m in rows:
        m.may_reset, m.locked_until = states.get(m.user_id, (False, None))
        m.place_label = labels.get(m.place_id) or m.place.name
    return render(request, "accounts/people.html", {
        "rows": rows, "picker": picker, "picker_cut": cut, "roles": roles,
        "errors": errors, "values": values}, status=400 if errors else 200)


def _add_person(actor, values, picker):
    errors = {}
    place = role_and_place(values, picker, errors)
    if errors:
        raise Invalid(fields=errors)
    m, password = actions.add_person(actor, username=values.get("username", ""),
                                     password=values.get("password", ""),
                                     display_name=values.get("display_name", ""),
                                     phone=values.get("phone", ""), role=values.get("role", ""),
                                     place=place)
    return m.user, password, m


def created_page(request, user, password, membership=None, *, reset=False):
    """The answer that shows a first or reset password, this once (never stored in clear,
    not kept by the browser), with the username and phone to log in with."""
    resp = render(request, "accounts/one_time_password.html", {
        "user_": user, "password": password, "m": membership, "reset": reset})
    resp["Cache-Control"] = "no-store"
    return resp


@require_POST
@page
def membership_revoke(request, pk):
    """Take a role away, after a confirm step that says what ends with it (a round's
    sampling table, a team's leadership…: `actions_endings.what_ends`) and warns when it is
    one's own; one's own last managing role there is refused at once."""
    from fangkong.core.errors import Conflict
    from fangkong.core.text import join_words

    from .actions_endings import own, refuse_own_last, what_ends

    nxt = request.POST.get("next", "")
    back = nxt if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}) \
        else reverse("people")
    if not confirmed(request):
        from .queries import get_membership

        m = get_membership(request.scope, pk)
        try:
            refuse_own_last(actor_of(request), m)
        except Conflict as e:
            flash_error(request, e)
            return redirect(back)
        words = {"name": m.user, "role": m.get_role_display(), "place": m.place.name}
        lines = [_("%(name)s will no longer be able to work as %(role)s at %(place)s.") % words]
        ends = what_ends(m.user, [m.id]) if m.is_active else []
        if ends:
            lines.append(_("What %(name)s was given ends with it: %(things)s.") % {
                "name": m.user, "things": join_words(ends)})
        warn = _("This is your own role: once it is gone you can no longer work as %(role)s at "
                 "%(place)s, and what it lets you open closes at once.") % words if own(actor_of(request), m) else ""
        return confirm_step(
            request, title=_("Take the role away from %(name)s?") % {"name": m.user},
            lines=lines, warn=warn, yes=_("Yes, remove the role"), back=back)

    def done(m):
        said = _("%(name)s no longer has that role.") % {"name": m.user}
        if m.ended:
            said += " " + _("Ended with it: %(things)s.") % {"things": join_words(m.ended)}
        return said

    # one's own role gone, the people page may no longer open: home, which says where to go
    return act(request, lambda actor: actions.revoke_membership(actor, pk),
               to=lambda m: reverse("home") if own(actor_of(request), m) else next_or(request, "people"),
               done=done, refused=back, catch=(Invalid, Conflict))


@page
def tokens(request):
    actor = actor_of(request)
    new_raw = None
    errors = {}
    if request.method == "POST":
        try:
            _tok, new_raw = actions.create_token(actor, request.POST.get("name", ""))
            messages.success(request, _("Token created. Copy it now: it is shown only once."))
        except Invalid as e:
            errors = e.fields
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/tokens.html",
                  {"tokens": rows, "new_raw": new_raw, "errors": errors})


@require_POST
@page
def token_revoke(request, pk):
    if not confirmed(request):
        tok = ApiToken.objects.filter(user=request.user, pk=pk, revoked_at=None).first()
        if tok is None:
            raise NotFound()
        return confirm_step(
            request, title=_("Revoke the token “%(name)s”?") % {"name": tok.name},
            lines=[_("Every device or program using it stops working at once. A revoked token "
                     "cannot be turned on again; you would make a new one.")],
            yes=_("Yes, revoke it"), back=reverse("tokens"))
    return act(request, lambda actor: actions.revoke_token(actor, pk), to="tokens",
               done=_("Token revoked."))


def _family_label(scope, hh, phone) -> str:
    """A family login's name when staff give none (the menu and the staff's login list show
    it; the masked phone said nothing to the family): the name of the household member with
    this mobile — the account is that person's phone, and may later log in for another
    household too — else the household's address ("光明小区 3号楼 3单元 301")."""
    from fangkong.core import pii
    from fangkong.registry.queries import address_labels, residents

    try:
        phone = pii.validate_phone(phone)
    except ValidationError:
        return ""
    member = residents(scope).filter(household=hh, phone=phone).order_by("id").first() if phone else None
    if member is not None:
        return member.name[:50]
    return f"{address_labels([hh]).get(hh.place_id, '')} {hh.door}".strip()[:50]


@page
@require_POST
def household_login(request, pk):
    """Staff: give a household a login (resident role) by a family member's mobile. A new
    account's password is shown once, on this answer, never stored in clear."""
    from fangkong.registry.queries import address_labels, get_household

    hh = get_household(request.scope, pk)
    phone = request.POST.get("phone", "")
    try:
        user, password = actions.household_login(actor_of(request), hh, phone=phone,
                                                  display_name=request.POST.get("name", "").strip()
                                                  or _family_label(request.scope, hh, phone))
    except Invalid as e:
        flash_error(request, e)
        return redirect("household", pk=hh.pk)
    if password is None and not user.has_usable_password():
        # an account with no password: a volunteer's, who logs in with a text message code
        messages.success(request, _("%(phone)s can now log in for this household: on the login page, "
                                    "tap “Volunteer? Log in with a text code” and enter this number "
                                    "and the code it receives (this account has no password).") % {"phone": user.phone})
        return redirect("household", pk=hh.pk)
    if password is None:
        messages.success(request, _("%(phone)s can now log in for this household with their "
                                    "existing password.") % {"phone": user.phone})
        return redirect("household", pk=hh.pk)
    resp = render(request, "accounts/household_login.html", {
        "hh": hh, "user_": user, "password": password,
        "address": address_labels([hh]).get(hh.place_id, "")})
    resp["Cache-Control"] = "no-store"
    return resp
