from django.urls import path

from . import password_views, roles_views, twostep_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("login/code/", twostep_views.login_code, name="login_code"),
    path("two-step/", twostep_views.two_step, name="two_step"),
    path("logout/", views.logout_view, name="logout"),
    path("people/", views.people, name="people"),
    path("people/<id:pk>/revoke/", views.membership_revoke, name="membership_revoke"),
    path("people/<id:pk>/restore/", roles_views.membership_restore, name="membership_restore"),
    path("people/existing/", roles_views.people_existing, name="people_existing"),
    path("people/accounts/<id:pk>/password/", password_views.account_password_reset,
         name="account_password_reset"),
    path("people/accounts/<id:pk>/unlock/", password_views.account_unlock, name="account_unlock"),
    path("password/", password_views.password_change, name="password_change"),
    path("households/<id:pk>/login/", views.household_login, name="household_login"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/<id:pk>/revoke/", views.token_revoke, name="token_revoke"),
]
