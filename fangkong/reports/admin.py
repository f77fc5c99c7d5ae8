"""An administrator sets each level's nightly report (cut-off, due time, preparation time,
figures) in /admin/ (superusers only)."""

from django.contrib import admin

from .models import ReportDefinition


@admin.register(ReportDefinition)
class ReportDefinitionAdmin(admin.ModelAdmin):
    list_display = ("level", "name", "cutoff", "due_minutes", "prepare_minutes")
