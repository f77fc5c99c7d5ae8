"""The registry over JSON (/api/v1/): places, households, residents and roster imports.

Thin glue, nothing more. Every read goes through `queries` (scoped: an object outside the
user's scope is a 404 with exactly the body of a missing one) and every write through
`actions` (which check the role: 403 when the user sees the object but may not change it,
validate through `checks`, write atomically and audit). The HTML pages call the same
functions, so the two can never disagree.

Identifiers: `id_number` is always masked; a phone is in clear only where the role may
see phones, and every response that shows phones in clear is audited once.
"""

from typing import Literal

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from fangkong.accounts.roles import Perm
from fangkong.audit.disclosure import record_phones, show_id, show_phone
from fangkong.core.access import ids as row_ids
from fangkong.core.actor import actor_of
from fangkong.core.errors import FangkongError, Invalid, NotFound
from fangkong.core.paging import page_of
from fangkong.core.shedding import check_rate

from . import actions, checks, queries
from .models import Household, ImportJob, Place, Resident
from .schemas import (
    HouseholdCreate,
    HouseholdDetail,
    HouseholdOut,
    HouseholdPage,
    HouseholdUpdate,
    ImportOut,
    PlaceCreate,
    PlaceDetail,
    PlaceDutyPhone,
    PlaceMove,
    PlaceOut,
    PlaceRename,
    ReissuedCode,
    ResidentCreate,
    ResidentMove,
    ResidentOut,
    ResidentPage,
    ResidentPatch,
    RevealedId,
)

router = Router(tags=["registry"])

MAX_PAGE_NUMBER = 1_000_000


# --- output ------------------------------------------------------------------

def place_out(p: Place) -> dict:
    return {
        "id": p.id, "kind": p.kind, "kind_label": str(p.get_kind_display()), "name": p.name,
        "code": p.code, "parent": p.parent_id, "depth": p.depth, "duty_phone": p.duty_phone,
        "household_count": getattr(p, "n_households", None),
        "resident_count": getattr(p, "n_residents", None),
    }


def _resident_out(r: Resident, scope, labels) -> dict:
    phone, masked = show_phone(scope, r)
    hh = r.household
    return {
        "id": r.id, "household": r.household_id, "door": hh.door, "place": hh.place_id,
        "address": labels.get(hh.place_id, ""), "name": r.name, "sex": r.sex, "age": r.age,
        "phone": phone, "phone_masked": masked, "id_number": show_id(r),
        "relation": r.relation, "presence": r.presence, "tags": r.tag_list,
        "key_group": r.key_group, "has_smartphone": r.has_smartphone, "notes": r.notes, "unverified": r.unverified,
        "updated_at": r.updated_at,
    }


def _audit_household_phones(request, rows, out, where):
    shown = [h for h, row in zip(rows, out, strict=True) if h.phone and not row["phone_masked"]]
    if shown:
        record_phones(actor_of(request), [], where, shown)


def residents_out(request, rows: list[Resident], where: str, *, contacts=False) -> list[dict]:
    """Serialise residents (one query for their addresses) and audit the phones shown in
    clear, once for the whole response. With `contacts`, each also has `contact_phone`:
    for someone without a phone, the household's or a housemate's
    (`queries.contact_phones`, shown by the same rule, audited in the same event), else None."""
    scope = request.scope
    labels = queries.address_labels(rows)
    out = [_resident_out(r, scope, labels) for r in rows]
    shown = [r for r, row in zip(rows, out, strict=True) if r.phone and not row["phone_masked"]]
    homes = []
    if contacts:
        found = queries.contact_phones(rows)
        for r, row in zip(rows, out, strict=True):
            c = found.get(r.id)
            row["contact_phone"] = None
            if c is not None:
                phone, masked = show_phone(scope, c["of"], c["phone"])
                row["contact_phone"] = {"phone": phone, "phone_masked": masked, "name": c["name"],
                                        "of": "housemate" if c["name"] else "household"}
                if not masked:
                    (shown if c["name"] else homes).append(c["of"])
    if shown or homes:
        record_phones(actor_of(request), shown, where, homes)
    return out


def _household_out(hh: Household, scope, labels, n_residents: int) -> dict:
    phone, masked = show_phone(scope, hh)
    return {
        "id": hh.id, "place": hh.place_id, "door": hh.door,
        "address": labels.get(hh.place_id, ""), "phone": phone, "phone_masked": masked,
        "notes": hh.notes, "resident_count": n_residents, "counted": n_residents > 0,
        "updated_at": hh.updated_at,
    }


