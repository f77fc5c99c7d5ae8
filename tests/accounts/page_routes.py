"""Who gets what on the accounts pages (logging in, people and their roles, API tokens, two-step login) (checked by tests/test_page_routes.py, which
explains the columns)."""

from tests.test_page_routes import ANYONE, POST, Page

PAGES = {
    "login": Page(lambda w: "/login/", "200 302 302 302 302 302 302 302 302 302 302 302"),
    "logout": Page(lambda w: "/logout/", "302 " * 12, method=POST),
    "people": Page(lambda w: "/people/", "302 404 404 404 404 404 404 404 200 200 200 200"),
    "membership_revoke": Page(lambda w: f"/people/{w.membership.id}/revoke/",
                              "302 404 404 404 404 404 404 404 200 404 200 200", method=POST),
    # the grid worker's role, held now: nothing to give back (to the list, 302)
    "membership_restore": Page(lambda w: f"/people/{w.membership.id}/restore/",
                               "302 404 404 404 404 404 404 404 302 404 302 302", method=POST),
    "people_existing": Page(lambda w: "/people/existing/", "302 404 404 404 404 404 404 404 200 200 200 200"),
    "household_login": Page(lambda w: f"/households/{w.hh101.id}/login/",
                            "302 404 404 404 404 404 404 404 302 404 302 302", method=POST),
    # the grid worker's account: its own owner may not (its password: password_change)
    "account_password_reset": Page(lambda w: f"/people/accounts/{w.users.grid.id}/password/",
                                   "302 404 404 404 404 404 404 404 200 404 200 200", method=POST),
    "account_unlock": Page(lambda w: f"/people/accounts/{w.users.grid.id}/unlock/",
                           "302 404 404 404 404 404 404 404 200 404 200 200", method=POST),
    "password_change": Page(lambda w: "/password/", ANYONE),
    "tokens": Page(lambda w: "/tokens/", ANYONE),
    "token_revoke": Page(lambda w: f"/tokens/{w.token.id}/revoke/",
                         "302 404 404 404 404 404 404 404 200 404 404 404", method=POST),
    "login_code": Page(lambda w: "/login/code/", "302 " * 12),  # only after a password, else to log in
    "two_step": Page(lambda w: "/two-step/", ANYONE),
}
