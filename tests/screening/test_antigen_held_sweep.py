"""A positive self-report's cassette photo is held under a signed token while the family is
asked to confirm (`actions.antigen.hold_photo`). A family that goes back leaves it behind:
the worker's pass (ops.recovery → `screening.tasks.recover_screening`) deletes every held
photo older than the token's max age (HELD_SECONDS), without waiting for the next hold, and
leaves a photo still inside its time to its step."""

import os
import time

from django.core.files.storage import default_storage

from fangkong.core.actor import Actor
from fangkong.ops.recovery import recover
from fangkong.screening.actions import antigen as antigen_actions

from .photos import png
from .test_antigen import running_antigen_round


def _held() -> set[str]:
    try:
        return set(default_storage.listdir(antigen_actions.HELD_DIR)[1])
    except FileNotFoundError:
        return set()


def test_the_worker_deletes_held_photos_past_their_time_and_keeps_fresh_ones(world, system):
    rnd = running_antigen_round(world, system)
    staff = Actor.system(world.users.staff)
    token = antigen_actions.hold_photo(staff, rnd, world.yu, png((30, 200, 30)))
    fresh = _held()
    antigen_actions.hold_photo(staff, rnd, world.su, png())
    (stale,) = _held() - fresh
    stale_path = default_storage.path(f"{antigen_actions.HELD_DIR}/{stale}")
    # held, then the family went back; no one holds another photo after it
    past = time.time() - antigen_actions.HELD_SECONDS - 60
    os.utime(stale_path, (past, past))

    counts = recover()  # the worker's pass (settings.FANGKONG_RECOVERY)
    assert not os.path.exists(stale_path)
    assert _held() == fresh
    assert counts["screening_held_photos_dropped"] == 1
    # the fresh one is still there for its step, and is taken by it
    photo = antigen_actions.take_held_photo(staff, world.yu, token)
    assert photo is not None and photo.size > 0
    assert recover()["screening_held_photos_dropped"] == 0
