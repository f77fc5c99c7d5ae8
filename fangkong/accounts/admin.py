"""Accounts and their roles in /admin/ (superusers), to look up: read only. Every change
goes through the people page (/people/, audited; a superuser sees everyone there and
gives command and lab roles) or `manage.py grant_role`."""

from django.contrib import admin

from .models import Membership, User


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("role", "place", "household", "is_active", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(ReadOnly):
    list_display = ("username", "display_name", "is_active", "is_superuser",
                    "must_change_password", "last_login")
    list_filter = ("is_active", "is_superuser", "memberships__role")
    search_fields = ("username", "display_name")
    fields = ("username", "display_name", "is_active", "is_superuser", "must_change_password",
              "language", "last_login", "date_joined")
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(ReadOnly):
    list_display = ("user", "role", "place", "is_active", "created_at")
    list_filter = ("role", "is_active", "place__kind")
    search_fields = ("user__username", "user__display_name", "place__name")
    list_select_related = ("user", "place")
