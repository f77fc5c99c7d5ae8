"""Volunteer pages. Thin: read through `queries`, write through `actions`, render.

Public pages (no account): the registration form behind a community's link, and the
volunteers' log-in by text code. Everything else needs a login (`@page`).
"""

from functools import wraps
from urllib.parse import quote

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from fangkong.accounts.roles import Perm
from fangkong.audit.disclosure import phones_shown
from fangkong.core.access import require_export
from fangkong.core.errors import Conflict, Forbidden, Invalid, NotFound
from fangkong.core.qr import qr_svg
from fangkong.core.shedding import check_rate
from fangkong.core.text import join_words
from fangkong.core.views import (
    act,
    actor_of,
    confirm_step,
    confirmed,
    flash_error,
    next_or,
    not_found,
    page,
)
from fangkong.registry import queries as reg_queries
from fangkong.registry.models import Kind, Place

from . import access, queries
from .actions import attendance, registration, teams
from .models import Assignment, Call, Day, PhoneCode, Skill, Volunteer, tenths

MANAGE, VIEW = access.MANAGE, access.VIEW


# --- home ------------------------------------------------------------------------

@page
def home(request):
    """Staff: their community (or a list); a volunteer: their tasks and the open calls."""
    scope = request.scope
    comms = queries.communities(scope)
    me = queries.me(scope)
    if len(comms) == 1 and me is None:
        return redirect("volunteers_community", pk=comms[0].id)
    if me is None and not comms and not scope.has_role("volunteer"):
        raise NotFound()
    from fangkong.screening.home_views import my_visits_context
    from fangkong.screening.queries import my_emergency_rounds, my_sampling
    from fangkong.services.queries import my_services_work

    ctx = {"communities": comms, "me": me, "sampling": my_sampling(scope),
           "home_visits": my_visits_context(request),
           # the rounds whose emergency sampling team she is on, with people awaiting a re-test
           "emergency": my_emergency_rounds(actor_of(request)),
           "services": my_services_work(scope) if me is not None else None}
    if me is not None:
        ctx.update(_my_context(me))
    elif not comms:  # a volunteer account without a registration: whom to ask
        from fangkong.accounts.queries import office_contacts

        ctx["contacts"] = office_contacts(scope)
    return render(request, "volunteers/home.html", ctx)


def _my_context(me):
    # my tasks: every place held on a call not over yet, a shift checked out of too (done);
    # open calls: none she holds a place on (waitlisted, to do, or done)
    mine = queries.my_assignments(me)
    tasks = list(mine.filter(ends_at__gt=timezone.now()).order_by("starts_at", "id"))
    held = set(mine.values_list("call_id", flat=True))
    return {"tasks": tasks, "upcoming": [a for a in tasks if a.check_out_at is None],
            "open_calls": [c for c in queries.open_calls_for(me) if c.id not in held],
            "teams": list(queries.my_teams(me)), "kept_home": queries.kept_home_reason(me),
            # a team leader lands on her work: the calls her members are on (None: no team led)
            "team_calls": queries.led_today(me)}


@page
def me_page(request):
    """Their history and hours; a withdrawn or rejected volunteer still reads their own
    past hours (and prints the statement), with nothing to act on."""
    me = queries.me(request.scope)
    record = me or queries.own_record(request.scope)
    if record is None:
        raise NotFound()
    rows = list(queries.history(record))
    return render(request, "volunteers/me.html", {
        "me": record, "current": me is not None, "rows": rows, "now": timezone.now(),
        "answered": sum(a.status != Assignment.Status.CANCELLED for a in rows),
        **(_my_context(me) if me is not None else {})})


@page
def me_statement(request):
    """The volunteer's own statement of verified hours (服务时长证明), a PDF."""
    record = queries.me(request.scope) or queries.own_record(request.scope)
    if record is None:
        raise NotFound()
    return _statement(record)


@page
def person_statement(request, pk):
    """A volunteer's statement of verified hours, printed by their home community's staff."""
    return _statement(queries.get_volunteer(request.scope, pk, lent=False))


