"""Who may call the services endpoints (checked by tests/api/test_security.py).

The scene (`sscene`): a supermarket of community A (no login linked: the security table's
supplier account is an outsider here; a supplier's own view is tested in test_access.py)
with two items; the compound's east gate; batch 1 with household 101's order, one line
short and the rest received (an exception open); batch 2 with household 102's order,
signed and split into a run of building 1 with one door; household 101's placed order,
request and pet; a pet of household 102 fed while 夏明 is in quarantine; 苏霞's morning
check-in; a routine disinfection of building 1; a volunteer team of community A (封控三组,
no member), and a routine of building 1 at 08:00 and 16:00 by it. Staff of community A run it all; the
street's command reads and changes nothing (403); the building leader sees building 1
(orders, runs, requests, disinfection) but not the gate's batches (404) and orders and
raises requests for its households; household 101's own login orders and raises requests
for itself only."""

import datetime

from django.utils import timezone

from fangkong.core.actor import Actor
from fangkong.registry import actions as reg
from fangkong.registry.models import Kind
from fangkong.services.actions import care, catalogue, delivery, handoff, orders, requests
from fangkong.services.actions import disinfection as dis
from fangkong.services.actions import routines as rt
from fangkong.services.models import (
    Batch,
    CheckIn,
    Disinfection,
    DisinfectionRoutine,
    Feeding,
    GroupOrder,
    Item,
    Line,
    Order,
    Pet,
    Problem,
    Request,
    Run,
    Stop,
)
from fangkong.volunteers.actions import teams
from tests.api.routes import ANY_USER, MISSING, WRITE, Route
from tests.api.scenes import shared_scene
from tests.screening.photos import png

MODELS = [GroupOrder, Item, Order, Batch, Line, Run, Stop, Problem, Request, Pet, Feeding, CheckIn, Disinfection,
          DisinfectionRoutine]
CID = "0c4b2f0e-8a6d-4e3b-9b1a-5d7f2e9c1a33"
SEE = dict(leader=404, resident=404)  # the gate's rows: staff and command
CHANGE = dict(command=403, leader=404, resident=404)  # the gate's rows, staff only
HH = dict(command=403, leader=201, resident=201, staff=201)  # for household 101
WORK = dict(command=403, leader=403, resident=404)  # building 1's rows, staff only


@shared_scene
def sscene(w):
    staff = Actor.system(w.users.staff)
    requests.install_categories()
    w.supplier = catalogue.create_supplier(staff, w.community, {"name": "美特好超市"})
    w.veg = catalogue.add_item(staff, w.supplier, {"name": "蔬菜包", "kind": "package", "price": "39.90"})
    w.eggs = catalogue.add_item(staff, w.supplier, {"name": "鸡蛋", "price": "25.50"})
    w.gate = reg.create_place(Actor.system(), w.compound, Kind.CHECKPOINT, "东门")
    due = timezone.now() + datetime.timedelta(hours=2)
    orders.place_order(staff, w.hh101, w.supplier, [(w.veg.id, 1), (w.eggs.id, 1)])
    w.batch = handoff.create_batch(staff, w.supplier, w.gate, due_at=due)
    w.line = w.batch.lines.first()
    handoff.check_line(staff, w.line, "short", received=0)
    handoff.receive_rest(staff, w.batch)
    w.problem = Problem.objects.get(batch=w.batch)
    orders.place_order(staff, w.hh102, w.supplier, [(w.veg.id, 2)])
    w.batch2 = handoff.create_batch(staff, w.supplier, w.gate, due_at=due)
    handoff.receive_rest(staff, w.batch2)
    handoff.sign(staff, w.batch2, supplier_name="李师傅")
    w.run = handoff.split(staff, w.batch2)[0]
    w.stop = w.run.stops.get()
    w.order = orders.place_order(staff, w.hh101, w.supplier, [(w.veg.id, 1)])
    w.request = requests.raise_request(staff, w.hh101, requests.Category.objects.get(code="repair"), "门锁坏了")
    w.pet = care.add_pet(staff, w.hh101, {"name": "咪咪", "species": "猫", "care": "猫粮"})
    dog = care.add_pet(staff, w.hh102, {"name": "旺财", "species": "狗", "care": "狗粮，遛弯"})
    for r in w.hh102.residents.all():  # everyone of 102 taken to quarantine
        reg.update_resident(staff, r, {"presence": "quarantine"})
    care.feed_today()
    w.feeding = Feeding.objects.get(pet=dog)
    care.check_ins_today()
    w.check_in = CheckIn.objects.get(resident=w.su)
    w.disinfection = dis.schedule(staff, w.building, due_at=due)
    w.svc_team = teams.create_team(staff, w.community, "封控三组")  # not w.team: the page routes' scene has its own
    w.routine = rt.create(staff, w.building, times=["08:00", "16:00"], team=w.svc_team)  # 例行消杀


