"""After the swab: home visits (the bedridden and those who could not come), a positive
pooled tube (everyone in it held for a single re-test at home, staff told at once), the
single re-test at the door, and its result (released, or a case)."""

import uuid
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Perm, Role
from fangkong.audit.actions import record
from fangkong.core import bulk, once
from fangkong.core.errors import Conflict as ConflictError
from fangkong.core.errors import Invalid
from fangkong.core.text import join_words
from fangkong.registry.models import LEVEL_FIELDS, Place, Presence, Resident, Tag

from .. import checks
from ..access import (
    emergency_team_users,
    lab_has,
    outcome_allowed,
    require,
    require_detach,
    require_outcome,
    require_retest,
    require_run_people,
    require_run_person,
)
from ..models import (
    Conflict,
    DetachedRetest,
    FollowUp,
    HomeVisit,
    Result,
    Round,
    Sample,
    Tube,
    TubeState,
    VoidSample,
)
from ..status import MARK_CHUNK, close_contacts, held_code, held_codes
from . import families
from .common import new_tube, save_new_tube, user_of

HOME_TAGS = (Tag.BEDRIDDEN, Tag.LIMITED_MOBILITY)


# --- home visits -----------------------------------------------------------------------

def generate_home_list(actor, rnd: Round, *, zones_only=False) -> int:
    """Add everyone in the round's area still to sample (`figures.missing_q`: not sampled
    yet, not exempt) and at home who is tagged bedridden or limited mobility, or whose
    household's zone is sampled at home (sealed), to the home-sampling list, each with its
    reason (a zone's: `HomeVisit.ZONE_NOTE`; its label says so, not "from the registry
    tags"). Re-running adds only the new ones; someone with a visit still to make (by hand,
    a re-test, a re-sample) is not listed a second time. Returns how many were added
    (exactly the rows written).

    `zones_only` (`planning.plan_round`, a PCR round): only the people whose household's
    zone is sampled at home (sealed: 足不出户，服务上门 — they may not come to a sampling
    point), audited only when someone was added.

    As `add_home_visit`, the list asks `access.HELD_OUTCOMES`: a confirmed case is not
    swabbed in the round (transferred or isolated), so is left out; how many is
    `rnd.home_left_out` (the pages and the API say it, and why: `left_out_words`)."""
    from fangkong.zones.queries import home_sampled

    from ..figures import missing_q

    require_run_people(actor, rnd)  # a grid worker: their grid's part of the round
    by_tag = Q()
    for t in HOME_TAGS:
        by_tag |= Q(tags__contains=f",{t},")
    # not twice: nobody already listed from the tags, nor anyone with a visit still to make
    # (added by hand, a single re-test, a re-sample after an invalid tube)
    listed = HomeVisit.objects.filter(round=rnd).filter(
        Q(source=HomeVisit.Source.TAGS) | Q(status=HomeVisit.Status.OPEN))
    # only the people the actor runs screening for: a grid worker's, their grid's
    people = (Resident.objects.filter(missing_q(rnd)).filter(actor.scope.q(Perm.SCREENING_RUN))
              .filter(Q(home_sampled()) if zones_only else (by_tag | Q(home_sampled())))
              .filter(presence=Presence.HOME).exclude(id__in=listed.values("resident_id"))
              .annotate(tagged=ExpressionWrapper(by_tag, output_field=BooleanField())))
    rows = []
    user = user_of(actor)
    found = list(people.only("id", "household_id", *LEVEL_FIELDS))
    codes = {}
    for i in range(0, len(found), MARK_CHUNK):  # the rule's reads, a batch at a time
        codes.update(held_codes(found[i:i + MARK_CHUNK]))
    rnd.home_left_out = 0
    for r in found:
        if not outcome_allowed(codes.get(r.id, ""), "home"):  # a case: not in the round's swabs
            rnd.home_left_out += 1
            continue
        hv = HomeVisit(round=rnd, resident_id=r.id, household_id=r.household_id,
                       source=HomeVisit.Source.TAGS, created_by=user,
                       note="" if r.tagged else HomeVisit.ZONE_NOTE)
        hv.copy_levels(r)
        rows.append(hv)
    tags_rows = HomeVisit.objects.filter(round=rnd, source=HomeVisit.Source.TAGS)
    with transaction.atomic():
        before = tags_rows.count()
        HomeVisit.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        added = tags_rows.count() - before  # a row another pass wrote first is not ours
        if added or rnd.home_left_out or not zones_only:
            record(actor, "screening.home.generate", rnd,
                   {"added": added, **({"zones_only": True} if zones_only else {}),
                    **({"cases_left_out": rnd.home_left_out} if rnd.home_left_out else {})},
                   levels_from=rnd)
    return added


