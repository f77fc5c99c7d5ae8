"""Who may call the registry endpoints: places, households, residents, imports, code
cards (checked by tests/api/test_security.py, which explains the columns)."""

import itertools

from fangkong.registry.models import Household, ImportJob, Place, Resident
from tests.api.routes import MISSING, WRITE, Route, make_job, upload

MODELS = [Place, Household, Resident, ImportJob]
NEW = itertools.count(3)

ROUTES = {
    ("GET", "/places"): Route(
        lambda w: f"/api/v1/places?parent={w.community.id}",
        missing=lambda w: f"/api/v1/places?parent={MISSING}", leader=404, resident=404),
    ("POST", "/places"): Route(  # a new name each time: command and staff both add one
        lambda w: "/api/v1/places",
        body=lambda w: {"parent": w.building.id, "kind": "unit", "name": f"{next(NEW)}单元"},
        missing=lambda w: ("/api/v1/places", {"parent": MISSING, "kind": "unit", "name": "3单元"}),
        staff=201, command=201, leader=403, resident=404),  # command sets up what is below it
    ("GET", "/places/{place_id}"): Route(
        lambda w: f"/api/v1/places/{w.building.id}",
        missing=lambda w: f"/api/v1/places/{MISSING}", resident=404),
    ("PATCH", "/places/{place_id}"): Route(
        lambda w: f"/api/v1/places/{w.building.id}", body=lambda w: {"name": "1栋"},
        missing=lambda w: f"/api/v1/places/{MISSING}",
        leader=403, resident=404),
    ("POST", "/places/{place_id}/duty-phone"): Route(
        lambda w: f"/api/v1/places/{w.building.id}/duty-phone",
        body=lambda w: {"duty_phone": "0351-1234567"},
        missing=lambda w: f"/api/v1/places/{MISSING}/duty-phone",
        leader=403, resident=404),
    ("POST", "/places/{place_id}/move"): Route(
        lambda w: f"/api/v1/places/{w.unit2.id}/move", body=lambda w: {"parent": w.building.id},
        missing=lambda w: f"/api/v1/places/{MISSING}/move",
        leader=403, resident=404),
    ("GET", "/households"): Route(
        lambda w: f"/api/v1/households?place={w.unit1.id}",
        missing=lambda w: f"/api/v1/households?place={MISSING}", resident=404),
    ("POST", "/households"): Route(
        lambda w: "/api/v1/households", body=lambda w: {"place": w.unit1.id, "door": "103"},
        missing=lambda w: ("/api/v1/households", {"place": MISSING, "door": "103"}),
        staff=201, command=403, leader=403, resident=404),
    ("GET", "/households/{household_id}"): Route(
        lambda w: f"/api/v1/households/{w.hh101.id}",
        missing=lambda w: f"/api/v1/households/{MISSING}"),
    ("PATCH", "/households/{household_id}"): Route(
        lambda w: f"/api/v1/households/{w.hh101.id}", body=lambda w: {"notes": "钥匙在邻居家"},
        missing=lambda w: f"/api/v1/households/{MISSING}", **WRITE),
    ("GET", "/residents"): Route(
        lambda w: f"/api/v1/residents?place={w.unit1.id}",
        missing=lambda w: f"/api/v1/residents?place={MISSING}", resident=404),
    ("POST", "/residents"): Route(
        lambda w: "/api/v1/residents", body=lambda w: {"household": w.hh101.id, "name": "苏小"},
        missing=lambda w: ("/api/v1/residents", {"household": MISSING, "name": "苏小"}),
        staff=201, **WRITE),
    ("GET", "/residents/{resident_id}"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}",
        missing=lambda w: f"/api/v1/residents/{MISSING}"),
    ("PATCH", "/residents/{resident_id}"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}", body=lambda w: {"presence": "hospital"},
        missing=lambda w: f"/api/v1/residents/{MISSING}", **WRITE),
    ("POST", "/residents/{resident_id}/move"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}/move", body=lambda w: {"household": w.hh102.id},
        missing=lambda w: f"/api/v1/residents/{MISSING}/move",
        **dict(WRITE, resident=404)),  # the resident cannot see household 102
    ("POST", "/residents/{resident_id}/reveal-id"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}/reveal-id",
        missing=lambda w: f"/api/v1/residents/{MISSING}/reveal-id", **WRITE),
    ("POST", "/imports"): Route(
        lambda w: "/api/v1/imports", body=upload, multipart=True,
        missing=lambda w: ("/api/v1/imports", dict(upload(w), place=MISSING)),
        staff=201, command=403, leader=404, resident=404),
    ("GET", "/imports/{job_id}"): Route(
        lambda w: f"/api/v1/imports/{w.job.id}", setup=lambda w: setattr(w, "job", make_job(w)),
        missing=lambda w: f"/api/v1/imports/{MISSING}",
        command=404, leader=404, resident=404),
    ("POST", "/imports/{job_id}/confirm"): Route(  # the job is checked: staff writes it
        lambda w: f"/api/v1/imports/{w.job.id}/confirm",
        setup=lambda w: setattr(w, "job", make_job(w)),
        missing=lambda w: f"/api/v1/imports/{MISSING}/confirm",
        command=404, leader=404, resident=404),
    ("POST", "/imports/{job_id}/discard"): Route(
        lambda w: f"/api/v1/imports/{w.job.id}/discard",
        setup=lambda w: setattr(w, "job", make_job(w)),
        missing=lambda w: f"/api/v1/imports/{MISSING}/discard",
        command=404, leader=404, resident=404),
    ("GET", "/places/{place_id}/code-cards.pdf"): Route(
        lambda w: f"/api/v1/places/{w.building.id}/code-cards.pdf",
        missing=lambda w: f"/api/v1/places/{MISSING}/code-cards.pdf",
        command=403, leader=403, resident=404),
    ("GET", "/households/{household_id}/code-cards.pdf"): Route(
        lambda w: f"/api/v1/households/{w.hh101.id}/code-cards.pdf",
        missing=lambda w: f"/api/v1/households/{MISSING}/code-cards.pdf", **WRITE),
    ("POST", "/residents/{resident_id}/reissue-code"): Route(
        lambda w: f"/api/v1/residents/{w.su.id}/reissue-code",
        missing=lambda w: f"/api/v1/residents/{MISSING}/reissue-code", **WRITE),
}
