"""Screening pages. Thin: read through `queries`, write through `actions`, render.

The live round page polls its own partial (htmx). The scanning station is a page whose
script (static/fangkong/screening.js) talks to the JSON API with an offline queue.
"""

import uuid
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_POST

from fangkong.accounts.roles import Perm
from fangkong.audit import disclosure
from fangkong.core.access import require_export
from fangkong.core.errors import Conflict as Refused
from fangkong.core.errors import FangkongError, Invalid, NotFound
from fangkong.core.replica import on_replica, using_replica
from fangkong.core.shedding import check_rate
from fangkong.core.text import join_words
from fangkong.core.tree import under
from fangkong.core.views import act, actor_of, confirm_step, confirmed, flash_error, is_htmx, page
from fangkong.registry import queries as reg_queries
from fangkong.registry.contacts import with_contact_phones
from fangkong.registry.models import LEVELS

from . import access, checks, counters, figures, plan_areas, pooling, queries, refusals, status
from .actions import followup, planning
from .actions import station as station_actions
from .actions.common import starts_later
from .door import door_marks
from .models import Conflict, ExemptReason, RoundKind, RoundStatus


def _home_ctx(request):
    scope = request.scope
    rows = list(queries.visible_rounds(scope).order_by("-starts_at")[:50])
    actor = actor_of(request)
    for r in rows:  # a lab operator sees the rounds but works on the lab page: no link
        r.can_open = access.round_allows(scope, Perm.SCREENING_VIEW, r) or access.can_sample(actor, r)
    plan_places = [p for p in scope.roots(Perm.SCREENING_RUN) if p.kind in LEVELS]
    return {"rounds": rows, "plan_places": plan_places, "kinds": RoundKind.choices,
            "can_lab": scope.has(Perm.SCREENING_LAB), "max_pool": checks.max_pool(),
            "can_advise": scope.has(Perm.SCREENING_VIEW) or scope.has(Perm.SCREENING_LAB),
            # the form's client id, fresh each time it is shown: a double tap plans one round
            "values": {"pool_size": "10", "client_id": str(uuid.uuid4())}, "errors": {}}


@page
def home(request):
    scope = request.scope
    ctx = _home_ctx(request)
    if request.GET.get("plan"):  # prefilled (the zones' cadence proposes a round)
        _prefill(request, ctx)
    if not ctx["rounds"] and not ctx["plan_places"] and not ctx["can_lab"] \
            and not scope.has(Perm.SCREENING_VIEW) and not scope.has_role("volunteer"):
        raise NotFound()
    return render(request, "screening/home.html", ctx)


@page
def positive_alert(request):
    """The place page's alert of positives awaiting a re-test, for its htmx poll."""
    from django.http import HttpResponse

    from .panels import positive_alert as alert

    place = reg_queries.get_place(request.scope, request.GET.get("place"), Perm.SCREENING_VIEW)
    return HttpResponse(alert(request, place) or "")


@require_POST
@page
def plan(request):
    place = reg_queries.get_place(request.scope, request.POST.get("place"), Perm.SCREENING_RUN)
    covered = plan_areas.areas(request.scope, request.POST.get("areas"))  # none: all of `place`
    try:
        if request.POST.get("edit"):  # "No, go back" from the overlap's question: the form as typed
            raise Invalid()
        rnd = planning.plan_round(actor_of(request), place, request.POST, areas=covered,
                                  confirm_overlap=confirmed(request), allow_past=False,
                                  # from the zones' cadence: the day's test, asked by the day
                                  same_day=bool(request.POST.get("cadence")))
    except Refused as e:
        if e.code != "round_overlap":
            raise
        # another round still open over the same area and days: asked first, naming each
        return confirm_step(request, title=_("Plan %(name)s anyway?") % {"name": request.POST.get("name", "")},
                            alarm=(_("A round of this kind is already open here"),
                                   [planning.overlap_words(r) for r in e.rounds]),
                            lines=[_("Families would be asked to test twice the same day, and the coverage "
                                     "figures would be split between the rounds.")],
                            yes=_("Plan it anyway"), back=reverse("screening_home"), back_post=True)
    except Invalid as e:  # the form again, as it was typed, with the messages by its fields
        ctx = _home_ctx(request)
        ctx["plan_areas"] = covered
        values = request.POST.dict()
        if "client_id" in e.fields:  # its id planned another round (the form sent back, changed)
            values["client_id"] = ctx["values"]["client_id"]  # sent again, it plans this one
        ctx.update(values=values, errors=e.fields, plan_open=True, pool_why=_pool_why(request.POST),
                   plan_error=None if e.fields or request.POST.get("edit") else str(e.message))
        return render(request, "screening/home.html", ctx)
    messages.success(request, _("Round planned: %(name)s.") % {"name": rnd.name})
    if getattr(rnd, "home_listed", 0):  # its sealed area's people: sampled at the door
        messages.success(request, ngettext(
            "%(n)d person in a sealed area put on the home-sampling list.",
            "%(n)d people in a sealed area put on the home-sampling list.", rnd.home_listed)
            % {"n": rnd.home_listed})
    if getattr(rnd, "home_asked", 0):  # a family's request 上门采样 not done yet (`home_request.for_round`)
        messages.success(request, ngettext(
            "%(n)d person whose family asked for home sampling put on the home-sampling list.",
            "%(n)d people whose families asked for home sampling put on the home-sampling list.",
            rnd.home_asked) % {"n": rnd.home_asked})
    if getattr(rnd, "home_left_out", 0):  # a case: transferred or isolated, not swabbed
        messages.warning(request, followup.left_out_words(rnd.home_left_out))
    return redirect("screening_round", pk=rnd.id)


