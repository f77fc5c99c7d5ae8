"""Who gets what on the services pages (checked by tests/test_page_routes.py, which explains
the columns). The services part of the scene is made inside each test (rolled back with
it): the scene of tests/services/security_routes.py (a supermarket, the east gate, a
checked batch with an exception, a signed batch split into building 1's run, household
101's order and request, pets, a check-in, a disinfection)."""

from tests.services.security_routes import sscene
from tests.test_page_routes import Page


def s(path):
    """A URL made after the services scene: path(w)."""
    def make(w):
        from fangkong.services.models import Supplier

        # the module's world outlives each test's rows: make the scene again when it is gone
        if not hasattr(w, "supplier") or not Supplier.objects.filter(pk=w.supplier.pk).exists():
            sscene(w)
        return path(w)
    return make


PAGES = {
    "services_home": Page(s(lambda w: "/services/"), "302 404 302 200 200 404 302 302 302 302 302 302"),
    "services_place": Page(s(lambda w: f"/services/p/{w.community.id}/"),  # grid workers: their grid's
                           "302 404 404 404 404 404 404 404 200 404 200 200"),
    "services_queue": Page(s(lambda w: f"/services/p/{w.building.id}/requests/"),
                           "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_batch": Page(s(lambda w: f"/services/batches/{w.batch.id}/"),
                           "302 404 404 404 404 404 404 200 200 404 200 200"),
    "services_owed": Page(s(lambda w: f"/services/batches/{w.batch.id}/owed.xlsx"),
                          "302 404 404 404 404 404 404 200 200 404 200 200"),
    "services_run": Page(s(lambda w: f"/services/runs/{w.run.id}/"),
                         "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_request": Page(s(lambda w: f"/services/requests/{w.request.id}/"),
                             "302 404 200 404 404 404 200 200 200 404 200 200"),
    "services_household": Page(s(lambda w: f"/services/households/{w.hh101.id}/"),
                               "302 404 200 404 404 404 200 200 200 404 200 200"),
}
