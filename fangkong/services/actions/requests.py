"""Requests (诉求): raised for a household by its own login, a grid worker or staff, a leader,
or a volunteer assigned to it; assigned to a person or a team; new → taken → done →
confirmed by the household. The category gives the priority and the response time; the
household's vulnerable people (registry tags) order the queue; overdue requests are
escalated to staff by a background job (`escalate_overdue`) and come first."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid
from fangkong.registry.models import Household
from fangkong.registry.signals import home_sampling_asked, home_sampling_withdrawn

from .. import access, checks, emergency
from ..home_sampling import chosen, is_home_sampling
from ..marks import of_households
from ..models import Category, Feeding, Request
from ..redeliveries import awaits_goods, goods_of
from .told import family_accounts  # whom to tell for a household (never a read shown to anyone)

State = Request.State

# code, name (translated when shown), priority (1 first), response time in minutes
DEFAULT_CATEGORIES = [
    ("urgent_medical", gettext_noop("Urgent medical care"), 1, 30),
    ("dialysis", gettext_noop("Dialysis / regular treatment"), 1, 120),
    ("pregnancy", gettext_noop("Pregnancy"), 1, 60),
    ("medicine", gettext_noop("Medicine"), 2, 240),
    # someone who cannot go down to the sampling point (`home_sampling`): listed on the next
    # PCR round's home-sampling list, done by itself once sampled; within 12 hours a round
    # (07:00–14:00 the usual window) comes — if none is planned, it is late and staff are told
    ("home_sampling", gettext_noop("Home sampling"), 2, 720),
    # goods delivered or on their way not as ordered (short, damaged, wrong, not received):
    # raised on the order itself ("这单有问题", `order_problem.report`), answered within 4 hours
    ("goods", gettext_noop("Problem with goods"), 2, 240),
    ("repair", gettext_noop("Repair"), 3, 480),
    ("pet_care", gettext_noop("Pet care"), 3, 480),
    ("check_in", gettext_noop("Elderly check-in"), 2, 240),
    ("psychological", gettext_noop("Psychological support"), 2, 240),
    ("rubbish", gettext_noop("Rubbish"), 4, 720),
    ("other", gettext_noop("Other"), 4, 1440),
]


def install_categories() -> int:
    """The default categories (existing rows, possibly edited, are kept)."""
    made = 0
    for pos, (code, name, priority, minutes) in enumerate(DEFAULT_CATEGORIES):
        _c, created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "priority": priority, "response_minutes": minutes,
                                 "position": pos})
        made += created
    return made


def category_of(code, field: str = "category") -> Category:
    """The category a household may ask for by its code: one of those its help form offers
    (`queries.categories()`, every category of the installation). The resident's form, a morning
    call's "needs" and the API read a code through here; anything else is refused."""
    code = (code or "").strip() if isinstance(code, str) else ""
    c = Category.objects.filter(code=code).first() if code else None
    if c is None:
        raise Invalid(fields={field: [_("Choose one of the categories.")]})
    return c


def edit_category(actor, category: Category, data: dict) -> Category:
    """Categories are the installation's (one table for every community): a district's
    command (or a superuser) changes a priority or response time (`access.require_policy`;
    staff who see services 403, anyone else 404)."""
    access.require_policy(actor)
    if "priority" in data:
        category.priority = checks.quantity(data["priority"], "priority", low=1, high=9)
    if "response_minutes" in data:
        category.response_minutes = checks.quantity(data["response_minutes"], "response_minutes",
                                                    low=5, high=7 * 24 * 60)
    if "name" in data:
        category.name = checks.text(data["name"], "name", max_length=50)
    with transaction.atomic():
        category.save()
        record(actor, "services.category.edit", category, {k: str(v) for k, v in data.items()})
    return category


def vulnerability(household_id) -> int:
    """The household's vulnerability now (`marks.of_households`: each tag of each of its
    people by its weight, added up), kept on the request when raised or triaged for its
    history; the queue and the API read it again each time (`queries.request_queue`)."""
    return min(of_households([household_id]).get(household_id, 0), 32767)