def _live_figures(rnd, node) -> dict:
    """The round's figures under `node` as the live part shows them: the same for everyone
    who may see the node."""
    return {
        "coverage": figures.coverage(rnd, node),
        "rollup": counters.rollup(rnd, node) if node.kind in ("district", "street") else [],
        "hours": figures.progress_by_hour(rnd, node),
        "points": queries.per_point(rnd, node),
        "not_at_lab": queries.tubes_not_at_lab(rnd, limit=30),  # polled: the 30 oldest
        # received at the lab FANGKONG_LAB_NO_RESULT_HOURS ago or more, still no result
        "at_lab_no_result": queries.at_lab_no_result(rnd, limit=30),
        "lab_hours": settings.FANGKONG_LAB_NO_RESULT_HOURS,
        "open_tubes": queries.open_tubes(rnd),
        "n_conflicts": Conflict.objects.filter(round=rnd, status=Conflict.Status.OPEN).count(),
        # positive pools, held, cases, swabs to take again (`figures.after_lab`)
        "after": figures.after_lab(rnd, node) if rnd.erased_at is None else None,
        "overdue_hours": settings.FANGKONG_HOLD_OVERDUE_HOURS,  # `after.overdue`: held this long
        "now": timezone.now(),  # "Updated …": when these were counted
    }


def _live_shared(rnd, node) -> dict:
    """`_live_figures`, shared by every app server for FANGKONG_LIVE_CACHE_SECONDS (the
    cache: Redis in production). Each watching phone polls the live part every 15 s; a
    command post with dozens of phones on one community then asks the database once every
    few seconds, not once a phone (at 10× a community's peak these reads were the replica's
    largest cost, docs/benchmarks.md "mixed")."""
    seconds = settings.FANGKONG_LIVE_CACHE_SECONDS
    if seconds <= 0:
        return _live_figures(rnd, node)
    key = f"screening:live:{rnd.id}:{node.id}"
    data = cache.get(key)
    if data is None:
        data = _live_figures(rnd, node)
        cache.set(key, data, seconds)
    return data


def _round_ctx(request, rnd, node, *, shared=False):
    scope = request.scope
    return {
        "round": rnd, "node": node,
        **(_live_shared(rnd, node) if shared else _live_figures(rnd, node)),
        "can_run": scope.allows(Perm.SCREENING_RUN, rnd),
        # exemptions and home visits: also a grid worker's, for their grid (`access`)
        "can_people": access.can_run_people(scope, rnd),
        "can_sample": access.can_sample(actor_of(request), rnd),
        # running past its planned end: nobody ended it ("已过计划结束时间 14:00，请结束本轮")
        "overrun": status.overrun_text(rnd) if rnd.overrun else "",
    }


@page
def round_detail(request, pk):
    rnd = queries.get_round_any(request.scope, pk)
    if not access.round_allows(request.scope, Perm.SCREENING_VIEW, rnd):
        # samplers and labs: straight to their work
        if access.can_sample(actor_of(request), rnd):
            return redirect("screening_antigen_door" if rnd.kind == RoundKind.ANTIGEN else "screening_station",
                            pk=rnd.id)
        raise NotFound()
    node = queries.round_node(request.scope, rnd, request.GET.get("place"))
    if is_htmx(request):  # the live part, polled every 15 s: a few seconds stale is fine
        return on_replica(lambda: render(request, "screening/round.html#live",
                                         _round_ctx(request, rnd, node, shared=True)))
    ctx = _round_ctx(request, rnd, node)
    if ctx.get("can_run"):
        from fangkong.volunteers.models import Team

        ctx["teams"] = list(Team.objects.filter(under(rnd.place))
                            .order_by("name")[:100])
    return render(request, "screening/round.html", ctx)