def left_out_words(n: int) -> str:
    """Why a generated home-sampling list left `n` people out (`generate_home_list`'s
    `rnd.home_left_out`), in the reader's language; "" for none."""
    if not n:
        return ""
    return ngettext(
        "%(n)d confirmed case left out: a case is not swabbed in the round but transferred to "
        "hospital or isolated (follow the case procedure).",
        "%(n)d confirmed cases left out: a case is not swabbed in the round but transferred to "
        "hospital or isolated (follow the case procedure).", n) % {"n": n}


def add_home_visit(actor, rnd: Round, resident: Resident, note="") -> HomeVisit:
    """"Sample at home" from the missing list (or by hand)."""
    require_run_person(actor, rnd, resident)  # a grid worker: their grid's people
    require(actor, Perm.VIEW_REGISTRY, resident)
    hv = HomeVisit.objects.filter(round=rnd, resident=resident, status=HomeVisit.Status.OPEN).first()
    if hv:
        return hv
    # a case is transferred or isolated, not swabbed in the round (`access.HELD_OUTCOMES`)
    require_outcome(held_code(resident), "home", resident.name)
    hv = HomeVisit(round=rnd, resident=resident, household_id=resident.household_id,
                   source=HomeVisit.Source.MANUAL, note=checks.kept_text(note, HomeVisit, "note"),
                   created_by=user_of(actor))
    hv.copy_levels(resident)
    with transaction.atomic():
        HomeVisit.objects.filter(round=rnd, resident=resident, source=HomeVisit.Source.MANUAL).delete()
        hv.save()
        record(actor, "screening.home.add", resident, {"round": rnd.id})
    return hv


def set_home_visit(actor, hv: HomeVisit, status: str) -> HomeVisit:
    require_run_person(actor, hv.round, hv)
    if status not in HomeVisit.Status.values:
        raise Invalid(fields={"status": [_("Unknown status.")]})
    waits = hv.source == HomeVisit.Source.RETEST and status != HomeVisit.Status.OPEN and \
        FollowUp.objects.filter(round_id=hv.round_id, resident_id=hv.resident_id,
                                status=FollowUp.Status.AWAITING).exists()
    if waits and status == HomeVisit.Status.CANCELLED:
        # a held person's single re-test: she may not go to a sampling point, and she is not
        # on the missing list — taking the visit off would leave her held with nobody coming
        raise Invalid(_("%(name)s is held until the single re-test: the re-test visit stays on "
                        "this list until its tube is recorded on the follow-up page.")
                      % {"name": hv.resident.name}, code="retest_needed")
    if waits and status == HomeVisit.Status.DONE:
        # "done" without the single tube: the lab's result for it would find no tube
        raise Invalid(_("Record %(name)s's re-test tube on the follow-up page: the visit is "
                        "done once the tube is recorded.") % {"name": hv.resident.name},
                      code="retest_tube_needed")
    if status == HomeVisit.Status.DONE and hv.source != HomeVisit.Source.RETEST and \
            not Sample.objects.filter(round_id=hv.round_id, resident_id=hv.resident_id).exists():
        # "done" with no swab registered: off the list, yet still missing — a person missed
        raise Invalid(_("%(name)s has no sample registered in this round yet. Register the "
                        "swab at the door with the station page (scan the person's sampling code into "
                        "a tube): the visit then leaves this list by itself.")
                      % {"name": hv.resident.name}, code="sample_needed")
    with transaction.atomic():
        hv.status = status
        hv.done_at = timezone.now() if status == HomeVisit.Status.DONE else None
        hv.save(update_fields=["status", "done_at"])
        record(actor, "screening.home.status", None, {"visit": hv.id, "status": status},
               levels_from=hv, label=str(hv.resident_id))
        if status == HomeVisit.Status.DONE and hv.request_id is not None:
            from .home_request import tell

            tell(actor, hv.request_id)  # the family's request: done once everyone it asked for is
    return hv


# --- a positive pool -------------------------------------------------------------------

