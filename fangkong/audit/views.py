from django.shortcuts import render

from fangkong.core.paging import paginate
from fangkong.core.views import page

from . import present, queries
from .access import require_log


@page
def audit_log(request):
    require_log(request.scope)
    action = request.GET.get("action") or None
    qs = queries.events(request.scope, action=action)
    pg = paginate(request, qs)
    pg.object_list = present.rows(pg.object_list)
    return render(request, "audit/log.html", {"page": pg, "action": action})