def _statement(v):
    from .statement import render_statement, served

    pdf = render_statement(v, _community_name(v), list(served(v)))
    resp = HttpResponse(pdf, content_type="application/pdf")
    fname = quote(f"{_('Statement of volunteer hours')}-{v.name}.pdf")
    resp["Content-Disposition"] = f"inline; filename*=UTF-8''{fname}"
    return resp


# --- staff: a community ----------------------------------------------------------

def community_ctx(request, community):
    return {"community": community, "can_manage": access.can_manage(request.scope, community)}


@page
def community(request, pk):
    c = queries.get_community(request.scope, pk)
    ctx = community_ctx(request, c)
    ctx.update({"counts": queries.status_counts(request.scope, c),
                "calls": list(queries.calls(request.scope, c)[:10]),
                "teams": list(queries.teams(request.scope, c)),
                "honour": queries.roll_of_honour(c, limit=5),
                "link": queries.join_link_for(c)})
    return render(request, "volunteers/community.html", ctx)


@page
def people(request, pk):
    c = queries.get_community(request.scope, pk)
    if request.GET.get("q"):
        check_rate(request, "search")
    status = request.GET.get("status") or "pending"
    if status not in Volunteer.Status.values:
        status = "pending"
    rows = list(queries.volunteer_list(request.scope, c, status=status, q=request.GET.get("q", ""))[:300])
    registration.record_phone_view(actor_of(request), rows, f"volunteers:{c.id} {status}")
    ctx = community_ctx(request, c)
    ctx.update({"rows": rows, "status": status, "statuses": Volunteer.Status.choices,
                "counts": queries.status_counts(request.scope, c), "q": request.GET.get("q", "")})
    return render(request, "volunteers/people.html", ctx)


@page
def person(request, pk):
    v = queries.get_volunteer(request.scope, pk)
    home = queries.labelled_homes([v.household])[0].label if v.household_id else ""
    # staff of a community she is lent to: her calls there, her home community named, no
    # teams (those are her home community's)
    lent_here = access.lent_here(request.scope, v)
    rows = list(queries.history_seen(request.scope, v, lent_here))
    # the total beside the rows is theirs: for a borrowing community, her hours there only
    # (the sum of the rows' tenths, `models.tenths`), said "in this community"
    ctx = {"v": v, "home": home, "rows": rows,
           "hours": sum(tenths(a.minutes) for a in rows if a.minutes > 0) / 10 if lent_here else v.hours,
           "teams": [] if lent_here else list(queries.my_teams(v)), "lent_here": lent_here,
           "lent_from": _community_name(v) if lent_here else "",
           "can_manage": access.can_manage(request.scope, v),
           "loans": list(v.loans.filter(ended_at=None, until__gt=timezone.now())
                         .select_related("to_community").order_by("until")),
           "communities": [c for c in Place.objects.filter(kind=Kind.COMMUNITY, street_id=v.street_id)
                           .exclude(pk=v.community_id).order_by("sort_key")[:50]]}
    registration.record_phone_view(actor_of(request), [v], f"volunteer:{v.id}")
    return render(request, "volunteers/person.html", ctx)


@require_POST
@page
def decide(request, pk):
    v = queries.get_volunteer(request.scope, pk, lent=False)
    to = next_or(request, reverse("volunteers_person", args=[v.id]))
    if request.POST.get("decision") == "approve":
        return act(request, lambda actor: registration.approve(actor, v), to=to,
                   done=_("%(name)s is approved.") % {"name": v.name}, catch=(Invalid, Conflict))
    if v.status == Volunteer.Status.APPROVED and not confirmed(request):
        # withdrawing an approval ends what it carried: said first (`ends_with_withdrawal`)
        ends = registration.ends_with_withdrawal(v)
        lines = [_("%(name)s will no longer be a volunteer of %(place)s: no calls, no tasks.") % {
            "name": v.name, "place": _community_name(v)}]
        if ends:
            lines.append(_("What %(name)s was given ends with it: %(things)s.") % {
                "name": v.name, "things": join_words(ends)})
        return confirm_step(request, title=_("Withdraw %(name)s's approval?") % {"name": v.name},
                            lines=lines, yes=_("Yes, withdraw it"), back=reverse("volunteers_person", args=[v.id]))

    def done(r):
        said = _("%(name)s is rejected.") % {"name": v.name}
        if r.ended:
            said += " " + _("Ended with it: %(things)s.") % {"things": join_words(r.ended)}
        return said

    return act(request, lambda actor: registration.reject(actor, v, request.POST.get("reason", "")),
               to=to, done=done, catch=(Invalid, Conflict))