def tube_people(tube: Tube) -> list[Resident]:
    """Everyone whose swab is in the tube: registrations, plus scans kept as conflicts."""
    ids = set(Sample.objects.filter(tube=tube).values_list("resident_id", flat=True))
    ids |= set(Conflict.objects.filter(tube=tube).exclude(resident=None)
               .exclude(status=Conflict.Status.ACCEPTED).values_list("resident_id", flat=True))
    return list(Resident.objects.filter(id__in=ids))


def positive_pool(actor, tube: Tube) -> int:
    """A positive pooled tube: see `positive_pools`; returns how many are held."""
    return positive_pools(actor, [tube])[0]


def unverified_positives(actor, tubes: list[Tube], kinds: dict) -> tuple[dict, int]:
    """Tubes a lab reported positive whose rows the chain of custody refused (`kinds`: tube
    id → "unboxed" | "not_received" | "elsewhere", `lab.custody_words`): nothing recorded as
    their result, but a positive is never lost — each tube is marked 来源待核实
    (`Tube.unverified_positive_at`, until a result for it is recorded) and its people are held
    at once as any positive pool's (`positive_pools`: the station refuses them, the follow-up
    page lists them to re-test), the staff, grid workers and emergency team told with what to
    back-fill (the box and its hand-overs). Returns ({tube id: people in it}, people held now
    who were not)."""
    now = timezone.now()
    fresh = [t for t in tubes if t.unverified_positive_at is None]
    if fresh:
        Tube.objects.filter(id__in=[t.id for t in fresh]).update(unverified_positive_at=now,
                                                                unverified_positive_by=user_of(actor))
        for t in fresh:
            t.unverified_positive_at = now
    before = FollowUp.objects.filter(tube__in=tubes).count()
    held = positive_pools(actor, tubes, unverified=kinds)
    return dict(zip([t.id for t in tubes], held, strict=True)), \
        FollowUp.objects.filter(tube__in=tubes).count() - before


def _unverified_why(kind: str, tube: Tube) -> str:
    """Why a positive's row was refused, for the community's message."""
    if kind == "not_received":
        return _("its box %(box)s was not signed for at the lab") % {"box": tube.box.code if tube.box_id else ""}
    if kind == "elsewhere":
        return _("the tube was not sent to that lab")
    return _("the tube reached the lab in no transport box")