_page = page_of  # (count, size, rows) of one page


PageNumber = Query(1, ge=1, le=MAX_PAGE_NUMBER)
PageSize = Query(None, ge=1, description=(
    f"Rows a page: {settings.FANGKONG_PAGE_SIZE} unless asked, at most "
    f"{settings.FANGKONG_API_MAX_PAGE} (more is a 400)."))
Counted = Query(None, description=(
    "true: only the households someone counts in (not everyone moved out, not empty) — "
    "exactly those a place's `household_count` counts; false: only the others."))


def _zone_kinds():
    """The zone filter's values (`queries.zone_choices`: the zones' own list, read without
    importing zones), as the type of the parameter: any other value is a 422 naming `zone`."""
    values = tuple(v for v, _w in queries.zone_choices())
    return Literal[values] if values else str


ZoneKind = _zone_kinds()
ZoneFilter = Query(None, description=(
    "Only the households now in that kind of zone — "
    + ", ".join(f"`{v}`" for v, _w in queries.zone_choices())
    + " (`none`: in no zone) — by the same rule as the resident list page's and the roster "
    "export's `?zone=` and the dashboard's zone figures (a zone begun and not ended)."))


# --- places ------------------------------------------------------------------

@router.get("/places", response=list[PlaceOut])
def place_list(request, parent: int | None = None):
    """The children of `parent`, or the user's own top nodes when no parent is given, each
    with its numbers of households and residents."""
    scope = request.scope
    if parent is None:
        nodes = queries.with_counts(scope.roots(Perm.VIEW_REGISTRY))
    else:
        nodes = queries.children_with_counts(scope, queries.get_place(scope, parent))
    return [place_out(p) for p in nodes]


@router.get("/places/{place_id}", response=PlaceDetail)
def place_detail(request, place_id: int):
    scope = request.scope
    place = queries.get_place(scope, place_id)
    counts = queries.place_counts(place)
    place.n_households, place.n_residents = counts["households"], counts["residents"]
    out = place_out(place)
    out["vulnerable_count"] = counts["vulnerable"]
    above = queries.ancestors(place)
    duty = queries.nearest_duty_phone([*above, place])  # = duty_phone_for, no query
    out["effective_duty_phone"] = duty.duty_phone if duty else ""
    out["ancestors"] = [{"id": p.id, "kind": p.kind, "name": p.name}
                        for p in above if scope.allows(Perm.VIEW_REGISTRY, p)]
    return out


@router.post("/places", response={201: PlaceOut})
def place_create(request, payload: PlaceCreate):
    parent = None
    if payload.parent is not None:
        parent = queries.get_place(request.scope, payload.parent)
    place = actions.create_place(actor_of(request), parent, payload.kind, payload.name,
                                 code=payload.code)
    return Status(201, place_out(place))


@router.patch("/places/{place_id}", response=PlaceOut)
def place_rename(request, place_id: int, payload: PlaceRename):
    place = queries.get_place(request.scope, place_id)
    return place_out(actions.rename_place(actor_of(request), place, payload.name))


@router.post("/places/{place_id}/duty-phone", response=PlaceOut)
def place_duty_phone(request, place_id: int, payload: PlaceDutyPhone):
    """Set the place's duty phone (值班电话); "" or null clears it."""
    place = queries.get_place(request.scope, place_id)
    return place_out(actions.set_duty_phone(actor_of(request), place, payload.duty_phone))


@router.post("/places/{place_id}/move", response=PlaceOut)
def place_move(request, place_id: int, payload: PlaceMove):
    place = queries.get_place(request.scope, place_id)
    parent = queries.get_place(request.scope, payload.parent)
    return place_out(actions.move_place(actor_of(request), place, parent))


# --- households --------------------------------------------------------------

