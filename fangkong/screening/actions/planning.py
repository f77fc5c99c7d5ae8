"""Planning a testing round: the round and its areas, its status, sampling points and who
samples at which table, the team that re-samples at home, exemptions, and the counters."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.roles import Perm
from fangkong.audit.actions import record
from fangkong.core import once
from fangkong.core.clean import client_id
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.core.text import join_words
from fangkong.core.tree import is_under, under
from fangkong.core.when import short_end, short_time
from fangkong.registry.models import LEVELS, Kind, Place, Resident

from .. import checks
from ..access import require, require_outcome, require_run_person, sampler_pool_q
from ..areas import in_round, overlapping
from ..models import (
    Exemption,
    Round,
    RoundArea,
    RoundKind,
    RoundStatus,
    Sampler,
    SamplingPoint,
)
from ..status import held_code
from .common import start_early, user_of


def plan_round(actor, place: Place, data: dict, *, areas=(), points=(), confirm_overlap=True,
               same_day=False, allow_past=True) -> Round:
    """A round planned on `place` (a level node), covering `areas` (nodes at or under
    it; default the place itself), with sampling points [(place, tables)]. `data["client_id"]`
    (the page's form carries one, the API may send one): sent again with the same plan — a
    double tap, a retry, two at once — it answers the round planned the first time (nobody
    told twice, audited once); with another plan it is refused. `same_day`: the plan is the day's
    testing the zones' cadence calls for, asked about any round of its kind over the area
    that day (`areas.overlapping`). `allow_past=False` (the planning page and the API): a
    round whose planned end is already past is refused (`ended_already`), as it would be
    overdue from its first minute; callers in code (the demo, tests) may plan one."""
    require(actor, Perm.SCREENING_RUN, place)
    if place.kind not in LEVELS:
        raise Invalid(fields={"place": [_("Plan a round on a district, street, community, grid, "
                                          "compound, building or unit.")]})
    clean = checks.check_round(data)
    cid = client_id(data.get("client_id"))
    areas = list({a.id: a for a in (list(areas) or [place])}.values())
    for a in areas:
        if a.kind not in LEVELS or not is_under(a, place):
            raise Invalid(fields={"areas": [_("%(name)s is not under %(place)s.")
                                            % {"name": a.name, "place": place.name}]})
    if cid is not None and (found := Round.objects.filter(client_id=cid).first()) is not None:
        return _same_plan(found, place, clean, areas)
    if not allow_past:
        ended_already(clean["ends_at"], "ends_at")
    # antigen: the same days; PCR: overlapping windows (`areas.overlapping`)
    over = overlapping(clean["kind"], clean["starts_at"], clean["ends_at"], areas, client_id=cid,
                       same_day=same_day)
    if over and not confirm_overlap:
        raise overlap_error(over, same_day=same_day)
    rnd = Round(place=place, created_by=user_of(actor), client_id=cid, **clean)
    rnd.copy_levels(place)
    try:
        with transaction.atomic():
            rnd.save()
            RoundArea.objects.bulk_create([RoundArea(round=rnd, place=a) for a in areas])
            for p, tables in points:
                add_point(actor, rnd, p, tables, audit=False)
            # the grid workers and building leaders of its places, each with their own figure
            # and the families of its areas, the window and what to do
            from .round_news import tell_families, tell_planned

            told = tell_planned(actor, rnd, areas)
            families = tell_families(actor, rnd, areas)
            record(actor, "screening.round.plan", rnd, {"name": rnd.name, "kind": rnd.kind,
                                                         "areas": [a.id for a in areas],
                                                         "pool_size": rnd.pool_size, "notified": told,
                                                         **({"families": families} if families else {}),
                                                         **({"overlaps": [r.id for r in over]} if over else {})},
                   levels_from=place)
            recount(rnd)
            # a PCR round over a sealed area: its people are sampled at the door (they may not
            # come to a point), listed now, the count said (`home_listed`; a confirmed case
            # left out, `home_left_out`: `access.HELD_OUTCOMES`)
            rnd.home_listed = rnd.home_left_out = rnd.home_asked = 0
            if rnd.kind == RoundKind.PCR:
                from .followup import generate_home_list
                from .home_request import for_round

                rnd.home_listed = generate_home_list(actor, rnd, zones_only=True)
                # and whoever a family asked home sampling for, not done yet (services' open requests)
                rnd.home_asked = for_round(actor, rnd)
    except IntegrityError:  # the two taps at once: the first one's round (its news, its record)
        if cid is None or (found := Round.objects.filter(client_id=cid).first()) is None:
            raise
        return _same_plan(found, place, clean, areas)
    return rnd


def ended_already(ends_at, field=None, now=None, rnd: Round | None = None) -> None:
    """Refuse a round whose planned end is already past (Invalid `ended_already`, said at
    `field` when given): planned now, or `rnd` started now, it would be overdue at once
    ("已过计划结束时间")."""
    if ends_at > (now or timezone.now()):
        return
    if rnd is not None:
        words = _("%(name)s was planned to end at %(end)s, which is already past: it is not started. Plan a "
                  "new round with an end later than now.") % {"name": rnd.name, "end": short_time(ends_at)}
    else:
        words = _("The planned end, %(end)s, is already past: a round planned now would be overdue from its "
                  "first minute. Choose an end later than now.") % {"end": short_time(ends_at)}
    raise Invalid(words, fields={field: [words]} if field else None, code="ended_already")


def overlap_words(r: Round) -> str:
    """One overlapping round in a line: "抗原第1轮（光明社区）：12-06 07:00 – 12-06 18:00"."""
    return _("%(round)s (%(areas)s): %(start)s – %(end)s") % {
        "round": r.name, "areas": join_words(r.area_names),
        "start": short_time(r.starts_at), "end": short_time(r.ends_at)}


def overlap_error(over: list[Round], same_day=False) -> Conflict:
    """The Conflict `round_overlap` for the rounds a plan overlaps (the page asks with it,
    the API answers it as 409 unless `confirm_overlap`); `same_day`: by the day."""
    if over[0].kind == RoundKind.PCR and not same_day:  # PCR: the windows overlap (`areas.overlapping`)
        words = ngettext(
            "Another PCR round is still open over the same area at the same time: %(rounds)s. "
            "Residents would be asked twice and the coverage split. Plan it anyway?",
            "Other PCR rounds are still open over the same area at the same time: %(rounds)s. "
            "Residents would be asked twice and the coverage split. Plan it anyway?", len(over))
    else:
        words = ngettext(
            "Another round of this kind is still open over the same area on the same day: %(rounds)s. "
            "Families would be asked twice and the coverage split. Plan it anyway?",
            "Other rounds of this kind are still open over the same area on the same day: %(rounds)s. "
            "Families would be asked twice and the coverage split. Plan it anyway?", len(over))
    e = Conflict(words % {"rounds": "; ".join(overlap_words(r) for r in over)},
        code="round_overlap",
        extra={"rounds": [{"id": r.id, "name": r.name, "areas": r.area_names, "starts_at": r.starts_at.isoformat(),
                           "ends_at": r.ends_at.isoformat(), "status": r.status} for r in over]})
    e.rounds = over  # the page's question names each
    return e


def _same_plan(found: Round, place: Place, clean: dict, areas) -> Round:
    """The round already planned under this client id, if it is the plan sent now."""
    same = (found.place_id == place.id
            and all(getattr(found, k) == v for k, v in clean.items())
            and set(RoundArea.objects.filter(round=found).values_list("place_id", flat=True))
            == {a.id for a in areas})
    if not same:
        raise Invalid(fields={"client_id": [_("This client id was used for another round: "
                                              "nothing was planned.")]})
    return found


def set_emergency_team(actor, rnd: Round, team_id) -> Round:
    """Name the volunteers' team that re-samples at home for this round (or none). The
    team must belong to the round's area."""
    from fangkong.volunteers.models import Team

    require(actor, Perm.SCREENING_RUN, rnd)
    team = None
    if team_id not in (None, ""):
        try:
            team = Team.objects.filter(under(rnd.place)).get(pk=int(team_id))
        except (Team.DoesNotExist, ValueError, TypeError):
            raise Invalid(fields={"team": [_("Choose one of the teams of the round's area.")]}) from None
    before = rnd.emergency_team.name if rnd.emergency_team_id else ""
    with transaction.atomic():
        Round.objects.filter(pk=rnd.pk).update(emergency_team=team)
        rnd.emergency_team = team
        record(actor, "screening.round.emergency_team", rnd,
               {"team": [before, team.name if team else ""]}, levels_from=rnd)
    return rnd


def set_status(actor, rnd: Round, status: str, *, allow_past=True) -> Round:
    """`allow_past=False` (the round page's start button): a planned round whose planned end
    is already past is not started (`ended_already`): plan a new one."""
    require(actor, Perm.SCREENING_RUN, rnd)
    if status not in RoundStatus.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    if rnd.erased_at is not None:  # its people are gone: it cannot run again
        raise Invalid(_("The personal data of this round was already erased."))
    before = rnd.status
    changes = {"status": [before, status]}
    now = timezone.now()
    if status == RoundStatus.RUNNING and before == RoundStatus.PLANNED and not allow_past:
        ended_already(rnd.ends_at, now=now, rnd=rnd)
    with transaction.atomic():
        if status == RoundStatus.RUNNING:  # before its planned minute: it starts now
            changes.update(start_early(rnd, now))
        Round.objects.filter(pk=rnd.pk).update(status=status, starts_at=rnd.starts_at, ends_at=rnd.ends_at)
        rnd.status = status
        record(actor, "screening.round.status", rnd, changes, levels_from=rnd)
    return rnd


def tell_overrun(now=None, limit=200) -> int:
    """(the worker's pass, `tasks.recover_screening`) Rounds still running past their planned
    end (`Round.overrun`) that nobody was told of: the staff who run them (community staff
    at or above the round's place, and whoever planned it) are told once a round
    (`overrun_told_at`, claimed by `core.once.claim`, so two workers tell once), in each
    reader's language, with the round's page, where the end button is; audited. Returns how
    many rounds were told of."""
    from django.urls import reverse

    from fangkong.accounts.models import Membership
    from fangkong.accounts.roles import Role
    from fangkong.core.actor import Actor
    from fangkong.core.tree import ancestor_ids
    from fangkong.notify.actions import notify

    from ..status import overrun_text

    now = now or timezone.now()
    system = Actor.system(via="task")
    with transaction.atomic():
        rounds = once.claim(Round.objects.filter(Round.overrun_q(now)).select_related("place"),
                            "overrun_told_at", now, order=("ends_at", "id"), limit=limit)
        for rnd in rounds:
            users = set(Membership.objects.filter(
                is_active=True, user__is_active=True, role=Role.STAFF, household=None,
                place_id__in=[*ancestor_ids(rnd.place), rnd.place_id]).values_list("user_id", flat=True))
            if rnd.created_by_id:
                users.add(rnd.created_by_id)

            def title(rnd=rnd):  # in each reader's language
                return _("%(round)s is past its planned end (%(end)s): end the round") % {
                    "round": rnd.name, "end": timezone.localtime(rnd.ends_at).strftime("%H:%M")}

            def body(rnd=rnd):
                return overrun_text(rnd) + " " + _(
                    "Until it is ended it still shows as running; tomorrow's figures do not count it.")

            n = notify(system, users, kind="screening.round_overrun", title=title, body=body,
                       url=reverse("screening_round", args=[rnd.id]), place=rnd.place,
                       key=f"screening.round_overrun.{rnd.id}")
            record(system, "screening.round.overrun", rnd,
                   {"round": rnd.id, "until": f"{timezone.localtime(rnd.ends_at):%Y-%m-%d %H:%M}",
                    "notified": n},
                   levels_from=rnd)
    return len(rounds)


def add_point(actor, rnd: Round, place: Place, tables, *, audit=True) -> SamplingPoint:
    require(actor, Perm.SCREENING_RUN, rnd)
    if place.kind != Kind.SAMPLING_POINT:
        raise Invalid(fields={"point": [_("Choose a place of kind sampling point.")]})
    if not is_under(place, rnd.place):
        raise Invalid(fields={"point": [_("The sampling point is not in this round's area.")]})
    try:
        tables = int(tables)
        if not 1 <= tables <= checks.MAX_TABLES:  # the message says 100
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(fields={"tables": [_("Tables: a whole number from 1 to 100.")]}) from None
    with transaction.atomic():
        point, _created = SamplingPoint.objects.update_or_create(
            round=rnd, place=place, defaults={"tables": tables})
        if audit:
            record(actor, "screening.point.set", rnd, {"point": place.name, "tables": tables},
                   levels_from=rnd)
    return point


def new_point(actor, rnd: Round, name: str, tables) -> SamplingPoint:
    """A sampling point set up on the spot: a place of kind sampling point made under the
    round's place (the registry's rule for places), added to the round — both or neither."""
    from fangkong.registry import actions as reg

    require(actor, Perm.SCREENING_RUN, rnd)
    with transaction.atomic():
        place = reg.create_place(actor, rnd.place, Kind.SAMPLING_POINT, name)
        return add_point(actor, rnd, place, tables)


def assign_sampler(actor, rnd: Round, point: SamplingPoint, user, table=1) -> Sampler:
    """Let a user (typically a volunteer) register samples in this round, at a table."""
    require(actor, Perm.SCREENING_RUN, rnd)
    if point.round_id != rnd.id:
        raise NotFound()
    try:
        table = int(table)
        if not 1 <= table <= point.tables:
            raise ValueError
    except (ValueError, TypeError):
        raise Invalid(fields={"table": [_("This point has tables 1 to %(n)d.") % {"n": point.tables}]}) \
            from None
    if rnd.status == RoundStatus.CLOSED:  # nobody samples in it any more
        raise Invalid(_("This round is finished: nobody can be given a table in it."), code="round_closed")
    from fangkong.volunteers.actions.slots import calls_clashing_table

    # a round running past its planned end holds the table until someone ends it
    busy = calls_clashing_table(user.id, rnd.starts_at, None if rnd.overrun else rnd.ends_at, timezone.now())
    if busy is not None:  # the one overlap rule, seen from the table (volunteers.actions.slots)
        raise Invalid(fields={"volunteer": [_(
            "%(name)s holds a place on the call “%(title)s” (%(start)s–%(end)s), which overlaps this "
            "round. Cancel that place first.") % {
            "name": busy.volunteer.name, "title": busy.call.title,
            "start": short_time(busy.starts_at), "end": short_end(busy.starts_at, busy.ends_at)}]}, code="clash")
    with transaction.atomic():
        before = Sampler.objects.filter(round=rnd, user=user).values_list("point_id", "table").first()
        s, _created = Sampler.objects.update_or_create(round=rnd, user=user,
                                                       defaults={"point": point, "table": table})
        record(actor, "screening.sampler.assign", rnd, {"user": user.id, "point": point.place.name,
                                                        "table": table}, levels_from=rnd)
        _tell_sampler(actor, rnd, s, point, moved=before is not None and before != (point.id, s.table))
    return s


def _tell_sampler(actor, rnd: Round, s: Sampler, point: SamplingPoint, *, moved=False) -> None:
    """The sampler's inbox (and phone): where and at which table, with the station's link.
    Once for each place and table (sending the same assignment again tells nobody twice);
    moved, the earlier table's message is marked read and the new one says it changed."""
    from django.urls import reverse

    from fangkong.notify.actions import notify
    from fangkong.notify.models import Notification

    if moved:
        Notification.objects.filter(user=s.user, kind="screening.sampler", read_at=None,
                                    key__startswith=f"screening.sampler.{rnd.id}.{s.user_id}.").update(
            read_at=timezone.now())
    def title():  # in the sampler's language
        words = _("Your table changed in %(round)s: now %(point)s, table %(table)d") if moved else \
            _("You sample in %(round)s: %(point)s, table %(table)d")
        return words % {"round": rnd.name, "point": point.place.name, "table": s.table}

    notify(actor, [s.user], kind="screening.sampler", title=title,
           body=lambda: _("Open the scanning station from this message when sampling starts."),
           url=reverse("screening_station", args=[rnd.id]), place=point.place,
           # a move is news each time (back to an earlier table too); the same assignment again is not
           key=f"screening.sampler.{rnd.id}.{s.user_id}.{point.id}.{s.table}"
               + (f".moved.{timezone.now().timestamp():.0f}" if moved else ""))


def remove_sampler(actor, rnd: Round, sampler_id) -> str:
    """Take a sampler off the round: they can no longer register samples in it (what they
    registered stays theirs); they are told. Returns their name."""
    require(actor, Perm.SCREENING_RUN, rnd)
    try:
        s = Sampler.objects.select_related("point__place", "user").get(round=rnd, pk=int(sampler_id))
    except (Sampler.DoesNotExist, ValueError, TypeError):
        raise NotFound() from None
    with transaction.atomic():
        s.delete()
        record(actor, "screening.sampler.remove", rnd, {"user": s.user_id, "point": s.point.place.name,
                                                        "table": s.table}, levels_from=rnd)
        name = s.user.display_name or s.user.username
        from fangkong.notify.actions import notify

        # told, so that the station's refusal is not a surprise, and the earlier message's
        # "open the station" is not followed in vain
        notify(actor, [s.user], kind="screening.sampler",
               title=lambda: _("You no longer sample in %(round)s") % {"round": rnd.name},
               body=lambda: _("You were taken off table %(table)d of %(point)s. Ask the community if "
                              "this is a mistake.") % {"table": s.table, "point": s.point.place.name},
               place=s.point.place)
    return name


def assign_sampler_volunteer(actor, rnd: Round, point: SamplingPoint, volunteer, table=1) -> Sampler:
    """`assign_sampler` for a volunteer: only an approved one, who has an account, of the
    round's community (`access.sampler_pool_q`: one lent in from another community is not —
    their table would grant nothing). The points page and the API alike."""
    from fangkong.volunteers.models import Volunteer

    if volunteer.status != Volunteer.Status.APPROVED or volunteer.user_id is None:
        raise Invalid(fields={"volunteer": [_("Only an approved volunteer can sample.")]})
    if not Volunteer.objects.filter(sampler_pool_q(rnd), pk=volunteer.pk).exists():
        home = Place.objects.filter(pk=volunteer.community_id).values_list("name", flat=True).first()
        raise Invalid(fields={"volunteer": [_(
            "Only volunteers of %(place)s can sample in this round: %(name)s is a volunteer of "
            "%(home)s.") % {"place": rnd.place.name, "name": volunteer.name, "home": home or "–"}]},
            code="not_of_round")
    return assign_sampler(actor, rnd, point, volunteer.user, table)


def role_endings(user, scope, *, withdrawn=False) -> list:
    """settings.FANGKONG_ROLE_ENDINGS: the user's sampler assignments in rounds not closed
    that stop counting with `scope` (`access.sampler_counts`: no role over the round any
    more, or the volunteer approval withdrawn) — a PCR round's sampling table, an antigen
    round's door-to-door work. Each ends as `remove_sampler` ends it, without a message:
    whoever took the role away tells them."""
    from functools import partial

    from fangkong.accounts.actions_endings import Ending

    from ..access import withdrawn as withdrawn_registration
    from ..access import works_on_round

    rows = list(Sampler.objects.filter(user=user).exclude(round__status=RoundStatus.CLOSED)
                .select_related("round__place", "point__place").order_by("round__starts_at", "id"))
    gone = withdrawn or (bool(rows) and withdrawn_registration(user.id).exists())
    out = []
    for s in rows:
        if not gone and works_on_round(scope, s.round):
            continue
        words = {"round": s.round.name, "point": s.point.place.name, "table": s.table}
        text = (_("the door-to-door antigen testing of %(round)s") if s.round.kind == RoundKind.ANTIGEN
                else _("the sampling table of %(round)s (%(point)s, table %(table)d)")) % words
        out.append(Ending(text, partial(_end_sampler, s)))
    return out


def _end_sampler(s: Sampler, actor, reason=""):
    with transaction.atomic():
        n, _x = Sampler.objects.filter(pk=s.pk).delete()
        if n:
            record(actor, "screening.sampler.remove", s.round,
                   {"user": s.user_id, "point": s.point.place.name, "table": s.table,
                    "role_ended": True, "reason": reason}, levels_from=s.round)


# --- exemptions ----------------------------------------------------------------------

def add_exemption(actor, rnd: Round, resident: Resident, reason, note="") -> Exemption:
    require_run_person(actor, rnd, resident)  # a grid worker: their grid's people
    require(actor, Perm.VIEW_REGISTRY, resident)
    reason = checks.check_reason(reason)
    note = checks.check_exemption_note(reason, note)
    if not in_round(rnd, resident):
        raise Invalid(fields={"resident": [_("This person is not in the round's area.")]})
    # held by a positive test, a case, a close contact: only the reasons `HELD_OUTCOMES` allows
    require_outcome(held_code(resident), f"exempt:{reason}", resident.name)
    ex = Exemption(round=rnd, resident=resident, household_id=resident.household_id, reason=reason,
                   note=note, created_by=user_of(actor))
    ex.copy_levels(resident)
    with transaction.atomic():
        try:
            with transaction.atomic():
                ex.save()
        except IntegrityError:
            raise Invalid(fields={"resident": [_("This person is already exempt.")]}) from None
        record(actor, "screening.exempt.add", resident, {"round": rnd.id, "reason": reason})
    return ex


def record_presence(actor, rnd: Round, resident: Resident, presence, *, left_before_seal=False):
    """A missing-list row's "不在本地…" or "住院…" (`missing_views`, the API's
    `…/missing/{resident}`): the person's presence (`registry.actions.update_resident`, its
    one home), once the round's rules allow it — SCREENING_RUN over the person
    (`require_run_person`) and, for someone held by a positive test, a case or a close
    contact, `access.HELD_OUTCOMES` (409 `held_outcome`)."""
    from fangkong.registry import actions as reg_actions

    require_run_person(actor, rnd, resident)
    require_outcome(held_code(resident), str(presence), resident.name)
    return reg_actions.update_resident(actor, resident, {"presence": presence,
                                                         "left_before_seal": bool(left_before_seal)})


def remove_exemption(actor, ex: Exemption):
    require(actor, Perm.SCREENING_RUN, ex)
    with transaction.atomic():
        ex.delete()
        record(actor, "screening.exempt.remove", None, {"round": ex.round_id,
                                                        "resident": ex.resident_id},
               levels_from=ex, label=str(ex.resident_id))


# --- counters ------------------------------------------------------------------------

def recount(rnd: Round):
    """Count the round's per-community counters again, exactly (`counters.recount`)."""
    from .. import counters

    counters.recount(rnd)


def recount_action(actor, rnd: Round):
    require(actor, Perm.SCREENING_VIEW, rnd)
    recount(rnd)
