"""What the lifting rules need from the apps above zones (which zones may not import):
the testing rounds held over a place. Screening registers its source at start-up
(`screening.apps`); a test may register its own."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RoundEvidence:
    day: datetime.date  # the day the round was held (local)
    name: str
    finished: bool  # every sample of the place has its result
    all_negative: bool  # finished, and nothing positive under the place


_SOURCES: list[Callable] = []


def register_rounds(source: Callable) -> Callable:
    """source(place, since: datetime) -> [RoundEvidence] for rounds covering `place`."""
    if source not in _SOURCES:
        _SOURCES.append(source)
    return source


def unregister_rounds(source: Callable):
    if source in _SOURCES:
        _SOURCES.remove(source)


def rounds_over(place, since) -> list[RoundEvidence]:
    out = []
    for source in _SOURCES:
        out.extend(source(place, since))
    return sorted(out, key=lambda r: r.day)
