"""Who gets what on the services pages (checked by tests/test_page_routes.py, which explains
the columns). The services part of the scene is made inside each test (rolled back with
it): the scene of tests/services/security_routes.py (`mscene`, and a photo at building 1's
door: a supermarket, the east gate, a
checked batch with an exception, a signed batch split into building 1's run, household
101's order and request, pets, a check-in, a disinfection)."""

from tests.services.security_routes import mscene
from tests.test_page_routes import Page


def s(path):
    """A URL made after the services scene: path(w)."""
    def make(w):
        from fangkong.services.models import Supplier

        # the module's world outlives each test's rows: make the scene again when it is gone
        if not hasattr(w, "supplier") or not Supplier.objects.filter(pk=w.supplier.pk).exists():
            photo_scene(w)
        return path(w)
    return make


def photo_scene(w):
    """mscene (batch 3 expected, building 1's door confirmed, a group order of building 1)
    and the door's photo."""
    from fangkong.core.actor import Actor
    from fangkong.services.actions import delivery
    from tests.screening.photos import png

    mscene(w)
    delivery.attach_photo(Actor.system(w.users.staff), w.stop, png(name="door.png"))
    from fangkong.services.actions import orders

    # household 101's medicine order with its prescription photo
    w.rx_order = orders.place_order(Actor.system(w.users.staff), w.hh101, w.supplier, [],
                                    medicine="苯磺酸氨氯地平片 5mg", prescription=png(name="rx.png"))


PAGES = {
    "services_pets": Page(s(lambda w: f"/services/p/{w.building.id}/pets/"),
                          "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_disinfection": Page(s(lambda w: f"/services/p/{w.building.id}/disinfection/"),
                                  "302 404 404 404 404 404 200 200 200 404 200 200"),
    # routine disinfection: read where the list is read; set, paused and ended by staff (POST: test_disinfection_routines.py)
    "services_disinfection_routines": Page(s(lambda w: f"/services/p/{w.building.id}/disinfection/routines/"),
                                           "302 404 404 404 404 404 200 200 200 404 200 200"),
    # the list as .xlsx: the export right over the place (a leader reads the page, not the file: 404)
    "services_disinfection_xlsx": Page(s(lambda w: f"/services/p/{w.building.id}/disinfection.xlsx"),
                                       "302 404 404 404 404 404 404 200 200 404 200 200"),
    "services_groups": Page(s(lambda w: f"/services/p/{w.building.id}/groups/"),
                            "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_group": Page(s(lambda w: f"/services/groups/{w.group.id}/"),
                           "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_stop_photo": Page(s(lambda w: f"/services/stops/{w.stop.id}/photo"),
                                "302 404 404 404 404 404 200 200 200 404 200 200"),
    # the prescription photo (medical data): staff and grid workers over the household and its own
    # login; the leader and command, who see the order, 404 like everyone else (the pharmacy's own
    # login and the volunteer delivering it: tests/services/test_prescription.py)
    "services_prescription": Page(s(lambda w: f"/services/orders/{w.rx_order.id}/prescription"),
                                  "302 404 200 404 404 404 404 200 200 404 404 404"),
    # a supplier login (not linked to the scene's supermarket) sees whom to call
    "supplier_home": Page(s(lambda w: "/supplier/"), "302 404 404 404 200 404 404 404 404 404 404 404"),
    "services_manifest": Page(s(lambda w: f"/services/batches/{w.batch.id}/manifest/"),
                              "302 404 404 404 404 404 404 200 200 404 200 200"),
    "services_manifest_xlsx": Page(s(lambda w: f"/services/batches/{w.batch.id}/manifest.xlsx"),
                                   "302 404 404 404 404 404 404 200 200 404 200 200"),
    # the batch is being checked: staff are told so (302 back with the message); command 403
    "services_manifest_import": Page(s(lambda w: f"/services/batches/{w.batch.id}/manifest/import/"),
                                     "302 404 404 404 404 404 404 302 302 404 403 403", method="POST"),
    # a catalogue is changed by staff over the supplier and its own logins (the scene's
    # supplier login is not linked to it); who works over the community and only reads it
    # (leader, grid worker, command) 403, as the API's PATCH; a household's login, which reads
    # it only on its own page to order, 404 like every object it may not touch
    "services_catalogue": Page(s(lambda w: f"/services/suppliers/{w.supplier.id}/catalogue/"),
                               "302 404 404 404 404 404 403 403 200 404 403 403"),
    "services_item": Page(s(lambda w: f"/services/items/{w.veg.id}/"),
                          "302 404 404 404 404 404 403 403 302 404 403 403", method="POST"),
    # categories are the installation's: whoever may see services reads them (a household's
    # login too: it picks one to ask for help); only the district's command gets the form
    # (a POST by the others: 403, tests/services/test_catalogue_pages.py)
    "services_categories": Page(s(lambda w: "/services/categories/"),
                                "302 404 200 404 404 404 200 200 200 200 200 200"),
    "services_home": Page(s(lambda w: "/services/"), "302 404 302 200 200 404 302 302 302 302 302 302"),
    "services_place": Page(s(lambda w: f"/services/p/{w.community.id}/"),  # grid workers: their grid's
                           "302 404 404 404 404 404 404 404 200 404 200 200"),
    # staff make a batch; command sees the place but may not (403); others do not see it
    "services_batch_new": Page(s(lambda w: f"/services/p/{w.community.id}/batches/new/"),
                               "302 404 404 404 404 404 404 404 200 404 403 403"),
    "services_queue": Page(s(lambda w: f"/services/p/{w.building.id}/requests/"),
                           "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_batch": Page(s(lambda w: f"/services/batches/{w.batch.id}/"),
                           "302 404 404 404 404 404 404 200 200 404 200 200"),
    # the API's rule too (`access.require_owed`); the supplier's own login: test_owed_not_at_door.py
    "services_owed": Page(s(lambda w: f"/services/batches/{w.batch.id}/owed.xlsx"),
                          "302 404 404 404 404 404 404 200 200 404 200 200"),
    "services_run": Page(s(lambda w: f"/services/runs/{w.run.id}/"),
                         "302 404 404 404 404 404 200 200 200 404 200 200"),
    "services_request": Page(s(lambda w: f"/services/requests/{w.request.id}/"),
                             "302 404 200 404 404 404 200 200 200 404 200 200"),
    "services_household": Page(s(lambda w: f"/services/households/{w.hh101.id}/"),
                               "302 404 200 404 404 404 200 200 200 404 200 200"),
}