def triage(actor, req: Request, *, urgent: bool | None, due_at=None) -> Request:
    """Staff (and grid workers, who manage requests) say how soon an open request must be
    answered: `urgent` puts it first in the queue (priority 1; False: its category's
    priority again; None: as it is — an API call that only moves the needed-by), `due_at` its needed-by ("今晚用完": tonight), never in the past. The
    household's vulnerability is counted again (tags may have changed since it was raised).
    Audited with what it was; the same again changes nothing. Made urgent: whoever answers
    it and staff are told."""
    access.require_request(actor, req, manage=True)
    if req.state not in Request.OPEN:
        raise Conflict(_("This request is %(state)s.") % {"state": req.get_state_display()})
    priority = req.priority if urgent is None else (1 if urgent else req.category.priority)
    due = checks.when(due_at, "due_at") if due_at not in (None, "") else req.due_at
    if abs((due - req.due_at).total_seconds()) < 60:  # the page's field as it was shown (to the minute)
        due = req.due_at
    now = timezone.now()
    if due != req.due_at and due <= now:
        raise Invalid(fields={"due_at": [_("Needed by must be a time still to come.")]})
    vulnerable = vulnerability(req.household_id)
    was = {"priority": req.priority, "due_at": req.due_at.isoformat(), "vulnerable": req.vulnerable}
    if (priority, due, vulnerable) == (req.priority, req.due_at, req.vulnerable):
        return req
    raised = priority == 1 and req.priority != 1
    with transaction.atomic():
        n = Request.objects.filter(pk=req.pk, state__in=Request.OPEN).update(
            priority=priority, due_at=due, vulnerable=vulnerable, overdue=req.overdue and due <= now)
        if not n:
            req.refresh_from_db()
            raise Conflict(_("This request is %(state)s.") % {"state": req.get_state_display()})
        event = record(actor, "services.request.triage", req,
                       {"request": req.id, "priority": priority, "due_at": due.isoformat(), "was": was})
        req.refresh_from_db()
        if raised:
            _tell(actor, req, responders(req, staff=True),
                  gettext_lazy("Marked urgent, %(category)s: %(where)s"), f"urgent.{event.id}")
    return req


def raise_request(actor, household, category: Category, text: str, *, client_id=None,
                  assignee=None, team=None, now=None, minutes=None, urgent=False, people=None,
                  links=None) -> Request:
    """`minutes`: answer within this (default the category's response time); `urgent`:
    priority 1 whatever its category's (a visit after nobody answered, `care.no_answer_visit`),
    first in the queue as a request staff marked urgent (`triage`). `people`: for home
    sampling (上门采样), who of the household (resident ids; none: `home_sampling.chosen`'s
    default) — listed on the rounds' home-sampling lists (`registry.signals`). `links`: an
    order's report, its `order`, `order_line`, `order_what` and `said` (`order_problem.report`)."""
    access.require_household(actor, household, order=True)
    return _raise(actor, household, category, text, client_id=client_id, assignee=assignee, team=team,
                  now=now, minutes=minutes, urgent=urgent, people=people, links=links)


def raise_for_neighbour(actor, own, room: str, category: Category, text: str, *, client_id=None) -> Request:
    """A request for a neighbour of `own`'s building (found on a phone: 101 asked help for
    the elderly man at 302 and it was filed under 101's door, so the volunteer went to the
    wrong door and 302's vulnerable people did not order the queue): whoever may ask for
    `own` (its own login, its leader, grid worker, staff) types the room ("302",
    "2单元302") and the request is the neighbour's — its door, its vulnerable people, its
    grid workers told —, saying which household asked (`asked_from`). A room this building
    does not have, or has in several units, is said on the field."""
    from ..queries import neighbours

    access.require_household(actor, own, order=True)
    unit, door = checks.room(room)
    found = neighbours(own, unit, door)
    if not found:
        raise Invalid(fields={"room": [_("This building has no room %(room)s.") % {"room": room.strip()}]})
    if len(found) > 1:
        raise Invalid(fields={"room": [_("This building has %(n)d rooms %(door)s: write the unit too, like "
                                         "%(example)s.") % {"n": len(found), "door": door,
                                                             "example": checks.room_example(door)}]})
    if found[0].id == own.id:
        return _raise(actor, own, category, text, client_id=client_id)
    return _raise(actor, found[0], category, text, client_id=client_id, asked_from=own)


