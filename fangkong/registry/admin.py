"""The place tree in /admin/ (superusers), to look up: read only. Places are added and
renamed on each place's page ("Add a place here": command below its district or street,
staff below their community), through registry.actions (audited)."""

from django.contrib import admin

from .models import Place


@admin.register(Place)
class PlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "parent", "depth", "code")
    list_filter = ("kind", "depth")
    search_fields = ("name", "code")
    list_select_related = ("parent",)
    fields = ("name", "kind", "parent", "code", "address", "depth")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