def _community_name(v) -> str:
    return Place.objects.filter(pk=v.community_id).values_list("name", flat=True).first() or ""


@require_POST
@page
def lend(request, pk):
    v = queries.get_volunteer(request.scope, pk, lent=False)

    def lend_to(actor):
        to = Place.objects.filter(kind=Kind.COMMUNITY, pk=int(request.POST.get("to_community") or 0)).first()
        if to is None:
            raise Invalid(fields={"to_community": [_("Choose another community.")]})
        return registration.lend(actor, v, to, request.POST.get("until", ""))

    return act(request, lend_to, to=reverse("volunteers_person", args=[v.id]),
               done=lambda loan: _("%(name)s is lent to %(place)s.") % {
                   "name": v.name, "place": loan.to_community.name},
               catch=(Invalid, Conflict))


@require_POST
@page
def end_loan(request, pk, loan_id):
    v = queries.get_volunteer(request.scope, pk, lent=False)
    loan = v.loans.select_related("to_community", "volunteer").filter(pk=loan_id).first()
    if loan is None:
        raise NotFound()
    return act(request, lambda actor: registration.end_loan(actor, loan),
               to=reverse("volunteers_person", args=[v.id]),
               done=_("%(name)s is no longer lent to %(place)s.") % {
                   "name": v.name, "place": loan.to_community.name})


@page
def poster(request, pk):
    """A printable poster with the community's registration link as a QR code."""
    c = queries.get_community(request.scope, pk)
    link = registration.join_link(actor_of(request), c)
    url = request.build_absolute_uri(reverse("volunteers_join", args=[link.token]))
    return render(request, "volunteers/poster.html", {"community": c, "url": url, "qr": qr_svg(url, 10)})


# --- teams -----------------------------------------------------------------------

@page
def team_list(request, pk):
    c = queries.get_community(request.scope, pk)
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        try:
            area = leader = None
            if values.get("area"):
                area = Place.objects.filter(pk=_int(values["area"]), community_id=c.id).first()
                if area is None:
                    raise Invalid(fields={"area": [_("The area must be inside the community.")]})
            if values.get("leader"):
                leader = queries.get_volunteer(request.scope, values["leader"], lent=False)
            team = teams.create_team(actor_of(request), c, values.get("name", ""), area=area, leader=leader)
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("volunteers_team", pk=team.id)
        except Invalid as e:
            errors = e.fields
    ctx = community_ctx(request, c)
    ctx.update({"teams": list(queries.teams(request.scope, c)), "errors": errors, "values": values,
                "areas": area_choices(c),
                "approved": list(queries.volunteer_list(request.scope, c, status="approved", lent=False)[:500])})
    return render(request, "volunteers/teams.html", ctx)


def _int(v):
    try:
        return int(v)
    except (TypeError, ValueError):
        return 0


def area_choices(c):
    return reg_queries.labelled(Place.objects.filter(community_id=c.id).exclude(
        kind__in=[Kind.UNIT, Kind.COMMUNITY]).order_by("depth", "sort_key")[:300])


