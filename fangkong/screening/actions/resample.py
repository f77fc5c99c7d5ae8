"""A pooled tube the lab finds invalid (样本无效, e.g. too little sample): nobody in it is
tested, so "no household missed" asks that they are sampled again. Called by
`lab.record_results` inside its transaction.

- `void_tubes`: the tube's registrations become void — moved to `VoidSample`, kept for the
  record — so by every definition that reads registrations the people are not done: the
  round's figures and counters (recounted for their communities), the missing list and its
  export, the station's "already sampled at…" (single scan and batch alike) and the
  household's results; they go on the home-sampling list (a re-sample visit, or their own
  visit open again), the community's staff and grid workers are told once a tube, and the
  households' logins once a tube and household (`families.invalid`: not a positive result).
  Not someone confirmed a case meanwhile, nor in hospital or isolation
  (`figures.not_resampled_q`): nobody is sent to their door for a new swab, their family is
  not told one comes; they are counted apart (`left_out`: the lab's summary, the staff's
  message names them).
- `restore_tubes`: the lab corrected the tube away from invalid: the void registrations of
  the people not sampled again meanwhile come back (the others' new one counts), their
  re-sample visits go, and — corrected to negative — their households are told nobody comes
  (`families.restored`).
"""

from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from fangkong.accounts.models import Membership
from fangkong.accounts.roles import Role
from fangkong.core import bulk
from fangkong.registry.models import LEVEL_FIELDS

from .. import counters, figures
from ..models import HomeVisit, Lost, Round, Sample, Tube, VoidSample
from . import families

_KEPT = ["round_id", "tube_id", "resident_id", "household_id", "client_id", "out_of_scope",
         "sampled_at", "recorded_at", "sampler_id", "point_id", *LEVEL_FIELDS]
_OTHER_VISITS = (HomeVisit.Source.TAGS, HomeVisit.Source.MANUAL)


def void_tubes(actor, tubes: list[Tube], lost=None) -> tuple[int, int]:
    """Pooled tubes whose result is now invalid: their people are to be sampled again (see
    the module's docstring). Returns (registrations made void whose people are to be sampled
    again, those left out: a confirmed case, in hospital or isolation — void all the same).
    `lost` ({tube id: `Lost`}): tubes the lab found missing from their box or damaged when it
    signed for it (`lab.hand_over`), the staff's message says so."""
    tubes = [t for t in tubes if not t.retest]
    if not tubes:
        return 0, 0
    samples = list(Sample.objects.filter(tube_id__in=[t.id for t in tubes], retest=False))
    if not samples:
        return 0, 0
    now = timezone.now()
    bulk.insert(VoidSample, [VoidSample(voided_at=now, **{k: getattr(s, k) for k in _KEPT})
                             for s in samples])
    Sample.objects.filter(id__in=[s.id for s in samples]).delete()
    barcode = {t.id: t.barcode for t in tubes}
    out = left_out(samples)
    again = [s for s in samples if (s.round_id, s.resident_id) not in out]
    _resample_visits([s for s in again if not s.out_of_scope], barcode)
    _recount(samples)
    _tell(actor, tubes, samples, out, lost or {})
    families.invalid(actor, [s for s in again if not s.out_of_scope])  # and the households
    return len(again), len(samples) - len(again)


def left_out(samples) -> set[tuple[int, int]]:
    """(round id, resident id) of the people of `samples` not to be swabbed again at the door
    (`figures.not_resampled_q`: confirmed a case, in hospital or isolation). A query a round."""
    from fangkong.registry.models import Resident

    by_round = defaultdict(set)
    for s in samples:
        by_round[s.round_id].add(s.resident_id)
    out = set()
    for rnd in Round.objects.filter(id__in=list(by_round)):
        out |= {(rnd.id, rid) for rid in Resident.objects.filter(id__in=by_round[rnd.id])
                .filter(figures.not_resampled_q(rnd)).values_list("id", flat=True)}
    return out


def left_out_words(n: int) -> str:
    """The lab's summary (page) and the staff's message: `n` people of an invalid tube not
    swabbed again, and why, in the reader's language; "" for none."""
    if not n:
        return ""
    return ngettext(
        "%(n)d person confirmed as a case or in hospital or isolation is not sampled again "
        "(no visit to the door): follow the case procedure.",
        "%(n)d people confirmed as cases or in hospital or isolation are not sampled again "
        "(no visit to the door): follow the case procedure.", n) % {"n": n}


def restore_tubes(actor, tubes: list[Tube]) -> int:
    """Pooled tubes corrected away from invalid: the void registrations of people not
    registered again in the round meanwhile are registrations again (the rest stay void:
    their new registration counts). Returns how many came back."""
    tubes = [t for t in tubes if not t.retest]
    if not tubes:
        return 0
    voids = list(VoidSample.objects.filter(tube_id__in=[t.id for t in tubes]))
    if not voids:
        return 0
    again = set(Sample.objects.filter(round_id__in={v.round_id for v in voids}, retest=False,
                                      resident_id__in={v.resident_id for v in voids})
                .values_list("round_id", "resident_id"))
    back = [v for v in voids if (v.round_id, v.resident_id) not in again]
    if not back:
        return 0
    Sample.objects.bulk_create([Sample(retest=False, **{k: getattr(v, k) for k in _KEPT}) for v in back],
                               batch_size=1000, ignore_conflicts=True)
    VoidSample.objects.filter(id__in=[v.id for v in back]).delete()
    by_round = defaultdict(set)
    for v in back:
        by_round[v.round_id].add(v.resident_id)
    for rid, people in by_round.items():  # their re-sample visits: not needed after all
        HomeVisit.objects.filter(round_id=rid, resident_id__in=people, source=HomeVisit.Source.RESAMPLE,
                                 status=HomeVisit.Status.OPEN).delete()
    _recount(back)
    families.restored(actor, back, {t.id: t.result for t in tubes})  # nobody comes for a new swab
    return len(back)


