"""Registry pages. Thin: read through `queries`, write through `actions`, render.

Fragments for htmx (search results, the revealed ID number, import progress) are
template partials of the page they belong to.
"""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fangkong.accounts import queries as account_queries
from fangkong.accounts.roles import Perm
from fangkong.audit.disclosure import audit_phones
from fangkong.core import pii
from fangkong.core.access import require_export
from fangkong.core.errors import Invalid, NotFound, TooMany
from fangkong.core.replica import using_replica
from fangkong.core.shedding import check_rate, expensive
from fangkong.core.uploads import read_upload
from fangkong.core.views import act, actor_of, is_htmx, page

from . import actions, queries
from .access import can_show_codes, require
from .contacts import with_contact_phones
from .models import HOUSEHOLD_PARENTS, ImportJob, KeyGroup, Kind, Place, Presence, Relation, Tag


def _place_context(request, place):
    scope = request.scope
    above = queries.ancestors(place)
    return {
        "place": place,
        "crumbs": queries.crumbs(scope, place, above=above),
        "duty": queries.nearest_duty_phone([*above, place]),  # = duty_phone_for, no query
        "can_edit": scope.allows(Perm.EDIT_REGISTRY, place),
        "can_edit_places": scope.allows(Perm.EDIT_PLACES, place),
        "can_import": scope.allows(Perm.IMPORT, place),
        "can_export": scope.allows(Perm.EXPORT, place),
    }


@page
def place_detail(request, pk):
    place = queries.get_place(request.scope, pk)
    ctx = _place_context(request, place)
    ctx["counts"] = queries.place_counts(place) if place.is_level else None
    if place.kind in (Kind.BUILDING, Kind.UNIT):
        ctx["board"] = queries.board(request.scope, place)
        rows = [r for _u, hhs in ctx["board"] for h in hhs for r in h.people]
        audit_phones(actor_of(request), rows, f"board:{place.id}")
    if "board" in ctx:  # units are on the board; list any other places without counts
        ctx["children"] = list(queries.places(request.scope).filter(parent=place)
                               .exclude(kind=Kind.UNIT))
    else:
        ctx["children"] = queries.children_with_counts(request.scope, place)
    ctx["child_kinds"] = _child_kinds(place)
    ctx["household_here"] = place.kind in HOUSEHOLD_PARENTS
    ctx["panels"] = place_panels(request, place)
    ctx["alerts"] = place_alerts(request, place)
    typed = request.session.pop(DUTY_TYPED, None)
    if typed and typed.get("place") == place.id:
        ctx["duty_typed"] = typed
    return render(request, "registry/place.html", ctx)


@require_POST
@page
def place_duty_phone(request, pk):
    place = queries.get_place(request.scope, pk)
    typed = request.POST.get("duty_phone", "")
    try:
        p = actions.set_duty_phone(actor_of(request), place, typed)
    except Invalid as e:  # back to the form, open, with what was typed and why it was refused
        request.session[DUTY_TYPED] = {"place": place.id, "value": typed[:40],
                                       "errors": [str(m) for v in e.fields.values() for m in v]
                                       or [str(e.message)]}
        return redirect(reverse("place", args=[place.id]) + "#duty-phone-form")
    messages.success(request, _("Duty phone set: %(phone)s.") % {"phone": p.duty_phone}
                     if p.duty_phone else _("Duty phone cleared."))
    return redirect("place", pk=place.id)


DUTY_TYPED = "fk_duty_phone_typed"  # the session's refused duty phone, shown once on its place


PANEL_KINDS = (Kind.DISTRICT, Kind.STREET, Kind.COMMUNITY, Kind.GRID)