@router.get("/households", response=HouseholdPage)
def household_list(request, place: int | None = None, q: str = "",
                   counted: bool | None = Counted, zone: ZoneKind | None = ZoneFilter,
                   page: int = PageNumber, page_size: int | None = PageSize):
    """Households under `place` (or all you may see), empty ones and those everyone moved
    out of included (`counted` tells them apart). `q`: start of the door number, or the
    last digits (4 or more) of the household phone; `zone`: the kind of zone they are in
    now (`?zone=sealed&counted=true` is the dashboard's 封控区户数)."""
    if q:
        check_rate(request, "search")
    scope = request.scope
    where = queries.get_place(scope, place) if place is not None else None
    count, size, rows = _page(queries.household_list(scope, where, q=q, counted=counted, zone=zone),
                              page, page_size)
    labels = queries.address_labels(rows)
    results = [_household_out(h, scope, labels, h.n_residents) for h in rows]
    _audit_household_phones(request, rows, results, "api:households")
    return {"count": count, "page": page, "page_size": size, "results": results}


@router.get("/households/{household_id}", response=HouseholdDetail)
def household_detail(request, household_id: int):
    scope = request.scope
    hh = queries.get_household(scope, household_id)
    people = list(queries.residents(scope).filter(household=hh).select_related("household")
                  .order_by("relation", "id"))
    out = _household_out(hh, scope, queries.address_labels([hh]),
                         sum(1 for r in people if r.presence != "moved_out"))
    _audit_household_phones(request, [hh], [out], "api:household")
    out["residents"] = residents_out(request, people, "api:household")
    return out


@router.post("/households", response={201: HouseholdOut})
def household_create(request, payload: HouseholdCreate):
    place = queries.get_place(request.scope, payload.place)
    hh = actions.create_household(actor_of(request), place, payload.door, phone=payload.phone,
                                  notes=payload.notes)
    return Status(201, _household_out(hh, request.scope, queries.address_labels([hh]), 0))


@router.patch("/households/{household_id}", response=HouseholdOut)
def household_update(request, household_id: int, payload: HouseholdUpdate):
    scope = request.scope
    hh = queries.get_household(scope, household_id)
    hh = actions.update_household(actor_of(request), hh, door=payload.door, phone=payload.phone,
                                  notes=payload.notes)
    n = queries.residents(scope).filter(household=hh).exclude(presence="moved_out").count()
    return _household_out(hh, scope, queries.address_labels([hh]), n)


# --- residents ---------------------------------------------------------------

def _list_filters(tag: str, presence: str) -> tuple[list[str], str | None]:
    """The tag and presence filters, checked by the same rules as a resident's fields
    (codes or words: "elderly_alone" or 独居老人, "quarantine" or 集中隔离)."""
    try:
        clean = checks.check_resident({"tags": tag, "presence": presence}, partial=True)
    except Invalid as e:
        raise Invalid(fields={("tag" if k == "tags" else k): v for k, v in e.fields.items()}) \
            from None
    return clean.get("tags") or [], clean.get("presence")


@router.get("/residents", response=ResidentPage)
def resident_list(request, place: int | None = None, tag: str = "", presence: str = "",
                  q: str = "", zone: ZoneKind | None = ZoneFilter,
                  page: int = PageNumber, page_size: int | None = PageSize):
    """Residents under `place` (or all you may see), filtered by vulnerability tag(s),
    presence and the kind of zone their household is in now (`zone`; `?zone=sealed` is the
    dashboard's 封控区人数). `q` searches like the search box: name, pinyin or initials,
    phone or its last 4 digits, ID number or its last 4, or an address such as 3-2-501."""
    if q:
        check_rate(request, "search")
    scope = request.scope
    where = queries.get_place(scope, place) if place is not None else None
    tags, presence_value = _list_filters(tag, presence)
    qs = queries.resident_query(scope, where, tags=tags, presence=presence_value, q=q, zone=zone)
    count, size, rows = _page(qs, page, page_size)
    return {"count": count, "page": page, "page_size": size,
            "results": residents_out(request, rows, "api:residents")}


@router.get("/residents/{resident_id}", response=ResidentOut)
def resident_detail(request, resident_id: int):
    r = queries.get_resident(request.scope, resident_id)
    return residents_out(request, [r], "api:resident")[0]


@router.post("/residents", response={201: ResidentOut})
def resident_create(request, payload: ResidentCreate):
    hh = queries.get_household(request.scope, payload.household)
    data = payload.model_dump(exclude={"household"}, exclude_unset=True)
    r = actions.create_resident(actor_of(request), hh, data)
    return Status(201, residents_out(request, [r], "api:resident")[0])


@router.patch("/residents/{resident_id}", response=ResidentOut)
def resident_update(request, resident_id: int, payload: ResidentPatch):
    """Changes only the fields sent; `null` or "" clears an optional one."""
    r = queries.get_resident(request.scope, resident_id)
    r = actions.update_resident(actor_of(request), r, payload.model_dump(exclude_unset=True))
    return residents_out(request, [r], "api:resident")[0]


