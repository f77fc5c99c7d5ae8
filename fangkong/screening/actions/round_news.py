"""Telling the people who work a round that it was planned (`planning.plan_round`, the page's
and the API's): the grid workers and building leaders of the places it covers — and those of
the grid or compound holding a smaller area — each read, in their own language, the round's
name, its window ("明天（12月7日）07:00–14:00"), how many people their own place has to test
(at planning time: the round page counts who is there now), and the round's page for their
place. Once a round and window (`notify`'s key): a retried action tells nobody twice; a new
window would be news again. Samplers are told when they are
given a table (`planning.assign_sampler`), not here: a round is planned without them."""

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core.tree import ancestor_ids, under_any
from fangkong.registry.models import LEVELS, Place

from .. import figures, status
from ..models import Round

TOLD = (Role.GRID, Role.LEADER)


def planned_key(rnd: Round) -> str:
    return f"screening.round_planned.{rnd.id}.{rnd.starts_at:%Y%m%d%H%M}.{rnd.ends_at:%Y%m%d%H%M}"


def tell_planned(actor, rnd: Round, areas) -> int:
    """Each grid worker and building leader at or under the round's areas (or above one of
    them, up to the round's place) is told, with their place's figure; returns how many were
    told. The families are told apart (`tell_families`)."""
    from fangkong.notify.actions import notify

    if rnd.past_end(timezone.now()):  # recorded afterwards: nobody is to prepare for it
        return 0
    above = {pid for a in areas for pid in ancestor_ids(a) if pid not in ancestor_ids(rnd.place)}
    above |= {rnd.place_id} if rnd.place.kind in LEVELS else set()
    rows = list(Membership.objects.filter(is_active=True, user__is_active=True, role__in=TOLD,
                                          household=None, place__kind__in=LEVELS)
                .filter(under_any(areas, "place__") | Q(place_id__in=above))
                .values_list("place_id", "user_id"))
    if not rows:
        return 0
    by_place = {}
    for pid, uid in rows:
        by_place.setdefault(pid, []).append(uid)
    places = list(Place.objects.filter(pk__in=by_place).order_by("id"))
    counts = figures.to_sample_at(rnd, places)
    told = 0
    for place in places:
        n = counts.get(place.id, 0)

        def title(rnd=rnd):  # in each reader's language
            return _("%(round)s planned: %(window)s") % {
                "round": rnd.name, "window": status.window_text(rnd, dated=True)}

        def body(place=place, n=n):
            # the count as planned: people coming home or leaving later change the round page's
            return ngettext("%(place)s: %(n)d person to be tested (at planning time).",
                            "%(place)s: %(n)d people to be tested (at planning time).", n) \
                % {"place": place.name, "n": n} \
                + " " + _("Open the round for who is still to be tested there.")

        told += notify(actor, by_place[place.id], kind="screening.round_planned", title=title, body=body,
                       url=f"{reverse('screening_round', args=[rnd.id])}?place={place.id}", place=place,
                       key=planned_key(rnd))
    return told


def tell_families(actor, rnd: Round, areas) -> int:
    """The families of the round's areas (their own logins) are told once a round and window,
    in each reader's language: the kind of test and its window ("核酸检测：今天（12月7日）
    14:00–21:00", never the planners' name for the round) and what to do (the round's sampling
    point nearest them — `points_near` — with their sampling code, 核酸码; or, in a zone that
    samples at home, such as sealed, or with a case or someone held by a positive test in the
    household, wait at home for the door swab; or the kit and its report by the end). A
    household with no login is on the grid worker's door list, as before. Returns how many
    were told."""
    if rnd.past_end(timezone.now()):
        return 0
    from fangkong.notify.actions import notify

    from ..models import RoundKind

    pairs = list(Membership.objects.filter(is_active=True, user__is_active=True, role=Role.RESIDENT)
                 .filter(under_any(areas, "household__")).values_list("user_id", "household_id").distinct())
    if not pairs:
        return 0
    # the household page's rule (`status.household_now`, `status.coming_lines`): a household
    # in a zone that samples at home (sealed, ...) waits at home for the door swab
    from fangkong.zones.models import HouseholdZone

    households = {h for _u, h in pairs}
    home_hh = set(HouseholdZone.objects.filter(household_id__in=households, until=None,
                                               zone_type__home_sampling=True)
                  .values_list("household_id", flat=True))
    # a household with a case or someone held by a positive test does not go out either:
    # their swab is taken at the door (`status.positive_households`, the no-contact rule)
    home_hh |= set(status.positive_households(households))
    # the round's point nearest each household that goes out (`points_near`; "" none yet)
    from fangkong.registry.models import LEVEL_FIELDS, Household

    from ..points_near import nearest, point_words, points_of

    places = points_of([rnd.id]).get(rnd.id, [])
    point = {h.id: point_words(nearest(places, h))
             for h in Household.objects.filter(id__in=households - home_hh).only("id", *LEVEL_FIELDS)} \
        if places else {}
    by_user: dict[int, set[bool]] = {}
    sent_to: dict[int, set[str]] = {}
    for uid, hid in pairs:
        by_user.setdefault(uid, set()).add(hid in home_hh)
        if hid not in home_hh:
            sent_to.setdefault(uid, set()).add(point.get(hid, ""))
    at_home = [u for u, homes in by_user.items() if homes == {True}]  # every household of theirs
    others = [u for u in by_user if u not in set(at_home)]
    # each one's point (a login for households sent to different points reads "the sampling point")
    by_point: dict[str, list[int]] = {}
    for u in others:
        names = sent_to.get(u, {""})
        by_point.setdefault(names.pop() if len(names) == 1 else "", []).append(u)

    def title():  # the round by its kind, in the reader's words (its name is the planners')
        words = _("Antigen self-test: %(window)s") if rnd.kind == RoundKind.ANTIGEN \
            else _("PCR testing: %(window)s")
        return words % {"window": status.window_text(rnd, dated=True)}

    def body(home=False, point=""):
        end = f"{timezone.localtime(rnd.ends_at):%H:%M}"
        if rnd.kind == RoundKind.ANTIGEN:
            return _("Test everyone at home with a kit and report each result with a photo of the "
                     "cassette by %(end)s. Your household's page shows who is still to report.") % {"end": end}
        if home:
            return _("Stay at home between %(start)s and %(end)s: a health worker will come to the door "
                     "to take the swab. Do not go to the sampling point. Your household's page shows who "
                     "is still to be tested.") % {"start": f"{timezone.localtime(rnd.starts_at):%H:%M}", "end": end}
        words = (_("Go to %(point)s with your sampling code between %(start)s and %(end)s; people who cannot go "
                   "out are sampled at home. Your household's page shows who is still to be tested.") if point
                 else _("Go to the sampling point with your sampling code between %(start)s and %(end)s; people "
                        "who cannot go out are sampled at home. Your household's page shows who is still to be "
                        "tested."))
        return words % {"start": f"{timezone.localtime(rnd.starts_at):%H:%M}", "end": end, "point": point}

    key = f"family.{planned_key(rnd)}"
    told = 0
    groups = [(group, False, point) for point, group in sorted(by_point.items())] + [(at_home, True, "")]
    for group, home, point in groups:
        if group:
            told += notify(actor, group, kind="screening.round_family", title=title,
                           body=lambda home=home, point=point: body(home, point), url=reverse("home"), key=key)
    return told