@page
def team(request, pk):
    t = queries.get_team(request.scope, pk)
    can_manage = access.can_manage(request.scope, t)
    me = queries.me(request.scope)
    is_leader = me is not None and t.leader_id == me.id
    if request.method == "POST":
        if not can_manage:
            raise Forbidden()
        return _team_change(request, t)
    members = list(queries.team_members(t))
    # every member's phone for staff who manage it and the leader, the leader's to the
    # members (access.team_phone_seen), shown and audited by audit.disclosure
    phones = phones_shown(actor_of(request), members, access.team_phone_seen(request.scope, t),
                          f"team:{t.id}", "volunteer.view_phones", "volunteers")
    # the staff who see the team and its leader: who must stay home (a zone, a code not
    # green) marked, and the team's calls of today with who has arrived
    runs = is_leader or request.scope.allows(VIEW, t)
    ctx = {"team": t, "members": members, "can_manage": can_manage, "is_leader": is_leader,
           "show_contacts": can_manage or is_leader, "phones": phones, "runs": runs,
           "kept": queries.kept_home_ids(members) if runs else set(),
           "team_calls": queries.team_today(t) if runs else None,
           "calls": list(Call.objects.filter(team=t).select_related("place").order_by("-starts_at")[:20])}
    if can_manage:
        ids = {m.id for m in members}
        ctx["candidates"] = [v for v in queries.volunteer_list(request.scope, t.community_place,
                                                                status="approved", lent=False)[:500] if v.id not in ids]
        ctx["candidates_kept"] = queries.kept_home_ids(ctx["candidates"])  # "须居家" there too, as on members
    return render(request, "volunteers/team.html", ctx)


def _team_change(request, t):
    """Add a member, make one the leader or remove one: the last two asked first, naming
    the person (a leader changed in the middle of a shift loses her confirm buttons), and
    each said when done in words that name who."""
    back = reverse("volunteers_team", args=[t.id])
    op = request.POST.get("op")
    try:
        v = queries.get_volunteer(request.scope, request.POST.get("volunteer"), lent=False)
    except NotFound as e:
        flash_error(request, e)
        return redirect(back)
    if op in ("leader", "remove") and not confirmed(request):
        return _ask_team_change(request, t, v, op, back)
    if op == "remove":
        return act(request, lambda actor: teams.remove_member(actor, t, v), to=back,
                   done=_("%(name)s is removed from the team.") % {"name": v.name})
    if op == "leader":
        return act(request, lambda actor: teams.set_leader(actor, t, v), to=back,
                   done=_("The leader is now %(name)s.") % {"name": v.name})
    return act(request, lambda actor: teams.add_member(actor, t, v), to=back,
               done=_("%(name)s is added to the team.") % {"name": v.name})


def _ask_team_change(request, t, v, op, back):
    old = t.leader if t.leader_id and t.leader_id != v.id else None
    if op == "leader":
        title = (_("Replace %(old)s with %(new)s as the leader of %(team)s?") % {
            "old": old.name, "new": v.name, "team": t.name} if old else
            _("Make %(new)s the leader of %(team)s?") % {"new": v.name, "team": t.name})
        lines = [_("The leader confirms the team's attendance and sees every member's phone."),
                 _("%(old)s will no longer do so.") % {"old": old.name} if old else ""]
        return confirm_step(request, title=title, lines=lines,
                            yes=_("Yes, make %(name)s the leader") % {"name": v.name}, back=back)
    lines = [_("%(name)s no longer gets the team's calls; places already held stay.") % {"name": v.name}]
    if t.leader_id == v.id:
        lines.append(_("%(name)s is the team's leader: the team will have no leader.") % {"name": v.name})
    return confirm_step(request, title=_("Remove %(name)s from %(team)s?") % {"name": v.name, "team": t.name},
                        lines=lines, yes=_("Yes, remove"), back=back)


@require_POST
@page
def correct(request, pk):
    a = queries.get_assignment(request.scope, pk)
    back = reverse("volunteers_call", args=[a.call_id])
    try:
        return act(request, lambda actor: attendance.correct_minutes(
            actor, a, request.POST.get("minutes"), request.POST.get("reason"), confirm=confirmed(request)),
            to=back, done=_("Hours of %(name)s corrected.") % {"name": a.volunteer.name})
    except Conflict as e:  # more than the whole shift: a slip (hours typed as minutes)? ask
        return confirm_step(request, title=_("Credit %(name)s this much?") % {"name": a.volunteer.name},
                            lines=[str(e.message)], yes=_("Yes, credit it"), back=back)