@router.post("/residents/{resident_id}/move", response=ResidentOut)
def resident_move(request, resident_id: int, payload: ResidentMove):
    r = queries.get_resident(request.scope, resident_id)
    hh = queries.get_household(request.scope, payload.household)
    r = actions.move_resident(actor_of(request), r, hh)
    return residents_out(request, [r], "api:resident")[0]


@router.post("/residents/{resident_id}/reveal-id", response=RevealedId, url_name="reveal_id")
def resident_reveal_id(request, resident_id: int):
    """The ID number in clear, for roles allowed to see it. Every call is audited."""
    r = queries.get_resident(request.scope, resident_id)
    return {"id_number": actions.reveal_id_number(actor_of(request), r)}


# --- sampling code cards (核酸码卡) --------------------------------------------

HouseholdIds = Query(None, description="Only these households (repeat the parameter).")


@router.get("/places/{place_id}/code-cards.pdf", url_name="place_code_cards",
            response={200: None})
def place_code_cards(request, place_id: int, everyone: bool = False,
                     household: list[int] = HouseholdIds):
    """Printable sampling code cards (核酸码卡: application/pdf, 10 to an A4 page) for
    residents under a community, grid, compound, building or unit, or only in the listed
    `household` ids under it. By default only people without a smartphone or in a vulnerable group;
    `everyone=true` for all. Needs registry edit rights there; audited."""
    from .access import require_cards
    from .cards import pdf_response, print_cards

    scope = request.scope
    place = queries.get_place(scope, place_id)
    require_cards(actor_of(request), place)  # refused: 404/403 always, then the rate (429)
    check_rate(request, "export")
    households = None
    if household:
        ids = row_ids(household)
        households = list(queries.households(scope).filter(id__in=ids))
        if len(households) != len(ids):
            raise NotFound()
    pdf, filename, _n = print_cards(actor_of(request), place=place, households=households,
                                    everyone=everyone)
    return pdf_response(pdf, filename)


@router.get("/households/{household_id}/code-cards.pdf", url_name="household_code_cards",
            response={200: None})
def household_code_cards(request, household_id: int, everyone: bool = False):
    """Printable sampling code cards (核酸码卡, application/pdf) for one household; see the place
    endpoint."""
    from .access import require_cards
    from .cards import pdf_response, print_cards

    hh = queries.get_household(request.scope, household_id)
    require_cards(actor_of(request), hh)  # refused: 404/403 always, then the rate (429)
    check_rate(request, "export")
    pdf, filename, _n = print_cards(actor_of(request), household=hh, everyone=everyone)
    return pdf_response(pdf, filename)


@router.post("/residents/{resident_id}/reissue-code", response=ReissuedCode)
def resident_reissue_code(request, resident_id: int):
    """A new sampling code (核酸码) for a lost card: the old code stops working at once.
    Answers the new code's text (what the QR carries). Audited."""
    from .codes import code_payload

    r = queries.get_resident(request.scope, resident_id)
    r = actions.reissue_code(actor_of(request), r)
    return {"id": r.id, "code": code_payload(r)}


# --- imports -----------------------------------------------------------------

def import_out(job: ImportJob) -> dict:
    """An import's report: its messages (`message`, each error's) in the language of this
    request whoever ran it, each error with its `code` (`importer.messages`)."""
    from .importer.messages import error_rows, job_message, summary_out, warning_rows

    checked = job.status == ImportJob.Status.CHECKED
    return {
        "summary": summary_out(job.summary) if checked else None,
        "confirm": reverse("api:import_confirm", kwargs={"job_id": job.id}) if checked else None,
        "id": job.id, "place": {"id": job.place.id, "kind": job.place.kind,
                                "name": job.place.name},
        "filename": job.filename, "status": job.status,
        "status_label": str(job.get_status_display()), "finished": job.is_finished,
        "percent": job.percent, "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "counts": {"created": job.created_count, "updated": job.updated_count,
                   "unchanged": job.unchanged_count,
                   "households_created": job.households_created,
                   "places_created": job.places_created, "joined": job.joined_count,
                   "kept": ((job.summary or {}).get("counts") or {}).get("kept", 0)},
        "error_count": job.error_count, "errors": error_rows(job.errors),
        "warnings": warning_rows(job.warnings),
        "message": job_message(job),
        "created_at": job.created_at, "finished_at": job.finished_at,
    }


