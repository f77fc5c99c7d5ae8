from urllib.parse import quote

from django.http import HttpResponse
from django.shortcuts import render

from fangkong.core.actor import actor_of
from fangkong.core.errors import Invalid
from fangkong.core.paging import paginate
from fangkong.core.views import page

from . import export, filters, present, queries, words
from .access import require_log, searches_residents

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _choose(request, flt, context):
    """The page's two searches: a resident by name, phone tail, ID tail or address
    (`person`), an account by name (`who`). One match is the filter; several are offered."""
    scope = request.scope
    person = (request.GET.get("person") or "").strip()
    if person and flt.resident is None and searches_residents(scope):
        found = present.people().find(scope, person)
        if len(found) == 1:
            return {"resident": found[0]["id"]}
        context["people"] = [dict(p, query=flt.query(resident=p["id"], page=None)) for p in found]
        context["person"] = person
    who = (request.GET.get("who") or "").strip()
    if who and flt.actor is None:
        found = filters.find_accounts(scope, who)
        if len(found) == 1:
            return {"actor": found[0].id}
        context["accounts"] = [{"name": u.display_name or u.username, "username": u.username,
                                "query": flt.query(actor=u.id, page=None)} for u in found]
        context["who"] = who
    return {}


@page
def audit_log(request):
    require_log(request.scope)
    context = {}
    try:
        flt = filters.read(request.scope, request.GET)
    except Invalid as e:
        context["errors"] = e.fields
        flt = filters.LogFilter()
    chosen = _choose(request, flt, context)
    if chosen:
        flt = filters.read(request.scope, {**flt.asked, **chosen})
    qs = queries.events(request.scope, flt)
    pg = paginate(request, qs)
    pg.object_list = present.rows(pg.object_list, request.scope, resident=flt.resident)
    for e in pg.object_list:
        e.actor_query = flt.query(actor=e.actor_id, page=None) if e.actor_id else ""
    since = flt.asked.get("since", "")
    until = flt.asked.get("until", "")
    context.update({
        "page": pg, "flt": flt, "action": flt.action, "since": since, "until": until,
        "all_query": flt.query(kind=None, action=None, page=None),
        "kinds": [(code, label, flt.query(kind=code, action=None, page=None))
                  for code, (label, _actions) in words.KINDS.items()],
        "without": {"resident": flt.query(resident=None), "actor": flt.query(actor=None)},
        "query": flt.query(page=None),
        "residents_searchable": searches_residents(request.scope),
    })
    return render(request, "audit/log.html", context)


@page
def audit_export(request):
    """The log as filtered on the page, as .xlsx (audited)."""
    require_log(request.scope)
    flt = filters.read(request.scope, request.GET)
    data, name, _n = export.log_xlsx(actor_of(request), flt)
    resp = HttpResponse(data, content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    resp["Cache-Control"] = "private, no-store"
    return resp
