from django.urls import path

from . import (
    batch_views,
    care_views,
    catalogue_views,
    group_views,
    routine_views,
    supplier_views,
    views,
)

urlpatterns = [
    path("supplier/", supplier_views.home, name="supplier_home"),  # where a supplier lands
    path("services/", views.home, name="services_home"),
    path("services/categories/", catalogue_views.categories, name="services_categories"),
    path("services/suppliers/<id:pk>/catalogue/", catalogue_views.catalogue, name="services_catalogue"),
    path("services/items/<id:pk>/", catalogue_views.item, name="services_item"),
    path("services/p/<id:pk>/", views.place, name="services_place"),
    path("services/p/<id:pk>/requests/", views.queue, name="services_queue"),
    path("services/p/<id:pk>/pets/", care_views.pets, name="services_pets"),
    path("services/p/<id:pk>/disinfection/", care_views.disinfection, name="services_disinfection"),
    path("services/p/<id:pk>/disinfection.xlsx", care_views.disinfection_file, name="services_disinfection_xlsx"),
    path("services/p/<id:pk>/disinfection/routines/", routine_views.disinfection_routines,
         name="services_disinfection_routines"),
    path("services/p/<id:pk>/batches/new/", batch_views.new_batch, name="services_batch_new"),
    path("services/p/<id:pk>/groups/", group_views.groups, name="services_groups"),
    path("services/groups/<id:pk>/", group_views.group, name="services_group"),
    path("services/stops/<id:pk>/photo", views.stop_photo, name="services_stop_photo"),
    path("services/orders/<id:pk>/prescription", supplier_views.prescription, name="services_prescription"),
    path("services/batches/<id:pk>/", views.batch, name="services_batch"),
    path("services/batches/<id:pk>/owed.xlsx", views.owed, name="services_owed"),
    path("services/batches/<id:pk>/manifest/", supplier_views.manifest, name="services_manifest"),
    path("services/batches/<id:pk>/manifest.xlsx", supplier_views.manifest_file, name="services_manifest_xlsx"),
    path("services/batches/<id:pk>/manifest/import/", supplier_views.manifest_import,
         name="services_manifest_import"),
    path("services/runs/<id:pk>/", views.run, name="services_run"),
    path("services/requests/<id:pk>/", views.request_page, name="services_request"),
    path("services/households/<id:pk>/", views.household, name="services_household"),
]