@page
def scan(request, token):
    """What the call's QR opens: check in, then (scanning again) check out. Checking out
    cannot be undone by the volunteer, so it asks first (with the hours it will credit)."""
    call = queries.get_call_by_token(request.scope, token)
    me = queries.me(request.scope)
    a = Assignment.objects.filter(call=call, volunteer=me).first() if me else None
    error = None
    if request.method == "POST":
        try:
            if request.POST.get("op") == "out":
                if not confirmed(request) and a is not None and a.check_in_at and not a.check_out_at:
                    return _confirm_check_out(request, a)
                attendance.check_out(actor_of(request), token, confirm=confirmed(request))
            else:
                attendance.check_in(actor_of(request), token)
            return redirect("volunteers_scan", token=token)
        except (Conflict, Forbidden, NotFound) as e:
            error = str(e.message)
    return render(request, "volunteers/scan.html", {"call": call, "a": a, "me": me, "error": error})


def _confirm_check_out(request, a):
    from .attend_views import check_out_question

    return check_out_question(request, a, reverse("volunteers_scan", args=[a.call.token]), fields={"op": "out"})


# --- hours -----------------------------------------------------------------------

@page
def honour(request, pk):
    c = queries.get_community(request.scope, pk)
    ctx = community_ctx(request, c)
    ctx["rows"] = queries.roll_of_honour(c, limit=100)
    return render(request, "volunteers/honour.html", ctx)


EXPORTS = {"team": lambda: _("Team"), "work_unit": lambda: _("Work unit"),
           "party_branch": lambda: _("Party branch")}
SHEETS = {"team": lambda: _("Hours by team"), "work_unit": lambda: _("Hours by work unit"),
          "party_branch": lambda: _("Hours by Party branch")}