def _raise(actor, household, category, text, *, client_id=None, assignee=None, team=None, now=None,
           minutes=None, asked_from=None, urgent=False, people=None, links=None) -> Request:
    """The request written, once its household was allowed (`raise_request`,
    `raise_for_neighbour`). A home-sampling one with its people (`home_sampling.chosen`),
    whom screening lists in the same transaction (`registry.signals.home_sampling_asked`)."""
    cid = checks.client_id(client_id)
    if cid is not None and (found := Request.objects.filter(client_id=cid).first()) is not None:
        if found.household_id != household.id:
            raise Invalid(fields={"client_id": [_("This client id was used for another request.")]})
        return found
    home = is_home_sampling(category)
    if people not in (None, "", [], ()) and not home:
        raise Invalid(fields={"people": [_("Only a home-sampling request names the people it is for.")]})
    chosen_people = chosen(household, people) if home else []
    now = now or timezone.now()
    text = checks.text(text, "text", max_length=500)
    if emergency.word(category, text):  # a burst pipe, no power, gas: urgent at once (`emergency`)
        urgent, minutes = True, min(minutes or category.response_minutes, emergency.MINUTES)
    req = Request(household=household, category=category, text=text,
                  priority=1 if urgent else category.priority, vulnerable=vulnerability(household.id),
                  due_at=now + datetime.timedelta(minutes=minutes or category.response_minutes),
                  raised_by=_user(actor), raised_at=now, client_id=cid, asked_from=asked_from,
                  **(links or {}))  # an order's report: its order and line (`order_problem.report`)
    req.copy_levels(household)
    try:
        with transaction.atomic():
            req.save()
            record(actor, "services.request.raise", household,
                   {"request": req.id, "category": category.code,
                    **({"asked_from": asked_from.id} if asked_from is not None else {}),
                    **({"residents": [r.id for r in chosen_people]} if home else {})})
            if home:
                req.people.set(chosen_people)
                # screening lists them in each round planned or running over the household (its
                # receiver writes in a savepoint: a failure there never loses the family's request)
                home_sampling_asked.send_robust(sender=Household, request=req.id, household=household,
                                                people=chosen_people, note=req.text, actor=actor)
            if assignee is not None or team is not None:
                _assign(actor, req, assignee, team)
            _tell(actor, req, responders(req, staff=category.priority == 1 or emergency.word(category, text) != ""),
                  gettext_lazy("New request, %(category)s: %(where)s"), "raised")
    except IntegrityError:
        if cid is None:
            raise
        return Request.objects.get(client_id=cid)
    if category.code == PET_CARE:  # its pet already fed daily: answered so (below)
        req = _pet_fed_raised(req)
    return req


def refused_assignee() -> str:
    """Said alike for anyone a request cannot be given to (another community's, or no one)."""
    return _("Give it to this community's staff, grid workers or a volunteer of its teams.")


def assign(actor, req: Request, *, assignee=None, team=None) -> Request:
    """Give an open request to a person and/or a team (staff, grid workers): `told` on the
    request returned is how many were told (a team's volunteers who may go out, the person;
    0: nobody can go out for it, and the page and API say so). Given, it waits
    for them to take it: `new` again, the one who had taken it cleared — unless it is given
    to that same person — so it is never "taken" by nobody (found walking the demo)."""
    access.require_request(actor, req, manage=True)
    if assignee is None and team is None:
        raise Invalid(fields={"team": [_("Choose a team or a person.")]})
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=req.pk)
        if locked.state not in Request.OPEN:
            raise Conflict(_("This request is closed."))
        req.state, req.assignee_id, req.team_id, req.taken_at = (locked.state, locked.assignee_id,
                                                                 locked.team_id, locked.taken_at)
        req.told = _assign(actor, req, assignee, team)  # how many were told: the page and API say it
    return req