def _import_refused(job: ImportJob, status: int, code: str) -> FangkongError:
    """The one error shape for an import that wrote nothing: `rows` holds the row errors,
    `job` the job's id (its report stays at GET /imports/{id}, also given as Location)."""
    from .importer.messages import error_rows, job_message

    return FangkongError(job_message(job) or _("The file has errors: nothing was imported."),
                         code=code, status=status, rows=error_rows(job.errors),
                         extra={"job": job.id},
                         headers={"Location": reverse("api:import_detail",
                                                      kwargs={"job_id": job.id})})


@router.post("/imports", response={201: ImportOut, 202: ImportOut})
def import_create(request, place: Form[int], file: File[UploadedFile]):
    """Check a roster (.xlsx or .csv) for import into a community, grid, compound, building
    or unit. Nothing is written: a clean file's job is "checked", with the `summary` of what
    the import will do, until POST /imports/{id}/confirm writes it (or …/discard drops it).
    A small file is checked at once (201); a big one is queued (202: poll
    GET /imports/{id} until it is "checked"). A file that cannot be used (empty, too large, not a spreadsheet, a
    “zip bomb”, past a limit) answers 422 `invalid_file`; one with row errors imports
    nothing and answers 422 `import_rejected` with every row error; an internal failure
    also imports nothing and answers 500."""
    from fangkong.core.uploads import read_upload

    from .importer import start_import  # written alongside; imported when used

    target = queries.get_place(request.scope, place)
    content = read_upload(file, settings.FANGKONG_IMPORT_MAX_BYTES)  # never more in memory
    job = start_import(actor_of(request), target, file.name or "", content)
    if job.status == ImportJob.Status.REJECTED:
        raise _import_refused(job, 422, "import_rejected")
    if job.status == ImportJob.Status.FAILED:
        raise _import_refused(job, 500, "import_failed")
    return Status(201 if not job.is_running else 202, import_out(job))


@router.get("/imports/{job_id}", response=ImportOut, url_name="import_detail")
def import_detail(request, job_id: int):
    """An import's progress and report: for whoever started it, or staff who may import
    into its place."""
    return import_out(queries.get_import_job(request.scope, job_id))


@router.post("/imports/{job_id}/confirm", response={200: ImportOut, 202: ImportOut},
             url_name="import_confirm")
def import_confirm(request, job_id: int, digest: Form[str] = ""):
    """Write a checked import (its `summary`): 200 with the job "done", or 202 when a big
    file is written by the worker (poll GET /imports/{id}). The file is planned again first:
    if the registry changed since the check so that the summary would differ (or `digest`,
    the summary's `digest` as you saw it, is not the job's any more), nothing is written and
    the answer is 409 `import_changed` with the new `summary`: confirm again. Confirming a
    job already confirmed or written writes nothing more (200 or 202, the job as it is); a
    discarded, rejected or failed job answers 409 `import_not_checked`."""
    from .importer import confirm_import
    from .importer.messages import job_message, summary_out

    job = confirm_import(actor_of(request), queries.get_import_job(request.scope, job_id), digest)
    if job.status == ImportJob.Status.CHECKED:
        raise FangkongError(job_message(job), code="import_changed", status=409,
                            extra={"job": job.id, "summary": summary_out(job.summary)})
    if job.status == ImportJob.Status.REJECTED:
        raise _import_refused(job, 422, "import_rejected")
    if job.status in (ImportJob.Status.FAILED, ImportJob.Status.DISCARDED):
        raise FangkongError(job_message(job), code="import_not_checked", status=409,
                            extra={"job": job.id})
    return Status(202 if job.is_running else 200, import_out(job))


@router.post("/imports/{job_id}/discard", response=ImportOut, url_name="import_discard")
def import_discard(request, job_id: int):
    """Drop a checked import: nothing is written (the job is "discarded"). A job already
    confirmed or written answers 409 `import_not_checked`."""
    from .importer import discard_import
    from .importer.messages import job_message

    job = discard_import(actor_of(request), queries.get_import_job(request.scope, job_id))
    if job.status != ImportJob.Status.DISCARDED:
        raise FangkongError(job_message(job) or _("This import is not waiting for a "
                                                  "confirmation any more."),
                            code="import_not_checked", status=409, extra={"job": job.id})
    return import_out(job)
