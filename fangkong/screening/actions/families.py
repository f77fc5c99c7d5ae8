"""Telling a household's own logins (the family's accounts) what a testing round's
follow-up means for its people, in plain words with what to do, in each reader's language:
when a member's pooled tube turns positive (held: stay at home, a health worker comes to
the door), when the single re-test comes back (released — or, living with a case, a
close contact — or a case), when a member's pooled tube is found invalid (not positive: a
new swab at the door) and when the lab corrects that to negative (the first swab counts:
nobody comes). Once each (the notification's key), whoever retries. Called by
`followup.positive_pools`, `followup.retest_results`, `resample.void_tubes` and
`resample.restore_tubes`, inside the lab's transaction; the lab's permission was checked
there."""

from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.text import join_words
from fangkong.registry.models import Resident
from fangkong.registry.queries import counts

from ..models import FollowUp
from ..status import cases_by_household


def _logins(household_ids) -> dict[int, set[int]]:
    """{household id: the accounts that log in for it}. One query."""
    out = defaultdict(set)
    for hid, uid in Membership.objects.filter(household_id__in=list(household_ids), is_active=True,
                                              role=Role.RESIDENT).values_list("household_id", "user_id"):
        out[hid].add(uid)
    return out


def held(actor, tube, people: list[Resident]) -> None:
    """A positive pooled tube: each household with someone in it is told once (key: the
    tube and the household), naming its members in the tube."""
    from fangkong.notify.actions import notify

    by_household = defaultdict(list)
    for r in people:
        by_household[r.household_id].append(r.name)
    logins = _logins(by_household)
    for hid, names in by_household.items():
        if logins.get(hid):
            title, body = _held_words(names)
            notify(actor, logins[hid], kind="screening.family_held", title=title, body=body,
                   url=reverse("household", args=[hid]), key=f"screening.family.held.{tube.id}.{hid}")


def antigen_positive(actor, rnd, r: Resident) -> None:
    """A member's antigen test recorded positive (by the family or at the door): the
    household's logins are told once (key: the round and the person) what happens next."""
    from fangkong.notify.actions import notify

    users = _logins([r.household_id]).get(r.household_id)
    if not users:
        return
    notify(actor, users, kind="screening.family_antigen_positive",
           title=lambda: _("%(name)s: antigen positive, a PCR re-test comes to your door") % {"name": r.name},
           body=lambda: _("The community has been told. Everyone at home stays in: do not go out and do "
                          "not go to the sampling point. A health worker will come to your door to take a "
                          "PCR swab from %(name)s; you will be told the result. Only the community staff "
                          "can change a positive result: if it was a mistake, call them.") % {"name": r.name},
           url=reverse("household", args=[r.household_id]),
           key=f"screening.family.antigen.{rnd.id}.{r.id}")


def _held_words(names):
    """(title, body) of the message to a household whose people are held, in each reader's
    language."""
    return (lambda: _("%(names)s: the pooled test needs a single re-test") % {"names": join_words(names)},
            lambda: _("The pooled tube with the swab of %(names)s tested positive. This does not "
                      "mean they are infected: someone else in the tube may be. Stay at home: do "
                      "not go out and do not go to the sampling point. A health worker will come "
                      "to your door to take a single swab; you will be told the result.")
            % {"names": join_words(names)})


def retested(actor, fus: list[FollowUp]) -> None:
    """Single re-tests that came back: each household told once a person (key: the
    follow-up) — released, released but a close contact (someone at home is a case), or a
    case (and the others at home are close contacts)."""
    from fangkong.notify.actions import notify

    done = [f for f in fus if f.status in (FollowUp.Status.RELEASED, FollowUp.Status.CASE)]
    if not done:
        return
    logins = _logins({f.household_id for f in done})
    cases = cases_by_household({f.household_id for f in done})
    names = dict(Resident.objects.filter(id__in=[f.resident_id for f in done]).values_list("id", "name"))
    for f in done:
        users = logins.get(f.household_id)
        if not users:
            continue
        case = f.status == FollowUp.Status.CASE
        contact = not case and bool(cases.get(f.household_id, set()) - {f.resident_id})
        title, body = _retest_words(names.get(f.resident_id, ""), case, contact)
        notify(actor, users, kind="screening.family_retest", title=title, body=body,
               url=reverse("household", args=[f.household_id]), key=f"screening.family.retest.{f.id}")


