"""Antigen round pages: the staff overview, door to door (kits and results), the resident's
self-report, and the cassette photos. Thin: reads through `antigen`, writes through it too.
The missing list is the round's ordinary missing-list page (views.missing asks `antigen`
for an antigen round)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from fangkong.accounts.roles import Perm
from fangkong.core.errors import Conflict as Refused
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import actor_of, confirm_step, confirmed, flash_error, page, photo_response
from fangkong.core.when import short_time
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import LEVELS, Household, Resident
from fangkong.screening.models import ANTIGEN_RESULTS, Result

from . import access, antigen, areas, figures, queries
from . import status as status_reads
from .actions import antigen as antigen_actions


@page
def overview(request, pk):
    """Staff: coverage, kits, by unit, positives and recent results with their photos."""
    rnd = antigen.get_round(request.scope, pk)
    node = queries.round_node(request.scope, rnd, request.GET.get("place"))
    return render(request, "screening/antigen.html", {
        "round": rnd, "node": node, "coverage": figures.coverage(rnd, node),
        "units": antigen.by_unit(rnd, node),
        "positives": antigen.recent_results(request.scope, rnd, positive_only=True),
        "results": antigen.recent_results(request.scope, rnd, limit=30),
        "can_door": access.can_sample(actor_of(request), rnd),
        "can_run": access.can_run_people(request.scope, rnd),  # its 免检 link
        "can_correct": access.can_correct_positive(request.scope, node),  # 更正 on a positive
        "children": [p for p in reg_queries.places(request.scope, Perm.SCREENING_VIEW)
                     .filter(parent=node, kind__in=LEVELS)]})


@page
def door(request, pk):
    """Door to door: pick the unit and the door, hand over kits, enter each result. With
    no door number the whole unit is on one page (`antigen.unit_sheet`), so a volunteer
    can keep working without network; antigen.js queues what is entered and sends it."""
    actor = actor_of(request)
    rnd = antigen.get_round_for_door(actor, pk)
    hh, sheet, unit = None, None, _int(request.GET.get("unit"))
    door_no = request.GET.get("door", "").strip()
    if request.GET.get("household"):
        _r, hh, _d = antigen.get_round_for_household(actor, rnd.id, request.GET["household"])
    elif unit and door_no:
        hh = Household.objects.filter(place_id=unit, door=door_no).first()
        if hh is None or not areas.in_round(rnd, hh):
            messages.error(request, _("No household at that door in this round's area."))
            hh = None
        else:
            return redirect(reverse("screening_antigen_door", args=[rnd.id]) + f"?household={hh.id}")
    elif unit:
        try:
            _unit, sheet = antigen.unit_sheet(rnd, unit)
        except NotFound:
            messages.error(request, _("That unit is not in this round's area."))
    status = 200
    if request.method == "POST" and hh is not None:
        if _post(request, actor, rnd, hh):
            return redirect(reverse("screening_antigen_door", args=[rnd.id]) + f"?household={hh.id}")
        status = 422  # refused (a photo that cannot be used…): the page again, saying why
    units = queries.round_units(rnd)
    ctx = {"round": rnd, "hh": hh, "units": units, "results": ANTIGEN_RESULTS, "unit": unit,
           "door": door_no, "sheet": sheet, "strings": door_strings(),
           # a positive's card has no result form: whoever may correct it is sent to the overview
           "can_correct": access.can_correct_positive(request.scope, rnd)}
    if hh is not None:
        ctx.update(antigen.household_status(rnd, hh))
        ctx["address"] = reg_queries.address_labels([hh]).get(hh.place_id, "")
    if sheet is not None:
        ctx["sheet_label"] = next((u.label for u in units if u.id == unit), "")
        ctx["sheet_cut"] = len(sheet) >= antigen.UNIT_SHEET_LIMIT
    return render(request, "screening/antigen_door.html", ctx, status=status)


def door_strings() -> dict:
    """What antigen.js says and shows, in the user's language."""
    return {
        "online": _("Online"), "offline": _("Offline: entries are kept on this phone"),
        "queued": _("Saved on this phone, will be sent"), "waiting": _("waiting"), "sep": pgettext("a label and what it says", ": "),
        "sent": _("Sent: %s"), "refused": _("Not saved: %s"), "error": _("Error"),
        "login": _("Your session has ended: log in again, then the entries waiting here are sent."),
        "photo_kept": _("The photo could not be kept on this phone: send it again when online."),
        "kits": _("kits"), "kit": pgettext("one", "kit"), "ack": _("Noted"), "last_at": _("last at %(t)s"),
        "positive_sure": _("Yes, positive: send"),
        "positive_ask": _("Positive for %(name)s? The community is alerted at once. Tap again to send."),
        "positive_kept": _("%(name)s has a positive result: it is kept. Only the community staff can "
                           "correct a positive result, with a reason."),
    }


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _post(request, actor, rnd, hh, photo=None) -> bool:
    """Kits or a result from the page's form (`photo`: one held for the confirm step, else
    the form's); False (messages say why) if refused."""
    try:
        if request.POST.get("action") == "kits":
            antigen_actions.issue_kits(actor, rnd, hh, request.POST.get("count"),
                               client_id=request.POST.get("client_id") or None)
            messages.success(request, _("Kits recorded."))
        else:
            r = _member(hh, request.POST.get("resident"))
            antigen_actions.record_result(actor, rnd, r, request.POST.get("result", ""),
                                  photo=photo or request.FILES.get("photo"),
                                  client_id=request.POST.get("client_id") or None)
            messages.success(request, _("Result recorded for %(name)s.") % {"name": r.name})
    except Invalid as e:
        flash_error(request, e)
        return False
    return True


