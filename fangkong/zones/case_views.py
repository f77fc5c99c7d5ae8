"""Report a confirmed case by hand (the health authority's notice): staff who manage the
place type the person's name (pinyin, initials: the registry's search), ID number or
personal code — a name that finds several lists them to choose from — the notice and the time, are asked
first, and the one action every report of a case goes through records it
(`actions.escalate.record_case`: the lifting count, the escalation draft, the staff told) —
the page of `POST /api/v1/zones/cases`."""

import datetime
import uuid

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.core import pii
from fangkong.core.actor import actor_of
from fangkong.core.clean import in_utc
from fangkong.core.errors import Invalid, NotFound
from fangkong.core.views import confirm_step, confirmed, flash_error, page
from fangkong.core.when import short_time
from fangkong.registry.models import Place, Resident
from fangkong.registry.queries import address_labels

from . import access, engine, lift_flaws
from .actions import escalate
from .models import CASE_OPEN_DAYS, HouseholdZone, ZoneCase

FIELDS = ("person", "pick", "source", "confirmed_at")
MATCHES = 20  # people listed to choose from when a name finds several


class Several(Invalid):
    """A name (or anything else the registry's search understands) found several people:
    the page lists them (`.matches`) to choose one (`pick`)."""

    def __init__(self, matches, more):
        super().__init__(fields={"person": [
            _("Several people match: choose one below, or type more of the name.") if not more else
            _("Too many people match: type more of the name, or the ID number.")]},
            code="several")
        self.matches = matches


def find_person(scope, node: Place, text: str, pick="") -> Resident:
    """The resident under `node` whose personal code was scanned, whose ID number was typed,
    or — staff at night have a name — whom the registry's own search finds by name, pinyin
    or initials (`registry.queries.search_queryset`, the same query), among those the user
    may manage; several: `Several` lists them, and `pick` (a resident id posted from that
    list) is looked up among those the same words find. Anyone else is "no person", alike."""
    from django.core.exceptions import ValidationError

    from fangkong.registry.codes import parse_code, residents_by_token
    from fangkong.registry.queries import search_queryset

    base = Resident.objects.filter(scope.q(access.MANAGE)).filter(engine.under_q(node))
    text = (text or "").strip()
    token = parse_code(text, bare=True) if text else None
    found = None
    if token is not None:
        found = residents_by_token(base, [token]).first()
    elif text:
        try:
            number = pii.validate_id_number(text)
        except ValidationError:
            number = None
            if pii.to_halfwidth(text).isdigit() and len(text) >= 15:  # an ID number mistyped
                raise Invalid(fields={"person": [
                    _("Type the person's ID number or scan their sampling code.")]}) from None
        if number is not None:
            found = base.filter(id_hash=pii.lookup_hash(number)).first()
        else:
            _kind, qs = search_queryset(scope, text, within=node, perm=access.MANAGE)
            if pick:  # chosen from the list: one of those the same words find
                qs = qs.filter(pk=int(pick)) if str(pick).isdigit() else qs.none()
            rows = list(qs.order_by("building_id", "unit_id", "household__sort_key", "id")[:MATCHES + 1])
            if len(rows) > 1:
                raise Several(rows[:MATCHES], more=len(rows) > MATCHES)
            found = rows[0] if rows else None
    if found is None:
        raise Invalid(fields={"person": [_("No person with this name, code or ID number here.")]})
    return found


def match_lines(rows) -> list[tuple[int, str]]:
    """[(resident id, "夏明（男，58岁），光明小区 1号楼 1单元 102")] to choose from."""
    labels = address_labels([r.household for r in rows])
    out = []
    for r in rows:
        address = " ".join(x for x in (labels.get(r.household.place_id, ""), r.household.door) if x)
        about = _about(r)
        out.append((r.id, _("%(name)s (%(about)s), %(address)s") % {"name": r.name, "about": about,
                                                                    "address": address}
                    if about else _("%(name)s, %(address)s") % {"name": r.name, "address": address}))
    return out


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


def _about(r: Resident) -> str:
    """"女，58岁" (what is known of the two)."""
    sex = r.get_sex_display() if r.sex else ""
    age = ngettext("%(n)d year old", "%(n)d years old", r.age) % {"n": r.age} if r.age is not None else ""
    if sex and age:
        return _("%(sex)s, %(age)s") % {"sex": sex, "age": age}
    return sex or age


def person_lines(r: Resident) -> list[str]:
    """Who the case is, as the confirm step says it: the name with sex and age, the full
    address ("光明小区 7号楼 1单元 101": a door alone tells nobody which flat), and the zone
    the household is in now."""
    hh = r.household
    address = " ".join(x for x in (address_labels([hh]).get(hh.place_id, ""), hh.door) if x)
    about = _about(r)
    who = (_("%(name)s (%(about)s), %(address)s") % {"name": r.name, "about": about, "address": address}
           if about else _("%(name)s, %(address)s") % {"name": r.name, "address": address})
    z = HouseholdZone.objects.filter(household_id=hh.id, until=None) \
        .select_related("zone_type", "designation__place").first()
    zone = (_("The household is in a %(zone)s now (%(place)s).") % {
        "zone": z.zone_type.name, "place": z.designation.place.name if z.designation_id else ""}
        if z is not None else _("The household is in no zone now."))
    return [who, zone]


def escalation_line(r: Resident) -> str:
    """Which escalation the case will draft ("7号楼 将起草为封控区"), or why none."""
    return escalation_said(r)[0]