def _assign(actor, req, assignee, team):
    if team is not None and team.community_id != req.community_id:
        raise Invalid(fields={"team": [_("This team is not of this community.")]})
    if assignee is not None and not access.may_be_given(assignee, req):
        raise Invalid(fields={"assignee": [refused_assignee()]})
    was = {"assignee": req.assignee_id, "team": req.team_id, "state": req.state}
    if req.state == State.TAKEN and (assignee is None or assignee.id != req.assignee_id):
        req.state, req.taken_at = State.NEW, None  # handed over: nobody of them has taken it yet
    req.assignee, req.team, req.given_by = assignee, team, _user(actor)  # told when it is done
    req.save(update_fields=["assignee", "team", "state", "taken_at", "given_by"])
    record(actor, "services.request.assign", req, {"assignee": getattr(assignee, "id", None),
                                                   "team": getattr(team, "id", None), "state": req.state,
                                                   "was": was})
    told = {assignee.id} if assignee is not None else set()
    if team is not None:
        told |= access.team_user_ids(team.id)  # not those kept home: they cannot open it
    _tell(actor, req, told, gettext_lazy("A request for you, %(category)s: %(where)s"),
          f"assigned.{getattr(assignee, 'id', '')}.{getattr(team, 'id', '')}")
    return len(told - {getattr(_user(actor), "id", None), None})


def give_back(actor, req: Request) -> Request:
    """The person it was given to can no longer work on it (their role ended: accounts'
    role endings): `new` again without them — their team, if any, keeps it — audited like
    any hand-over, and those who answer the household's requests are told."""
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=req.pk)
        if locked.state not in Request.OPEN or locked.assignee_id is None:
            return locked
        was = {"assignee": locked.assignee_id, "team": locked.team_id, "state": locked.state}
        locked.assignee, locked.state, locked.taken_at = None, State.NEW, None
        locked.save(update_fields=["assignee", "state", "taken_at"])
        record(actor, "services.request.assign", locked, {"assignee": None, "team": locked.team_id,
                                                          "state": locked.state, "was": was,
                                                          "role_ended": True})
        _tell(actor, locked, responders(locked, staff=True),
              gettext_lazy("A request needs someone again, %(category)s: %(where)s"),
              f"given_back.{was['assignee']}")
    return locked


def take(actor, req: Request) -> Request:
    """"I take it": the one who taps it has it (a volunteer of the team it was given to, or
    staff taking it on themselves)."""
    access.require_request(actor, req, work=True)
    req = _move(actor, req, [State.NEW], State.TAKEN, "taken_at", assignee=_user(actor) or req.assignee)
    _tell_asker(actor, req, gettext_lazy("Your request for a neighbour was taken by %(who)s, %(category)s: "
                                         "%(where)s"), "taken",
                extra={"who": req.holder or gettext_lazy("the grid worker")})
    return req


def done(actor, req: Request, result: str = "") -> Request:
    """Done says what was done (the household reads it before confirming; the next shift
    too): a request closed with nothing written is refused."""
    access.require_request(actor, req, work=True)
    if req.state == State.DONE:
        return req  # a retry
    result = checks.text(result, "result", max_length=300, required=False)
    if not result:
        raise Invalid(fields={"result": [_("Write what was done: the household reads it before "
                                           "confirming, and so does the next shift.")]})
    return finish(actor, req, result)


def finish(actor, req: Request, result: str, *, said=None, audit=None) -> Request:
    """An open request marked done with `result`, once the caller was allowed (`done`; the
    system's for a home-sampling request whose people were all sampled, `home_sampled`): the
    household asked to confirm, whoever handed it over and its grid workers told, and the
    neighbour who asked it. `said`: what was done as a renderable, said in each reader's
    language in their messages (`result` is kept as written)."""
    req = _move(actor, req, [State.NEW, State.TAKEN], State.DONE, "done_at", result=result, audit=audit)
    body = said or result
    # the household reads what was done and confirms it (its own logins; one message a request);
    # answered on a promise while its goods have not come (`redeliveries.awaits_goods`), it reads
    # the answer and is asked to confirm once they come (`goods_came`)
    waits = awaits_goods(req)
    _tell(actor, req, family_accounts(req.household_id),
          gettext_lazy("The community answered, %(category)s: %(where)s") if waits
          else gettext_lazy("Done, please confirm, %(category)s: %(where)s"), "done", body=body)
    # and whoever handed it over, or answers the household's requests, knows it waits for the
    # household (found on a night walk: marked done, it left the queue and nobody was told;
    # an elderly woman living alone may not confirm by herself)
    _tell(actor, req, done_told(req), gettext_lazy("Done, waiting for the household to confirm, %(category)s: "
                                                   "%(where)s"), "done.told", body=body)
    # and the neighbour who asked it (found on a phone: 101 asked for 302 and heard nothing)
    again = f".{int(req.reopened_at.timestamp())}" if req.reopened_at else ""  # done again after "没解决"
    _tell_asker(actor, req, gettext_lazy("Your request for a neighbour is done, %(category)s: %(where)s"),
                f"done{again}", body=body)
    return req


