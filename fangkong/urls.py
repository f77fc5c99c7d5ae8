from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _

from fangkong.api import api


def api_not_found(request):
    return JsonResponse({"error": {"code": "not_found", "message": _("Not found."), "fields": {},
                                   "rows": []}}, status=404)


def admin_permission(request) -> bool:
    """Django admin is for superusers only (staff flags are not used by Fangkong). Someone
    signed in who is not one gets a plain 404 — sending them to log in made a loop
    (/admin/ → /admin/login/ → /login/?next=/admin/, which sends a signed-in user on to
    /admin/ again): a browser error instead of an answer."""
    if request.user.is_active and request.user.is_superuser:
        return True
    if request.user.is_authenticated:
        raise Http404()
    return False


def admin_login(request, extra_context=None):
    """Superusers log in through Fangkong's login (throttled, two-step), not the admin's own
    form; someone already signed in is not sent round again (`admin_permission`)."""
    if request.user.is_authenticated:
        raise Http404()
    return redirect_to_login(request.GET.get("next") or request.get_full_path())


admin.site.site_header = "Fangkong"
admin.site.has_permission = admin_permission
admin.site.login = admin_login

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
    path("", include("fangkong.services.urls")),
    path("", include("fangkong.reports.urls")),
]

handler400 = "fangkong.core.views.bad_request"
handler404 = "fangkong.core.views.not_found"
handler403 = "fangkong.core.views.forbidden"
handler500 = "fangkong.core.views.server_error"