def place_panels(request, place) -> list[str]:
    """Today's work at this place from the other apps (the live testing round, the open
    calls for volunteers…), as HTML fragments: each app names a function in
    settings.FANGKONG_PLACE_PANELS taking (request, place) and returning HTML or None, so
    the registry depends on none of them. Shown on the pages of the upper levels only."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    if place.kind not in PANEL_KINDS:
        return []
    out = []
    for path in settings.FANGKONG_PLACE_PANELS:
        html = import_string(path)(request, place)
        if html:
            out.append(html)
    return out


def place_alerts(request, place) -> list[str]:
    """What needs someone now, at the top of a place's page at every level (positives
    awaiting a re-test…): HTML fragments from `settings.FANGKONG_PLACE_ALERTS`, as for the
    panels."""
    from django.conf import settings
    from django.utils.module_loading import import_string

    return [html for path in settings.FANGKONG_PLACE_ALERTS
            if (html := import_string(path)(request, place))]


def _child_kinds(place):
    from .models import ALLOWED_PARENTS, NON_RESIDENTIAL

    kinds = [k for k, parents in ALLOWED_PARENTS.items() if place.kind in parents]
    return [(k.value, k.label) for k in kinds] + [(k.value, k.label) for k in NON_RESIDENTIAL]


@require_POST
@page
def place_create(request, pk):
    parent = queries.get_place(request.scope, pk)
    return act(request, lambda actor: actions.create_place(
        actor, parent, request.POST.get("kind", ""), request.POST.get("name", ""),
        code=request.POST.get("code", "")),
        to=reverse("place", args=[parent.id]),
        done=lambda child: _("Added %(name)s.") % {"name": child.name})


@page
@expensive("search")
def search(request):
    """Live search (htmx fragment) or a full page. Optional ?place= narrows it."""
    q = request.GET.get("q", "")
    within = None
    if request.GET.get("place"):
        within = queries.get_place(request.scope, request.GET["place"])
    kind, rows = queries.search(request.scope, q, within=within, limit=50)
    labels = queries.address_labels(rows)
    for r in rows:
        r.address = labels.get(r.household.place_id, "")
    audit_phones(actor_of(request), rows, "search")
    ctx = {"q": q, "kind": kind, "rows": rows, "within": within}
    if is_htmx(request):
        return render(request, "registry/search.html#results", ctx)
    return render(request, "registry/search.html", ctx)


@page
def household_detail(request, pk):
    hh = queries.get_household(request.scope, pk)
    people = list(queries.residents(request.scope).filter(household=hh).order_by("relation", "id"))
    audit_phones(actor_of(request), people, f"household:{hh.id}", [hh])
    above = queries.ancestors(hh.place)
    chain = queries.crumbs(request.scope, hh.place, with_self=True, above=above)
    ctx = {"hh": hh, "people": people, "address": queries.address_labels([hh]).get(hh.place_id, ""),
           "can_edit": request.scope.allows(Perm.EDIT_REGISTRY, hh),
           "can_reveal": request.scope.allows(Perm.REVEAL_ID, hh),
           "can_codes": can_show_codes(request.scope, hh),
           "logins": account_queries.household_logins(request.scope, hh),
           "crumbs": chain, "duty": queries.nearest_duty_phone([*above, hh.place]),
           "panels": household_panels(request, hh), **_choices()}
    return render(request, "registry/household.html", ctx)


def open_requests(scope, rows) -> dict[int, int]:
    """{household id: its open service requests} for the people listed, one query, from the
    app that has them (`settings.FANGKONG_OPEN_REQUESTS`): the registry imports none."""
    from django.utils.module_loading import import_string

    path = getattr(settings, "FANGKONG_OPEN_REQUESTS", "")
    return import_string(path)(scope, [r.household_id for r in rows]) if path else {}


def household_panels(request, hh) -> list[str]:
    """What the other apps show at the top of a household's page (its people's testing now,
    in plain words): HTML fragments from `settings.FANGKONG_HOUSEHOLD_PANELS`, each taking
    (request, household) and returning HTML or None, as for a place's panels."""
    from django.utils.module_loading import import_string

    return [html for path in settings.FANGKONG_HOUSEHOLD_PANELS
            if (html := import_string(path)(request, hh))]


@page
def household_create(request, pk):
    place = queries.get_place(request.scope, pk)
    require(actor_of(request), Perm.EDIT_REGISTRY, place)
    errors, values = {}, {}
    if request.method == "POST":
        values = request.POST
        try:
            hh = actions.create_household(actor_of(request), place, values.get("door", ""),
                                          phone=values.get("phone", ""),
                                          notes=values.get("notes", ""))
            messages.success(request, _("Household %(door)s added.") % {"door": hh.door})
            return redirect("household", pk=hh.id)
        except Invalid as e:
            errors = e.fields
    return render(request, "registry/household_form.html",
                  {"place": place, "errors": errors, "values": values})


@page
def household_edit(request, pk):
    hh = queries.get_household(request.scope, pk)
    require(actor_of(request), Perm.EDIT_REGISTRY, hh)
    errors, values = {}, {"door": hh.door, "phone": hh.phone, "notes": hh.notes}
    if request.method == "POST":
        values = request.POST
        try:
            actions.update_household(actor_of(request), hh, door=values.get("door", ""),
                                     phone=values.get("phone", ""), notes=values.get("notes", ""))
            messages.success(request, _("Saved."))
            return redirect("household", pk=hh.id)
        except Invalid as e:
            errors = e.fields
    return render(request, "registry/household_form.html",
                  {"hh": hh, "place": hh.place, "errors": errors, "values": values,
                   "address": queries.address_labels([hh]).get(hh.place_id, "")})