def done_told(req: Request) -> set[int]:
    """Who is told a request is done, besides the household: the one who gave it to its
    holder (`given_by`, while they still run services over it) and the household's grid
    workers (its community's staff when it has no grid)."""
    told = responders(req, staff=False)
    if req.given_by_id and access.may_be_given(req.given_by, req):
        told.add(req.given_by_id)
    return told


def confirm_ways():
    """How someone confirming for the household heard it was answered: (code, words)."""
    return Request._meta.get_field("confirmed_how").choices


def confirm(actor, req: Request, how: str = "") -> Request:
    """The household confirms it was answered; staff and grid workers may confirm on its
    behalf (an elderly person living alone may not be able to) saying how the household
    told them (`how`: by phone, at the door, told by the family) — kept on the request
    (`confirmed_by`, `confirmed_how`) and in the audit event (`on_behalf`)."""
    access.require_request(actor, req, confirm=True)
    if awaits_goods(req):  # answered on a promise: its goods have not come (`redeliveries.awaits_goods`)
        raise Conflict(_("The goods have not come yet: confirm once they are at the door. If the answer is not "
                         "good enough, say it is not resolved."))
    own = access.speaks_for(actor, req.household_id)
    how = how.strip() if isinstance(how, str) and not own else ""
    if not own and how not in {code for code, _w in confirm_ways()}:
        raise Invalid(fields={"how": [_("Say how the household told you it was answered: by phone, at the door, "
                                        "or told by the family.")]})
    req = _move(actor, req, [State.DONE], State.CONFIRMED, "confirmed_at", confirmed_by=_user(actor),
                confirmed_how=how, audit={"on_behalf": not own, **({"how": how} if how else {})})
    _tell_asker(actor, req, gettext_lazy("Your request for a neighbour is closed as answered, %(category)s: "
                                         "%(where)s"), "confirmed", body=req.result)
    return req


def goods_came(actor, household_id, order_ids) -> int:
    """A door delivered (`delivery.confirm_stop`, in its transaction): the family's reports
    marked done on a promise whose goods (`redeliveries.goods_of`) are among the orders just
    delivered are now to confirm — the family is asked, once a report. How many."""
    reqs = list(Request.objects.filter(household_id=household_id, state=State.DONE, order__isnull=False)
                .select_related("category", "household", "household__place"))
    goods = goods_of(reqs)
    came = [r for r in reqs if goods.get(r.id) is not None and goods[r.id].id in set(order_ids)]
    for r in came:
        _tell(actor, r, family_accounts(household_id),
              gettext_lazy("Your goods came: please confirm it is resolved, %(category)s: %(where)s"),
              "goods_came", body=r.result)
    return len(came)


