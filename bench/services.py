"""(g) services: the 15:30 hand-off of 500 households, and the request queue.

- `services.handoff.seconds`: a 500-household batch at the gate — the batch made from the
  households' orders (`handoff.create_batch`), the supplier's manifest file (.xlsx, as
  downloaded) imported through the API (`POST …/batches/{id}/manifest`), every line
  received and both sides signed,
  split into runs by building, and every door confirmed through the API (one POST each, as
  the phones' queues send them, session-authenticated, CSRF off as for a token). Target
  < 10 s in all on SQLite.
- `services.run_page`: a building's run checklist page (`/services/runs/<id>/`) for staff.
  Target < 100 ms.
- `services.queue.district`: the first 100 of 10,000 open requests of the district, overdue
  first (`queries.request_queue`). Target < 100 ms.

The orders are placed through the actions before the clock starts; the 10,000 requests are
written in bulk (data, not the thing measured). Everything the benchmark made is removed
at the start and the end.
"""

import datetime
import time
import uuid

from django.utils import timezone

from .harness import figure, percentile

NAME = "bench-services"
PLAIN_STATIC = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}


def _clean():
    from fangkong.services.models import Batch, Item, Order, OrderLine, Request, Supplier

    sup = Supplier.objects.filter(name=NAME)
    Batch.objects.filter(supplier__in=sup).delete()
    OrderLine.objects.filter(order__supplier__in=sup).delete()
    Order.objects.filter(supplier__in=sup).delete()
    Item.objects.filter(supplier__in=sup).delete()
    sup.delete()
    Request.objects.filter(text=NAME).delete()


def run(ctx):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client, override_settings

    from fangkong.accounts import actions as accounts
    from fangkong.accounts.roles import Role
    from fangkong.core.actor import Actor
    from fangkong.registry.models import Household, Kind, Place
    from fangkong.services import queries
    from fangkong.services.actions import catalogue, handoff, orders, requests
    from fangkong.services.exports import manifest_xlsx
    from fangkong.services.models import Category, Request, Stop

    cfg, report, city = ctx.cfg, ctx.report, ctx.city
    n_households, n_requests = cfg.scaled(500, 30), cfg.scaled(10_000, 300)
    community = city.community
    district = city.district
    system = Actor.system(via="cli")
    requests.install_categories()
    _clean()
    user = accounts.create_user(system, f"bench_svc_{uuid.uuid4().hex[:8]}", None, check_password=False)
    accounts.grant(system, user, Role.STAFF, community)
    staff = Actor.system(user, via="cli")
    hhs = list(Household.objects.filter(community_id=community.id).order_by("building_id", "sort_key")
               [:n_households])
    compound = Place.objects.filter(community_id=community.id, kind=Kind.COMPOUND).first()
    gate = Place.objects.filter(parent=compound, kind=Kind.CHECKPOINT, name="bench-gate").first() or \
        __import__("fangkong.registry.actions", fromlist=["x"]).create_place(system, compound, Kind.CHECKPOINT,
                                                                            "bench-gate")
    walls, pages, queues = [], [], []
    try:
        for _rep in range(cfg.repeat):
            _clean()
            sup = catalogue.create_supplier(staff, community, {"name": NAME})
            veg = catalogue.add_item(staff, sup, {"name": "蔬菜包", "price": "39.90"})
            for h in hhs:
                orders.place_order(staff, h, sup, [(veg.id, 1)])
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(user)
            client.get("/api/v1/services/runs?batch=0")  # the API's first import, before the clock
            t = time.perf_counter()
            batch = handoff.create_batch(staff, sup, gate, due_at=timezone.now())
            # the supplier's manifest file (the one it downloaded) imported back through the API
            sheet = SimpleUploadedFile("manifest.xlsx", manifest_xlsx(staff, batch))
            t_import = time.perf_counter()
            r = client.post(f"/api/v1/services/batches/{batch.id}/manifest", {"file": sheet})
            assert r.status_code == 200 and r.json()["households"] == len(hhs), r.content[:300]
            report.note(f"services: manifest file of {r.json()['lines']} lines imported in "
                        f"{(time.perf_counter() - t_import) * 1000:.0f} ms")
            handoff.receive_rest(staff, batch)
            handoff.sign(staff, batch, supplier_name="bench")
            runs = handoff.split(staff, batch)
            report.note(f"services: manifest, check, sign and split {time.perf_counter() - t:.2f} s")
            doors = []
            for sid in Stop.objects.filter(run__batch=batch).values_list("id", flat=True):
                t1 = time.perf_counter()
                r = client.post(f"/api/v1/services/stops/{sid}/confirm",
                                {"client_id": str(uuid.uuid4()), "delivered": True}, content_type="application/json")
                assert r.status_code == 201, r.content[:200]
                doors.append(time.perf_counter() - t1)
            report.note(f"services: a door's confirmation p50 {percentile(doors, 50) * 1000:.1f} ms, "
                        f"first {doors[0] * 1000:.0f} ms")
            walls.append(time.perf_counter() - t)
            assert Stop.objects.filter(run__batch=batch, state="delivered").count() == len(hhs)
            # the largest building's checklist page (the run is done: staff still see it)
            biggest = max(runs, key=lambda r: r.stops.count())
            with override_settings(STORAGES=PLAIN_STATIC):  # no collectstatic manifest here
                client.get(f"/services/runs/{biggest.id}/")
                for _ in range(5):
                    t = time.perf_counter()
                    r = client.get(f"/services/runs/{biggest.id}/")
                    pages.append(time.perf_counter() - t)
                    assert r.status_code == 200, r.status_code
        # 10,000 open requests in the district, a tenth of them overdue
        cats = list(Category.objects.all())
        now = timezone.now()
        all_hh = list(Household.objects.filter(district_id=district.id).values_list("id", flat=True)[:5000])
        by_id = {h.id: h for h in Household.objects.filter(id__in=all_hh)}
        rows = []
        for i in range(n_requests):
            h = by_id[all_hh[i % len(all_hh)]]
            c = cats[i % len(cats)]
            r = Request(household=h, category=c, text=NAME, priority=c.priority, vulnerable=i % 3,
                        due_at=now + datetime.timedelta(minutes=(i % 600) - 60), overdue=i % 10 == 0)
            r.copy_levels(h)
            rows.append(r)
        Request.objects.bulk_create(rows, batch_size=1000)
        command = accounts.create_user(system, f"bench_cmd_{uuid.uuid4().hex[:8]}", None, check_password=False)
        accounts.grant(system, command, Role.COMMAND, district)
        scope = Actor.system(command).scope
        for _ in range(5):
            t = time.perf_counter()
            first = list(queries.request_queue(scope, place=district, limit=100))
            queues.append(time.perf_counter() - t)
        assert first[0].overdue and len(first) == 100
    finally:
        _clean()
    report.note(f"services: {len(hhs)} households of {community.name} through the gate; "
                f"{n_requests:,} open requests in {district.name}")
    report.add(figure("services.handoff.seconds", walls, "s",
                      note=f"{len(hhs)} households: batch, manifest file import, check, sign, split, every door via the API; target < 10 s"))
    report.add(figure("services.run_page", pages, "ms", scale=1000, note="largest building's run; target < 100 ms"))
    report.add(figure("services.queue.district", queues, "ms", scale=1000,
                      note=f"first 100 of {n_requests:,}, overdue first; target < 100 ms"))