def _choices():
    return {"relations": Relation.choices, "presences": Presence.choices, "all_tags": Tag.choices,
            "key_groups": KeyGroup.choices}


def _resident_form_data(post):
    data = {k: post.get(k, "") for k in ("name", "id_number", "phone", "relation", "presence",
                                          "notes", "birth_date", "sex", "key_group")}
    data["tags"] = post.getlist("tags")
    data["has_smartphone"] = "1" if post.get("has_smartphone") else "0"
    return data


@page
def resident_create(request, pk):
    hh = queries.get_household(request.scope, pk)
    require(actor_of(request), Perm.EDIT_REGISTRY, hh)
    errors, values = {}, {"relation": "", "presence": Presence.HOME, "has_smartphone": "1", "tags": []}
    if request.method == "POST":
        values = _resident_form_data(request.POST)
        try:
            r = actions.create_resident(actor_of(request), hh, values)
            messages.success(request, _("%(name)s added.") % {"name": r.name})
            return redirect("household", pk=hh.id)
        except Invalid as e:
            errors = e.fields
    return render(request, "registry/resident_form.html",
                  {"hh": hh, "errors": errors, "values": values, **_choices()})


@page
def resident_edit(request, pk):
    r = queries.get_resident(request.scope, pk)
    require(actor_of(request), Perm.EDIT_REGISTRY, r)
    values = {"name": r.name, "phone": r.phone, "relation": r.relation, "presence": r.presence,
              "notes": r.notes, "tags": r.tag_list, "has_smartphone": "1" if r.has_smartphone else "",
              "id_number": "", "birth_date": r.birth_date.isoformat() if r.birth_date else "",
              "sex": r.sex, "key_group": r.key_group}
    errors, sealed_at = {}, ""
    if request.method == "POST":
        values = _resident_form_data(request.POST)
        values["left_before_seal"] = request.POST.get("left_before_seal") == "1"
        data = dict(values)
        data["left_before_seal"] = True if values["left_before_seal"] else None
        if not data["id_number"]:
            data.pop("id_number")  # blank means "keep the stored one"
        if not data["birth_date"] and r.id_hash:
            data.pop("birth_date")
        if not data["sex"] and r.id_hash:
            data.pop("sex")
        try:
            actions.update_resident(actor_of(request), r, data)
            messages.success(request, _("Saved."))
            return redirect("household", pk=r.household_id)
        except Invalid as e:
            errors = e.fields
            if e.code == "building_sealed" or values["left_before_seal"]:
                # set away in a sealed building: ask whether they left before the seal
                since = actions.sealed_since(r)
                sealed_at = timezone.localtime(since).strftime("%Y-%m-%d %H:%M") if since else ""
    return render(request, "registry/resident_form.html",
                  {"hh": r.household, "resident": r, "errors": errors, "values": values,
                   "sealed_at": sealed_at, **_choices()})


@page
def resident_move(request, pk):
    """Move a person to another household (a marriage, a child leaving, a data-entry
    mistake): find the household by address, door or a member's name, then confirm."""
    r = queries.get_resident(request.scope, pk)
    actor = actor_of(request)
    require(actor, Perm.EDIT_REGISTRY, r)
    community = Place.objects.get(pk=r.community_id) if r.community_id else None
    error = ""
    if request.method == "POST":
        try:
            target = queries.get_household(request.scope, request.POST.get("household"),
                                           Perm.EDIT_REGISTRY)
        except NotFound:
            error = _("Choose the new household from the list.")
        else:
            actions.move_resident(actor, r, target)
            messages.success(request, _("%(name)s now lives at %(door)s.") % {
                "name": r.name, "door": f"{target.place.name} {target.door}"})
            return redirect("household", pk=target.pk)
    q = request.GET.get("q", "")
    found = queries.household_search(request.scope, q, within=community,
                                     perm=Perm.EDIT_REGISTRY) if q else []
    found = [h for h in found if h.pk != r.household_id]
    ctx = {"r": r, "hh": r.household, "q": q, "found": found, "error": error,
           "labels": queries.address_labels(found + [r.household])}
    if is_htmx(request):
        return render(request, "registry/resident_move.html#results", ctx)
    return render(request, "registry/resident_move.html", ctx, status=400 if error else 200)


