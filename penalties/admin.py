"""Admin of the penalties app's reference data: the library of legal provisions (法律条款库), legal qualifications,
interviews (read only), and the document settings: each department's number patterns (文号格式) and contact line."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import DocumentLetterhead, DocumentNumberPattern, Interview, LegalQualification, Provision


@admin.register(DocumentNumberPattern)
class DocumentNumberPatternAdmin(admin.ModelAdmin):
    list_display = ["department", "kind", "abbreviation", "kind_word", "example"]
    list_filter = ["kind"]
    list_select_related = ["department"]
    search_fields = ["department__name", "abbreviation"]
    autocomplete_fields = ["department"]

    @admin.display(description=_("示例"))
    def example(self, obj):
        return obj.format(year=2026, serial=1)


@admin.register(DocumentLetterhead)
class DocumentLetterheadAdmin(admin.ModelAdmin):
    list_display = ["department", "address", "phone"]
    list_select_related = ["department"]
    search_fields = ["department__name"]
    autocomplete_fields = ["department"]


@admin.register(Provision)
class ProvisionAdmin(admin.ModelAdmin):
    list_display = ("citation", "gist", "role", "fine_basis", "fine_min", "fine_max", "active", "checked")
    list_filter = ("law", "role", "active", "checked")
    search_fields = ("law", "article", "gist", "text")
    filter_horizontal = ("penalty_articles",)
    readonly_fields = ("created_at", "updated_at", "created_by", "updated_by")
    ordering = ("position", "id")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(LegalQualification)
class LegalQualificationAdmin(admin.ModelAdmin):
    """Who may do the 法制审核 (行政处罚法 Art 58): granted here by the administrator."""

    list_display = ("user", "certificate", "granted_on", "active")
    list_filter = ("active",)
    search_fields = ("user__username", "user__full_name", "certificate")
    autocomplete_fields = ("user",)


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    """约谈 records are made on the staff pages (penalties.services.interview_record); admin only reads them."""

    list_display = ("held_at", "institution", "department", "interviewees", "case")
    list_filter = ("department",)
    search_fields = ("institution__name", "interviewees", "said")
    date_hierarchy = "held_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