@require_POST
@page
def round_emergency_team(request, pk):
    rnd = queries.get_round(request.scope, pk)
    return act(request, lambda actor: planning.set_emergency_team(actor, rnd, request.POST.get("team") or None),
               to=reverse("screening_round", args=[rnd.id]), done=_("Saved."))


@require_POST
@page
def round_status(request, pk):
    """Start, end or reopen a round. Ending stops every station registering in it: the
    page asks first, with what is still missing and the tubes still open."""
    rnd = queries.get_round(request.scope, pk)
    status = request.POST.get("status", "")
    if status == RoundStatus.CLOSED and rnd.status != RoundStatus.CLOSED and not confirmed(request):
        access.require(actor_of(request), Perm.SCREENING_RUN, rnd)
        cov = figures.coverage(rnd, rnd.place)
        n_open = len(queries.open_tubes(rnd)) if rnd.kind != RoundKind.ANTIGEN else 0
        return confirm_step(
            request, title=_("End %(name)s?") % {"name": rnd.name},
            lines=[(_("Reported %(s)d of %(n)d (%(p)d%%); %(m)d not reported yet.") if rnd.kind == RoundKind.ANTIGEN
                    else _("Sampled %(s)d of %(n)d (%(p)d%%); %(m)d not sampled yet.")) % {
                "s": cov["sampled"], "n": cov["to_sample"], "p": cov["percent"], "m": cov["missing"]}
                if cov["percent"] is not None else _("No one in this round's area is to be sampled."),
                _("Once it has ended, no station can register anyone in this round. You can "
                  "reopen it from this page.")],
            warn=ngettext("%(n)d tube is still open at the tables: seal it first.",
                          "%(n)d tubes are still open at the tables: seal them first.", n_open) % {"n": n_open}
            if n_open else "",
            yes=_("End the round"), back=reverse("screening_round", args=[rnd.id]))
    if status == RoundStatus.RUNNING and not confirmed(request) and starts_later(rnd):
        access.require(actor_of(request), Perm.SCREENING_RUN, rnd)
        at = date_format(timezone.localtime(rnd.starts_at), "DATETIME_FORMAT")
        return confirm_step(
            request, title=_("Start %(name)s now?") % {"name": rnd.name},
            lines=[_("It is planned to start at %(at)s.") % {"at": at},
                   _("Starting now moves its start to now: stations can register at once, and "
                     "today's figures and nightly report count its samples.")],
            warn=" ".join(_("%(name)s is still running (since %(at)s): the same people would be in two rounds.")
                          % {"name": o.name, "at": date_format(timezone.localtime(o.starts_at), "DATETIME_FORMAT")}
                          for o in queries.running_alongside(rnd)),
            yes=_("Start sampling now"), back=reverse("screening_round", args=[rnd.id]))
    return act(request, lambda actor: planning.set_status(actor, rnd, status, allow_past=False),
               to=reverse("screening_round", args=[rnd.id]),
               done=lambda r: _("The round is now: %(status)s.") % {"status": RoundStatus(r.status).label})


@require_POST
@page
def tube_seal(request, pk, tube):
    """Staff seal a tube left open at a table (its phone broke, its worker went home): asked
    first — a sealed tube cannot be opened again."""
    rnd = queries.get_round(request.scope, pk)
    t = next((x for x in queries.open_tubes(rnd) if x.id == tube), None)
    if t is None:
        raise NotFound()
    back = reverse("screening_round", args=[rnd.id])
    if not confirmed(request):
        access.require_sample(actor_of(request), rnd)
        return confirm_step(
            request, title=_("Seal tube %(tube)s?") % {"tube": t.barcode},
            lines=[ngettext("It holds %(n)d of %(k)d swab, opened at %(at)s by %(who)s. A sealed tube cannot "
                            "be opened again: seal it only once its table has stopped using it.",
                            "It holds %(n)d of %(k)d swabs, opened at %(at)s by %(who)s. A sealed tube cannot "
                            "be opened again: seal it only once its table has stopped using it.", t.capacity) % {
                "n": t.count, "k": t.capacity, "at": timezone.localtime(t.opened_at).strftime("%H:%M"),
                "who": t.opened_by or "—"}],
            yes=_("Seal it"), back=back)
    return act(request, lambda actor: station_actions.seal_tube(actor, t), to=back,
               done=_("Tube %(tube)s sealed.") % {"tube": t.barcode})