@require_POST
@page
def resident_reveal(request, pk):
    r = queries.get_resident(request.scope, pk)
    try:
        value = actions.reveal_id_number(actor_of(request), r)
    except (TooMany, pii.Undecryptable) as e:
        # htmx swaps only 2xx answers: the message replaces the button in place.
        return render(request, "registry/household.html#revealed", {"error": e.message, "r": r},
                      status=200 if is_htmx(request) else e.status)
    return render(request, "registry/household.html#revealed", {"value": value, "r": r})


def _filters(**values) -> str:
    """The list's filters as a query string ending in "&" (pager and export links keep them)."""
    from urllib.parse import urlencode

    kept = {k: v for k, v in values.items() if v}
    return urlencode(kept) + "&" if kept else ""


@page
def resident_list(request, pk):
    """The residents under a place, filtered by vulnerability, presence and zone (the kind
    of zone their household is in now: a dashboard's 封控区人数 opens this list with
    ?zone=sealed). ?by=household: the households instead (封控区户数), counted as the
    figures count them (someone in the household counts)."""
    place = queries.get_place(request.scope, pk)
    tag = request.GET.get("tag") or None
    presence = request.GET.get("presence") or None
    zone = queries.zone_value(request.GET.get("zone"))
    if tag and tag not in Tag.values:
        tag = None
    if presence and presence not in Presence.values:
        presence = None
    ctx = _place_context(request, place)
    ctx.update({"tag": tag, "presence": presence, "zone": zone, "zones": queries.zone_choices(), **_choices(),
                "vulnerable": request.GET.get("vulnerable") == "1"})
    if request.GET.get("by") == "household":
        qs = queries.household_list(request.scope, place, counted=True, zone=zone)
        pg = Paginator(qs, settings.FANGKONG_PAGE_SIZE).get_page(request.GET.get("page"))
        households = list(pg.object_list)
        labels = queries.address_labels(households)
        for h in households:
            h.address = labels.get(h.place_id, "")
        ctx.update({"page": pg, "households": households, "by_household": True,
                    "keep": _filters(zone=zone, by="household")})
        return render(request, "registry/residents.html", ctx)
    qs = queries.resident_list(request.scope, place, tag=tag, presence=presence, zone=zone)
    pager = Paginator(qs, settings.FANGKONG_PAGE_SIZE)
    pg = pager.get_page(request.GET.get("page"))
    rows = list(pg.object_list)
    labels = queries.address_labels(rows)
    for r in rows:
        r.address = labels.get(r.household.place_id, "")
    audit_phones(actor_of(request), rows, f"list:{place.id}")
    ctx.update({"page": pg, "rows": rows, "keep": _filters(tag=tag, presence=presence, zone=zone)})
    return render(request, "registry/residents.html", ctx)


@page
def vulnerable_list(request, pk):
    place = queries.get_place(request.scope, pk)
    tag = request.GET.get("tag") or None
    tag = tag if tag in Tag.values else None
    zone = queries.zone_value(request.GET.get("zone"))
    qs = queries.vulnerable(request.scope, place, tags=[tag] if tag else [], zone=zone)
    pager = Paginator(qs, 200)
    pg = pager.get_page(request.GET.get("page"))
    rows = list(pg.object_list)
    labels = queries.address_labels(rows)
    opened = open_requests(request.scope, rows)
    for r in rows:
        r.address = labels.get(r.household.place_id, "")
        r.open_requests = opened.get(r.household_id, 0)
    # a list of people to call or visit: whom to call for each, as the morning check-ins and
    # the round's lists say it (the household's or a housemate's phone for those without one)
    with_contact_phones(actor_of(request), rows, f"vulnerable:{place.id}")
    ctx = _place_context(request, place)
    ctx.update({"page": pg, "rows": rows, "tag": tag, "zone": zone, "zones": queries.zone_choices(), "call_list": True,
                "keep": _filters(tag=tag, zone=zone), **_choices()})
    return render(request, "registry/vulnerable.html", ctx)