def positive_pools(actor, tubes: list[Tube], unverified=None) -> list[int]:
    """Positive pooled tubes: hold everyone in each (awaiting a single re-test), list them for
    re-sampling at home, and tell the community staff and grid workers at once, one message a
    tube. Called by `lab.record_results` inside its transaction; returns how many are held in
    each tube. Set-based: the people of every tube, the follow-ups and visits, and the staff
    to tell are read and written in one go whatever the number of tubes. `unverified` (tube id
    → why, `unverified_positives`): positives whose rows were refused, said so ("source to be
    checked", what to back-fill), a single re-test tube's person held already."""
    ids = [t.id for t in tubes]
    people_of = {tid: set() for tid in ids}
    for tid, rid in Sample.objects.filter(tube_id__in=ids).values_list("tube_id", "resident_id"):
        people_of[tid].add(rid)
    # a pool found invalid, then corrected to positive: its swabs are theirs all the same
    for tid, rid in VoidSample.objects.filter(tube_id__in=ids).values_list("tube_id", "resident_id"):
        people_of[tid].add(rid)
    for tid, rid in (Conflict.objects.filter(tube_id__in=ids).exclude(resident=None)
                     .exclude(status=Conflict.Status.ACCEPTED).values_list("tube_id", "resident_id")):
        people_of[tid].add(rid)
    residents = Resident.objects.in_bulk({rid for rids in people_of.values() for rid in rids})
    fus, visits, held = [], [], []
    for tube in tubes:
        rnd = tube.round
        people = [residents[rid] for rid in sorted(people_of[tube.id]) if rid in residents]
        for r in people:
            fu = FollowUp(round=rnd, resident=r, household_id=r.household_id, tube=tube)
            fu.copy_levels(r)
            fus.append(fu)
            hv = HomeVisit(round=rnd, resident=r, household_id=r.household_id,
                           source=HomeVisit.Source.RETEST,
                           note=HomeVisit.POOL_NOTE + tube.barcode)  # words: note_text()
            hv.copy_levels(r)
            visits.append(hv)
        held.append(people)
    FollowUp.objects.bulk_create(fus, batch_size=1000, ignore_conflicts=True)
    HomeVisit.objects.bulk_create(visits, batch_size=1000, ignore_conflicts=True)
    # who to tell: staff of the people's communities, grid workers of their grids
    communities = {r.community_id for people in held for r in people if r.community_id}
    grids = {r.grid_id for people in held for r in people if r.grid_id}
    staff = defaultdict(set)  # (role, place) → users
    for uid, role, place_id in Membership.objects.filter(is_active=True).filter(
            Q(role=Role.STAFF, place_id__in=communities) | Q(role=Role.GRID, place_id__in=grids)) \
            .values_list("user_id", "role", "place_id"):
        staff[role, place_id].add(uid)
    places = Place.objects.in_bulk(communities)
    from fangkong.registry.queries import place_labels

    labels = place_labels(Place.objects.filter(id__in={_building_of(r) for people in held for r in people}))
    teams = {}
    from django.urls import reverse

    from fangkong.notify.actions import notify

    for tube, people in zip(tubes, held, strict=True):
        rnd = tube.round
        tube_communities = {r.community_id for r in people if r.community_id}
        users = {u for c in tube_communities for u in staff[Role.STAFF, c]}
        users |= {u for g in {r.grid_id for r in people if r.grid_id} for u in staff[Role.GRID, g]}
        if rnd.id not in teams:
            teams[rnd.id] = emergency_team_users(rnd)  # whose team counts (a role over the area)
        users |= teams[rnd.id]
        url = reverse("screening_followups", args=[rnd.id])
        place = places.get(next(iter(tube_communities))) if tube_communities else rnd.place
        where = sorted(Counter(_building_of(r) for r in people).items(),
                       key=lambda pn: (labels.get(pn[0], ""), pn[0]))
        if unverified is not None:
            _tell_unverified(actor, users, tube, people, unverified.get(tube.id, ""), url, place)
            if not tube.retest:
                families.held(actor, tube, people)
            continue
        # in each reader's language (rendered inside notify, this iteration's tube); how many
        # and which building(s), never a name: the text goes out by SMS
        notify(actor, users, kind="screening.positive_pool",
               title=lambda: ngettext("Positive pooled tube %(code)s: %(n)d person to re-test",
                                      "Positive pooled tube %(code)s: %(n)d people to re-test", len(people))  # noqa: B023
               % {"code": tube.barcode, "n": len(people)},  # noqa: B023
               body=lambda where=where: _(
                   "Hold everyone in the tube at home and sample them singly. Where they live: %(where)s. "
                   "Round: %(round)s.") % {"where": _where_words(where, labels), "round": rnd.name},  # noqa: B023
               url=url, place=place, key=f"screening.pool.{tube.id}")
        families.held(actor, tube, people)  # and the households: stay at home, what comes next
    return [len(people) for people in held]


def _tell_unverified(actor, users, tube: Tube, people, kind: str, url, place) -> None:
    """The community's message of a positive whose row the chain of custody refused: hold the
    tube's people now, and back-fill the box and its hand-overs (or find the lab it went to)
    so the lab can upload the result again. Once a tube (its own key)."""
    from fangkong.notify.actions import notify

    lab = str(user_of(actor) or "")
    rnd, n = tube.round, len(people)
    notify(actor, users, kind="screening.positive_unverified",
           title=lambda: ngettext("Positive, source to be checked: tube %(code)s, %(n)d person to hold and re-test",
                                  "Positive, source to be checked: tube %(code)s, %(n)d people to hold and re-test",
                                  n) % {"code": tube.barcode, "n": n},
           body=lambda: _("The lab %(lab)s reported tube %(code)s positive, but its result was not recorded: "
                          "%(why)s. Hold everyone in the tube at home now and sample them singly, as for any "
                          "positive pool. Then record the tube's box and both hand-overs (双签收) on the round's "
                          "boxes page, or find out which lab has the tube, and ask the lab to upload the result "
                          "again. Round: %(round)s.") % {
               "lab": lab, "code": tube.barcode, "why": _unverified_why(kind, tube), "round": rnd.name},
           url=url, place=place, key=f"screening.pool_unverified.{tube.id}")


def _building_of(r: Resident) -> int | None:
    """Where a held person lives, as a positive pool's message names it: the building, or
    the compound or community of a household in none."""
    return r.building_id or r.compound_id or r.community_id


def _where_words(where, labels) -> str:
    """[(place id, how many)] in the reader's language: "光明小区 1号楼（2 人）、光明小区 5号楼（1 人）"."""
    return join_words(ngettext("%(place)s (%(n)d person)", "%(place)s (%(n)d people)", n)
                      % {"place": labels.get(pid, ""), "n": n} for pid, n in where)