@require_POST
@page
def recount(request, pk):
    rnd = queries.get_round(request.scope, pk)
    planning.recount_action(actor_of(request), rnd)
    return redirect(reverse("screening_round", args=[rnd.id]) + (
        f"?place={request.POST['place']}" if request.POST.get("place", "").isdigit() else ""))


@page
def station(request, pk):
    actor = actor_of(request)
    rnd = queries.get_round_for_sampling(actor, pk)
    try:
        station_actions.require_tubes(rnd)
    except NotFound as e:  # an antigen round (seen by them): where its results go instead
        return render(request, "error.html", {"title": _("Not found"), "message": e.message}, status=404)
    from .models import Sampler

    me = Sampler.objects.filter(round=rnd, user=request.user).select_related("point__place").first()
    points = list(rnd.points.select_related("place"))
    here = me
    if me is None:  # staff (or anyone not assigned): the point and table are chosen here
        point = next((p for p in points if str(p.id) == request.GET.get("point")), None)
        if point is None and len(points) == 1:  # the round's only point: no question to ask
            point = points[0]
        try:
            table = min(max(int(request.GET.get("table") or 1), 1), point.tables if point else 1)
        except ValueError:
            table = 1
        here = Sampler(point=point, table=table) if point is not None else None
    # opened from a home visit (the sampler's list): the person is looked up at once
    visit = queries.get_my_home_visit(actor, rnd, request.GET["visit"]) if request.GET.get("visit") else None
    ctx = {"round": rnd, "me": me, "here": here, "points": points, "units": queries.round_units(rnd),
           "visit": visit,
           "strings": station_strings(), "choose": me is None and points and here is None,
           "can_run": request.scope.allows(Perm.SCREENING_RUN, rnd), "time_zone": settings.TIME_ZONE,
           # tubes the lab found invalid: the phone forgets who it scanned into them (sampled again)
           "void_tubes": queries.void_tubes(rnd),
           # positive pools: their people are held; one who comes back hears it from the server
           "positive_tubes": status.held_tubes(rnd),
           # tubes still open at this table on the server: another phone (or this one, reinstalled)
           # opened them; offered to go on filling (walk_lab 10)
           "open_here": queries.open_tubes_at(rnd, here.point_id, here.table) if here is not None else [],
           # planned for later: nothing is scanned until it is started (its start moves to now)
           "later": starts_later(rnd)}
    return render(request, "screening/station.html", ctx)


def station_strings() -> dict:
    """Everything the station script says or shows, in the user's language."""
    return {
        "online": _("Online"), "offline": _("Offline: scans are kept on this phone"),
        "scan_tube": _("Scan a tube barcode"), "scan_person": _("Scan a sampling code or ID number"),
        "no_tube": _("No tube open"), "tube": _("Tube"),
        "tube_open": _("Tube %s open"), "tube_sealed": _("Tube %s sealed"),
        "seal_ask": _("Seal tube %(tube)s now with %(n)s of %(k)s people? A sealed tube cannot "
                      "be opened again."),
        "ok": _("Registered"), "kept": _("Kept on this phone"),
        "registered": _("%(name)s registered in tube %(tube)s."),
        "registered_in": _("Registered in tube %(tube)s."),
        "queued_in": _("Saved on this phone for tube %(tube)s, will be sent."),
        # [for 1, for more]: the script picks by its count (English has two forms, Chinese one)
        "left_in": [ngettext("%(left)s place left.", "%(left)s places left.", n) for n in (1, 2)],
        "left_label": [ngettext("place left", "places left", n) for n in (1, 2)],
        "tube_full_now": _("Tube %(tube)s is full and sealed: scan the next tube."),
        "tube_still_open": _("Tube %(tube)s is still open (%(count)s of %(capacity)s): seal it "
                             "before opening tube %(next)s."),
        "tube_already_open": _("Tube %(tube)s is already open: scan a sampling code."),
        "scan_tube_first": _("This is a sampling code: scan a tube barcode first."),
        "already_here": _("%(name)s was already scanned at this table (tube %(tube)s at %(time)s)."),
        "already_here_code": _("This code was already scanned at this table (tube %(tube)s at %(time)s)."),
        "sent": _("Sent: %s"), "scanned": _("scanned: %(code)s"),
        "not_registered": [ngettext("%(n)s scan was not registered: see “To resolve” below.",
                                    "%(n)s scans were not registered: see “To resolve” below.", n) for n in (1, 2)],
        "conflict": _("Needs review"), "network_error": _("No network: kept on this phone"),
        "error": _("Error"), "not_found": _("Nobody found."), "add": _("Add to tube"),
        # several people found by the name: the one tapped is asked about first, by address
        "add_ask": _("Several people have this name. Add %(name)s of %(address)s to tube %(tube)s? "
                     "Tap again to add."),
        "add_sure": _("Yes, add this one"),
        "not_yours": _("This round's station is no longer open to you (taken off your table?): ask the "
                       "community. Scans not sent yet stay on this phone."),
        "ack": _("Noted"), "confirm_scope": _("Not in this round's area. Sample anyway?"),
        "bad_code": _("Not a sampling code or ID number."),
        "bad_barcode": _("A tube barcode has 4 to 40 letters, digits or dashes."),
        "camera_error": _("The camera could not be started."),
        "open_here": _("Tube %(tube)s is open at this table with %(count)s of %(capacity)s people."),
        "go_on": _("Go on filling tube %(tube)s"),
    }


