from django.urls import path

from . import card_views, views

urlpatterns = [
    path("search/", views.search, name="search"),
    path("places/<id:pk>/", views.place_detail, name="place"),
    path("places/<id:pk>/add/", views.place_create, name="place_create"),
    path("places/<id:pk>/residents/", views.resident_list, name="resident_list"),
    path("places/<id:pk>/vulnerable/", views.vulnerable_list, name="vulnerable"),
    path("places/<id:pk>/export.xlsx", views.export_residents, name="export_residents"),
    path("places/<id:pk>/households/new/", views.household_create, name="household_create"),
    path("places/<id:pk>/import/", views.import_start, name="import_start"),
    path("imports/<id:pk>/", views.import_job, name="import_job"),
    path("imports/<id:pk>/confirm/", views.import_confirm, name="import_confirm"),
    path("imports/<id:pk>/discard/", views.import_discard, name="import_discard"),
    path("imports/template.xlsx", views.import_template, name="import_template"),
    path("households/<id:pk>/", views.household_detail, name="household"),
    path("households/<id:pk>/edit/", views.household_edit, name="household_edit"),
    path("households/<id:pk>/residents/new/", views.resident_create, name="resident_create"),
    path("residents/<id:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<id:pk>/move/", views.resident_move, name="resident_move"),
    path("residents/<id:pk>/reveal-id/", views.resident_reveal, name="resident_reveal"),
    path("places/<id:pk>/code-cards/", card_views.place_cards, name="code_cards"),
    path("places/<id:pk>/code-cards.pdf", card_views.place_cards_pdf, name="code_cards_pdf"),
    path("households/<id:pk>/code-cards.pdf", card_views.household_cards_pdf,
         name="household_cards_pdf"),
    path("households/<id:pk>/codes/", card_views.household_codes, name="household_codes"),
    path("households/<id:pk>/codes/cards.pdf", card_views.household_codes_pdf,
         name="household_codes_pdf"),
    path("my/codes/", card_views.my_codes, name="my_codes"),
    path("residents/<id:pk>/reissue-code/", card_views.resident_reissue_code,
         name="resident_reissue_code"),
]
