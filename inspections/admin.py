"""Checklist templates are data, edited by administrators; editing items of a used version is refused."""

from django.contrib import admin

from regulator.admin_services import ServiceAdminMixin, admin_service_call, adopt, form_data

from . import services
from .models import Campaign, ChecklistItem, ChecklistTemplate, ProblemItem, SpotCheckDraw, Visit


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0

    def has_change_permission(self, request, obj=None):
        # A version used by a visit never changes: revise it (services.checklist_template_revise) instead.
        return obj is None or not obj.visits.exists()

    has_add_permission = has_change_permission
    has_delete_permission = has_change_permission


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "version", "is_current"]
    inlines = [ChecklistItemInline]


class AuditedAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Saves and deletes through inspections.services (`save_service`, `delete_service`): audited."""

    save_service = delete_service = None
    id_argument = ""

    def save_model(self, request, obj, form, change):
        data = form_data(form, change=change)
        with admin_service_call():
            saved = type(self).save_service(actor=request.user, data=data, **{self.id_argument: obj.pk})
        adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # The service saved the many-to-many fields with the row (so the event shows them): only the inlines here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        with admin_service_call():
            type(self).delete_service(actor=request.user, **{self.id_argument: obj.pk})


@admin.register(Campaign)
class CampaignAdmin(AuditedAdmin):
    list_display = ["name", "kind", "region", "starts_on", "ends_on", "lead_department"]
    raw_id_fields = ["region", "lead_department", "checklist_template"]
    save_service, delete_service, id_argument = (
        services.campaign_admin_save, services.campaign_admin_delete, "campaign_id")


@admin.register(Visit)
class VisitAdmin(AuditedAdmin):
    list_display = ["institution", "kind", "status", "planned_on", "lead_department", "outcome"]
    raw_id_fields = [
        "institution",
        "campaign",
        "draw",
        "previous_visit",
        "lead_department",
        "checklist_template",
        "referred_department",
        "started_by",
        "submitted_by",
    ]
    readonly_fields = ["status", "submitted_at", "submitted_by", "started_at"]
    save_service, delete_service, id_argument = services.visit_admin_save, services.visit_admin_delete, "visit_id"


admin.site.register(SpotCheckDraw)
admin.site.register(ProblemItem)
