"""/admin/ for someone signed in who is not a superuser: a plain 404, never the redirect
loop it was (/admin/ → /admin/login/ → /login/?next=/admin/ → /admin/ …: a browser error)."""

from django.test import Client

from fangkong.accounts.models import User


def _signed_in(user):
    c = Client()
    c.force_login(user)
    return c


def test_a_signed_in_non_superuser_gets_a_plain_not_found(world):
    for user in (world.users.staff, world.users.volunteer, world.users.nobody):
        c = _signed_in(user)
        for url in ("/admin/", "/admin/login/?next=/admin/", "/admin/accounts/user/"):
            r = c.get(url)
            assert r.status_code == 404, (user, url, r.status_code, r.get("Location"))
        # followed as a browser would: it ends at once, on an answer
        r = c.get("/admin/", follow=True)
        assert r.redirect_chain == [] and r.status_code == 404


def test_the_anonymous_are_sent_to_log_in_and_a_superuser_gets_the_admin(world):
    r = Client().get("/admin/")
    assert r.status_code == 302
    r = Client().get("/admin/", follow=True)
    assert r.status_code == 200 and r.redirect_chain[-1][0].startswith("/login/?next=")
    root = User.objects.create_superuser("root_admin", password="admin-pass-1234")
    assert _signed_in(root).get("/admin/").status_code == 200