@page
@using_replica  # an export may be a few seconds stale (core/replica.py)
def export_residents(request, pk):
    from .exporter import residents_xlsx

    place = queries.get_place(request.scope, pk)
    require_export(request.scope, Perm.EXPORT, place)
    check_rate(request, "export")  # after the access check: a refused export is 404 always
    tag = request.GET.get("tag")
    presence = request.GET.get("presence")
    zone = queries.zone_value(request.GET.get("zone"))
    if request.GET.get("vulnerable") == "1":
        qs = queries.vulnerable(request.scope, place, tags=[tag] if tag in Tag.values else [], zone=zone)
        what = _("Vulnerable residents")
    else:
        qs = queries.resident_list(request.scope, place,
                                   tag=tag if tag in Tag.values else None,
                                   presence=presence if presence in Presence.values else None, zone=zone)
        what = _("Residents")
    if zone:  # "光明社区 居民 · 封控区": the file says which area it lists
        what = f"{what} · {dict(queries.zone_choices())[zone]}"
    reveal = request.GET.get("ids") == "full" and request.scope.allows(Perm.REVEAL_ID, place)
    title = f"{place.name} {what} {timezone.localtime():%Y-%m-%d %H:%M}"
    rows = list(qs)
    # each person's zone now (区域: 封控区, 管控区, 防范区, empty outside): after the template's
    # columns, so the importer reads the file back and only notes the column as not imported
    zoned = queries.zone_names(r.household_id for r in rows)
    extra = [(_("Zone"), [zoned.get(r.household_id, "") for r in rows])]
    if request.GET.get("vulnerable") == "1":  # the list's words: its open requests per person
        opened = open_requests(request.scope, rows)
        extra.append((_("Open requests"), [opened.get(r.household_id, 0) for r in rows]))
    data = residents_xlsx(actor_of(request), rows, title=title, reveal_ids=reveal, extra=extra)
    resp = HttpResponse(data, content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    from urllib.parse import quote

    fname = quote(f"{place.name}-{what}-{timezone.localtime():%Y%m%d-%H%M}.xlsx")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{fname}"
    return resp


# --- import --------------------------------------------------------------------

@page
def import_start(request, pk):
    from .importer import start_import
    from .importer.messages import job_message

    place = queries.get_place(request.scope, pk)
    if not request.scope.allows(Perm.IMPORT, place):
        raise NotFound()
    error, status = None, 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if not upload:
            error, status = _("Choose a roster file (.xlsx or .csv)."), 422
        else:
            try:
                content = read_upload(upload, settings.FANGKONG_IMPORT_MAX_BYTES)
                job = start_import(actor_of(request), place, upload.name, content)
                if not getattr(job, "file_problem", False):
                    # its summary to confirm (nothing written yet), or its row errors
                    return redirect("import_job", pk=job.id)
                error, status = job_message(job), 422  # the file itself cannot be used
            except Invalid as e:
                error = " ".join(str(m) for v in e.fields.values() for m in v) or e.message
                status = 422
    recent = ImportJob.objects.filter(user=request.user, place=place).defer("content")[:5]
    ctx = _place_context(request, place)
    ctx.update({"error": error, "recent": recent})
    return render(request, "registry/import.html", ctx, status=status)


@page
def import_job(request, pk):
    """An import's progress and report, its messages in the reader's language whoever ran it
    (`importer.messages`)."""
    from .importer.messages import error_rows, job_message, summary_out, warning_rows

    job = queries.get_import_job(request.scope, pk)
    ctx = {"job": job, "place": job.place, "errors": error_rows(job.errors[:500]),
           "warnings": warning_rows(job.warnings[:500]), "message": job_message(job),
           "summary": summary_out(job.summary) if job.status == ImportJob.Status.CHECKED else None,
           "community": _community_of(job.place)}
    if is_htmx(request):
        return render(request, "registry/import_job.html#progress", ctx)
    return render(request, "registry/import_job.html", ctx)


def _community_of(place: Place):
    """The community an import goes into (named on the confirm button), or None above one."""
    if place.kind == Kind.COMMUNITY or not place.community_id:
        return None
    return Place.objects.filter(pk=place.community_id).only("id", "name").first()


@page
@require_POST
def import_confirm(request, pk):
    """“确认导入”: write the checked import (`importer.confirm_import`): planned again, and if
    the registry changed since the check, its new summary is shown to confirm again."""
    from .importer import confirm_import

    job = queries.get_import_job(request.scope, pk)
    return act(request, lambda actor: confirm_import(actor, job, request.POST.get("digest", "")),
               to=lambda j: reverse("import_job", args=[j.id]))


@page
@require_POST
def import_discard(request, pk):
    """“放弃”: drop the checked import; nothing is written."""
    from .importer import discard_import

    job = queries.get_import_job(request.scope, pk)
    return act(request, lambda actor: discard_import(actor, job),
               to=lambda j: reverse("import_start", args=[j.place_id]))


def import_template(request):
    """The roster template (.xlsx), downloadable without logging in."""
    from pathlib import Path

    path = Path(__file__).parent / "files" / "roster-template.xlsx"
    resp = HttpResponse(path.read_bytes(), content_type=(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
    resp["Content-Disposition"] = "attachment; filename*=UTF-8''roster-template.xlsx"
    return resp


def place_url(place: Place) -> str:
    return reverse("place", args=[place.id])