def reopen(actor, req: Request, reason: str) -> Request:
    """"没解决": the household (or staff on its behalf — who may confirm) says a request
    marked done was not resolved, in a few words. It is open again — with the person (or
    team) who had it: `taken` by them, or `new` for the team —, due again within its
    category's time, and the one who had it, their team and the household's grid workers and
    community staff are told with the reason (found on a phone: the only button after
    "done" was "确认已解决"). Audited with the reason. A retry on a request already open
    again answers it as it is."""
    access.require_request(actor, req, confirm=True)
    reason = checks.text(reason, "reason", max_length=200, required=False)
    if not reason:
        raise Invalid(fields={"reason": [_("Say in a few words what is still wrong: whoever answers it "
                                           "reads it.")]})
    now = timezone.now()
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=req.pk)
        if locked.state in Request.OPEN and locked.reopened_at is not None:
            return locked  # a retry, or someone of the family tapped it too
        if locked.state != State.DONE:
            raise Conflict(_("This request is %(state)s.") % {"state": locked.get_state_display()})
        to = State.TAKEN if locked.assignee_id else State.NEW
        Request.objects.filter(pk=req.pk).update(
            state=to, reopened_at=now, reopen_reason=reason, done_at=None, overdue=False, escalated_at=None,
            due_at=now + datetime.timedelta(minutes=locked.category.response_minutes))
        event = record(actor, "services.request.reopen", locked, {"request": locked.id, "reason": reason,
                                                                  "state": to})
        locked.refresh_from_db()
        told = responders(locked, staff=True) | ({locked.assignee_id} if locked.assignee_id else set())
        told |= access.team_user_ids(locked.team_id)
        _tell(actor, locked, told, gettext_lazy("Not resolved, says the household, %(category)s: %(where)s"),
              f"reopened.{event.id}", body=reason)
    return locked


def cancel(actor, req: Request) -> Request:
    """Cancelled: a home-sampling request's visits still to make are taken off the rounds'
    lists (`registry.signals.home_sampling_withdrawn`, screening's)."""
    access.require_request(actor, req, manage=True)
    was = req.state
    req = _move(actor, req, list(Request.OPEN), State.CANCELLED, None)
    if was != State.CANCELLED and is_home_sampling(req.category):
        with transaction.atomic():
            home_sampling_withdrawn.send_robust(sender=Household, request=req.id, actor=actor)
    _tell_asker(actor, req, gettext_lazy("Your request for a neighbour was cancelled, %(category)s: "
                                         "%(where)s"), "cancelled")
    return req


def withdraw(actor, req: Request, reason: str = "") -> Request:
    """"撤回": those who asked for it — the household's own login, or the neighbour who asked
    it for them (`access.may_withdraw`) — say it is no longer needed, with a few words if they
    like ("亲戚已经送来了"), while it is not done yet (found on the family walk: a mistaken
    home-sampling request, or medicine a relative already brought, stayed in the grid
    worker's queue until it was late). It is cancelled (`withdrawn_at`, `withdrawn_by`,
    `withdraw_reason` say so), a home-sampling request's visits still to make leave the
    rounds' lists, and whoever had it is told — the person who took it or was given it and
    their team's volunteers, or, nobody having it, those it was sent to (`responders`) —
    and the neighbour who asked it, unless they withdrew it. Done, it is refused (the family
    confirms it or says it was not resolved). Audited with what it was; a retry answers it."""
    access.require_request(actor, req, withdraw=True)
    reason = checks.text(reason, "reason", max_length=200, required=False)
    with transaction.atomic():
        locked = Request.objects.select_for_update().get(pk=req.pk)
        if locked.state == State.CANCELLED:
            return locked  # a retry, or someone of the family (or staff) did it meanwhile
        if locked.state == State.DONE:
            raise Conflict(_("This request is done: it can no longer be withdrawn. Confirm it was resolved, "
                             "or tap “Not resolved”."))
        if locked.state not in Request.OPEN:
            raise Conflict(_("This request is %(state)s.") % {"state": locked.get_state_display()})
        was = locked.state
        told = ({locked.assignee_id} if locked.assignee_id else set()) | access.team_user_ids(locked.team_id)
        if not told:  # in the queue, nobody's yet: those it was sent to
            told = responders(locked, staff=locked.priority == 1)
        Request.objects.filter(pk=locked.pk).update(state=State.CANCELLED, withdrawn_at=timezone.now(),
                                                    withdrawn_by=_user(actor), withdraw_reason=reason)
        record(actor, "services.request.withdrawn", locked, {
            "request": locked.id, "was": was, "reason": reason,
            **({"assignee": locked.assignee_id} if locked.assignee_id else {}),
            **({"team": locked.team_id} if locked.team_id else {})})
        locked.refresh_from_db()
        if is_home_sampling(locked.category):
            home_sampling_withdrawn.send_robust(sender=Household, request=locked.id, actor=actor)
        _tell(actor, locked, told, gettext_lazy("Withdrawn, no longer needed, %(category)s: %(where)s"),
              "withdrawn", body=reason or locked.text)
        # the neighbour who asked it reads their own words, not the household's (`_tell_asker`)
        _tell_asker(actor, locked, gettext_lazy("Your request for a neighbour was withdrawn by the household, "
                                                "%(category)s: %(where)s"), "withdrawn")
    return locked


