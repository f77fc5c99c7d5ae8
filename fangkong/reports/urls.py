from django.urls import path

from . import report_views, views

urlpatterns = [
    path("reports/", views.home, name="reports_home"),
    path("reports/places/<id:pk>/", views.dashboard, name="reports_dashboard"),
    path("reports/places/<id:pk>/refresh/", views.refresh, name="reports_refresh"),
    path("reports/places/<id:pk>/completeness/", views.completeness, name="reports_completeness"),
    path("reports/places/<id:pk>/remind/", views.remind, name="reports_remind"),
    path("reports/places/<id:pk>/history/", views.history, name="reports_history"),
    path("reports/places/<id:pk>/export.<str:fmt>", report_views.export_period, name="reports_export_period"),
    path("reports/places/<id:pk>/days/<str:day>/", report_views.node_day, name="reports_node_day"),
    path("reports/places/<id:pk>/days/<str:day>/start/", report_views.start, name="reports_start"),
    path("reports/<id:pk>/", report_views.report, name="reports_report"),
    path("reports/<id:pk>/remarks/", report_views.remarks, name="reports_remarks"),
    path("reports/<id:pk>/submit/", report_views.submit, name="reports_submit"),
    path("reports/<id:pk>/correct/", report_views.correct, name="reports_correct"),
    path("reports/<id:pk>/approve/", report_views.approve, name="reports_approve"),
    path("reports/<id:pk>/return/", report_views.return_report, name="reports_return"),
    path("reports/<id:pk>/report.<str:fmt>", report_views.export, name="reports_export"),
]