@page
def export_hours(request, pk, dimension):
    from fangkong.registry.exporter import rows_xlsx

    c = queries.get_community(request.scope, pk)
    if dimension not in EXPORTS:
        raise NotFound()
    require_export(request.scope, Perm.EXPORT, c)
    check_rate(request, "export")  # after the access check: a refused export is 404 always
    rows = queries.hours_by(request.scope, c, dimension)
    label = EXPORTS[dimension]()
    title = _("%(place)s volunteer hours by %(what)s, %(when)s") % {
        "place": c.name, "what": label, "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    # the grouping column first, never again among the others (a work unit's sheet had two)
    others = [(k, h) for k, h in (("work_unit", _("Work unit")), ("party_branch", _("Party branch")))
              if k != dimension]
    # the status column: a place not checked out or not come shows here, not as 0 h alone
    from .attendance_views import states_text

    states = queries.states_of(list({v.pk: v for _g, v, _n, _h in rows}.values()))
    header = [label, pgettext("person", "Name"), *(h for _k, h in others), _("Calls served"), _("Hours"),
              _("Status")]
    data = [[g or _("(none)"), v.name, *(getattr(v, k) for k, _h in others), n, h,
             states_text(states.get(v.pk, {}))] for g, v, n, h in rows]
    attendance.record_export(actor_of(request), c, dimension, len(data))
    # the sheet's tab: short and whole (Excel keeps 31 characters; the title row says where and when)
    sheet = SHEETS[dimension]()
    resp = HttpResponse(rows_xlsx(title, header, data, sheet_title=sheet), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    fname = quote(f"{c.name}-{label}-{timezone.localtime():%Y%m%d-%H%M}.xlsx")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{fname}"
    return resp


# --- public: registration and log-in by code ---------------------------------------

def public(view):
    """For pages without a login: NotFound → the 404 page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound:
            return not_found(request)

    return wrapper


JOINED = "volunteers.registered"  # the session's registration made through a link


@public
def join(request, token):
    link = queries.get_join_link(token)
    c = link.place
    errors, values = {}, {"days": [], "skills": []}
    if request.method == "POST":
        values = {k: request.POST.get(k, "") for k in (
            "name", "phone", "id_number", "household", "work_unit", "party_member", "party_branch",
            "hours_from", "hours_to", "consent", "code")}
        values["skills"] = request.POST.getlist("skills")
        values["days"] = request.POST.getlist("days")
        try:
            v, created = registration.register(actor_of(request), token, values)
        except (Invalid, Conflict) as e:
            errors = e.fields or {"__all__": [str(e.message)]}
        else:  # the link is then this browser's page of its registration (a reload posts nothing)
            request.session[JOINED] = v.id
            if not created:
                messages.success(request, _("Your registration is updated: it waits for approval again."))
            return redirect("volunteers_join", token=token)
    done = None
    if request.method == "GET" and not request.GET.get("again"):
        done = queries.own_registration(request.session.get(JOINED), c)
    homes = queries.home_label(c, values.get("household"))
    return render(request, "volunteers/join.html", {
        "community": c, "token": token, "errors": errors, "values": values, "done": done,
        "skills": Skill.choices, "days": Day.choices, "homes": homes})


@require_POST
@public
def join_code(request, token):
    link = queries.get_join_link(token)
    try:
        registration.send_code(actor_of(request), request.POST.get("phone"), PhoneCode.Purpose.REGISTER,
                          place=link.place)
        return render(request, "volunteers/join.html#code_sent", {"ok": True})
    except Invalid as e:
        return render(request, "volunteers/join.html#code_sent",
                      {"ok": False, "error": " ".join(m for v in e.fields.values() for m in v)})


@public
def join_homes(request, token):
    link = queries.get_join_link(token)
    q = request.GET.get("home_q", "")
    homes = queries.homes(link.place, q) if q.strip() else []
    return render(request, "volunteers/join.html#homes", {"homes": homes, "values": {}, "searched": bool(q.strip())})


def code_login(request):
    """Approved volunteers log in with a code sent to their phone. Wrong codes count
    against the account and the address like wrong passwords (accounts.throttle); an
    account with two-step login on is asked for its app's code next."""
    from fangkong.accounts import throttle, twostep
    from fangkong.accounts.backends import find_user

    phone = request.POST.get("phone", "") if request.method == "POST" else ""
    nxt = request.POST.get("next") or request.GET.get("next", "")  # e.g. a call's check-in QR
    if request.method == "GET" and nxt and request.user.is_authenticated and url_has_allowed_host_and_scheme(
            nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(nxt)  # a message's link opened where she is logged in already: the page itself
    error, sent = None, False
    if request.method == "POST":
        try:
            if request.POST.get("code"):
                sent = True
                holder, ip = find_user(phone), actor_of(request).ip
                account = throttle.account_key(holder, phone)
                throttle.check(account, ip)
                try:
                    user = registration.login_with_code(phone, request.POST.get("code"))
                except Invalid as e:
                    if e.code in ("code_wrong", "code_locked"):
                        throttle.failed(account, ip, user=holder)
                    raise
                throttle.succeeded(account)
                return twostep.begin_login(request, user, next_or(request, reverse("volunteers_home")),
                                           backend=twostep.BACKEND)
            registration.send_code(actor_of(request), phone, PhoneCode.Purpose.LOGIN)
            sent = True
        except Invalid as e:
            if e.code == "too_soon":
                # asked again at once: the code already sent still works, so its box stays, and
                # the answer is the same as for any phone (saying "just sent" would tell that
                # this phone is a volunteer's: found walking the demo)
                sent = True
            else:
                error = " ".join(m for v in e.fields.values() for m in v)
        except throttle.Locked as e:
            error = e.message
    return render(request, "volunteers/login.html", {"phone": phone, "sent": sent, "error": error,
                                                     "next": nxt})
