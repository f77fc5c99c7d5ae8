"""What the parts of one demo build share: the seed and reference date, the progress bar,
the running summary, the system actor and the district the registry part made."""

import datetime
from dataclasses import dataclass, field

from fangkong.core.actor import Actor


@dataclass
class Summary:
    seed: int
    as_of: datetime.date
    districts: int = 0
    streets: int = 0
    communities: int = 0
    grids: int = 0
    places: int = 0
    households: int = 0
    residents: int = 0
    users: int = 0
    seconds: float = 0.0


@dataclass
class Demo:
    seed: int
    as_of: datetime.date
    residents: int | None = None  # city scale: fill up to this many residents
    bar: object = None  # the progress bar (counts residents written)
    summary: Summary = None
    actor: Actor = field(default_factory=lambda: Actor.system(via="cli"))
    district: object = None  # the demo district (a registry Place), set by the registry part

    def __post_init__(self):
        if self.summary is None:
            self.summary = Summary(self.seed, self.as_of)
