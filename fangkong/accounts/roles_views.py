"""The people page's existing accounts (/people/existing/): give an account that exists a
role — found by its phone or username among the people one manages — and the roles taken
away, each given back (恢复) after a confirm step. Reads through `queries`, writes through
`actions_roles`; the people page links here."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.errors import Invalid
from fangkong.core.views import act, actor_of, confirm_step, confirmed, page

from . import actions_roles
from .access import require_people_page, roles_given_anywhere
from .queries import ended_memberships, get_membership, place_picker
from .roles import Role


@page
def people_existing(request):
    require_people_page(request.scope)
    picker, cut = place_picker(request.scope)
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        try:
            m, given = _give(actor_of(request), values, picker)
        except Invalid as e:
            errors = e.fields or {"account": [str(e.message)]}
        else:
            words = {"name": m.user, "role": m.get_role_display(), "place": m.place.name}
            messages.success(request, (_("%(name)s can now work as %(role)s at %(place)s.") if given else
                                       _("%(name)s already works as %(role)s at %(place)s.")) % words)
            return redirect("people_existing")
    roles = [(r, Role(r).label) for r in roles_given_anywhere(request.scope) if r != Role.RESIDENT]
    return render(request, "accounts/people_existing.html", {
        "picker": picker, "picker_cut": cut, "roles": roles, "errors": errors, "values": values,
        "ended": list(ended_memberships(request.scope)[:500])}, status=400 if errors else 200)


def role_and_place(values, picker, errors):
    """The place picked from the form's `picker` (`queries.place_picker`), or None; a role
    not chosen and a place not picked are added to `errors` (the people page's two forms:
    a new person, a role given)."""
    place = next((p for _g, opts in picker for p, _l, _r in opts if str(p.id) == values.get("place")), None)
    if not values.get("role"):
        errors["role"] = [_("Choose the role.")]
    if place is None:
        errors["place"] = [_("Choose where they work.")]
    return place


def _give(actor, values, picker):
    errors = {}
    if not values.get("account", "").strip():
        errors["account"] = [_("Give their phone or username.")]
    place = role_and_place(values, picker, errors)
    if errors:
        raise Invalid(fields=errors)
    return actions_roles.give_role(actor, values.get("account", ""), values.get("role", ""), place)


@require_POST
@page
def membership_restore(request, pk):
    """Give a role taken away back (恢复), after a confirm step."""
    m = get_membership(request.scope, pk)
    words = {"name": m.user, "role": m.get_role_display(), "place": m.place.name}
    back = reverse("people_existing")
    if m.is_active:
        messages.info(request, _("%(name)s already works as %(role)s at %(place)s.") % words)
        return redirect(back)
    if not confirmed(request):
        return confirm_step(
            request, title=_("Give %(name)s the role back?") % words,
            lines=[_("%(name)s will again work as %(role)s at %(place)s.") % words,
                   _("What the role carried before — a sampling table, a team, a place on a call, "
                     "a delivery run — is not given back: give it again where it is needed.")],
            yes=_("Yes, give it back"), back=back)
    return act(request, lambda actor: actions_roles.restore(actor, m), to=back,
               done=_("%(name)s works as %(role)s at %(place)s again.") % words)
