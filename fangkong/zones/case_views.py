"""Report a confirmed case by hand (the health authority's notice): staff who manage the
place type the person's ID number or personal code, the notice and the time, are asked
first, and the one action every report of a case goes through records it
(`actions.escalate.record_case`: the lifting count, the escalation draft, the staff told) —
the page of `POST /api/v1/zones/cases`."""

import datetime

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core import pii
from fangkong.core.actor import actor_of
from fangkong.core.clean import in_utc
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import confirm_step, confirmed, flash_error, page
from fangkong.registry.models import Place, Resident

from . import access, engine
from .actions import escalate

FIELDS = ("person", "source", "confirmed_at")


def find_person(scope, node: Place, text: str) -> Resident:
    """The resident under `node` whose personal code was scanned or whose ID number was
    typed, among those the user may manage (NotFound otherwise, alike)."""
    from django.core.exceptions import ValidationError

    from fangkong.registry.codes import parse_code, residents_by_token

    base = Resident.objects.filter(scope.q(access.MANAGE)).filter(engine.under_q(node))
    text = (text or "").strip()
    token = parse_code(text, bare=True) if text else None
    if token is not None:
        found = residents_by_token(base, [token]).first()
    else:
        try:
            number = pii.validate_id_number(text)
        except ValidationError:
            raise Invalid(fields={"person": [_("Type the person's ID number or scan their personal code.")]}) \
                from None
        found = base.filter(id_hash=pii.lookup_hash(number)).first()
    if found is None:
        raise Invalid(fields={"person": [_("No person with this code or ID number here.")]})
    return found


def _when(text):
    """The time typed (the site's zone), None for now; never in the future."""
    if not text.strip():
        return None
    try:
        at = in_utc(datetime.datetime.fromisoformat(text.strip()))
    except ValueError:
        raise Invalid(fields={"confirmed_at": [_("Enter a date and time, e.g. 2022-04-18 05:00.")]}) from None
    if at > timezone.now():
        raise Invalid(fields={"confirmed_at": [_("A case is reported after it is confirmed: choose a time "
                                                 "that has passed.")]})
    return at


@page
def report_case(request, pk):
    try:
        p = Place.objects.get(pk=int(pk))
    except (ValueError, Place.DoesNotExist):
        raise NotFound() from None
    access.require(request.scope, access.MANAGE, p)
    posted, errors = {k: request.POST.get(k, "") for k in FIELDS}, {}
    if request.method == "POST" and "edit" not in request.POST:
        try:
            r = find_person(request.scope, p, posted["person"])
            when = _when(posted["confirmed_at"])
            if not confirmed(request):
                return confirm_step(
                    request, title=_("Report a confirmed case?"),
                    lines=[_("%(name)s, %(household)s") % {"name": r.name, "household": r.household},
                           posted["source"] or _("Reported by the health authority"),
                           (posted["confirmed_at"] or _("now")).replace("T", " ")],
                    warn=_("The community's staff and the grid worker are told at once, and the zone's "
                           "escalation is drafted by the policy."),
                    yes=_("Yes, report the case"), back=request.get_full_path(), back_post=True)
            case, proposal = escalate.record_case(actor_of(request), r, confirmed_at=when,
                                                  source=posted["source"][:80])
            messages.success(request, _("Case recorded: %(name)s.") % {"name": r.name})
            if proposal is not None:
                return redirect("zones_adjustment", pk=proposal.id)
            return redirect("zones_place", pk=p.pk)
        except Invalid as e:
            errors = e.fields or {}
            flash_error(request, e)
    return render(request, "zones/report_case.html", {"place": p, "posted": posted, "errors": errors},
                  status=400 if errors else 200)
