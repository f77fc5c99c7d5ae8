from django.core.paginator import Paginator
from django.shortcuts import render

from fangkong.accounts.roles import Perm
from fangkong.core.errors import NotFound
from fangkong.core.views import page

from . import queries


@page
def audit_log(request):
    if not request.scope.has(Perm.VIEW_AUDIT):
        raise NotFound()
    action = request.GET.get("action") or None
    qs = queries.events(request.scope, action=action)
    pg = Paginator(qs, 100).get_page(request.GET.get("page"))
    return render(request, "audit/log.html", {"page": pg, "action": action})