def came_out(actor, rnd: Round, seen) -> None:
    """People held by a positive test (`seen`: (follow-up id, when)) came to a sampling table
    of `rnd`; the station refused them and sent them home (`refusals`: `Conflict.Kind.HELD`).
    Their community's staff and grid workers are told at once, once a follow-up and round
    (`key`), in each reader's language: who, where they live, when, and what to do. Called
    by the single scan and the batch after their permission check."""
    from django.urls import reverse

    from fangkong.notify.actions import notify
    from fangkong.registry.queries import address_labels

    from ..refusals import held_why
    from .resample import staff_to_tell

    when = {}
    for fid, at in seen:
        when.setdefault(fid, at)
    fus = list(FollowUp.objects.filter(id__in=list(when)).select_related(
        "resident__household__place", "round"))
    labels = address_labels([f.resident for f in fus])
    places = Place.objects.in_bulk({f.community_id for f in fus if f.community_id})
    for fu in fus:
        r = fu.resident
        where = f"{labels.get(r.household.place_id, '')} {r.household.door}".strip()
        at = timezone.localtime(when[fu.id]).strftime("%H:%M")
        why = "antigen" if fu.tube_id is None else "pool"
        users = staff_to_tell([fu.community_id] if fu.community_id else [], [fu.grid_id] if fu.grid_id else [])
        notify(actor, users, kind="screening.held_came_out",
               title=lambda name=r.name: _("%(name)s is held but came to a sampling point") % {"name": name},
               body=lambda name=r.name, where=where, why=why, at=at: _(
                   "%(name)s (%(where)s) is held — %(why)s — but came to a sampling table of "
                   "%(round)s at %(time)s. The station refused the swab and asked them to go home "
                   "at once. Make sure they are at home, and take the single swab at the door.") % {
                   "name": name, "where": where, "why": held_why(why), "round": rnd.name, "time": at},
               url=reverse("screening_followups", args=[fu.round_id]),
               place=places.get(fu.community_id) or rnd.place,
               key=f"screening.held_out.{fu.id}.{rnd.id}")


def tell_overdue(now=None, limit=500) -> int:
    """(the worker's pass, `tasks.recover_screening`) Holds overdue now (`figures.overdue_q`:
    the single re-test not sampled, or without a result, FANGKONG_HOLD_OVERDUE_HOURS after
    the hold began) that nobody was told of: their community's staff and grid workers are
    told once a hold (`overdue_told_at`, claimed by `core.once.claim`, so two workers tell
    each once), one message per round and grid — who, where, how long, what is missing —
    in each reader's language; audited. Returns how many holds were told of."""
    from django.urls import reverse

    from fangkong.audit.actions import common_levels
    from fangkong.core.actor import Actor
    from fangkong.notify.actions import notify
    from fangkong.registry.queries import address_labels

    from ..figures import hours_held, overdue_q
    from ..status import overdue_text
    from .resample import staff_to_tell

    now = now or timezone.now()
    system = Actor.system(via="task")
    with transaction.atomic():
        fus = once.claim(FollowUp.objects.filter(overdue_q(now))
                         .select_related("resident__household__place", "round"),
                         "overdue_told_at", now, order=("created_at", "id"), limit=limit)
        if not fus:
            return 0
        labels = address_labels([f.resident for f in fus])
        groups = defaultdict(list)
        for fu in fus:
            groups[fu.round_id, fu.community_id, fu.grid_id].append(fu)
        places = Place.objects.in_bulk({c for _r, c, _g in groups if c})
        for (_rid, community, grid), group in groups.items():
            rnd = group[0].round
            people = [(fu, f"{labels.get(fu.resident.household.place_id, '')} "
                            f"{fu.resident.household.door}".strip(), hours_held(fu, now)) for fu in group]
            users = staff_to_tell([community] if community else [], [grid] if grid else [])

            def body(rnd=rnd, people=people):  # in each reader's language
                lines = [_("%(name)s (%(where)s) — %(what)s.") % {
                    "name": fu.resident.name, "where": where, "what": overdue_text(fu, hours)}
                    for fu, where, hours in people]
                return " ".join([*lines, _("Round: %(round)s. Take the single swab at the door now, or "
                                           "ask the lab for the result.") % {"round": rnd.name}])

            def title(people=people):
                return ngettext("%(n)d held person has no single re-test result after %(h)d hours",
                                "%(n)d held people have no single re-test result after %(h)d hours",
                                len(people)) % {"n": len(people), "h": settings.FANGKONG_HOLD_OVERDUE_HOURS}

            n = notify(system, users, kind="screening.hold_overdue", title=title, body=body, url=reverse("screening_followups", args=[rnd.id]),
                       place=places.get(community) or rnd.place,
                       key=f"screening.hold_overdue.{group[0].id}")
            record(system, "screening.hold.overdue", rnd,
                   {"round": rnd.id, "residents": [fu.resident_id for fu in group], "notified": n},
                   levels_from=common_levels(group))
    return len(fus)


