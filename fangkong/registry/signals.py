"""Signals the registry sends for the apps above it (which connect in their ready()): the
registry never imports them."""

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
