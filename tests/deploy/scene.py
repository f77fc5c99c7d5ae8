"""The topology test's tiny world, made inside the topology's own database (run as
`python -m tests.deploy.scene build|enqueue N` with the app's environment): a community of
a few households, a running PCR round with a sampler and a staff member (API tokens), open
tubes. Prints JSON for the test to read."""

import datetime
import json
import sys


def build(n_people: int) -> dict:
    from django.utils import timezone

    from fangkong.accounts import actions as accounts
    from fangkong.core.actor import Actor
    from fangkong.registry import actions as reg
    from fangkong.registry.models import Kind
    from fangkong.screening.actions import planning, station
    from fangkong.screening.models import Sampler

    system = Actor.system(via="cli")
    district = reg.create_place(system, None, Kind.DISTRICT, "拓扑区")
    street = reg.create_place(system, district, Kind.STREET, "拓扑街道")
    community = reg.create_place(system, street, Kind.COMMUNITY, "拓扑社区")
    compound = reg.create_place(system, community, Kind.COMPOUND, "拓扑小区")
    building = reg.create_place(system, compound, Kind.BUILDING, "1号楼")
    point = reg.create_place(system, community, Kind.SAMPLING_POINT, "广场")
    people = []
    for i in range(n_people):
        if i % 4 == 0:
            hh = reg.create_household(system, building, f"{101 + i // 4}")
        people.append(reg.create_resident(system, hh, {"name": f"居民{i:03d}"}))
    now = timezone.now()
    rnd = planning.plan_round(system, community, {
        "name": "拓扑核酸", "starts_at": now - datetime.timedelta(hours=1),
        "ends_at": now + datetime.timedelta(hours=12), "pool_size": 10})
    sp = planning.add_point(system, rnd, point, 2)
    sampler = accounts.create_user(system, "topo_sampler", None, display_name="采样员",
                                   check_password=False)
    accounts.grant(system, sampler, "volunteer", community)
    Sampler.objects.create(round=rnd, user=sampler, point=sp, table=1)
    staff = accounts.create_user(system, "topo_staff", None, display_name="社区工作人员",
                                 check_password=False)
    accounts.grant(system, staff, "staff", community)
    tubes = []
    for k in range((n_people + 9) // 10):
        code = f"TOPO{k:04d}"
        station.open_tube(Actor.system(sampler), rnd, code, capacity=10)
        tubes.append(code)
    return {"round": rnd.id, "community": community.id, "tubes": tubes,
            "people": [p.token for p in people],
            "sampler_token": accounts.create_token(Actor.system(sampler), "topology")[1],
            "staff_token": accounts.create_token(Actor.system(staff), "topology")[1]}


def enqueue(n: int) -> dict:
    from fangkong.notify.tasks import send_due_task

    return {"tasks": [str(send_due_task.enqueue().id) for _ in range(n)]}


if __name__ == "__main__":
    import django

    django.setup()
    if sys.argv[1] == "build":
        print(json.dumps(build(int(sys.argv[2]))))
    else:
        print(json.dumps(enqueue(int(sys.argv[2]))))
