"""Care of people and pets who cannot go out: pets registered with care instructions and
fed by a volunteer while all their owners are away (centralised quarantine or hospital);
each morning a check-in for each elderly person living alone and each vulnerable resident
of a sealed area. `daily` (a background job each morning, safe to run twice) makes the
day's tasks and stops the feeding of pets whose owners came back."""

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid
from fangkong.core.said import kept
from fangkong.registry.models import LEVEL_FIELDS, Presence, Resident

from .. import access, checks
from ..models import Category, CheckIn, Feeding, Order, Pet, Request
from .requests import answer_fed, category_of, raise_request

AWAY = [Presence.QUARANTINE, Presence.HOSPITAL]
VULNERABLE = ["elderly_alone", "bedridden", "dialysis", "pregnant", "disability", "limited_mobility"]
NO_ANSWER_MINUTES = 60  # a door visit after nobody answered for someone watched over


def add_pet(actor, household, data: dict) -> Pet:
    access.require_household(actor, household, order=True)
    pet = Pet(household=household, name=checks.text(data.get("name"), "name", max_length=40),
              species=checks.text(data.get("species"), "species", max_length=30),
              care=checks.text(data.get("care"), "care", max_length=500))
    pet.copy_levels(household)
    with transaction.atomic():
        pet.save()
        record(actor, "services.pet.add", household, {"pet": pet.id, "name": pet.name})
    return pet


def owners_away_q():
    """Pets whose household has people and none of them at home (all away in care)."""
    someone_home = Resident.objects.filter(household_id=OuterRef("household_id")).exclude(
        presence__in=AWAY + [Presence.MOVED_OUT, Presence.AWAY])
    someone_away = Resident.objects.filter(household_id=OuterRef("household_id"), presence__in=AWAY)
    return Q(Exists(someone_away)) & ~Q(Exists(someone_home))


def daily(day=None, *, volunteer_of=None) -> dict:
    """Make the day's feeding tasks and check-ins (once each: unique per pet or person and
    day); stop the open feedings of pets whose owners are back."""
    day = day or timezone.localdate()
    return dict(feed_today(day, volunteer_of=volunteer_of), check_ins=check_ins_today(day))


def feed_today(day=None, *, volunteer_of=None) -> dict:
    """Feeding tasks for today's pets left alone, each given to a volunteer (`volunteer_of`,
    by default `on_duty_volunteer`); a task nobody could take is tried again on the next
    pass and shown to staff as unassigned meanwhile. Open ones stop when the owners are back
    (cheap: run every few minutes by the worker's recovery pass)."""
    day = day or timezone.localdate()
    volunteer_of = volunteer_of or on_duty_volunteer
    have = Feeding.objects.filter(day=day).values("pet_id")
    pets = list(Pet.objects.filter(owners_away_q(), is_active=True).exclude(id__in=have)
                .select_related("household"))
    feedings = []
    for p in pets:
        f = Feeding(pet=p, day=day, volunteer=volunteer_of(p, day))
        f.copy_levels(p)
        feedings.append(f)
    Feeding.objects.bulk_create(feedings, ignore_conflicts=True)
    assigned = 0
    for f in Feeding.objects.filter(day=day, volunteer=None, done_at=None, stopped=False) \
            .select_related("pet__household")[:200]:
        user = volunteer_of(f.pet, day)
        if user is not None:
            assigned += Feeding.objects.filter(pk=f.pk, volunteer=None).update(volunteer=user)
        else:
            _tell_nobody_feeds(f)
    back = Pet.objects.filter(is_active=True).exclude(owners_away_q())
    stopped = Feeding.objects.filter(pet__in=back, done_at=None, stopped=False).update(stopped=True)
    # the family's pet-care request, once its pet is fed daily: answered "由 X 喂养" (`requests.answer_fed`)
    answered = answer_fed(day)
    return {"feedings": len(feedings), "feedings_assigned": assigned, "feedings_stopped": stopped,
            "pet_requests_answered": answered}