def _move(actor, req, from_states, to, stamp, audit=None, **extra):
    if req.state == to:
        return req  # a retry
    if req.state not in from_states:
        raise Conflict(_("This request is %(state)s.") % {"state": req.get_state_display()})
    values = dict(extra, state=to)
    if stamp:
        values[stamp] = timezone.now()
    with transaction.atomic():
        n = Request.objects.filter(pk=req.pk, state__in=from_states).update(**values)
        if not n:
            req.refresh_from_db()
            if req.state == to:
                return req
            raise Conflict(_("This request is %(state)s.") % {"state": req.get_state_display()})
        record(actor, f"services.request.{to}", req, {"request": req.id, **(audit or {})})
    req.refresh_from_db()
    return req


def escalate_overdue(now=None) -> int:
    """(the background job) Open requests past their due time are marked overdue, escalated
    to staff (an audit event each, and they come first in every queue)."""
    from fangkong.core.actor import Actor

    now = now or timezone.now()
    ids = list(Request.objects.filter(state__in=Request.OPEN, overdue=False, due_at__lt=now)
               .values_list("id", flat=True)[:5000])
    if not ids:
        return 0
    system = Actor.system(via="task")
    with transaction.atomic():
        n = Request.objects.filter(id__in=ids, overdue=False).update(overdue=True, escalated_at=now)
        for req in (Request.objects.filter(id__in=ids)
                    .select_related("category", "household", "assignee", "team")[:200]):
            record(system, "services.request.escalated", req,
                   {"request": req.id, "category": req.category.code, "due_at": req.due_at.isoformat()})
            told = responders(req, staff=True) | ({req.assignee_id} if req.assignee_id else set())
            title, extra = overdue_words(req)
            _tell(system, req, told, title, "overdue", extra=extra)
    return n


def overdue_words(req: Request):
    """What the overdue message says of who has the request: nobody, given to someone who
    has not taken it, or taken (by whom, when) and not done yet — never "nobody" for a
    request someone is carrying. (title, its extra values)"""
    if req.state == Request.State.TAKEN and req.holder:
        at = timezone.localtime(req.taken_at).strftime("%H:%M") if req.taken_at else ""
        return (gettext_lazy("Overdue, taken by %(who)s at %(at)s but not done yet, %(category)s: %(where)s"),
                {"who": req.holder, "at": at})
    if req.holder:
        return (gettext_lazy("Overdue, given to %(who)s but not taken yet, %(category)s: %(where)s"),
                {"who": req.holder})
    return gettext_lazy("Overdue, nobody has answered yet, %(category)s: %(where)s"), {}


def responders(req: Request, *, staff: bool) -> set[int]:
    """Who answers a household's request: the grid workers of its grid, and with `staff`
    (an urgent category, or one overdue) the staff of its community (`access.answerer_ids`)."""
    return access.answerer_ids(req, staff=staff)


def asker_told(req: Request) -> set[int]:
    """The resident who asked it for a neighbour (`raise_for_neighbour`), while they still
    log in for the household they asked from (as `access.asked_for`), unless they log in
    for the request's household too (told as its family)."""
    if not (req.asked_from_id and req.raised_by_id):
        return set()
    if req.raised_by_id not in family_accounts(req.asked_from_id) or req.raised_by_id in family_accounts(
            req.household_id):
        return set()
    return {req.raised_by_id}


def _tell_asker(actor, req: Request, title, step: str, *, body: str = "", extra=None) -> None:
    """The neighbour who asked it follows it in their inbox: taken (by whom), done (what was
    done), closed — the link to the page they follow it on, in their language; nothing of the
    household's but the door they asked for and what they typed (`body`: what was done, or
    their own words)."""
    _tell(actor, req, asker_told(req), title, f"asker.{step}", body=body, extra=extra)


