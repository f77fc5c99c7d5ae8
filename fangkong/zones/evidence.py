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
    all_negative: bool  # complete, finished, and nothing positive under the place
    # the round's coverage of the place (screening's one definition, `screening.figures`):
    # people tested, people to test, and those to test not tested (None: not counted)
    sampled: int | None = None
    to_sample: int | None = None
    missing: int | None = None
    missing_url: str = ""  # the list of those not tested, when there is one

    @property
    def complete(self) -> bool:
        """Everyone under the place who had to be tested was tested."""
        return self.missing is None or (not self.missing and bool(self.to_sample))


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