# --- the single re-test ------------------------------------------------------------------

def record_retest(actor, fu: FollowUp, barcode, *, client_id=None) -> Tube:
    """A single re-test at the door for a held person: a one-person tube. Idempotent on
    `client_id` (sent again, it returns the tube recorded the first time)."""
    rnd = fu.round
    require_retest(actor, fu)  # who runs the person or samples by role; a volunteer: her task
    cid = checks.check_client_id(client_id) if client_id else None
    if cid is not None:  # sent again (a retry after a lost answer): recorded once
        done = Sample.objects.filter(client_id=cid).select_related("tube").first()
        if done is not None:
            if done.retest and done.round_id == rnd.id and done.resident_id == fu.resident_id:
                return done.tube
            raise ConflictError(_("This client id was already used for another record."),
                                code="client_id_used")
        off = DetachedRetest.objects.filter(client_id=cid).first()
        if off is not None:  # recorded, then taken off by the staff: never recorded again
            raise ConflictError(_("Tube %(code)s was recorded on %(name)s, then taken off by the staff "
                                  "(%(reason)s): this recording is not made again.")
                                % {"code": off.barcode, "name": fu.resident.name, "reason": off.reason},
                                code="retest_detached")
    if fu.status not in (FollowUp.Status.AWAITING, FollowUp.Status.RESAMPLED):
        raise Invalid(_("This person has been released or confirmed already."), code="closed")
    if fu.status == FollowUp.Status.RESAMPLED:
        # a tube already on its way to the lab is never replaced: its result (positive, it
        # may be) must still reach this person. An invalid result puts her back to awaiting.
        tube = fu.retest_tube if fu.retest_tube_id else None
        words = {"name": fu.resident.name, "code": tube.barcode if tube else ""}
        if tube is not None and not lab_has(tube):  # the staff may still take it off her
            raise Invalid(_("%(name)s's single re-test tube %(code)s is already recorded and on its "
                            "way to the lab: wait for its result. If it was recorded on the wrong "
                            "person, the community staff can take it off %(name)s on the follow-up "
                            "page (“Take the tube off”) before the lab has it; if it was lost or "
                            "broken, ask the lab to record it as invalid. A new tube can then be "
                            "recorded.") % words, code="retest_pending")
        raise Invalid(_("%(name)s's single re-test tube %(code)s is already with the lab: wait for "
                        "its result. If that tube was lost or broken, ask the lab to record it "
                        "as invalid; a new tube can then be recorded.") % words, code="retest_pending")
    barcode = checks.check_tube_barcode(barcode)
    r = fu.resident
    now = timezone.now()
    with transaction.atomic():
        tube = new_tube(rnd, barcode, 1, user_of(actor), None, None, None, now, retest=True)
        tube.count, tube.state, tube.sealed_at = 1, TubeState.SEALED, now
        save_new_tube(tube, actor)
        s = Sample(round=rnd, tube=tube, resident=r, household_id=r.household_id, retest=True,
                   client_id=cid or uuid.uuid4(),
                   sampled_at=now, sampler=user_of(actor))
        s.copy_levels(r)
        s.save()
        fu.retest_tube, fu.status = tube, FollowUp.Status.RESAMPLED
        fu.save(update_fields=["retest_tube", "status"])
        HomeVisit.objects.filter(round=rnd, resident=r, source=HomeVisit.Source.RETEST).update(
            status=HomeVisit.Status.DONE, done_at=now)
        record(actor, "screening.retest.sample", r, {"round": rnd.id, "tube": barcode})
    return tube