def _retest_words(name, case, contact):
    """(title, body) of a single re-test's message, rendered in each reader's language."""
    if case:
        return (lambda: _("%(name)s: single re-test positive") % {"name": name},
                lambda: _("%(name)s is a confirmed case. Stay at home: do not go out and do not go "
                          "to the sampling point. Someone from the community will call you soon "
                          "about what happens next. Everyone else at home is a close contact and "
                          "stays in too.") % {"name": name})
    if contact:
        return (lambda: _("%(name)s: single re-test negative, but a close contact") % {"name": name},
                lambda: _("Someone in your household is a confirmed case, so %(name)s is a close "
                          "contact and is not released: stay at home, do not go out and do not go "
                          "to the sampling point. The community will call you about quarantine and "
                          "testing.") % {"name": name})
    return (lambda: _("%(name)s: single re-test negative") % {"name": name},
            lambda: _("%(name)s is no longer held. Keep to your area's rules as before.") % {"name": name})


def _by_tube_and_household(rows) -> dict[tuple[int, int], list[str]]:
    """{(tube id, household id): the names of its people in the tube} for registrations (or
    void ones) `rows`, with `tube_id`, `household_id` and `resident_id`. One query."""
    names = dict(Resident.objects.filter(id__in={r.resident_id for r in rows}).values_list("id", "name"))
    out = defaultdict(list)
    for r in sorted(rows, key=lambda r: r.resident_id):
        out[r.tube_id, r.household_id].append(names.get(r.resident_id, ""))
    return out


def invalid(actor, samples) -> None:
    """Pooled tubes found invalid (`resample.void_tubes`): each household with someone in one
    is told once (key: the tube and the household) that their swab could not be tested —
    not a positive result — and that a health worker comes to the door for a new one (they
    are on the home-sampling list)."""
    from fangkong.notify.actions import notify

    groups = _by_tube_and_household(samples)
    logins = _logins({hid for _t, hid in groups})
    for (tid, hid), names in groups.items():
        if logins.get(hid):
            notify(actor, logins[hid], kind="screening.family_invalid",
                   title=lambda names=names: _("%(names)s: the sample could not be tested, a new swab "
                                               "is needed") % {"names": join_words(names)},
                   body=lambda names=names: _(
                       "The lab could not test the pooled tube with the swab of %(names)s (an invalid "
                       "sample, such as too little of it). This is not a positive result and nobody "
                       "is held. The swab does not count, so a new one is needed: stay at home, a "
                       "health worker will come to your door to take it.") % {"names": join_words(names)},
                   url=reverse("household", args=[hid]), key=f"screening.family.invalid.{tid}.{hid}")


def restored(actor, voids, result_of: dict) -> None:
    """Pooled tubes the lab corrected from invalid to negative (`resample.restore_tubes`):
    the households whose people's first swab counts again (`voids`: those put back, not
    sampled again meanwhile) are told once (key: the tube and the household) that nobody
    comes for a new swab, and why. A tube corrected to positive says so through `held`."""
    from fangkong.notify.actions import notify

    from ..models import Result

    groups = _by_tube_and_household([v for v in voids if result_of.get(v.tube_id) == Result.NEGATIVE])
    logins = _logins({hid for _t, hid in groups})
    for (tid, hid), names in groups.items():
        if logins.get(hid):
            notify(actor, logins[hid], kind="screening.family_restored",
                   title=lambda names=names: _("%(names)s: no new swab needed") % {"names": join_words(names)},
                   body=lambda names=names: _(
                       "The lab corrected its result for the pooled tube with the swab of %(names)s: "
                       "negative, not invalid. The first swab counts again, so the visit for a new "
                       "swab is off: nobody will come to the door for it.") % {"names": join_words(names)},
                   url=reverse("household", args=[hid]), key=f"screening.family.restored.{tid}.{hid}")


def housemates(fu: FollowUp) -> int:
    """How many people (who count) live with the person of `fu`: a case's close contacts."""
    return (Resident.objects.filter(household_id=fu.resident.household_id).filter(counts())
            .exclude(id=fu.resident_id).count())


def contacts_line(name: str, n: int) -> str:
    """For the staff's case message: the people who live with the case are close contacts.
    One contact has words of its own (Chinese has one plural form: "均…他们" would be said of
    one person)."""
    if n == 1:
        return pgettext("one close contact", "%(n)d person lives with %(name)s: a close contact, "
                        "keep them at home, not released.") % {"n": n, "name": name}
    return ngettext("%(n)d person lives with %(name)s: a close contact, keep them at home, not "
                    "released.",
                    "%(n)d people live with %(name)s: close contacts, keep them at home, not released.",
                    n) % {"n": n, "name": name}