@shared_scene
def mscene(w):
    """sscene, and batch 3: household 101's waiting order at the gate, expected (its
    manifest may still be replaced); building 1's door confirmed; a group order of building 1."""
    sscene(w)
    staff = Actor.system(w.users.staff)
    w.batch3 = handoff.create_batch(staff, w.supplier, w.gate, due_at=timezone.now(), orders=[w.order.id])
    delivery.confirm_stop(staff, w.stop, delivered=True, client_id=CID)
    w.group = orders.create_group_order(staff, w.building, w.supplier, title="集单",
                                        closes_at=timezone.now() + datetime.timedelta(hours=3))


@shared_scene
def pscene(w):
    """sscene, and batch 4: household 102's order at the gate, its 蔬菜包 substituted by
    蔬菜包（6种） with no price known (价格待定), signed."""
    sscene(w)
    staff = Actor.system(w.users.staff)
    o = orders.place_order(staff, w.hh102, w.supplier, [(w.veg.id, 1)])
    w.batch4 = handoff.create_batch(staff, w.supplier, w.gate, due_at=timezone.now(), orders=[o.id])
    w.pending_line = handoff.check_line(staff, w.batch4.lines.get(), "substituted", substitute="蔬菜包（6种）")
    handoff.sign(staff, w.batch4, supplier_name="李师傅")


def rxscene(w):
    """sscene, and household 101's medicine order with a prescription photo, to be paid at the door
    (not a standing scene: its photo is stored in the test's own media folder)."""
    sscene(w)
    w.rx_order = orders.place_order(Actor.system(w.users.staff), w.hh101, w.supplier, [],
                                    medicine="苯磺酸氨氯地平片 5mg", prescription=png(name="rx.png"),
                                    payer="at_door")


def manifest_file(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"file": SimpleUploadedFile("清单.csv", f"订单号,商品,数量\n{w.order.id},蔬菜包,1\n".encode())}


def url(path):
    return lambda w: "/api/v1/services" + path(w)


def gone(path):
    return lambda w: "/api/v1/services" + path