def detach_retest(actor, fu: FollowUp, reason, *, barcode=None) -> DetachedRetest:
    """Take a single re-test tube off the person it was recorded on by mistake (记错人) before
    the lab has it (`access.require_detach`: who manages her follow-up; the volunteer who
    recorded it, until it is handed over). A reason is required. The registration is kept
    as a `DetachedRetest` (the recording's client id is never recorded again) and the tube
    row goes, so its barcode is free to record on the right person (out of its box, if it
    was packed: pack it again then); she waits for her re-test again — the hold unchanged,
    since it began — and her re-test visit is open again. `barcode` (what the page showed):
    another tube on her meanwhile is a conflict, nothing taken off. Audited. Once the lab
    has the tube (`access.lab_has`) it is refused: its result must reach her, or the lab
    records it invalid."""
    tube = fu.retest_tube if fu.retest_tube_id else None
    require_detach(actor, fu, tube)
    r = fu.resident
    if tube is not None and lab_has(tube):
        raise _at_lab(tube, r)
    if tube is None or fu.status != FollowUp.Status.RESAMPLED:
        raise Invalid(_("No single re-test tube waiting for the lab is recorded on %(name)s.")
                      % {"name": r.name}, code="no_retest_tube")
    if barcode and checks.check_barcode(barcode) != tube.barcode:
        raise ConflictError(_("The tube recorded on %(name)s is now %(code)s: look at the list again.")
                            % {"name": r.name, "code": tube.barcode}, code="retest_changed")
    errors = {}
    why = checks.kept_text(reason, DetachedRetest, "reason", errors)
    if not why and not errors:
        errors["reason"] = [_("Say why the tube is taken off (for example: recorded on the wrong person).")]
    if errors:
        raise Invalid(fields=errors)
    given = fu
    with transaction.atomic():
        tube = Tube.objects.select_for_update().filter(pk=tube.pk).first()
        fu = FollowUp.objects.select_for_update().get(pk=fu.pk)
        if tube is None or fu.retest_tube_id != tube.id or fu.status != FollowUp.Status.RESAMPLED:
            raise ConflictError(_("The tube recorded on %(name)s changed meanwhile: look at the list again.")
                                % {"name": r.name}, code="retest_changed")
        if lab_has(tube):  # signed for, or its result came, meanwhile
            raise _at_lab(tube, r)
        sample = Sample.objects.filter(tube=tube, retest=True).first()
        box = tube.box.code if tube.box_id else None
        off = DetachedRetest(round_id=fu.round_id, resident=r, household_id=r.household_id, barcode=tube.barcode,
                             client_id=sample.client_id if sample else uuid.uuid4(),
                             sampled_at=sample.sampled_at if sample else tube.opened_at,
                             sampler_id=sample.sampler_id if sample else tube.opened_by_id,
                             reason=why, detached_by=user_of(actor))
        off.copy_levels(r)
        off.save()
        Sample.objects.filter(tube=tube).delete()
        fu.retest_tube, fu.status, fu.closed_at = None, FollowUp.Status.AWAITING, None
        fu.save(update_fields=["retest_tube", "status", "closed_at"])
        tube.delete()  # the barcode is free again in the round
        HomeVisit.objects.filter(round_id=fu.round_id, resident=r, source=HomeVisit.Source.RETEST,
                                 status=HomeVisit.Status.DONE).update(status=HomeVisit.Status.OPEN, done_at=None)
        record(actor, "screening.retest.detach", r,
               {"round": fu.round_id, "tube": off.barcode, "reason": why,
                **({"box": box} if box else {}), **({"sampler": off.sampler_id} if off.sampler_id else {})})
    given.retest_tube, given.status, given.closed_at = None, FollowUp.Status.AWAITING, None
    return off


def _at_lab(tube: Tube, r: Resident) -> ConflictError:
    """Why a tube the lab has is not taken off its person, and what to do instead."""
    return ConflictError(_("Tube %(code)s is at the lab already, so it cannot be taken off %(name)s: its "
                           "result will be %(name)s's. If it was recorded on the wrong person, ask the lab "
                           "to record it as invalid; %(name)s is then sampled again, and the right person's "
                           "swab goes in a new tube.") % {"code": tube.barcode, "name": r.name},
                         code="retest_at_lab")


def retest_result(actor, tube: Tube):
    """The result of a single re-test tube: see `retest_results`."""
    retest_results(actor, [tube])