@page
def missing(request, pk):
    rnd = queries.get_round(request.scope, pk)
    node = queries.round_node(request.scope, rnd, request.GET.get("place"))
    resample = request.GET.get("resample") == "1"  # only those whose swab was made void
    groups, truncated = figures.missing(request.scope, rnd, node, resample=resample)
    rows = [r for _k, rs in groups for r in rs]
    # no phone of their own: the household's or a housemate's, as on the home-sampling list
    with_contact_phones(actor_of(request), rows, f"screening.missing:{rnd.id}")
    status.missing_marks(rows)  # held / case / close contact: the door swab, not every offer
    door_marks(rnd, rows)  # a home visit's door outcome: no answer, refused, not here
    row_actions(request, rnd, rows)  # after the call: "Away…", "In hospital…", "Exempt…"
    return render(request, "screening/missing.html", {
        "messages": said_at_rows(request, rows),  # a row action's outcome: where the eyes are
        "round": rnd, "node": node, "groups": groups, "truncated": truncated, "count": len(rows),
        "resample": resample,
        "can_people": access.can_run_people(request.scope, rnd),  # "Sample at home"
        # an antigen round: each result is entered door to door, not sampled at home
        "can_door": rnd.kind == RoundKind.ANTIGEN and access.can_sample(actor_of(request), rnd),
        # 提醒未报告的家庭: the families' inbox, asked first (antigen_views.remind)
        "can_remind": rnd.kind == RoundKind.ANTIGEN and access.can_run_people(request.scope, rnd)
        and rnd.status != RoundStatus.CLOSED and not rnd.past_end(),
        "can_export": request.scope.allows(Perm.EXPORT, node),
        "children": [p for p in reg_queries.places(request.scope, Perm.SCREENING_VIEW)
                     .filter(parent=node, kind__in=LEVELS)]})


AT_ROW = "at-row"  # a row action's message (missing_views.say): shown at the row it came back to


def said_at_rows(request, rows) -> list:
    """The page's messages but a row action's: those go on the row the user comes back to
    (`r.said`, above it, the list's `#said`), so a phone shows them where the eyes are; one
    whose row left the list stays at the top."""
    by_id = {r.id: r for r in rows}
    top = []
    for m in messages.get_messages(request):
        tags = m.extra_tags.split() if m.extra_tags else []
        at = next((int(t[3:]) for t in tags if t.startswith("at-") and t[3:].isdigit()), None)
        if AT_ROW in tags and at in by_id:
            by_id[at].said = [*getattr(by_id[at], "said", []), m]
        else:
            top.append(m)
    return top


def row_actions(request, rnd, rows) -> None:
    """Each row's offers by the actions' own rules — `.can_exempt`, `.can_away`,
    `.can_hospital`, `.can_home` (the role; for someone marked held, `access.HELD_OUTCOMES`,
    after `status.missing_marks`), `.held_rule` (why the others are not offered) — and
    `.after` (the row to come back to once it has left the list)."""
    run = access.can_run_people(request.scope, rnd)
    reasons = checks.reasons_offered()
    for i, r in enumerate(rows):
        code = getattr(r, "held_code", "")
        role = run and request.scope.allows(Perm.SCREENING_RUN, r)
        edit = role and request.scope.allows(Perm.EDIT_REGISTRY, r)
        r.can_exempt = role and bool(access.exempt_reasons(code, reasons))
        r.can_away = edit and access.outcome_allowed(code, "away")
        r.can_hospital = edit and access.outcome_allowed(code, "hospital")
        r.can_home = access.outcome_allowed(code, "home")
        r.held_rule = access.held_rule(code, r.name) if role else ""
        near = rows[i + 1] if i + 1 < len(rows) else rows[i - 1] if i else None
        r.after = near.id if near is not None else ""