ROUTES = {
    ("GET", "/services/suppliers"): Route(url(lambda w: "/suppliers"), setup=sscene, **ANY_USER),
    ("GET", "/services/suppliers/{pk}/items"): Route(
        url(lambda w: f"/suppliers/{w.supplier.id}/items"), setup=sscene,
        missing=gone(f"/suppliers/{MISSING}/items")),
    ("POST", "/services/suppliers/{pk}/items"): Route(
        url(lambda w: f"/suppliers/{w.supplier.id}/items"), setup=sscene,
        body=lambda w: {"name": "牛奶", "price": "12.00"}, missing=gone(f"/suppliers/{MISSING}/items"),
        staff=201, command=403, leader=403, resident=404),
    ("PATCH", "/services/items/{pk}"): Route(
        url(lambda w: f"/items/{w.veg.id}"), setup=sscene, body=lambda w: {"price": "35.00"},
        missing=gone(f"/items/{MISSING}"), command=403, leader=403, resident=404),
    ("GET", "/services/orders"): Route(url(lambda w: "/orders"), setup=sscene, **ANY_USER),
    ("POST", "/services/orders"): Route(
        url(lambda w: "/orders"), setup=sscene,
        body=lambda w: {"household": w.hh101.id, "supplier": w.supplier.id, "lines": [{"item": w.veg.id}]},
        missing=lambda w: ("/api/v1/services/orders", {"household": MISSING, "supplier": w.supplier.id,
                                                       "lines": [{"item": w.veg.id}]}), **HH),
    ("GET", "/services/orders/{pk}"): Route(url(lambda w: f"/orders/{w.order.id}"), setup=sscene,
                                            missing=gone(f"/orders/{MISSING}")),
    # the prescription photo: the household's own login and staff over it (and the pharmacy's own
    # login, the volunteer delivering it: test_prescription.py); command and the leader see the
    # order but not the photo (404), as everyone else
    ("GET", "/services/orders/{pk}/prescription"): Route(
        url(lambda w: f"/orders/{w.rx_order.id}/prescription"), setup=rxscene,
        missing=gone(f"/orders/{MISSING}/prescription"), command=404, leader=404),
    ("GET", "/services/households/{pk}/open-work"): Route(
        url(lambda w: f"/households/{w.hh101.id}/open-work"), setup=sscene,
        missing=gone(f"/households/{MISSING}/open-work")),
    ("POST", "/services/orders/{pk}/cancel"): Route(
        url(lambda w: f"/orders/{w.order.id}/cancel"), setup=sscene, missing=gone(f"/orders/{MISSING}/cancel"),
        command=403),
    ("POST", "/services/batches"): Route(
        url(lambda w: "/batches"), setup=sscene,
        body=lambda w: {"supplier": w.supplier.id, "checkpoint": w.gate.id,
                        "due_at": (timezone.now() + datetime.timedelta(hours=3)).isoformat()},
        missing=lambda w: ("/api/v1/services/batches", {"supplier": w.supplier.id, "checkpoint": MISSING,
                                                        "due_at": timezone.now().isoformat()}),
        staff=201, **CHANGE),
    ("GET", "/services/batches"): Route(url(lambda w: "/batches"), setup=sscene, **ANY_USER),
    ("GET", "/services/batches/{pk}"): Route(url(lambda w: f"/batches/{w.batch.id}"), setup=sscene,
                                             missing=gone(f"/batches/{MISSING}"), **SEE),
    ("POST", "/services/lines/{pk}/check"): Route(
        url(lambda w: f"/lines/{w.line.id}/check"), setup=sscene, body=lambda w: {"outcome": "received"},
        missing=gone(f"/lines/{MISSING}/check"), **CHANGE),
    # a substitute's price told afterwards: who sets the batch's prices (`access.require_manifest`)
    ("POST", "/services/lines/{pk}/price"): Route(
        url(lambda w: f"/lines/{w.pending_line.id}/price"), setup=pscene, body=lambda w: {"substitute_price": "35"},
        missing=gone(f"/lines/{MISSING}/price"), **CHANGE),
    # 这单有问题 on household 101's order at the gate (its line short): whoever may ask for 101
    ("POST", "/services/orders/{pk}/problem"): Route(
        url(lambda w: f"/orders/{w.line.order_id}/problem"), setup=sscene,
        body=lambda w: {"what": "short", "line": w.line.id, "text": "少了一包"},
        missing=gone(f"/orders/{MISSING}/problem"), **HH),
    # 已到达卡口 on batch 3 (expected): the supplier's own login, the team on duty, staff
    ("POST", "/services/batches/{pk}/arrived"): Route(
        url(lambda w: f"/batches/{w.batch3.id}/arrived"), setup=mscene,
        missing=gone(f"/batches/{MISSING}/arrived"), **CHANGE),
    # building 1's sealed households with no supplies coming: whoever sees services there
    ("GET", "/services/places/{pk}/sealed-without-orders"): Route(
        url(lambda w: f"/places/{w.building.id}/sealed-without-orders"), setup=sscene,
        missing=gone(f"/places/{MISSING}/sealed-without-orders"), resident=404),
    ("POST", "/services/batches/{pk}/receive-rest"): Route(
        url(lambda w: f"/batches/{w.batch.id}/receive-rest"), setup=sscene,
        missing=gone(f"/batches/{MISSING}/receive-rest"), **CHANGE),
    ("POST", "/services/batches/{pk}/sign"): Route(
        url(lambda w: f"/batches/{w.batch.id}/sign"), setup=sscene, body=lambda w: {"supplier_name": "李师傅"},
        missing=gone(f"/batches/{MISSING}/sign"), **CHANGE),
    ("POST", "/services/batches/{pk}/split"): Route(
        url(lambda w: f"/batches/{w.batch2.id}/split"), setup=sscene, body=lambda w: {},
        missing=gone(f"/batches/{MISSING}/split"), **CHANGE),
    # the amounts owed: the .xlsx's rule (`access.require_owed`: the batch's supplier, or the
    # export right over the gate); the supplier's own login: test_owed_not_at_door.py
    ("GET", "/services/batches/{pk}/owed"): Route(url(lambda w: f"/batches/{w.batch.id}/owed"), setup=sscene,
                                                  missing=gone(f"/batches/{MISSING}/owed"), **SEE),
    ("POST", "/services/batches/{pk}/manifest"): Route(
        url(lambda w: f"/batches/{w.batch3.id}/manifest"), setup=mscene, multipart=True, body=manifest_file,
        missing=lambda w: (f"/api/v1/services/batches/{MISSING}/manifest", manifest_file(w)), **CHANGE),
    ("POST", "/services/stops/{pk}/photo"): Route(
        url(lambda w: f"/stops/{w.stop.id}/photo"), setup=mscene, multipart=True,
        body=lambda w: {"file": png(name="door.png")},
        missing=lambda w: (f"/api/v1/services/stops/{MISSING}/photo", {"file": png(name="door.png")}),
        staff=201, **WORK),
    ("GET", "/services/group-orders"): Route(
        url(lambda w: f"/group-orders?building={w.building.id}"), setup=mscene,
        missing=gone(f"/group-orders?building={MISSING}"), resident=404),
    ("POST", "/services/group-orders"): Route(
        url(lambda w: "/group-orders"), setup=mscene,
        body=lambda w: {"building": w.building.id, "supplier": w.supplier.id, "title": "周五集单"},
        missing=lambda w: ("/api/v1/services/group-orders", {"building": MISSING, "supplier": w.supplier.id,
                                                             "title": "周五集单"}),
        staff=201, command=403, leader=201, resident=404),
    ("GET", "/services/group-orders/{pk}"): Route(
        url(lambda w: f"/group-orders/{w.group.id}"), setup=mscene, missing=gone(f"/group-orders/{MISSING}"),
        resident=404),
    ("POST", "/services/group-orders/{pk}/entries"): Route(
        url(lambda w: f"/group-orders/{w.group.id}/entries"), setup=mscene,
        body=lambda w: {"entries": [{"household": w.hh101.id, "lines": [{"item": w.veg.id, "quantity": 2}]}]},
        missing=gone(f"/group-orders/{MISSING}/entries"), staff=201, command=403, leader=201, resident=404),
    ("GET", "/services/runs"): Route(url(lambda w: "/runs"), setup=sscene, **ANY_USER),
    ("GET", "/services/runs/{pk}"): Route(url(lambda w: f"/runs/{w.run.id}"), setup=sscene,
                                          missing=gone(f"/runs/{MISSING}"), resident=404),
    # given to a team (or handed over) by staff and grid workers over the run; command and the
    # leader see the run (403), the household does not (404)
    ("GET", "/services/runs/{pk}/teams"): Route(url(lambda w: f"/runs/{w.run.id}/teams"), setup=sscene,
                                                missing=gone(f"/runs/{MISSING}/teams"), **WORK),
    ("POST", "/services/runs/{pk}/assign"): Route(
        url(lambda w: f"/runs/{w.run.id}/assign"), setup=sscene, body=lambda w: {"team": w.svc_team.id},
        missing=gone(f"/runs/{MISSING}/assign"), **WORK),
    ("POST", "/services/stops/{pk}/confirm"): Route(
        url(lambda w: f"/stops/{w.stop.id}/confirm"), setup=sscene,
        body=lambda w: {"client_id": CID, "delivered": True}, missing=gone(f"/stops/{MISSING}/confirm"),
        staff=201, **WORK),
    ("GET", "/services/problems"): Route(url(lambda w: "/problems"), setup=sscene, **ANY_USER),
    ("POST", "/services/problems/{pk}/resolve"): Route(
        url(lambda w: f"/problems/{w.problem.id}/resolve"), setup=sscene,
        body=lambda w: {"resolution": "明天补送"}, missing=gone(f"/problems/{MISSING}/resolve"),
        # the household sees its own exception, the building's leader those of its doors (the
        # exception hangs at the household: counted at every level)
        command=403, leader=403, resident=403),
    # 补送 of household 101's short line (batch 1): who runs services over it; the household, its
    # building's leader and command see the exception (403)
    ("POST", "/services/problems/{pk}/redeliver"): Route(
        url(lambda w: f"/problems/{w.problem.id}/redeliver"), setup=sscene, body=lambda w: {},
        missing=gone(f"/problems/{MISSING}/redeliver"), command=403, leader=403, resident=403),
    ("GET", "/services/categories"): Route(url(lambda w: "/categories"), setup=sscene, **ANY_USER),
    ("PATCH", "/services/categories/{pk}"): Route(
        url(lambda w: f"/categories/{requests.Category.objects.get(code='repair').id}"), setup=sscene,
        # set by a district's command only (none in this table: the street's command, staff
        # and everyone who sees services 403; tests/services/test_catalogue_pages.py: the district's 200)
        body=lambda w: {"response_minutes": 360}, staff=403, other_staff=403, **WRITE),
    ("GET", "/services/requests"): Route(url(lambda w: "/requests"), setup=sscene, **ANY_USER),
    ("POST", "/services/requests"): Route(
        url(lambda w: "/requests"), setup=sscene,
        body=lambda w: {"household": w.hh101.id, "category": "medicine", "text": "降压药"},
        missing=lambda w: ("/api/v1/services/requests", {"household": MISSING, "category": "medicine",
                                                         "text": "降压药"}), **HH),
    ("GET", "/services/requests/{pk}"): Route(  # another community's request: the missing one's 404
        url(lambda w: f"/requests/{w.request.id}"), setup=sscene, missing=gone(f"/requests/{MISSING}")),
    # "撤回": those who asked for it — household 101's own login; staff cancel it instead (403),
    # the street's command and the building's leader see it and may not (403)
    ("POST", "/services/requests/{pk}/withdraw"): Route(
        url(lambda w: f"/requests/{w.request.id}/withdraw"), setup=sscene, body=lambda w: {"reason": "不需要了"},
        missing=gone(f"/requests/{MISSING}/withdraw"), staff=403, command=403, leader=403, resident=200),
    ("POST", "/services/requests/{pk}/{step}"): Route(
        url(lambda w: f"/requests/{w.request.id}/take"), setup=sscene, body=lambda w: {},
        missing=gone(f"/requests/{MISSING}/take"), command=403, leader=403, resident=403),
    ("GET", "/services/pets"): Route(url(lambda w: "/pets"), setup=sscene, **ANY_USER),
    ("POST", "/services/pets"): Route(
        url(lambda w: "/pets"), setup=sscene,
        body=lambda w: {"household": w.hh101.id, "name": "豆豆", "species": "狗", "care": "狗粮"},
        missing=lambda w: ("/api/v1/services/pets", {"household": MISSING, "name": "豆豆", "species": "狗",
                                                     "care": "狗粮"}), **HH),
    ("GET", "/services/feedings"): Route(url(lambda w: "/feedings"), setup=sscene, **ANY_USER),
    ("POST", "/services/feedings/{pk}/done"): Route(
        url(lambda w: f"/feedings/{w.feeding.id}/done"), setup=sscene, body=lambda w: {"note": "已喂"},
        missing=gone(f"/feedings/{MISSING}/done"), **WORK),
    ("GET", "/services/check-ins"): Route(url(lambda w: "/check-ins"), setup=sscene, **ANY_USER),
    ("GET", "/services/check-ins/figure"): Route(url(lambda w: "/check-ins/figure"), setup=sscene, **ANY_USER),
    ("POST", "/services/check-ins/{pk}"): Route(
        url(lambda w: f"/check-ins/{w.check_in.id}"), setup=sscene, body=lambda w: {"result": "fine"},
        missing=gone(f"/check-ins/{MISSING}"), command=403, leader=403, resident=403),
    ("GET", "/services/disinfections"): Route(url(lambda w: "/disinfections"), setup=sscene, **ANY_USER),
    ("POST", "/services/disinfections"): Route(
        url(lambda w: "/disinfections"), setup=sscene,
        body=lambda w: {"place": w.building.id, "due_at": timezone.now().isoformat()},
        missing=lambda w: ("/api/v1/services/disinfections", {"place": MISSING,
                                                              "due_at": timezone.now().isoformat()}),
        staff=201, **WORK),
    ("GET", "/services/disinfection-routines"): Route(url(lambda w: "/disinfection-routines"), setup=sscene,
                                                      **ANY_USER),
    ("POST", "/services/disinfection-routines"): Route(
        url(lambda w: "/disinfection-routines"), setup=sscene,
        body=lambda w: {"place": w.building.id, "times": ["12:00"], "team": w.svc_team.id},
        missing=lambda w: ("/api/v1/services/disinfection-routines", {"place": MISSING, "times": ["08:00"]}),
        staff=201, **WORK),
    # pause (resume and end: the same rule, tests/services/test_disinfection_routines.py)
    ("POST", "/services/disinfection-routines/{pk}/{step}"): Route(
        url(lambda w: f"/disinfection-routines/{w.routine.id}/pause"), setup=sscene,
        missing=gone(f"/disinfection-routines/{MISSING}/pause"), **WORK),
    ("POST", "/services/disinfections/{pk}/done"): Route(
        url(lambda w: f"/disinfections/{w.disinfection.id}/done"), setup=sscene,
        body=lambda w: {"area": "1号楼楼道", "agent": "含氯消毒剂"},
        missing=gone(f"/disinfections/{MISSING}/done"), **WORK),
    ("POST", "/services/disinfections/{pk}/team"): Route(
        url(lambda w: f"/disinfections/{w.disinfection.id}/team"), setup=sscene,
        body=lambda w: {"team": w.svc_team.id},
        missing=gone(f"/disinfections/{MISSING}/team"), **WORK),
}
