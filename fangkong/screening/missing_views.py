"""What a worker does on a missing-list row after calling (walk of 2026-12): "不在本地…" or
"住院…" (the person is away or in hospital: their presence, the registry's one home for it,
set by `planning.record_presence` through `registry.actions.update_resident` — what
`PATCH /api/v1/residents/{id}` calls) or "免检…"
(an exemption in this round with a reason, `planning.add_exemption` — what
`POST /api/v1/screening/rounds/{id}/exemptions` calls). Each asks first, naming the person,
then goes back to the same place in the list, its outcome said above the row that followed
(`#said`: on a phone the page's top is out of sight), with its figures recounted. Away for
someone whose building is sealed asks whether they left before the seal, and records it.
Someone held by a positive test, a case or a close contact (`status.held_codes`) gets only
what `access.HELD_OUTCOMES` allows (a case: in hospital, or exempt for isolation); anything
else is refused before asking, with `access.held_rule`'s reason. Plain forms: no script needed."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.core.errors import Conflict, Invalid
from fangkong.core.views import actor_of, confirm_step, confirmed, page
from fangkong.registry import actions as reg_actions
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Presence

from . import access, checks, queries, status
from .actions import planning
from .models import ExemptReason
from .views import AT_ROW, with_addresses

# the row's presence steps (`do`: "away", "hospital"): the exemption reasons refused for
# being a presence (checks.BY_PRESENCE, pointing here), each setting its presence
PRESENCE_STEPS = {str(reason): presence for reason, presence in checks.BY_PRESENCE.items()}
EXEMPT = "exempt"


def _presence_words(presence, name) -> tuple[str, str, str]:
    """(the question, its "yes", the message once done) of a presence step."""
    if presence == Presence.HOSPITAL:
        return (_("Is %(name)s in hospital?") % {"name": name}, _("Yes, in hospital"),
                _("%(name)s is in hospital: not counted as missing.") % {"name": name})
    return (_("Is %(name)s away?") % {"name": name}, _("Yes, away"),
            _("%(name)s is away: not counted as missing.") % {"name": name})


def _back(rnd, node, post) -> str:
    """The missing list as it was (place, invalid-only), at the row that followed: its
    message (`say`) stands above that row (`#said`)."""
    url = f"{reverse('screening_missing', args=[rnd.id])}?place={node.id}"
    if post.get("resample") == "1":
        url += "&resample=1"
    at = post.get("at", "")
    return f"{url}#said" if at.isdigit() else url


def say(request, level, text, post) -> None:
    """A row action's outcome, shown above the row the user comes back to (`views.said_at_rows`):
    on a phone the top of the page is out of sight there."""
    at = post.get("at", "")
    messages.add_message(request, level, text, extra_tags=f"{AT_ROW} at-{int(at)}" if at.isdigit() else "")


def _say_error(request, e: Invalid, post) -> None:
    for m in [str(m) for v in e.fields.values() for m in v] or [str(e.message)]:
        say(request, messages.ERROR, m, post)


def _presence_hint(held) -> str:
    """The exemption step's pointer to the row's presence buttons, naming only those the
    row offers someone of `held` (`access.HELD_OUTCOMES`: a case is never away)."""
    away, hospital = (access.outcome_allowed(held, str(k)) for k in (ExemptReason.AWAY, ExemptReason.HOSPITAL))
    if away and hospital:
        return _("Away from the area or in hospital? Go back and tap “Away…” or “In "
                 "hospital…” instead: it is their presence.")
    if hospital:
        return _("In hospital? Go back and tap “In hospital…” instead: it is their presence.")
    if away:
        return _("Away from the area? Go back and tap “Away…” instead: it is their presence.")
    return ""


def _exempt_step(request, r, who, back, reasons, *, held="", warn=""):
    """Ask the reason (and a note: "other" needs one, `checks.check_exemption_note`): one of
    `reasons` (`checks.reasons_offered`, for someone held only `access.exempt_reasons`');
    its words name only what is offered (`_presence_hint`; the note is needed only when
    "other" is one of them)."""
    hint = _presence_hint(held)
    other = any(v == ExemptReason.OTHER for v, _label in reasons)
    return confirm_step(
        request, title=_("Exempt %(name)s from this round?") % {"name": r.name},
        lines=[who, _("%(name)s will not be counted as missing in this round.") % {"name": r.name}]
        + ([hint] if hint else []),
        warn=warn,
        choice=("reason", _("Reason"), [(v, label, "") for v, label in reasons],
                request.POST.get("reason", "")),  # asked again: the reason stays chosen
        entry=("note", _("Note (needed for “Other reason”)") if other else _("Note (optional)"),
               request.POST.get("note", "")),
        yes=_("Yes, exempt"), back=back)


@require_POST
@page
def missing_row(request, pk, resident):
    actor = actor_of(request)
    rnd = queries.get_round(request.scope, pk)
    r = reg_queries.get_resident(request.scope, resident)
    access.require_run_person(actor, rnd, r)  # a grid worker: their grid's people, else as missing
    node = queries.round_node(request.scope, rnd, request.POST.get("place"))
    back = _back(rnd, node, request.POST)
    do = request.POST.get("do")
    if do not in PRESENCE_STEPS and do != EXEMPT:
        return redirect(back)
    with_addresses([r])
    who = _("%(name)s, %(address)s") % {"name": r.name, "address": r.address}
    held = status.held_code(r)  # held by a positive test, a case, a close contact: or ""
    try:
        if do in PRESENCE_STEPS:
            access.require_outcome(held, do, r.name)  # refused before asking (the action's rule)
            presence = PRESENCE_STEPS[do]
            title, yes, done = _presence_words(presence, r.name)
            # sealed in: away only if they left before the seal (asked, and recorded)
            sealed = reg_actions.sealed_since(r) if presence == Presence.AWAY else None
            if not confirmed(request):
                at = timezone.localtime(sealed).strftime("%Y-%m-%d %H:%M") if sealed else ""
                return confirm_step(
                    request, title=title,
                    lines=[who, _("Presence: %(presence)s") % {"presence": presence.label},
                           _("%(name)s will not be counted as missing in this round or the next ones "
                             "until their presence is set back to At home on the resident's page.")
                           % {"name": r.name}],
                    alarm=(_("This building is sealed since %(at)s: did %(name)s leave before it?")
                           % {"at": at, "name": r.name},
                           [_("Someone in a sealed building cannot be away unless they left before the "
                              "seal. If they did not, go back: they are missing.")]) if sealed else None,
                    fields=[(k, v) for k, v in request.POST.items()
                            if k not in ("csrfmiddlewaretoken", "confirm")]
                    + ([("left_before_seal", "1")] if sealed else []),
                    yes=_("Yes, they left before the seal") if sealed else yes, back=back)
            planning.record_presence(actor, rnd, r, presence,
                                     left_before_seal=request.POST.get("left_before_seal") == "1")
            say(request, messages.SUCCESS, done, request.POST)
        else:
            reasons = access.exempt_reasons(held, checks.reasons_offered())
            if not reasons:
                access.require_outcome(held, EXEMPT, r.name)  # none for them: refused
            reason = request.POST.get("reason")
            if not confirmed(request) or not reason:
                return _exempt_step(request, r, who, back, reasons, held=held)
            try:
                checks.check_exemption_note(checks.check_reason(reason), request.POST.get("note", ""))
            except Invalid as e:  # asked again, the error above "yes"
                return _exempt_step(request, r, who, back, reasons, held=held,
                                    warn=[m for v in e.fields.values() for m in v])
            planning.add_exemption(actor, rnd, r, reason, request.POST.get("note", ""))
            say(request, messages.SUCCESS, _("%(name)s is exempt from this round.") % {"name": r.name},
                request.POST)
    except (Invalid, Conflict) as e:  # Conflict: someone held (`access.HELD_OUTCOMES`)
        _say_error(request, e, request.POST)
    return redirect(back)
