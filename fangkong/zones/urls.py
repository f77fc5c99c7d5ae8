from django.urls import path

from . import adjust_views, case_views, gate_views, map_views, views

urlpatterns = [
    path("zones/", views.home, name="zones_home"),
    path("zones/policy/", views.policy, name="zones_policy"),
    path("zones/types/<id:pk>/", views.zone_type, name="zones_type"),
    path("zones/p/<id:pk>/", views.place, name="zones_place"),
    path("zones/p/<id:pk>/notices/", views.notices, name="zones_notices"),
    path("zones/p/<id:pk>/lifting/", views.lifting_page, name="zones_lifting"),
    path("zones/p/<id:pk>/adjust/", adjust_views.new, name="zones_adjust_new"),
    path("zones/p/<id:pk>/cases/new/", case_views.report_case, name="zones_report_case"),
    path("zones/p/<id:pk>/gate/", gate_views.checkpoint, name="zones_gate"),
    path("zones/p/<id:pk>/gate/log.xlsx", gate_views.checkpoint_export, name="zones_gate_export"),
    path("zones/p/<id:pk>/codes/import/", gate_views.codes_import, name="zones_codes_import"),
    path("zones/p/<id:pk>/map/", map_views.map_page, name="zones_map"),
    path("zones/p/<id:pk>/map.geojson", map_views.map_data, name="zones_map_data"),
    path("zones/p/<id:pk>/map/shape/", map_views.shape_save, name="zones_shape_save"),
    path("zones/p/<id:pk>/map/shape/remove/", map_views.shape_remove, name="zones_shape_remove"),
    path("zones/notices/<id:pk>/", views.notice, name="zones_notice"),
    path("zones/notices/<id:pk>/withdraw/", views.notice_withdraw, name="zones_notice_withdraw"),
    path("zones/designations/<id:pk>/lift/", views.draft_lift, name="zones_draft_lift"),
    path("zones/households/<id:pk>/", views.household, name="zones_household"),
    path("zones/adjustments/<id:pk>/", adjust_views.detail, name="zones_adjustment"),
    path("zones/adjustments/<id:pk>/diff/", adjust_views.diff, name="zones_diff"),
    path("zones/adjustments/<id:pk>/items/", adjust_views.add_item, name="zones_item_add"),
    path("zones/adjustments/<id:pk>/items/<id:item>/remove/", adjust_views.remove_item,
         name="zones_item_remove"),
    path("zones/adjustments/<id:pk>/notice/", adjust_views.attach, name="zones_attach"),
    path("zones/adjustments/<id:pk>/publish/", adjust_views.publish, name="zones_publish"),
    path("zones/adjustments/<id:pk>/schedule/", adjust_views.schedule, name="zones_schedule"),
    path("zones/adjustments/<id:pk>/cancel/", adjust_views.cancel, name="zones_cancel"),
]