def _tell_nobody_feeds(feeding) -> None:
    """A feeding nobody on duty may take (none of the teams there may go out, or none left):
    the grid worker and the staff are told, once for each feeding (`key`), to give it to
    someone on the pets page."""
    from django.urls import reverse

    from fangkong.core.actor import Actor
    from fangkong.notify.actions import notify
    from fangkong.registry.queries import address_labels

    pet, hh = feeding.pet, feeding.pet.household
    words = {"pet": pet.name, "where": f"{address_labels([hh]).get(hh.place_id, '')} {hh.door}".strip()}
    notify(Actor.system(via="task"), access.answerer_ids(feeding, staff=True), kind="services.feeding",
           title=lambda: _("No volunteer to feed %(pet)s today: %(where)s") % words,
           body=lambda: _("No volunteer on duty there may go out now (sealed in, kept at home, or no longer a "
                          "volunteer). Give the feeding to someone on the pets page."),
           url=reverse("services_pets", args=[feeding.community_id]), place=hh.place,
           key=f"services.feeding.{feeding.id}.nobody")


def on_duty_volunteer(pet, day):
    """Who feeds `pet` today: an approved volunteer with an account, member of the team on
    duty for the pet's place — the team whose area is the nearest place above the household
    (its unit, building, compound, grid…; a team without an area covers its whole
    community). Yesterday's feeder keeps the pet when still on such a team; otherwise the
    least loaded today, then the longest standing member. Only members who may go out and
    hold the role now (`access.going_out`). None when nobody fits (staff then see the task
    unassigned, and they and the grid worker are told once: `_tell_nobody_feeds`)."""
    import datetime

    from fangkong.volunteers.models import Team, TeamMember

    hh = pet.household
    ids = [getattr(hh, f) for f in LEVEL_FIELDS]
    depth = {pid: n for n, pid in enumerate(ids) if pid}
    teams = {t.id: (-1 if t.area_id is None else depth[t.area_id])
             for t in Team.objects.filter(community_place_id=hh.community_id)
             .filter(Q(area=None) | Q(area_id__in=list(depth))).only("id", "area_id")}
    if not teams:
        return None
    # only those who may go out and still hold the role now: the rule a team's requests and runs
    # reach (`access.going_out`): none sealed in, kept home, or no longer a volunteer
    members = list(TeamMember.objects.filter(team_id__in=teams, volunteer_id__in=access.going_out().values("id"))
                   .values_list("team_id", "volunteer__user_id", "joined_at"))
    if not members:
        return None
    nearest = max(teams[t] for t, _u, _j in members)
    users = {u: j for t, u, j in members if teams[t] == nearest}
    from fangkong.accounts.models import User

    yesterday = Feeding.objects.filter(pet=pet, day=day - datetime.timedelta(days=1),
                                       volunteer_id__in=users).values_list("volunteer_id", flat=True).first()
    if yesterday:
        return User.objects.get(pk=yesterday)
    load = dict(Feeding.objects.filter(day=day, volunteer_id__in=users).values("volunteer_id")
                .annotate(n=Count("id")).order_by().values_list("volunteer_id", "n"))
    best = min(users, key=lambda u: (load.get(u, 0), users[u], u))
    return User.objects.get(pk=best)


def assign_feeding(actor, feeding: Feeding, volunteer_user) -> Feeding:
    """Staff give a feeding task to a volunteer (one of the community's, with an account)."""
    from fangkong.volunteers.models import Volunteer

    access.require(actor, access.RUN, feeding)
    if not Volunteer.objects.filter(user=volunteer_user, status="approved",
                                    community_id=feeding.community_id).exists():
        raise Invalid(fields={"volunteer": [_("Choose one of this community's volunteers.")]})
    with transaction.atomic():
        Feeding.objects.filter(pk=feeding.pk).update(volunteer=volunteer_user)
        record(actor, "services.feeding.assign", feeding, {"pet": feeding.pet_id, "volunteer": volunteer_user.id})
    feeding.refresh_from_db()
    if feeding.day == timezone.localdate() and not feeding.stopped:
        answer_fed(feeding.day, feeding.pet.household_id)  # its pet-care request answered "由 X 喂养"
    return feeding


