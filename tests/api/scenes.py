"""Scenes built once for a run of matrix rows, not once a row.

A row of the security matrix (tests/api/test_security*.py) runs its route's `setup` on the
module's shared world inside the test's own transaction, rolled back after it. The big
setups (the supplies scene, the zones scene) cost more than the row's nine requests, and
dozens of rows in a row ask for the same one. A setup marked `@shared_scene` is built
instead in a transaction of its own around those rows (`activate`, from the `world`
fixture, before the test's transaction opens): each row's transaction is then a savepoint
inside it — what the row writes is still rolled back, the scene stays for the next row —
as Django's TestCase does with `setUpTestData`. A row whose setup is anything else (or
none) gets the bare shared world, exactly as before: the scene's transaction is rolled back
first.
"""

from django.db import transaction

_ACTIVE: dict = {}  # id(world) → (scene, its open atomic block)


def shared_scene(fn):
    """Mark a route setup `fn(w)` that only builds (reads nothing a row changes) as one
    that a run of rows may share. Called inside a row while it is the active scene, it does
    nothing (the scene is there already)."""
    def scene(w):
        active = _ACTIVE.get(id(w))
        if active is not None and active[0] is scene:
            return None
        return fn(w)

    scene.shared_scene = True
    scene.__name__ = fn.__name__
    scene.__doc__ = fn.__doc__
    return scene


def is_shared(setup) -> bool:
    return getattr(setup, "shared_scene", False)


def activate(w, setup):
    """Make `setup` (a shared scene, or None for the bare world) the world's standing scene,
    outside any test's transaction. Call with database access allowed."""
    want = setup if is_shared(setup) else None
    active = _ACTIVE.get(id(w))
    if active is not None and active[0] is want:
        return
    if active is not None:
        del _ACTIVE[id(w)]
        transaction.set_rollback(True)
        active[1].__exit__(None, None, None)
    if want is not None:
        block = transaction.atomic()
        block.__enter__()
        try:
            want(w)
        except BaseException:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
            raise
        _ACTIVE[id(w)] = (want, block)