def _member(hh, pk) -> Resident:
    r = Resident.objects.filter(household=hh, pk=_int(pk)).first()
    if r is None:
        raise NotFound()
    return r


@page
def self_report(request):
    """A resident reports their household's antigen results, with a photo of each cassette."""
    actor = actor_of(request)
    if not access.resident_households(request.scope):
        raise NotFound()
    status = 200
    if request.method == "POST":
        rnd, hh, _d = antigen.get_round_for_household(actor, request.POST.get("round"),
                                                      request.POST.get("household"))
        photo, go = None, True
        if request.POST.get("result") == Result.POSITIVE and not confirmed(request) \
                and request.FILES.get("photo") is not None:  # no photo: refused as any result
            asked = _ask_positive(request, actor, rnd, hh)
            if asked is not None:
                return asked
            go = False  # the photo was refused: said in the messages
        elif request.POST.get("held") and confirmed(request):
            photo = antigen_actions.take_held_photo(actor, _member(hh, request.POST.get("resident")),
                                                    request.POST["held"])
            if photo is None:
                messages.error(request, _("The photo was kept for 30 minutes only: choose the result and "
                                          "add the photo again."))
                go = False
        if go and _post(request, actor, rnd, hh, photo=photo):
            return redirect("screening_antigen_mine")
        status = 422
    rows = []
    for hh, rnds in antigen.own_rounds(request.scope):
        rows.append((hh, [(rnd, antigen.household_status(rnd, hh)) for rnd in rnds]))
    # a confirmed case is not asked to test themselves: the community calls them
    cases = set().union(*status_reads.cases_by_household([hh.id for hh, _r in rows]).values())
    # a positive already sent is not asked again (only staff may change it): whom to call
    positive = any(p.antigen is not None and p.antigen.result == Result.POSITIVE
                   for _hh, rnds in rows for _rnd, st in rnds for p in st["people"])
    from fangkong.accounts.queries import office_contacts
    from fangkong.registry.queries import duty_phone_for

    # whom to call: the household's duty phone, as its household page says (one number for
    # "the community"); the staff's own phones only where none is set
    duty = None
    for hh, _r in rows if positive else []:
        hh.duty = duty_phone_for(hh)
        duty = duty or hh.duty
    contacts = office_contacts(request.scope, limit=2, communities=list({hh.community_id for hh, _r in rows})) \
        if positive and duty is None else []
    return render(request, "screening/antigen_mine.html", {"rows": rows, "results": ANTIGEN_RESULTS,
                                                           "cases": cases, "contacts": contacts}, status=status)


def _ask_positive(request, actor, rnd, hh):
    """A positive self-report is asked first (as the door page's second tap, but on the
    server, so it holds without script): whose result, where, and what follows at once.
    The photo is held for the step (`antigen_actions.hold_photo`). None if the photo is
    refused (messages say why)."""
    r = _member(hh, request.POST.get("resident"))
    try:
        held = antigen_actions.hold_photo(actor, rnd, r, request.FILES["photo"])
    except Invalid as e:
        flash_error(request, e)
        return None
    address = reg_queries.address_labels([hh]).get(hh.place_id, "")
    fields = [(k, request.POST.get(k, "")) for k in ("round", "household", "resident", "result", "client_id")]
    return confirm_step(
        request, title=_("Report %(name)s as positive?") % {"name": r.name},
        lines=[_("%(name)s, %(address)s") % {"name": r.name, "address": f"{address} {hh.door}".strip()},
               _("Round: %(round)s") % {"round": rnd.name}],
        warn=[_("The community is alerted at once, and you cannot take it back: %(name)s is held at "
                "home and an urgent PCR re-test at your door is listed.") % {"name": r.name},
              _("Only if the cassette shows two lines (C and T). One line at C is negative.")],
        yes=_("Yes, %(name)s is positive: send") % {"name": r.name},
        back=reverse("screening_antigen_mine"), fields=[*fields, ("held", held)])