def watched_over():
    """The people someone must look in on (the one rule): each elderly person living alone,
    and each vulnerable resident whose household is in a zone that keeps people at home;
    those at home only. They get a morning call (`check_ins_today`), and nobody answering
    their door — the morning call, or a delivery — is a visit within the hour
    (`no_answer_visit`)."""
    from fangkong.zones.models import HouseholdZone

    sealed = HouseholdZone.objects.filter(household_id=OuterRef("household_id"), until=None,
                                          zone_type__may_leave_home=False)
    tagged = Q(tags__contains=",elderly_alone,")
    for t in VULNERABLE[1:]:
        tagged_sealed = Q(tags__contains=f",{t},")
        tagged = tagged | (tagged_sealed & Q(Exists(sealed)))
    return Resident.objects.filter(tagged).exclude(presence__in=AWAY + [Presence.MOVED_OUT, Presence.AWAY])


def no_answer_visit(actor, household, text: str, *, client_id=None) -> Request | None:
    """Nobody answered for someone watched over (`watched_over`): a door to knock on within
    the hour — an urgent (priority 1) elderly check-in (老人探视) request due in NO_ANSWER_MINUTES,
    first in the queue before it is late (`queries.QUEUE_ORDER`), which tells
    the household's grid workers and comes back overdue like any request. The one rule for a
    morning call not answered (`record_check_in`) and a delivery nobody answered
    (`delivery.confirm_stop`); `client_id`: a retry makes none again."""
    cat = Category.objects.filter(code="check_in").first()
    if cat is None:
        return None
    # urgent (priority 1): found on the gate walk, this 1-hour visit to an elderly woman living
    # alone ranked below a 4-hour medicine errand of a more vulnerable household until it was late
    r = raise_request(actor, household, cat, str(text)[:500], minutes=NO_ANSWER_MINUTES, client_id=client_id,
                      urgent=True)
    if kept(text) and not r.said:  # a `core.said` message: said again in the reader's language
        r.said = kept(text)
        Request.objects.filter(pk=r.pk).update(said=r.said)
    return r


def check_ins_today(day=None, now=None) -> int:
    """The day's check-ins: one for each person watched over (`watched_over`) who has none
    yet that day; returns how many were made. Called on every worker pass from 06:00, so
    someone who becomes watched over during the day — a building sealed after the morning's
    list was made (found on the vulnerable walk: 1号楼 sealed at 05:57, its disabled and
    chronically ill residents never called), a resident tagged 独居老人 by an import — is on
    the list within a pass, and nobody is listed twice. A call made after the day's deadline
    (`check_ins.deadline`, `now` past it) is on no late list that day (`care_late`): it is
    marked told at once."""
    from ..check_ins import deadline

    day = day or timezone.localdate()
    now = now or timezone.now()
    late = now if now >= deadline(day) else None
    people = watched_over().exclude(Exists(CheckIn.objects.filter(resident_id=OuterRef("id"), day=day)))
    rows = []
    for r in people.only("id", "household_id", *LEVEL_FIELDS):
        c = CheckIn(resident_id=r.id, household_id=r.household_id, day=day, late_told_at=late)
        c.copy_levels(r)
        rows.append(c)
    CheckIn.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
    return len(rows)


def feed(actor, feeding: Feeding, note="") -> Feeding:
    if not access.given_to(actor, feeding, feeding.volunteer_id):
        access.require(actor, access.RUN, feeding)
    if feeding.stopped:
        raise Conflict(_("The owners are back: this feeding is no longer needed."))
    if feeding.done_at:
        return feeding
    with transaction.atomic():
        n = Feeding.objects.filter(pk=feeding.pk, done_at=None).update(
            done_at=timezone.now(), done_by=actor.user,
            note=checks.text(note, "note", max_length=200, required=False))
        if n:
            record(actor, "services.feeding.done", feeding, {"pet": feeding.pet_id})
    feeding.refresh_from_db()
    return feeding


CORRECTABLE = (CheckIn.Result.OPEN, CheckIn.Result.FINE, CheckIn.Result.NO_ANSWER)


def need_category(check_in: CheckIn, code) -> Category:
    """What kind of help a morning call's "needs" asks for, chosen by the worker from the
    categories the household's own help form offers (`requests.category_of`): none is
    preselected, since a default would file "her blood-pressure pills" wherever it pointed.
    "other" (nothing fits) and "check_in" are filed as an elderly check-in (老人探视): a visit
    from the grid worker within its response time, not 其他's day — it came from a call to
    someone vulnerable."""
    if isinstance(code, Category):
        code = code.code
    if not (code or "").strip():
        raise Invalid(fields={"category": [_("Choose what kind of help %(name)s needs.") % {
            "name": check_in.resident.name}]})
    cat = category_of(code)
    if cat.code == "other":
        cat = Category.objects.filter(code="check_in").first() or cat
    return cat