def _resample_visits(samples, barcode: dict) -> None:
    """Everyone made void on the home-sampling list: a re-sample visit saying why, unless an
    open visit of their own (listed from the tags or by hand) already lists them — the list
    says why beside it (`figures.home_visits`)."""
    if not samples:
        return
    rounds = {s.round_id for s in samples}
    people = {s.resident_id for s in samples}
    have, again = set(), {}
    for hv in HomeVisit.objects.filter(round_id__in=rounds, resident_id__in=people).exclude(
            source=HomeVisit.Source.RETEST):
        if hv.source in _OTHER_VISITS and hv.status == HomeVisit.Status.OPEN:
            have.add((hv.round_id, hv.resident_id))
        elif hv.source == HomeVisit.Source.RESAMPLE:
            again[hv.round_id, hv.resident_id] = hv
    now = timezone.now()
    new, reopened = [], []
    for s in samples:
        key = (s.round_id, s.resident_id)
        if key in have:
            continue
        note = HomeVisit.INVALID_NOTE + barcode[s.tube_id]  # words: note_text()
        hv = again.get(key)
        if hv is not None:  # void once before in this round: the same visit, open again
            hv.status, hv.done_at, hv.note, hv.created_at = HomeVisit.Status.OPEN, None, note, now
            reopened.append(hv)
            continue
        hv = HomeVisit(round_id=s.round_id, resident_id=s.resident_id, household_id=s.household_id,
                       source=HomeVisit.Source.RESAMPLE, note=note, created_at=now)
        hv.copy_levels(s)
        new.append(hv)
    HomeVisit.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    if reopened:
        HomeVisit.objects.bulk_update(reopened, ["status", "done_at", "note", "created_at"])


def _recount(rows) -> None:
    """The running counters of the communities touched, counted again exactly (the same
    statement as the figures): the people made void are no longer done, those put back are."""
    by_round = defaultdict(set)
    for r in rows:
        if r.community_id:
            by_round[r.round_id].add(r.community_id)
    for rnd in Round.objects.filter(id__in=list(by_round)):
        counters.recount(rnd, by_round[rnd.id])


def staff_to_tell(communities, grids) -> set[int]:
    """The community staff of `communities` and the grid workers of `grids` (active)."""
    return set(Membership.objects.filter(is_active=True).filter(
        Q(role=Role.STAFF, place_id__in=set(communities)) | Q(role=Role.GRID, place_id__in=set(grids)))
        .values_list("user_id", flat=True))


def _lost_words(why) -> str:
    """What happened to a tube the lab did not get whole (`Lost`), for the staff's message."""
    if why == Lost.MISSING:
        return _("The tube was missing from its box when the lab signed for it")
    return _("The tube arrived at the lab damaged (broken or leaked)")


def _tell(actor, tubes, samples, out=frozenset(), lost=None) -> None:
    """One message a tube to its people's community staff and grid workers (`key`: once);
    the people left out (`out`, not sampled again) named apart."""
    from fangkong.core.text import join_words
    from fangkong.notify.actions import notify
    from fangkong.registry.models import Place, Resident

    of_tube = defaultdict(list)
    for s in samples:
        of_tube[s.tube_id].append(s)
    rounds = Round.objects.in_bulk({t.round_id for t in tubes})
    places = Place.objects.in_bulk({s.community_id for s in samples if s.community_id})
    names = dict(Resident.objects.filter(id__in={rid for _r, rid in out}).values_list("id", "name")) if out else {}
    for t in tubes:
        people = of_tube.get(t.id)
        if not people:
            continue
        rnd = rounds[t.round_id]
        users = staff_to_tell({s.community_id for s in people if s.community_id},
                              {s.grid_id for s in people if s.grid_id})
        community = next((s.community_id for s in people if s.community_id), None)
        apart = [names.get(s.resident_id, "") for s in people if (s.round_id, s.resident_id) in out]
        n = len(people) - len(apart)
        why = (lost or {}).get(t.id)

        def body(name=rnd.name, apart=apart, why=why):
            text = _("The lab found the sample invalid: their swabs no longer count. They are back on "
                     "the missing list and the home-sampling list until sampled again. Round: "
                     "%(round)s.") % {"round": name}
            if why:
                text = _("%(what)s: it is recorded invalid. %(text)s") % {"what": _lost_words(why), "text": text}
            if apart:
                text += " " + left_out_words(len(apart)) + " " + _("Not sampled again: %(names)s.") % {
                    "names": join_words(apart)}
            return text

        # in each reader's language (rendered inside notify)
        notify(actor, users, kind="screening.invalid_pool",
               title=lambda code=t.barcode, n=n: ngettext(
                   "Tube %(code)s invalid: %(n)d person to sample again",
                   "Tube %(code)s invalid: %(n)d people to sample again", n) % {"code": code, "n": n},
               body=body,
               url=reverse("screening_home_list", args=[rnd.id]),
               place=places.get(community) or rnd.place, key=f"screening.invalid.{t.id}")