def _tell(actor, req: Request, users: set, title, step: str, *, body: str = "", extra=None) -> None:
    """The inbox (and phone) of `users`, but not of whoever did it: the request's category,
    address and words, with its page's link. Once a user for each step of each request.
    `title` is a lazy translation with the category and the address to fill in: rendered
    in each reader's language (notify), as is the urgent body and the request's words
    (`Request.message`: an order's report said to each reader); `body` is words typed;
    `extra`, more values the title names (`overdue_words`)."""
    from django.urls import reverse

    from fangkong.notify.actions import notify
    from fangkong.registry.queries import address_labels

    me = actor.user.id if _user(actor) is not None else None
    users = {u for u in users if u and u != me}
    if not users:
        return
    h = req.household
    where = f"{address_labels([h]).get(h.place_id, '')} {h.door}".strip()
    urgent = req.category.code == "urgent_medical" and step != "done" and not step.startswith("asker.")
    notify(actor, users, kind="services.request", url=reverse("services_request", args=[req.id]),
           title=lambda: str(title) % {"category": req.category.label, "where": where, **(extra or {})},
           body=(lambda: _("Urgent: call the household at once; if a life is in danger, help them "
                           "call 120. %(text)s") % {"text": req.message}) if urgent else body or (lambda: req.message),
           place=h.place, key=f"services.request.{req.id}.{step}")


def _user(actor):
    u = actor.user
    return u if u is not None and getattr(u, "is_authenticated", False) else None


# --- the family's pet-care request, answered by its pet's daily feeding -----------------
# The family's pet-care request (宠物照料) and its pet's daily feeding are one need (found
# walking a sealed building's day: the request stayed "新诉求" beside a feeding already given
# to a volunteer). Once a feeding of the household's pet is given to a volunteer
# (`care.feed_today`, `care.assign_feeding`), its open pet-care requests are answered "已安排
# 每日喂养：由 X 喂养" and marked done (the family confirms as for any request); a pet-care
# request raised while such a feeding stands is answered so at once (`requests._raise`). The
# system answers, once: a request done is not answered again.

PET_CARE = "pet_care"


def _feeder_name(user) -> str:
    return user.display_name or user.username


def _answer_fed(req: Request, feeder) -> Request:
    from fangkong.core.actor import Actor

    name = _feeder_name(feeder)
    return finish(Actor.system(via="task"), req, _("Daily feeding arranged: fed by %(name)s.") % {"name": name},
                  said=lambda: _("Daily feeding arranged: fed by %(name)s.") % {"name": name},
                  audit={"feeding_by": feeder.id})


def _fed_today(household_ids, day) -> dict[int, object]:
    """{household id: the user feeding one of its pets today} (given, not stopped)."""
    out = {}
    for f in (Feeding.objects.filter(day=day, volunteer__isnull=False, stopped=False,
                                     pet__household_id__in=list(household_ids))
              .select_related("volunteer", "pet").order_by("id")):
        out.setdefault(f.pet.household_id, f.volunteer)
    return out


def answer_fed(day=None, household_id=None) -> int:
    """Open pet-care requests of households whose pet is fed today by someone: answered.
    One query when there are none (the worker's pass calls it)."""
    day = day or timezone.localdate()
    fed = Feeding.objects.filter(day=day, volunteer__isnull=False, stopped=False)
    q = Q(category__code=PET_CARE, state__in=Request.OPEN, household_id__in=fed.values("pet__household_id"))
    if household_id is not None:
        q &= Q(household_id=household_id)
    reqs = list(Request.objects.filter(q).select_related("category", "household"))
    if not reqs:
        return 0
    feeders = _fed_today({r.household_id for r in reqs}, day)
    for r in reqs:
        _answer_fed(r, feeders[r.household_id])
    return len(reqs)


def _pet_fed_raised(req: Request) -> Request:
    """A pet-care request raised while the household's pet is fed daily: answered at once."""
    if req.category.code != PET_CARE or req.state not in Request.OPEN:
        return req
    feeder = _fed_today([req.household_id], timezone.localdate()).get(req.household_id)
    return _answer_fed(req, feeder) if feeder is not None else req