@page
@using_replica  # an export may be a few seconds stale (core/replica.py)
def missing_export(request, pk):
    """The people who missed the round, as .xlsx (phones per role, audited)."""
    from fangkong.registry.exporter import rows_xlsx

    rnd = queries.get_round(request.scope, pk)
    node = queries.round_node(request.scope, rnd, request.GET.get("place"))
    require_export(request.scope, Perm.EXPORT, node)
    check_rate(request, "export")  # after the access check: a refused export is 404 always
    groups, _t = figures.missing(request.scope, rnd, node, limit=200_000,
                                 resample=request.GET.get("resample") == "1")
    people = [(label, r) for label, rs in groups for r in rs]
    phones = contact_column(actor_of(request), [r for _label, r in people],
                            f"screening.missing_export:{rnd.id}")
    status.missing_marks([r for _label, r in people])  # the page's mark, in its words
    door_marks(rnd, [r for _label, r in people])  # and its door outcome
    rows = [[r.name, label, r.household.door, phone, join_words(r.tag_labels()), r.id_masked,
             *status.mark_cells(r)] for (label, r), phone in zip(people, phones, strict=True)]
    why = queries.result_labels()["resample"]  # why someone sampled is listed again
    home = _("Home sampling listed")  # as the page says it
    for row, (_label, r) in zip(rows, people, strict=True):
        notes = [w for w, yes in ((why, r.resample), (home, r.home), (r.door_text, r.door_text)) if yes]
        said = notes[0] if notes else ""
        for then in notes[1:]:
            said = _("%(first)s; %(then)s") % {"first": said, "then": then}
        row.append(said)
    missed = _("Missed round %(name)s") % {"name": rnd.name}
    data = rows_xlsx(f"{missed} · {figures_line(rnd, node)}",
                     [pgettext("person", "Name"), _("Address"), _("Door"), _("Phone"), _("Vulnerability"),
                      _("ID number"), *status.mark_columns(), _("Note")], rows,
                     sheet_title=f"{missed} · {node.name}")  # whole parts within Excel's 31 characters
    resp = HttpResponse(data, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    left = _("not reported") if rnd.kind == RoundKind.ANTIGEN else _("not sampled")
    fname = quote(f"{node.name}-{rnd.name}-{left}-{timezone.localtime():%Y%m%d-%H%M}.xlsx")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{fname}"
    return resp


def figures_line(rnd, node) -> str:
    """The round's figures under `node` now, in one line (heads the missing-list export)."""
    c = figures.coverage(rnd, node)
    # the round page's own figure first (done of those to sample), then how it is made up;
    # an antigen round in its own words (reported / missing), as its pages say it
    words = {"place": node.name, "time": timezone.localtime().strftime("%m-%d %H:%M"),
             "covered": c["households_covered"], **c}
    if rnd.kind == RoundKind.ANTIGEN:
        return _("%(place)s at %(time)s: reported %(sampled)d of %(to_sample)d to test · missing %(missing)d · "
                 "exempt %(exempt)d (of %(expected)d on the roll) · households covered %(covered)d of "
                 "%(households)d") % words
    return _("%(place)s at %(time)s: done %(sampled)d of %(to_sample)d to sample · missing %(missing)d · "
             "exempt %(exempt)d (of %(expected)d on the roll) · households covered %(covered)d of "
             "%(households)d") % words


@require_POST
@page
def home_visit_add(request, pk, resident):
    rnd = queries.get_round(request.scope, pk)
    r = reg_queries.get_resident(request.scope, resident)
    followup.add_home_visit(actor_of(request), rnd, r)
    if is_htmx(request):
        from django.utils.html import format_html

        return HttpResponse(format_html('<span class="badge">{}</span>', _("Home sampling listed")))
    return redirect("screening_home_list", pk=rnd.id)


@page
def exemptions(request, pk):
    rnd = queries.get_round(request.scope, pk, Perm.SCREENING_RUN)
    found = []
    q = request.GET.get("q", "")
    if q:
        _k, found = reg_queries.search(request.scope, q, within=rnd.place, limit=20)
        with_addresses(found)
    if request.method == "POST":
        try:
            if request.POST.get("remove"):
                ex = queries.get_exemption(request.scope, request.POST["remove"])
                if ex.round_id != rnd.id:
                    raise NotFound()
                if not confirmed(request):
                    return _confirm_removal(request, rnd, ex)
                planning.remove_exemption(actor_of(request), ex)
                messages.success(request, _("%(name)s is no longer exempt from this round.")
                                 % {"name": ex.resident.name})
            else:
                r = reg_queries.get_resident(request.scope, request.POST.get("resident"))
                reason = request.POST.get("reason")
                note = request.POST.get("note", "")
                if not confirmed(request):
                    return _confirm_exemption(request, rnd, r, reason, note)
                planning.add_exemption(actor_of(request), rnd, r, reason, note)
                messages.success(request, _("%(name)s is exempt from this round.") % {"name": r.name})
        except (Invalid, Refused) as e:  # Refused: someone held (`access.HELD_OUTCOMES`)
            flash_error(request, e)
        return redirect("screening_exemptions", pk=rnd.id)
    # exactly the people the round page's 免检 figure counts (exemptions and presence alike)
    node = queries.round_node(request.scope, rnd, request.GET.get("place"))
    return render(request, "screening/exemptions.html", {
        "round": rnd, "node": node, "rows": with_addresses(figures.exempt_people(request.scope, rnd, node)),
        "q": q, "found": found, "reasons": checks.reasons_offered()})


def _confirm_exemption(request, rnd, r, reason, note):
    """Ask before exempting: whom (name, full address), why; a reason not chosen is refused
    before asking (`checks.check_reason` raises Invalid)."""
    reason = checks.check_reason(reason)
    checks.check_exemption_note(reason, note)  # "other" says what it is
    with_addresses([r])
    lines = [_("%(name)s, %(address)s") % {"name": r.name, "address": r.address},
             _("Reason: %(reason)s") % {"reason": ExemptReason(reason).label}]
    if note.strip():
        lines.append(_("Note: %(note)s") % {"note": note.strip()})
    lines.append(_("%(name)s will not be counted as missing in this round.") % {"name": r.name})
    back = reverse("screening_exemptions", args=[rnd.id])
    return confirm_step(request, title=_("Exempt %(name)s from this round?") % {"name": r.name},
                        lines=lines, yes=_("Yes, exempt"),
                        back=f"{back}?q={quote(request.GET.get('q', ''))}" if request.GET.get("q") else back)


def _confirm_removal(request, rnd, ex):
    """Ask before removing an exemption: whose (name, full address), the reason it had, and
    what follows (on the round's missing list again until sampled)."""
    r = ex.resident
    with_addresses([r])
    lines = [_("%(name)s, %(address)s") % {"name": r.name, "address": r.address},
             _("Reason: %(reason)s") % {"reason": ExemptReason(ex.reason).label}]
    if ex.note:
        lines.append(_("Note: %(note)s") % {"note": ex.note})
    return confirm_step(
        request, title=_("Remove the exemption of %(name)s?") % {"name": r.name}, lines=lines,
        warn=_("%(name)s will be on this round's missing list again until sampled.") % {"name": r.name},
        yes=_("Yes, remove the exemption"), back=reverse("screening_exemptions", args=[rnd.id]))


def with_addresses(people):
    """Each person's `.address`: "光明小区 3号楼 2单元 401" (`registry.queries.address_labels`),
    so two people at a 401 in different buildings are told apart. One query."""
    labels = reg_queries.address_labels(people)
    for r in people:
        r.address = " ".join(x for x in (labels.get(r.household.place_id, ""), r.household.door) if x)
    return people


@page
def conflicts(request, pk):
    rnd = queries.get_round(request.scope, pk, Perm.SCREENING_RUN)
    if request.method == "POST":
        c = queries.get_conflict(request.scope, request.POST.get("conflict"))
        if c.round_id != rnd.id:
            raise NotFound()
        if request.POST.get("accept") != "1" and not confirmed(request):
            who = c.resident.name if c.resident_id else _("this scan")
            return confirm_step(
                request, title=_("Dismiss the scan of %(name)s?") % {"name": who},
                lines=[refusals.refusal_message(c.kind, barcode=c.barcode, name=c.resident.name
                                               if c.resident_id else ""),
                       _("Dismissed, it is not registered in this round: the person must be "
                         "sampled again if they were.")],
                yes=_("Yes, dismiss"), back=reverse("screening_conflicts", args=[rnd.id]))
        return act(request, lambda actor: station_actions.resolve_conflict(actor, c, request.POST.get("accept") == "1"),
                   to=reverse("screening_conflicts", args=[rnd.id]))
    rows = queries.conflicts(rnd)
    for c in rows:
        c.message = refusals.refusal_message(c.kind, barcode=c.barcode,
                                            where=refusals.where_of(c.kind, c.detail),
                                            name=c.resident.name if c.resident else "")
        c.can_accept = c.kind in (Conflict.Kind.TUBE_FULL, Conflict.Kind.TUBE_SEALED,
                                  Conflict.Kind.OUT_OF_SCOPE, Conflict.Kind.SINGLE_TUBE,
                                  Conflict.Kind.ZONE_TUBE) \
            and c.tube_id and c.resident_id
    return render(request, "screening/conflicts.html", {"round": rnd, "rows": rows})


# --- follow-ups: followup_views.py (the held people, their re-test recorded or taken off) --


def contact_column(actor, people, where: str) -> list[str]:
    """Each person's phone for an export's column, as the lists show it: their own, else
    the household's or a housemate's (saying whose), else "no phone: visit in person";
    masked or in clear by role, those in clear audited in one event
    (`registry.contacts.with_contact_phones`)."""
    with_contact_phones(actor, people, where)
    out = []
    for r in people:
        c = r.contact
        if r.phone:
            out.append(disclosure.show_phone(actor, r)[0])
        elif c:
            whose = (_("%(name)s's, same household") % {"name": c["name"]} if c["name"]
                     else _("household phone"))
            out.append(f"{disclosure.show_phone(actor, c['of'], c['phone'])[0]} {whose}")
        else:
            out.append(_("No phone: visit in person"))
    return out


# --- lab: lab_views.py (its work, the results upload, the results by tube) ------------


# --- planning ---------------------------------------------------------------------------

@page
def advisor(request):
    scope = request.scope
    if not (scope.has(Perm.SCREENING_VIEW) or scope.has(Perm.SCREENING_LAB)):
        raise NotFound()
    errors = {}
    raw = request.GET.get("p", "1")
    try:
        pct = float(raw)
        if not 0 < pct < 100:
            raise ValueError
    except ValueError:
        errors["p"] = _("Enter a prevalence in percent, more than 0 and less than 100.")
        pct = 1.0
    result = pooling.advisor(pct / 100)
    fig = None
    if request.GET.get("round"):
        rnd = queries.get_round(scope, request.GET["round"])
        cov = figures.coverage(rnd, rnd.place)
        fig = pooling.figures(cov["to_sample"], rnd.pool_size)
        fig["round"] = rnd
    return render(request, "screening/advisor.html", {
        "p": raw, "result": result, "errors": errors, "figures": fig,
        "best_row": next(r for r in result["rows"] if r["k"] == result["best"]),
        "rows": [r for r in result["rows"] if r["k"] in (1, 2, 3, 4, 5, 8, 10, 15, 20, 30, 40, 50)
                 or r["k"] in (result["best"], result["max_pool"])]})


# --- residents ----------------------------------------------------------------------------

@page
def household_results(request, pk):
    """A household's results in recent rounds (a resident sees their own household)."""
    hh = reg_queries.get_household(request.scope, pk)
    people, rounds = queries.household_results(request.scope, hh)
    return render(request, "screening/household.html", {"hh": hh, "people": people,
                                                          "rounds": rounds,
                                                          "contacts": status.close_contacts(people)})


@page
def my_results(request):
    own = [g.household_id for g in request.scope.grants if g.household_id]
    if not own:
        raise NotFound()
    return redirect("screening_household", pk=own[0])



PREFILL = ("place", "name", "kind", "starts_at", "ends_at", "pool_size", "pool_from", "areas", "cadence")


def _pool_why(data) -> str:
    """The zones proposed the pool size (`pool_from`: their zone types' codes): why it is
    that number, under the field (`zones.cadence.pool_why`)."""
    if not data.get("pool_from"):
        return ""
    from fangkong.zones.cadence import pool_why

    return pool_why(data["pool_from"][:200].split(","))


def _prefill(request, ctx):
    """The planning form opened with the fields given in the address (nothing is planned
    until the user taps "Plan the round"); a place under the user's own, if they may plan
    there, is added to the choices."""
    ctx["values"] = {**ctx["values"], **{k: request.GET[k][:80] for k in PREFILL if request.GET.get(k)}}
    ctx["plan_open"] = True
    ctx["pool_why"] = _pool_why(request.GET)
    ctx["plan_areas"] = plan_areas.shown(request.scope, ctx["values"].get("areas"))
    try:
        place = reg_queries.get_place(request.scope, request.GET.get("place"), Perm.SCREENING_RUN)
    except FangkongError:
        return
    if place.kind in LEVELS and place.id not in {p.id for p in ctx["plan_places"]}:
        ctx["plan_places"] = [place, *ctx["plan_places"]]
