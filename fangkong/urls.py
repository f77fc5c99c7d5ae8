from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _

from fangkong.api import api


def api_not_found(request):
    return JsonResponse({"error": {"code": "not_found", "message": _("Not found."), "fields": {},
                                   "rows": []}}, status=404)


admin.site.site_header = "Fangkong"
# Django admin is for superusers only (staff flags are not used by Fangkong).
admin.site.has_permission = lambda request: request.user.is_active and request.user.is_superuser
# …who log in through Fangkong's login (throttled, two-step), not the admin's own form.
admin.site.login = lambda request, extra_context=None: redirect_to_login(
    request.GET.get("next") or request.get_full_path())

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    re_path(r"^api/v1/.*$", api_not_found),  # unknown API paths answer in the JSON shape
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("fangkong.ops.urls")),  # /healthz, /readyz, /ops/
    path("", include("fangkong.accounts.urls")),
    path("", include("fangkong.audit.urls")),
    path("", include("fangkong.registry.urls")),
    path("", include("fangkong.notify.urls")),
    path("", include("fangkong.volunteers.urls")),
    path("", include("fangkong.screening.urls")),
    path("", include("fangkong.zones.urls")),
    path("", include("fangkong.reports.urls")),
]

handler400 = "fangkong.core.views.bad_request"
handler404 = "fangkong.core.views.not_found"
handler403 = "fangkong.core.views.forbidden"
handler500 = "fangkong.core.views.server_error"

