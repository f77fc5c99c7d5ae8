"""Signals the registry sends for the apps above it (which connect in their ready()): the
registry never imports them. And the signals two apps above it that may not import each other
exchange about households and residents (home sampling asked for by a family)."""

from django.dispatch import Signal

# sent inside the transaction that created households or moved them (with the places they
# hang under) to another place: sender=Place, places=[Place] (each: every household under
# it may have a new place), at= (the minute written). The zones app connects it
# (zones.apps): each household gets the zone in force over its place from that minute — a
# household created in a sealed compound is sealed from the moment it exists. Sent once per
# write: an import sends it once, for its import place, never once per row.
households_placed = Signal()


def placed(places, at=None):
    """Tell the apps above that households under `places` are new or moved."""
    from django.utils import timezone

    places = [p for p in places if p is not None]
    if places:
        from .models import Place

        households_placed.send(sender=Place, places=places, at=at or timezone.now())


# --- home sampling asked for by a family (上门采样) ----------------------------------------
# Services (the family's request) and screening (the round's home-sampling list) are
# siblings that never import each other: each sends its side here, the other connects it in
# its ready(). Plain values only (ids, the registry's rows, the actor), never a sibling's row.

# sent by services inside the transaction that raised a home-sampling request (`requests._raise`):
# sender=Household, request= (its id), household=, people=[Resident] (chosen, of the household),
# note= (the family's words), actor=. Screening connects it (screening.apps): each person goes
# on the home-sampling list of every PCR round planned or running over the household in which
# they are not sampled yet (`screening.actions.home_request.asked`).
home_sampling_asked = Signal()

# sent by services inside the transaction that cancelled such a request: sender=Household,
# request=, actor=. Screening takes its visits still to make off the lists.
home_sampling_withdrawn = Signal()

# sent by screening when visits of a request were found sampled (the worker's pass, or staff's
# "done"; `screening.actions.home_request.close_sampled`): sender=Resident, request=,
# sampled={resident id: when swabbed} (every person of the request sampled at home so far), actor=.
# Services connects it (services.apps): once every person it asked for is sampled, the request is
# done with "已上门采样 08:12" and the family told as for any request done.
home_sampled = Signal()

# sent by screening inside the transaction that recorded what happened at the door of a visit
# of such a request when no swab was taken (`screening.actions.door.record_door`, page and API
# alike; a retry with the same client id sends nothing): sender=Resident, request=, resident=
# (the person, of the request's household), outcome= (no_answer | refused | not_here), at=
# (when), visit= (the home visit's id), attempt= (how many outcomes it has: one each), actor=.
# Services connects it (services.apps): the family is told once per outcome, in each reader's
# language, and the request's timeline keeps it (`services.actions.home_door.door_outcome`).
# Sent in a savepoint: whatever fails there, the sampler's outcome stands.
home_door_outcome = Signal()