def escalation_said(r: Resident) -> tuple[str, bool]:
    """(`escalation_line`, whether the case drafts an escalation): the confirm step's red
    line says "drafted" only when this line does."""
    found = escalate.escalation_for(r)
    if found is None:
        return _("No zone escalation will be drafted."), False
    place, target, current, pending = found
    if current is not None and current.zone_type.severity >= target.severity:
        return _("%(place)s is a %(zone)s already: no escalation is drafted; the case restarts its lifting "
                 "count.") % {"place": place.name, "zone": current.zone_type.name}, False
    if pending is not None:
        return _("%(place)s has an escalation draft waiting already: %(title)s.") % {
            "place": place.name, "title": pending.title}, False
    return _("%(place)s will be drafted as a %(zone)s.") % {"place": place.name, "zone": target.name}, True


def flaw_alarm(r: Resident, when) -> tuple[str, list[str]] | None:
    """The confirm step's alarm when the case was confirmed before a lift (or step-down) of a
    zone over the home, published since: that lift rested on wrong facts, re-sealing is
    urgent (`lift_flaws`). None when there is none."""
    at = when or timezone.now()
    flaws = lift_flaws.find(r.household.levels().values(), at)
    if not flaws:
        return None
    return (_("A lift rested on wrong facts"),
            [*(lift_flaws.sentence(f, at) for f in flaws),
             _("Reported, the lift and its notice are marked so, the escalation draft is urgent, and the "
               "community's staff and the street's command are told.")])


def earlier_case(r: Resident) -> ZoneCase | None:
    """The person's latest case still open (confirmed in the last CASE_OPEN_DAYS: by hand or
    by screening's re-test), or None: the confirm step names it and asks whether this is the
    same case, before anything is recorded."""
    since = timezone.now() - datetime.timedelta(days=CASE_OPEN_DAYS)
    return ZoneCase.objects.filter(resident_id=r.id, confirmed_at__gt=since).order_by("-created_at").first()


def earlier_alarm(r: Resident, case: ZoneCase) -> tuple[str, list[str]]:
    """The confirm step's question about an earlier open case: when it was reported and from
    which source, and what "yes" does."""
    return (_("%(name)s was reported already at %(time)s (%(source)s): is this the same case?") % {
        "name": r.name, "time": short_time(timezone.localtime(case.created_at)), "source": case.source},
        [_("If it is the same case, go back: it is recorded, and the staff were told. Report it only "
           "if it is a new case.")])


def when_line(text: str) -> str:
    """The time the case was confirmed, as typed; empty: now, with the time it is ("现在
    （12:42）" — not the zone history's "至今", up to now)."""
    if text.strip():
        return text.strip().replace("T", " ")
    return pgettext("a case confirmed", "now (%(time)s)") % {
        "time": date_format(timezone.localtime(), "H:i")}


@page
def report_case(request, pk):
    try:
        p = Place.objects.get(pk=int(pk))
    except (ValueError, Place.DoesNotExist):
        raise NotFound() from None
    access.require(request.scope, access.MANAGE, p)
    posted, errors, matches = {k: request.POST.get(k, "") for k in FIELDS}, {}, []
    # the form's key: sent again (a second tap, back and submit again), the same case
    posted["client_id"] = request.POST.get("client_id", "") or str(uuid.uuid4())
    if request.method == "POST" and "edit" not in request.POST:
        try:
            r = find_person(request.scope, p, posted["person"], posted["pick"])
            when = _when(posted["confirmed_at"])
            if not confirmed(request):
                line, drafts = escalation_said(r)
                earlier = earlier_case(r)
                flawed = flaw_alarm(r, when)
                alarm = earlier_alarm(r, earlier) if earlier is not None else flawed
                return confirm_step(
                    request, title=_("Report a confirmed case?"), alarm=alarm,
                    lines=[*person_lines(r), posted["source"] or _("Reported by the health authority"),
                           when_line(posted["confirmed_at"]), line,
                           *(flawed[1] if flawed and alarm is not flawed else ())],
                    warn=_("The community's staff, the grid worker and the street's command are told at once, "
                           "and the zone's escalation is drafted by the policy.") if drafts else
                    _("The community's staff, the grid worker and the street's command are told at once."),
                    yes=_("It is a new case: report it") if earlier is not None else _("Yes, report the case"),
                    back=request.get_full_path(), back_post=True, fields=posted)
            case, proposal = escalate.record_case(actor_of(request), r, confirmed_at=when,
                                                  source=posted["source"][:80], client_id=posted["client_id"])
            if getattr(case, "reported_before", False):
                messages.warning(request, escalate.already_words(case))
            else:
                messages.success(request, _("Case recorded: %(name)s.") % {"name": r.name})
                for f in lift_flaws.find(case.levels().values(), case.confirmed_at):
                    messages.error(request, lift_flaws.sentence(f, case.confirmed_at))
            if proposal is not None:
                return redirect("zones_adjustment", pk=proposal.id)
            return redirect("zones_place", pk=p.pk)
        except Several as e:  # a name found several: the list to choose from, nothing flashed
            errors, matches = e.fields, match_lines(e.matches)
        except Invalid as e:
            errors = e.fields or {}
            flash_error(request, e)
    return render(request, "zones/report_case.html", {"place": p, "posted": posted, "errors": errors,
                                                      "matches": matches}, status=400 if errors else 200)
