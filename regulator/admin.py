from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.db import models, transaction
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from . import hooks, services
from .admin_services import ServiceAdminMixin, admin_service_call, adopt, form_data
from .audit import describe_events, kind_label, registered_kinds
from .models import (
    AuditCheckpoint,
    AuditEvent,
    CalendarArrangement,
    CalendarDay,
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
class StaffAdmin(ServiceAdminMixin, UserAdmin):
    list_display = ["username", "full_name", "department", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active", "department__kind"]
    search_fields = ["username", "full_name", "department__name"]
    list_select_related = ["department"]
    raw_id_fields = ["department"]
    fieldsets = UserAdmin.fieldsets + (
        (_("部门与角色"), {"fields": ("full_name", "department", "role", "enforcement_certificate", "phone")}),
    )
    add_fieldsets = UserAdmin.add_fieldsets + ((_("部门与角色"), {"fields": ("full_name", "department", "role")}),)

    def save_model(self, request, obj, form, change):
        """Through regulator.services, so role, department and activation changes are audited."""
        with admin_service_call():
            if change:
                saved = services.user_update(actor=request.user, user_id=obj.pk,
                                             data=form_data(form, change=True, exclude={"password"}))
            else:
                saved = services.user_create(actor=request.user, user=obj)
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        if not change:
            super().save_related(request, form, formsets, change)
        # On a change the service set the groups and permissions with the row (so its event shows them).

    def user_change_password(self, request, id, form_url=""):
        """Django's page; the new password is saved by its form and audited in the same transaction."""
        if request.method != "POST":
            return super().user_change_password(request, id, form_url)
        with transaction.atomic():
            before = User.objects.filter(pk=unquote(id)).values_list("password", flat=True).first()
            response = super().user_change_password(request, id, form_url)
            user = User.objects.filter(pk=unquote(id)).first()
            if user is not None and user.password != before:
                services.user_password_set_record(actor=request.user, user=user)
        return response


class AuditKindFilter(admin.SimpleListFilter):
    title = _("事件")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return sorted(registered_kinds().items(), key=lambda item: item[0])

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail cannot be edited or deleted through the application (nor, on PostgreSQL, at all)."""

    list_display = ["created_at", "actor_name", "kind_label", "object_type", "object_id", "institution_id",
                    "summary"]
    list_filter = [AuditKindFilter, "object_type"]
    search_fields = ["object_id", "summary", "actor_name"]
    show_full_result_count = False
    readonly_fields = ["kind_label", "change_table"]
    fields = ["created_at", "actor", "actor_name", "kind_label", "summary", "object_type", "object_id",
              "institution_id", "change_table", "before", "after", "prev_hash", "hash"]

    @admin.display(description=_("事件"), ordering="kind")
    def kind_label(self, event):
        return kind_label(event.kind)

    @admin.display(description=_("变更内容"))
    def change_table(self, event):
        changes = describe_events([event])[0].changes
        if not changes:
            return "—"
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                                ((label, "—" if old is None else old, "—" if new is None else new)
                                 for label, old, new in changes))
        return format_html('<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
                           _("字段"), _("变更前"), _("变更后"), rows)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin):
    """Read-only, like the trail: written only by the nightly job (regulator.audit_checkpoints)."""

    list_display = ["created_at", "rows", "chains", "through_id", "signature"]
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


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 3
    fields = ["date", "kind", "name"]


@admin.register(CalendarArrangement)
class CalendarArrangementAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """A year's State Council arrangement: its holidays and adjusted working days (调休), entered the day the
    notice is published. Saving is audited and every legal period counts the new days at once."""

    list_display = ["year", "source", "notice", "holiday_count", "workday_count", "updated_at"]
    inlines = [CalendarDayInline]
    readonly_fields = ["source"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            holidays=models.Count("days", filter=models.Q(days__kind="holiday")),
            workdays=models.Count("days", filter=models.Q(days__kind="workday")),
        )

    @admin.display(description=_("放假天数"), ordering="holidays")
    def holiday_count(self, obj):
        return obj.holidays

    @admin.display(description=_("调休上班天数"), ordering="workdays")
    def workday_count(self, obj):
        return obj.workdays

    def save_model(self, request, obj, form, change):
        request._calendar_before = (
            services.calendar_arrangement_snapshot(CalendarArrangement.objects.get(pk=obj.pk)) if change else None
        )
        if not change:
            obj.source = CalendarArrangement.Source.MANUAL
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        with admin_service_call():
            services.calendar_arrangement_record(
                actor=request.user, arrangement=form.instance, before=getattr(request, "_calendar_before", None)
            )

    def delete_model(self, request, obj):
        with admin_service_call():
            services.calendar_arrangement_delete(actor=request.user, arrangement=obj)

    def delete_queryset(self, request, queryset):
        for arrangement in queryset:
            self.delete_model(request, arrangement)
