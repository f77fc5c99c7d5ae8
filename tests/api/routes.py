"""The rows of the API's security table and their helpers: the Route row, the statuses
shared by many rows, the requests' bodies. Each app's table (`tests/<app>/security_routes.py`)
and tests/api/test_security.py import from here, so that importing one app's table never
loads the whole matrix (which imports every app's table: a cycle when an app's table came
first, e.g. `pytest tests/core`)."""

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field

from fangkong.accounts import actions as account_actions
from fangkong.core.actor import Actor

MISSING = 987654321
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
OUTSIDERS = ("volunteer", "lab", "supplier", "nobody")


def bearer(user, name="test device") -> dict:
    _tok, raw = account_actions.create_token(Actor.system(user, via="api"), name)
    return {"Authorization": f"Bearer {raw}"}


def roster_xlsx(rows, title="光明社区居民花名册") -> bytes:
    """A roster in the usual shape: merged title row, Chinese header row, one row a person."""
    import openpyxl

    header = ["序号", "姓名", "性别", "身份证号", "联系电话", "小区", "楼栋", "单元", "门牌号",
              "与户主关系", "人员状态", "重点人群", "备注"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for i, row in enumerate(rows, 1):
        ws.append([i, *row])
    for cell in ws["D"]:
        cell.number_format = "@"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


NEW_PERSON = ["郭建华", "男", "140106198203150019", "13912345678", "光明小区", "1号楼",
              "2单元", "202", "户主", "在家", "", ""]


def send(client, method, url, body=None, multipart=False, headers=None):
    headers = headers or {}
    if multipart:
        return client.post(url, body, headers=headers)
    if body is None:
        return client.generic(method, url, headers=headers)
    return client.generic(method, url, json.dumps(body), content_type="application/json",
                          headers=headers)


def upload(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"place": w.community.id, "file": SimpleUploadedFile(
        "roster.xlsx", roster_xlsx([NEW_PERSON]),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}


def make_job(w):
    from fangkong.registry.importer import start_import

    return start_import(Actor.system(w.users.staff, via="web"), w.community, "roster.xlsx",
                        roster_xlsx([NEW_PERSON]))


@dataclass
class Route:
    url: Callable  # world -> url
    body: Callable | None = None  # world -> JSON body (or multipart dict)
    missing: Callable | None = None  # the same request naming an object that does not exist
    multipart: bool = False
    setup: Callable | None = None  # world -> None, runs before the requests
    public: bool = False  # answers without an account (not in the who-may-call tests)
    documented: bool = True  # listed in the OpenAPI schema (the docs' own files are not)
    # Expected status for each kind of user. `staff` is community A's staff (the owner).
    staff: int = 200
    command: int = 200  # street command: reads all below the street, writes nothing
    leader: int = 200  # building leader of community A's building 1
    resident: int = 200  # resident of household 101
    other_staff: int = 404
    outsider: int = 404  # volunteer, lab operator, supplier, user without a role
    lab: int | None = None  # the lab operator where it differs from the other outsiders
    by_token: dict = field(default_factory=dict)  # overrides when the bearer token is used
    forbidden_code: str = "forbidden"  # the error code of its 403 (404 is always not_found)

    def __post_init__(self):
        if self.lab is None:
            self.lab = self.outsider
            if "outsider" in self.by_token:
                self.by_token.setdefault("lab", self.by_token["outsider"])


ANY_USER = dict(staff=200, command=200, leader=200, resident=200, other_staff=200, outsider=200)
WRITE = dict(command=403, leader=403, resident=403)  # visible to all three, writable by none
