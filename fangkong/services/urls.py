from django.urls import path

from . import views

urlpatterns = [
    path("services/", views.home, name="services_home"),
    path("services/p/<int:pk>/", views.place, name="services_place"),
    path("services/p/<int:pk>/requests/", views.queue, name="services_queue"),
    path("services/batches/<int:pk>/", views.batch, name="services_batch"),
    path("services/batches/<int:pk>/owed.xlsx", views.owed, name="services_owed"),
    path("services/runs/<int:pk>/", views.run, name="services_run"),
    path("services/requests/<int:pk>/", views.request_page, name="services_request"),
    path("services/households/<int:pk>/", views.household, name="services_household"),
]
