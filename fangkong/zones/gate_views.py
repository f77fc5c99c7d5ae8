"""The checkpoint at a gate (scan a code card or type an ID; entry or exit with the code's
colour and temperature; refused with the reason) with its searchable, exportable log (the
map: map_views.py)."""

import uuid
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from fangkong.audit.actions import record
from fangkong.core.errors import Conflict, Invalid, NotFound
from fangkong.core.views import confirm_step, confirmed, page
from fangkong.registry import queries as registry_queries
from fangkong.registry.models import Kind, Place

from . import access, engine, gate_rules, queries
from .actions import gate
from .models import CheckpointEvent, CodeColour
from .views import actor, flash_error, get_place


def _gates(p: Place):
    if p.kind == Kind.CHECKPOINT:
        return [p]
    return list(Place.objects.filter(engine.under_q(p), kind=Kind.CHECKPOINT).order_by("sort_key")[:50])


def known_code(resident_id) -> dict | None:
    """The person's latest known code as the page says it: colour, where it comes from, when."""
    hc = queries.health_code(resident_id)
    if hc is None:
        return None
    return {"colour": hc.colour, "label": hc.get_colour_display(), "source": gate.source_words(hc.source),
            "at": hc.observed_at, "alarm": hc.colour != CodeColour.GREEN}


@page
def checkpoint(request, pk):
    """Scan or type a person; "look up" shows their known code (nothing written); "record"
    passes the gate by `gate.pass_gate`. A colour milder than the known code is asked first
    (a confirm step naming the known code), then recorded as seen at the gate; a code imported
    from the city's data is never overruled: the page says so (not let out, staff told)."""
    p = get_place(request, pk, access.GATE)
    gates = _gates(p)
    chosen = next((g for g in gates if str(g.id) == request.POST.get("gate", request.GET.get("gate", ""))),
                  gates[0] if gates else None)
    result, errors, person, text = None, {}, None, ""
    if request.method == "POST":
        if chosen is None:
            raise NotFound()
        try:
            text = (request.POST.get("person") or "").strip()
            if text:
                try:
                    person = queries.person_at_gate(request.scope, text)
                except NotFound as e:  # said beside the box, not as a missing page
                    raise Invalid(fields={"person": [str(e.message)]}) from None
            if not request.POST.get("look"):
                result = gate.pass_gate(actor(request), chosen, direction=request.POST.get("direction", ""),
                                        client_id=request.POST.get("client_id") or uuid.uuid4(), resident=person,
                                        name=request.POST.get("name", ""), colour=request.POST.get("colour", ""),
                                        temperature=request.POST.get("temperature"), confirm=confirmed(request))
        except Conflict as e:
            if e.code != "confirm_code":
                raise
            back = reverse("zones_gate", args=[p.id]) + f"?gate={chosen.id}"
            return confirm_step(request, title=_("Check the health code"),
                                alarm=(_("Health code on record: %(colour)s") % {
                                    "colour": CodeColour(e.extra["known"]["colour"]).label}, [e.message]),
                                yes=_("I checked the phone: record the colour I chose"), back=back)
        except Invalid as e:
            errors = e.fields or {"person": [str(e.message)]}
    q = (request.GET.get("q") or "").strip()[:40]
    log = queries.gate_log(request.scope, chosen or p, q=q)
    shown = person.id if person is not None else (result.resident_id if result else None)
    return render(request, "zones/checkpoint.html", {
        "place": p, "gates": gates, "gate": chosen, "result": result, "errors": errors, "q": q,
        "log": list(log[:100]), "colours": CodeColour.choices, "client_id": uuid.uuid4(),
        "person": person, "person_text": "" if result else text,
        "who": person.name if person is not None else (result.name if result else ""),
        "known": known_code(shown) if shown else None, "shown": shown,
        "disputed": gate.disputed_words(result, result.disputed) if getattr(result, "disputed", None) else "",
        "zone": queries.household_zone(result.household_id) if result and result.household_id else None,
        "collect_types": gate_rules.collect_types(),
        "duty": registry_queries.duty_phone_for(chosen or p)})


@page
def checkpoint_export(request, pk):
    from fangkong.registry.exporter import rows_xlsx

    p = get_place(request, pk, access.GATE)
    q = (request.GET.get("q") or "").strip()[:40]
    rows = list(queries.gate_log(request.scope, p, q=q)[:20000])
    header = [_("Time"), _("Gate"), _("Person"), _("Direction"), _("Health code"), _("Temperature"),
              _("Zone"), _("Allowed"), _("Reason"), _("Terms")]
    kinds = dict(CheckpointEvent._meta.get_field("zone_kind").choices)
    data = [[timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M"), e.gate.name, e.name,
             e.get_direction_display(), e.get_colour_display() if e.colour else "",
             str(e.temperature or ""), str(kinds.get(e.zone_kind, "")) if e.zone_kind else "",
             _("yes") if e.allowed else _("no"), e.reason, e.terms] for e in rows]
    record(actor(request), "zones.gate.export", p, {"rows": len(data), "q": q})
    title = _("%(place)s checkpoint log, %(when)s") % {"place": p.name,
                                                       "when": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
    resp = HttpResponse(rows_xlsx(title, header, data),
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    fname = quote(f"{p.name}-{timezone.localtime():%Y%m%d-%H%M}.xlsx")
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{fname}"
    return resp


@page
@require_POST
def codes_import(request, pk):
    """A city's health-code file for the people under this place: people from elsewhere are
    skipped and counted; a malformed row refuses the whole file, said as "nothing was
    recorded" and then each row."""
    from fangkong.core.uploads import read_upload

    p = get_place(request, pk, access.GATE)
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise Invalid(fields={"file": [_("Choose the file.")]})
        n, skipped = gate.import_codes(actor(request), p,
                                       read_upload(upload, settings.FANGKONG_LAB_FILE_MAX_BYTES))
        done = _("%(n)d health-code colours recorded.") % {"n": n}
        if skipped:
            done += " " + ngettext("%(m)d row is not a resident here: skipped.",
                                   "%(m)d rows are not residents here: skipped.", skipped) % {"m": skipped}
        messages.success(request, done)
    except Invalid as e:  # FileRefused and FileRejected too: each problem named
        if e.rows:  # "Nothing was recorded: …" first, then each row
            messages.error(request, str(e.message))
        flash_error(request, e)
    return redirect("zones_gate", pk=p.id)
