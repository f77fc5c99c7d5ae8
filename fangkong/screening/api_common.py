"""What the screening API's route modules share: the one router (`api` registers the
rounds, station and lab routes on it; `work_api` the work lists and staffing; `antigen_api`
the antigen rounds) and the tube's answer. The route modules import this, never each other."""

from ninja import Router

router = Router(tags=["screening"])


def tube_out(t, resumed=False) -> dict:
    return {"barcode": t.barcode, "capacity": t.capacity, "count": t.count, "left": t.left,
            "state": t.state, "resumed": resumed}
