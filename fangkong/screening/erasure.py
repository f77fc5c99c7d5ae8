"""Testing rounds' part of erasing personal data (ops.erasure).

A community (`scrub_community`): its people stay linked to their registrations and
results (the figures), anonymous once the registry is; what identifies beyond that goes:
notes on exemptions, home visits (and their door outcomes) and kits, what a station scanned into a conflict, the
names signed on hand-overs of the community's rounds, and the cassette photos (files
deleted after the commit).

A round (`erase_round`, closed rounds only): its coverage is first counted exactly and kept
per community (`RoundCounter.figures`: the coverage the round page shows, for PCR or
antigen), then every row about a person goes — registrations (and those made void by an
invalid tube, or taken off the wrong person), exemptions, home visits,
follow-ups, antigen results and photos, kits, conflicts, sampler assignments — and the
hand-over signatures are blanked. Tubes, boxes and lab results stay (no person in them).
`figures.coverage` of an erased round reads the kept figures (`by_unit` has none, the
missing list nobody); `counters.refresh`/`recount` leave it alone.
"""

from django.utils import timezone
from django.utils.translation import gettext as _

from fangkong.core.errors import Invalid

from .models import (
    AntigenResult,
    Conflict,
    DetachedRetest,
    Exemption,
    FollowUp,
    Handover,
    HomeVisit,
    KitIssue,
    Round,
    RoundCounter,
    RoundStatus,
    Sample,
    Sampler,
    VoidSample,
)


def scrub_community(e, community):
    here = {"community_id": community.id}
    e.add("notes_cleared", Exemption.objects.filter(**here).exclude(note="").update(note="")
          + HomeVisit.objects.filter(**here).exclude(note="").update(note="")
          + HomeVisit.objects.filter(**here).exclude(door_note="").update(door_note="")
          + KitIssue.objects.filter(**here).exclude(note="").update(note="")
          + AntigenResult.objects.filter(**here).exclude(correction_reason="").update(correction_reason="")
          + DetachedRetest.objects.filter(**here).exclude(reason="").update(reason=""))
    e.add("conflicts_cleared", Conflict.objects.filter(resident__community_id=community.id)
          .update(person="", detail=""))
    e.add("conflicts_cleared", Conflict.objects.filter(resident=None, round__community_id=community.id)
          .update(person="", detail=""))
    e.add("signatures_cleared", Handover.objects.filter(box__round__community_id=community.id)
          .update(given_by="", received_by=""))
    _photos(e, AntigenResult.objects.filter(**here))


def _photos(e, results):
    """The cassette photos: each result's, and a corrected positive's kept with it."""
    for field in ("photo", "positive_photo"):
        with_photo = results.exclude(**{field: ""})
        e.files += list(with_photo.values_list(field, flat=True))
        e.add("photos_deleted", with_photo.update(**{field: ""}))


def erase_round(e, rnd: Round):
    if rnd.status != RoundStatus.CLOSED:
        raise Invalid(_("Finish the round first: a round still running needs its people's data."))
    if rnd.erased_at is not None:
        raise Invalid(_("The personal data of this round was already erased."))
    keep_figures(rnd)
    _photos(e, AntigenResult.objects.filter(round=rnd))
    for model, key in ((Sample, "registrations_deleted"), (VoidSample, "registrations_deleted"),
                       (DetachedRetest, "registrations_deleted"),
                       (Exemption, "exemptions_deleted"),
                       (HomeVisit, "home_visits_deleted"), (FollowUp, "follow_ups_deleted"),
                       (AntigenResult, "antigen_results_deleted"), (KitIssue, "kit_issues_deleted"),
                       (Conflict, "conflicts_deleted"), (Sampler, "samplers_deleted")):
        rows = model.objects.filter(round=rnd)
        e.target_ids(model.__name__.lower(), rows.values_list("pk", flat=True))
        e.add(key, rows.delete()[0])
    e.add("signatures_cleared", Handover.objects.filter(box__round=rnd)
          .update(given_by="", received_by=""))
    rnd.erased_at = timezone.now()
    Round.objects.filter(pk=rnd.pk).update(erased_at=rnd.erased_at)


def keep_figures(rnd: Round):
    """Count the round exactly and keep each community's coverage on its counter."""
    from fangkong.registry.models import Place

    from . import counters, figures

    counters.recount(rnd)
    rows = list(RoundCounter.objects.filter(round=rnd))
    places = Place.objects.in_bulk([c.community_id for c in rows])
    for c in rows:
        place = places.get(c.community_id)
        if place is None:
            continue
        cov = figures.coverage(rnd, place)
        RoundCounter.objects.filter(pk=c.pk).update(
            figures={k: cov.get(k, 0) for k in figures.KEPT})
