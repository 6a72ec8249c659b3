from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import hooks, services
from .models import (
    AuditEvent,
    DailyFigureState,
    Department,
    DocumentSequence,
    Notification,
    Region,
    User,
    VerificationRecord,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]

    # The public filters cache the region list (publicity/cache.py): a change here makes it stale.
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(hooks.regions_changed)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(hooks.regions_changed)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(hooks.regions_changed)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "is_joint_office_seat"]
    list_filter = ["kind", "is_joint_office_seat"]
    search_fields = ["name", "region__name", "region__code"]
    raw_id_fields = ["region"]

    def save_model(self, request, obj, form, change):
        services.department_save(department=obj, actor=request.user)


@admin.register(User)
class StaffAdmin(UserAdmin):
    list_display = ["username", "full_name", "department", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "department__kind"]
    search_fields = ["username", "full_name", "department__name"]
    list_select_related = ["department"]
    raw_id_fields = ["department"]
    fieldsets = UserAdmin.fieldsets + (
        (_("部门与角色"), {"fields": ("full_name", "department", "role", "enforcement_certificate", "phone")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((_("部门与角色"), {"fields": ("full_name", "department", "role")}),)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail cannot be edited or deleted through the application."""

    list_display = ["created_at", "actor_name", "kind", "object_type", "object_id", "institution_id", "summary"]
    list_filter = ["kind", "object_type"]
    search_fields = ["object_id", "summary", "actor_name"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "recipient", "subject", "read_at", "emailed_at"]
    search_fields = ["subject", "key", "recipient__username"]
    raw_id_fields = ["recipient"]
    show_full_result_count = False


@admin.register(VerificationRecord)
class VerificationRecordAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "title", "issuer_name", "issued_at", "revoked_at"]
    search_fields = ["=number", "title", "subject_name"]
    list_filter = ["kind"]
    readonly_fields = ["token", "sha256"]


@admin.register(DocumentSequence)
class DocumentSequenceAdmin(admin.ModelAdmin):
    list_display = ["department", "year", "kind", "last_number"]
    list_filter = ["year", "kind"]
    readonly_fields = ["last_number"]


@admin.register(DailyFigureState)
class DailyFigureStateAdmin(admin.ModelAdmin):
    """How far the dashboard's nightly summary reaches (regulator.oversight.summary); written only by its refresh
    job."""

    list_display = ["through", "refreshed_at", "refreshed_from", "rows", "seconds"]
    readonly_fields = list_display

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