@require_POST
@page
def correct(request, pk, result):
    """更正阳性结果 (the overview's positive results, for the community staff who may correct
    them): asked first — whose result, where, what the correction does — choosing the
    corrected result and typing the reason; "yes" corrects through
    `antigen_correct.correct_positive`, as the API does. Anyone else: 403 (seen) or 404."""
    from .actions import antigen_correct

    rnd = antigen.get_round(request.scope, pk)
    row = antigen.get_result(request.scope, rnd, result)
    back = reverse("screening_antigen", args=[rnd.id]) + "#positives"
    try:
        row = antigen_correct.correct_positive(actor_of(request), rnd, row, request.POST.get("result"),
                                               request.POST.get("reason"), confirm=confirmed(request))
    except Refused as e:  # not confirmed yet: the question
        return _ask_correction(request, rnd, row, e.extra.get("effect", []), back)
    except Invalid as e:
        if e.fields and confirmed(request):  # no result chosen or no reason: asked again, saying so
            return _ask_correction(request, rnd, row, antigen_correct.asked(rnd, row), back,
                                   errors=[str(m) for v in e.fields.values() for m in v])
        flash_error(request, e)
        return redirect(back)
    messages.success(request, _("The positive antigen result of %(name)s was corrected to %(result)s.")
                     % {"name": row.resident.name, "result": row.get_result_display()})
    if getattr(row, "released", False):
        messages.success(request, _("%(name)s is no longer held: the PCR re-test at the door was taken off "
                                    "the home-sampling list.") % {"name": row.resident.name})
    return redirect(back)


def _ask_correction(request, rnd, row, said, back, errors=()):
    """The correction's question: the person, the positive, what follows; the corrected
    result to choose and the reason to type (kept as typed when asked again)."""
    from .actions.antigen_correct import CORRECTED_TO

    r = row.resident
    address = reg_queries.address_labels([r.household]).get(r.household.place_id, "")
    labels = dict(ANTIGEN_RESULTS)
    helps = {Result.NEGATIVE: _("one line, at C"), Result.INVALID: _("no line at C: the kit did not work")}
    return confirm_step(
        request, title=_("Correct the positive result of %(name)s?") % {"name": r.name},
        alarm=(_("Not corrected yet"), errors) if errors else None,
        lines=[_("%(name)s, %(address)s") % {"name": r.name, "address": f"{address} {r.household.door}".strip()},
               _("Round: %(round)s") % {"round": rnd.name},
               _("Recorded positive: %(source)s, %(at)s") % {"source": row.get_source_display(),
                                                            "at": short_time(row.tested_at)},
               *said],
        warn=_("Correct a positive only when it was wrong (entered for the wrong person, the cassette shows "
               "one line). The correction and its reason are kept in the audit log."),
        choice=("result", _("Corrected result"), [(v, labels[v], helps[v]) for v in CORRECTED_TO],
                request.POST.get("result", "")),
        entry=("reason", _("Reason (required)"), request.POST.get("reason", "")),
        yes=_("Yes, correct the positive result"), back=back, fields=[])


@page
def photo(request, pk):
    return photo_response(antigen.get_photo(request.scope, pk))


@page
def positive_photo(request, pk):
    """The cassette photo of a positive the staff corrected (kept with the correction)."""
    return photo_response(antigen.get_photo(request.scope, pk, positive=True))


@page
def remind(request, pk):
    """「提醒未报告的家庭」 (from the missing list): who would be told — the households under
    the user's part of the round with someone not yet reported, by their family accounts —
    who was reminded lately, and the households without an account (a door visit), then
    "yes" (POST, confirm=1) sends through `actions.remind.remind`, as the API does."""
    from .actions import remind as remind_actions

    rnd = antigen.get_round(request.scope, pk)
    access.require_run_people(actor_of(request), rnd)
    node = queries.round_node(request.scope, rnd, request.GET.get("place") or request.POST.get("place"))
    here = reverse("screening_antigen_remind", args=[rnd.id]) + f"?place={node.id}"
    if request.method == "POST":
        try:
            done = remind_actions.remind(actor_of(request), rnd, node, confirm=confirmed(request))
        except Invalid as e:
            flash_error(request, e)
            return redirect(here)
        except Refused:  # not confirmed: the question again
            return redirect(here)
        for line in remind_actions.said(done):
            messages.success(request, line)
        return redirect(here)
    plan = antigen.to_remind(request.scope, rnd, node)
    return render(request, "screening/antigen_remind.html", {
        "round": rnd, "node": node, "plan": plan, "ask": remind_actions.ask(plan),
        "again_hours": antigen.REMIND_AGAIN_AFTER_HOURS,
        "over": rnd.status == "closed" or rnd.past_end(),
        "can_door": access.can_sample(actor_of(request), rnd)})
