from django.contrib import admin, messages
from django.utils.translation import gettext as _
from guardian.admin import GuardedModelAdmin

from regulator.hooks import institution_moved

from .models import ImportJob, Institution, Licence, Site, Teacher

AUDIT_FIELDS = ["created_by", "updated_by"]


class LicenceInline(admin.TabularInline):
    model = Licence
    extra = 0
    raw_id_fields = ["issuer"]
    readonly_fields = AUDIT_FIELDS


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    raw_id_fields = ["region"]
    readonly_fields = AUDIT_FIELDS


class TeacherInline(admin.TabularInline):
    model = Teacher
    extra = 0
    readonly_fields = AUDIT_FIELDS


@admin.register(Institution)
class InstitutionAdmin(GuardedModelAdmin):
    list_display = ["name", "credit_code", "region", "category", "licence_standing", "operating_state", "premises_type"]
    list_filter = ["category", "licence_standing", "operating_state", "premises_type", "delivery"]
    search_fields = ["name", "=credit_code", "address"]
    list_select_related = ["region"]
    raw_id_fields = ["region"]
    readonly_fields = ["licence_standing", *AUDIT_FIELDS]
    inlines = [LicenceInline, SiteInline, TeacherInline]
    show_full_result_count = False

    def get_deleted_objects(self, objs, request):
        """The delete page (one or several) lists what still refers to an institution and refuses; say what to do
        instead, as institutions.services.institution_delete does."""
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        if protected:
            messages.warning(request, _(
                "被检查、整改、处罚、公示等记录引用的机构不能删除，这些记录须完整保留。如机构已停止办学，请将经营状态改为"
                "“已关停”（注销）或“停办整改”。"))
        return deleted, model_count, perms_needed, protected

    def save_model(self, request, obj, form, change):
        """As institutions.services.institution_update: a move to another region takes its past figures along."""
        old_region = form.initial.get("region") if change else None
        super().save_model(request, obj, form, change)
        if change and old_region and old_region != obj.region_id:
            institution_moved(obj.pk, old_region, obj.region_id)


@admin.register(Licence)
class LicenceAdmin(admin.ModelAdmin):
    list_display = ["number", "kind", "institution", "issued_on", "valid_until", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["=number", "institution__name"]
    raw_id_fields = ["institution", "issuer"]
    readonly_fields = AUDIT_FIELDS
    list_select_related = ["institution"]
    show_full_result_count = False


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["address", "institution", "region", "premises_type", "approved"]
    list_filter = ["premises_type", "approved"]
    search_fields = ["address", "institution__name"]
    raw_id_fields = ["institution", "region"]
    list_select_related = ["institution", "region"]
    show_full_result_count = False


@admin.register(Teacher)
class TeacherAdmin(admin.ModelAdmin):
    list_display = ["name", "institution", "subject", "qualification_number", "is_in_service_teacher"]
    list_filter = ["is_in_service_teacher"]
    search_fields = ["name", "=qualification_number", "institution__name"]
    raw_id_fields = ["institution"]
    list_select_related = ["institution"]
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "department", "state", "total_rows", "valid_rows", "imported_rows", "created_at"]
    list_filter = ["state"]
    readonly_fields = ["report"]
