from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fangkong.core.actor import Actor
from fangkong.core.errors import Invalid
from fangkong.core.views import page

from . import actions
from .models import ApiToken


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy("Wrong phone/username or password."),
        "inactive": gettext_lazy("This account is disabled."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = gettext_lazy("Phone or username")
        self.fields["username"].widget.attrs.update(
            {"autocomplete": "username", "autocapitalize": "none"})


login_view = auth_views.LoginView.as_view(template_name="accounts/login.html",
                                          authentication_form=LoginForm,
                                          redirect_authenticated_user=True)


@require_POST
def logout_view(request):
    return auth_views.LogoutView.as_view()(request)


@page
def tokens(request):
    actor = Actor.from_request(request)
    new_raw = None
    errors = {}
    if request.method == "POST":
        try:
            _tok, new_raw = actions.create_token(actor, request.POST.get("name", ""))
            messages.success(request, _("Token created. Copy it now: it is shown only once."))
        except Invalid as e:
            errors = e.fields
    rows = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    return render(request, "accounts/tokens.html",
                  {"tokens": rows, "new_raw": new_raw, "errors": errors})


@require_POST
@page
def token_revoke(request, pk):
    actions.revoke_token(Actor.from_request(request), pk)
    messages.success(request, _("Token revoked."))
    return redirect("tokens")