def retest_results(actor, tubes: list[Tube]) -> dict:
    """The results of single re-test tubes close their follow-ups: released, a case (staff
    told at once), or awaiting another swab (an invalid result); returns {"retests",
    "cases", "released", "close_contacts"} for the lab's summary — a negative re-test of
    someone who lives with a case (`status.close_contacts`) is a close contact, counted
    apart and never as released. Called by `lab.record_results` after the tubes' results
    are written. Every re-test tube of a person counts (its registration, `Sample.retest`,
    ties it to her follow-up, whichever tube the follow-up names last), in whatever order
    the results come: any positive one is a case; else one still without a result keeps
    her waiting; else a negative one releases her; all invalid: another swab. The
    follow-ups read in one query and written in one statement; a case goes on to the
    zones' escalation and the staff's message, one at a time."""
    ids = [t.id for t in tubes]
    pairs = set(Sample.objects.filter(tube_id__in=ids, retest=True).values_list("round_id", "resident_id"))
    found = FollowUp.objects.filter(retest_tube_id__in=ids)
    if pairs:
        found = found | FollowUp.objects.filter(round_id__in={p[0] for p in pairs},
                                                resident_id__in={p[1] for p in pairs})
    fus = [fu for fu in found.select_related("round").distinct().order_by("id")
           if fu.retest_tube_id in ids or (fu.round_id, fu.resident_id) in pairs]
    results = defaultdict(list)  # (round, person) → the results of all her re-test tubes
    singles = Sample.objects.filter(retest=True, round_id__in={f.round_id for f in fus},
                                    resident_id__in={f.resident_id for f in fus})
    for rid, pid, tid, result in singles.values_list("round_id", "resident_id", "tube_id", "tube__result"):
        results[rid, pid].append((tid, result))
    for fu in fus:
        if fu.retest_tube_id and fu.retest_tube_id not in {t for t, _r in results[fu.round_id, fu.resident_id]}:
            tube = Tube.objects.filter(pk=fu.retest_tube_id).only("result").first()
            if tube is not None:
                results[fu.round_id, fu.resident_id].append((tube.id, tube.result))
    now = timezone.now()
    was = {fu.id: fu.status for fu in fus}
    for fu in fus:
        got = {result for _t, result in results[fu.round_id, fu.resident_id]}
        if Result.POSITIVE in got:
            status = FollowUp.Status.CASE
        elif "" in got:  # another tube still at the lab
            status = FollowUp.Status.RESAMPLED
        elif Result.NEGATIVE in got:
            status = FollowUp.Status.RELEASED
        else:  # invalid: sample again
            status = FollowUp.Status.AWAITING
        if status != fu.status:
            fu.closed_at = now if status in (FollowUp.Status.RELEASED, FollowUp.Status.CASE) else None
        fu.status = status
    bulk.update(FollowUp, fus, ["status", "closed_at"])
    for fu in fus:
        if fu.status == FollowUp.Status.CASE and was[fu.id] != FollowUp.Status.CASE:
            _case(actor, fu, now)
    families.retested(actor, [fu for fu in fus if fu.status != was[fu.id]])  # released, a contact, a case
    negative = [fu for fu in fus if fu.status == FollowUp.Status.RELEASED]
    contacts = close_contacts(negative)  # living with a case (this file's too): not released
    return {"retests": len(fus), "cases": sum(fu.status == FollowUp.Status.CASE for fu in fus),
            "released": sum(fu.resident_id not in contacts for fu in negative),
            "close_contacts": sum(fu.resident_id in contacts for fu in negative)}


def _case(actor, fu: FollowUp, now):
    """A single re-test positive: the zones' escalation drafted, the staff told at once —
    unless the person's case is open already (the health authority's notice came first):
    the re-test then confirms that case, no second alarm or proposal (`case_confirmed`); the
    staff and the grid worker are told once what the notice could not say, who lives with the
    case (close contacts, not released: `confirmed_detail`). The family's logins are told by
    `families.retested` either way."""
    from fangkong.zones.actions.escalate import case_confirmed

    contacts = families.housemates(fu)  # the people living with the case: close contacts

    def detail():  # in each reader's language, after the case's own words (zones)
        text = _("Round: %(round)s.") % {"round": fu.round.name}
        if contacts:
            text += " " + families.contacts_line(fu.resident.name, contacts)
        return text

    # the one message of a case, sent by the one action every report of a case goes through
    _confirmed, proposal = case_confirmed(actor, fu.resident, confirmed_at=now,
                                          source=_("Single re-test positive"),
                                          source_ref=f"screening.followup:{fu.id}",
                                          kind="screening.case", key=f"screening.case.{fu.id}",
                                          detail=detail, confirmed_detail=detail if contacts else None)
