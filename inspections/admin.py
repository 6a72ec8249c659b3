"""Checklist templates are data, edited by administrators; editing items of a used version is refused."""

from django.contrib import admin

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


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "region", "starts_on", "ends_on", "lead_department"]
    raw_id_fields = ["region", "lead_department", "checklist_template"]


@admin.register(Visit)
class VisitAdmin(admin.ModelAdmin):
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


admin.site.register(SpotCheckDraw)
admin.site.register(ProblemItem)