# a household's medicine order still to come: placed, in a batch, out, with a problem at the gate
MEDICINE_COMING = (Order.State.PLACED, Order.State.IN_BATCH, Order.State.OUT, Order.State.PROBLEM)


def medicine_coming(household_id) -> Order | None:
    """The household's medicine order still to come (the one needed first), or None: a
    morning call's "needs medicine" follows it (`record_check_in`) rather than buying twice."""
    return (Order.objects.filter(household_id=household_id, is_medicine=True, state__in=MEDICINE_COMING)
            .select_related("supplier", "batch")
            .order_by(F("deadline").asc(nulls_last=True), "placed_at", "id").first())


def record_check_in(actor, check_in: CheckIn, result: str, note="", category=None) -> CheckIn:
    """Fine, no answer, or needs something (then a request is raised for the household, of
    the category the worker chose: `need_category`).
    A need for medicine (买药) while the household's medicine order is still to come
    (`medicine_coming`; found on the vulnerable walk: the same pills became a second task,
    bought twice) raises the request following that order (`Request.for_order`): it is
    said so where the call is recorded and on the request's page, with the order's
    medicine, pharmacy, payer and prescription — to be chased, not bought again. The request
    still exists: the worker reads the need (sooner than the order's time, say) and the
    household's answer is kept.
    A call recorded "fine" or "no answer" by a wrong tap is changed by recording it again
    (audited, before and after); one that raised a request stays as it is."""
    access.require(actor, access.RUN, check_in)
    result = checks.choice(result, "result", CheckIn.Result.choices)
    before = check_in.result
    if before == result or before not in CORRECTABLE or result == CheckIn.Result.OPEN:
        return check_in
    cat = None
    if result == CheckIn.Result.NEEDS:
        errors = {}
        if not (note or "").strip():
            errors["note"] = [_("Write what %(name)s needs: it becomes a request for the "
                                "household.") % {"name": check_in.resident.name}]
        try:
            cat = need_category(check_in, category)
        except Invalid as e:
            errors.update(e.fields)
        if errors:
            raise Invalid(fields=errors)
    note = checks.text(note, "note", max_length=300, required=result == CheckIn.Result.NEEDS)
    follows = None
    try:
        with transaction.atomic():
            n = CheckIn.objects.filter(pk=check_in.pk, result=before).update(
                result=result, note=note, done_by=actor.user, done_at=timezone.now())
            if n and result == CheckIn.Result.NEEDS:
                # home sampling asked on the call: for the person called (上门采样 names its people)
                follows = medicine_coming(check_in.household_id) if cat.code == "medicine" else None
                req = raise_request(actor, check_in.household, cat, note,
                                    people=[check_in.resident_id] if cat.code == "home_sampling" else None,
                                    links={"for_order": follows} if follows is not None else None)
                CheckIn.objects.filter(pk=check_in.pk).update(request=req)
            elif n and result == CheckIn.Result.NO_ANSWER:
                # nobody answering an elderly person's morning call is a door to knock on within
                # the hour: a request, which tells the grid worker (and comes back overdue)
                text = _("No answer to the morning call: go and see %(name)s at the door.") % {
                    "name": check_in.resident.name}
                if note:
                    text = f"{text} {note}"
                req = no_answer_visit(actor, check_in.household, text)
                CheckIn.objects.filter(pk=check_in.pk).update(request=req)
            elif n and before == CheckIn.Result.NO_ANSWER and check_in.request_id:
                # a wrong tap corrected: the visit it asked for is not needed
                Request.objects.filter(pk=check_in.request_id, state=Request.State.NEW).update(
                    state=Request.State.CANCELLED)
                CheckIn.objects.filter(pk=check_in.pk).update(request=None)
            if n:
                changes = {"result": result} if before == CheckIn.Result.OPEN else {"result": [before, result]}
                if cat is not None and result == CheckIn.Result.NEEDS:
                    changes["category"] = cat.code
                    if follows is not None:
                        changes["order"] = follows.id
                record(actor, "services.check_in", check_in, changes)
    except IntegrityError:
        pass
    check_in.refresh_from_db()
    return check_in
