from django.urls import path

from . import box_views, followup_views, home_views, views, visit_views

urlpatterns = [
    path("screening/", views.home, name="screening_home"),
    path("screening/plan/", views.plan, name="screening_plan"),
    path("screening/advisor/", views.advisor, name="screening_advisor"),
    path("screening/alert/", views.positive_alert, name="screening_alert"),
    path("screening/mine/", views.my_results, name="screening_mine"),
    path("screening/home-visits/mine/", home_views.my_home_visits, name="screening_my_home_visits"),
    path("screening/home-visits/<id:pk>/door/", visit_views.door, name="screening_home_door"),
    path("screening/households/<id:pk>/", views.household_results, name="screening_household"),
    path("screening/rounds/<id:pk>/", views.round_detail, name="screening_round"),
    path("screening/rounds/<id:pk>/status/", views.round_status, name="screening_status"),
    path("screening/rounds/<id:pk>/tubes/<id:tube>/seal/", views.tube_seal, name="screening_tube_seal"),
    path("screening/rounds/<id:pk>/emergency-team/", views.round_emergency_team,
         name="screening_emergency_team"),
    path("screening/rounds/<id:pk>/recount/", views.recount, name="screening_recount"),
    path("screening/rounds/<id:pk>/station/", views.station, name="screening_station"),
    path("screening/rounds/<id:pk>/missing/", views.missing, name="screening_missing"),
    path("screening/rounds/<id:pk>/missing.xlsx", views.missing_export, name="screening_missing_export"),
    path("screening/rounds/<id:pk>/home/", visit_views.home_list, name="screening_home_list"),
    path("screening/rounds/<id:pk>/home/<id:resident>/", views.home_visit_add,
         name="screening_home_add"),
    path("screening/rounds/<id:pk>/exemptions/", views.exemptions, name="screening_exemptions"),
    path("screening/rounds/<id:pk>/conflicts/", views.conflicts, name="screening_conflicts"),
    path("screening/rounds/<id:pk>/boxes/", box_views.boxes, name="screening_boxes"),
    path("screening/rounds/<id:pk>/followups/", followup_views.followups, name="screening_followups"),
]

from . import antigen_views, lab_views, missing_views, point_views  # noqa: E402

urlpatterns += [
    path("screening/rounds/<id:pk>/missing/<id:resident>/", missing_views.missing_row,
         name="screening_missing_row"),
    path("screening/lab/", lab_views.lab, name="screening_lab"),
    path("screening/lab/template.xlsx", lab_views.lab_template_file, name="screening_lab_template"),
    path("screening/rounds/<id:pk>/results/", lab_views.tube_results, name="screening_results"),
    path("screening/rounds/<id:pk>/points/", point_views.points, name="screening_points"),
    path("screening/rounds/<id:pk>/antigen/", antigen_views.overview, name="screening_antigen"),
    path("screening/rounds/<id:pk>/antigen/door/", antigen_views.door,
         name="screening_antigen_door"),
    path("screening/rounds/<id:pk>/antigen/remind/", antigen_views.remind,
         name="screening_antigen_remind"),
    path("screening/antigen/mine/", antigen_views.self_report, name="screening_antigen_mine"),
    path("screening/antigen/photos/<id:pk>/", antigen_views.photo, name="screening_antigen_photo"),
    path("screening/antigen/photos/<id:pk>/positive/", antigen_views.positive_photo,
         name="screening_antigen_positive_photo"),
    path("screening/rounds/<id:pk>/antigen/results/<id:result>/correct/", antigen_views.correct,
         name="screening_antigen_correct"),
]
