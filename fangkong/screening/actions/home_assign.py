"""Giving home visits to a sampler: staff (and a grid worker, for their grid's people) pick
one or several visits of the round's home-sampling list and a sampler assigned to the round;
the sampler's landing page ("我的任务") lists them (`queries.my_home_visits`) until the person
is sampled or the visit is taken off the list, and their inbox tells them, in their language.
Given again to another sampler (or to nobody) while not done; audited."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.audit.actions import record
from fangkong.core.errors import Invalid, NotFound

from ..access import require_run_people, require_run_person, sampler_rows
from ..models import HomeVisit, Round, Sampler


def round_sampler(rnd: Round, sampler_id) -> Sampler | None:
    """The round's sampler by its assignment's id (None for none: to take visits back);
    one not of this round, or whose assignment no longer counts, is an invalid choice."""
    if sampler_id in (None, "", 0, "0"):
        return None
    try:
        s = Sampler.objects.select_related("user").get(pk=int(sampler_id), round=rnd)
    except (Sampler.DoesNotExist, ValueError, TypeError, OverflowError):
        s = None
    if s is None or not sampler_rows(s.user_id).filter(pk=s.pk).exists() or not s.user.is_active:
        raise Invalid(fields={"sampler": [_("Choose one of this round's samplers.")]})
    return s


def assign_home_visits(actor, rnd: Round, visit_ids, sampler: Sampler | None) -> list[HomeVisit]:
    """Give these visits of `rnd` (still to do) to `sampler` (None: to nobody). A visit out
    of the actor's reach is a missing one (404); one done or taken off the list is refused.
    The sampler is told of the visits newly theirs (once per visit and assignment)."""
    require_run_people(actor, rnd)
    try:
        ids = sorted({int(v) for v in visit_ids})
    except (ValueError, TypeError, OverflowError):
        raise NotFound() from None
    if not ids:
        raise Invalid(fields={"visits": [_("Choose at least one home visit.")]})
    if sampler is not None and sampler.round_id != rnd.id:
        raise Invalid(fields={"sampler": [_("Choose one of this round's samplers.")]})
    visits = list(HomeVisit.objects.select_related("resident").filter(round=rnd, pk__in=ids))
    if len(visits) != len(ids):
        raise NotFound()
    for hv in visits:
        require_run_person(actor, rnd, hv)  # a grid worker: their grid's people
    closed = [hv for hv in visits if hv.status != HomeVisit.Status.OPEN]
    if closed:
        raise Invalid(_("%(name)s's home visit is no longer to do: it cannot be given to a sampler.")
                      % {"name": closed[0].resident.name}, code="visit_closed")
    user_id = sampler.user_id if sampler is not None else None
    now = timezone.now()
    new = [hv for hv in visits if hv.assignee_id != user_id]
    with transaction.atomic():
        for hv in new:
            hv.assignee_id, hv.assigned_at = user_id, (now if user_id else None)
        HomeVisit.objects.bulk_update(new, ["assignee", "assigned_at"])
        if new:
            record(actor, "screening.home.assign", rnd,
                   {"visits": [hv.id for hv in new][:500], "count": len(new), "sampler": user_id},
                   levels_from=rnd)
        if new and sampler is not None:
            _tell(actor, rnd, sampler, new, now)
    return visits


def _tell(actor, rnd: Round, sampler: Sampler, visits, now) -> None:
    """The sampler's inbox (and phone): how many home visits, in which round, linked to
    their list; no one's name or address in the message (it may go to a phone)."""
    from fangkong.notify.actions import notify

    n = len(visits)

    def title():  # in the sampler's language
        return ngettext("%(n)d home visit given to you in %(round)s",
                        "%(n)d home visits given to you in %(round)s", n) % {"n": n, "round": rnd.name}

    notify(actor, [sampler.user_id], kind="screening.home_assigned", title=title,
           body=lambda: _("Open your list to see whom to sample at home and how."),
           url=reverse("screening_my_home_visits"), place=rnd.place,
           key=f"screening.home_assigned.{rnd.id}.{sampler.user_id}.{min(v.id for v in visits)}."
               f"{now.timestamp():.0f}")
