from django.contrib import admin, messages
from django.utils.translation import gettext as _
from guardian.admin import GuardedModelAdmin

from regulator.admin_services import ServiceAdminMixin, admin_service_call, adopt, form_data

from . import services, teachers
from .models import (
    AnnualInspection,
    AnnualInspectionPlan,
    AnnualMaterialKind,
    ImportJob,
    Institution,
    Licence,
    RegisterCampaign,
    RegisterChange,
    Site,
    Teacher,
    TeacherBan,
)

AUDIT_FIELDS = ["created_by", "updated_by"]

# Each child of an institution: (save service, its id argument, delete service).
CHILD_SERVICES = {
    Licence: (services.licence_save, "licence_id", services.licence_delete),
    Site: (services.site_save, "site_id", services.site_delete),
    Teacher: (services.teacher_save, "teacher_id", services.teacher_delete),
}


def save_child(request, obj, form, change: bool) -> None:
    """An admin save of a licence, site or teacher, through its service (validated and audited)."""
    save, id_name, _delete = CHILD_SERVICES[type(obj)]
    institution_id = obj.institution_id
    data = form_data(form, change=change, exclude={"institution"})
    with admin_service_call():
        saved = save(actor=request.user, institution_id=institution_id, data=data,
                     **({id_name: obj.pk} if change else {}))
    adopt(obj, saved)


def delete_child(request, obj) -> None:
    _save, id_name, delete = CHILD_SERVICES[type(obj)]
    with admin_service_call():
        delete(actor=request.user, institution_id=obj.institution_id, **{id_name: obj.pk})


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
class InstitutionAdmin(ServiceAdminMixin, GuardedModelAdmin):
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
        """institutions.services, as the register's pages: audited, and a move takes its past figures along."""
        data = form_data(form, change=change)
        if change and not data:
            return  # only inline rows changed (save_formset)
        with admin_service_call():
            if change:
                saved = services.institution_update(actor=request.user, institution_id=obj.pk, data=data)
            else:
                saved = services.institution_create(actor=request.user, data=data)
        adopt(obj, saved)

    def delete_model(self, request, obj):
        with admin_service_call():
            services.institution_delete(actor=request.user, institution_id=obj.pk)

    def save_formset(self, request, form, formset, change):
        """Each inline row through its service; the admin's change message reads what this leaves on the formset."""
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.deleted_forms:
            if inline_form.instance.pk is not None:
                delete_child(request, inline_form.instance)
                formset.deleted_objects.append(inline_form.instance)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            child, existing = inline_form.instance, inline_form.instance.pk is not None
            child.institution_id = form.instance.pk
            save_child(request, child, inline_form, existing)
            if existing:
                formset.changed_objects.append((child, inline_form.changed_data))
            else:
                formset.new_objects.append(child)


class ChildAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """A licence, site or teacher on its own admin page: saved and deleted by the register's services."""

    def get_readonly_fields(self, request, obj=None):
        # A row stays with its institution (its history is that institution's chain).
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "institution"] if obj is not None else readonly

    def save_model(self, request, obj, form, change):
        save_child(request, obj, form, change)

    def delete_model(self, request, obj):
        delete_child(request, obj)


@admin.register(Licence)
class LicenceAdmin(ChildAdmin):
    list_display = ["number", "kind", "institution", "issued_on", "valid_until", "state"]
    list_filter = ["kind", "state"]
    search_fields = ["=number", "institution__name"]
    raw_id_fields = ["institution", "issuer"]
    readonly_fields = AUDIT_FIELDS
    list_select_related = ["institution"]
    show_full_result_count = False


@admin.register(Site)
class SiteAdmin(ChildAdmin):
    list_display = ["address", "institution", "region", "premises_type", "approved"]
    list_filter = ["premises_type", "approved"]
    search_fields = ["address", "institution__name"]
    raw_id_fields = ["institution", "region"]
    list_select_related = ["institution", "region"]
    show_full_result_count = False


@admin.register(Teacher)
class TeacherAdmin(ChildAdmin):
    list_display = ["name", "institution", "subject", "qualification_number", "is_in_service_teacher", "started_on",
                    "ended_on", "in_service_flagged_at"]
    list_filter = ["is_in_service_teacher"]
    readonly_fields = [*AUDIT_FIELDS, "ended_on", "end_reason", "in_service_flagged_at"]
    search_fields = ["name", "=qualification_number", "institution__name"]
    raw_id_fields = ["institution"]
    list_select_related = ["institution"]
    show_full_result_count = False


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "department", "state", "total_rows", "valid_rows", "imported_rows", "created_at"]
    list_filter = ["state"]
    readonly_fields = ["report"]


# ---- the register through time ------------------------------------------------------------------------------

@admin.register(AnnualMaterialKind)
class AnnualMaterialKindAdmin(admin.ModelAdmin):
    """The configurable list of materials an annual inspection asks for."""

    list_display = ["name", "code", "position", "is_active"]
    list_editable = ["position", "is_active"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by their services (each step audited): the admin shows them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AnnualInspectionPlan)
class AnnualInspectionPlanAdmin(ReadOnlyAdmin):
    list_display = ["year", "department", "deadline", "status", "batch_number"]
    list_filter = ["status", "year"]


@admin.register(AnnualInspection)
class AnnualInspectionAdmin(ReadOnlyAdmin):
    list_display = ["institution", "plan", "status", "result", "decided_on"]
    list_filter = ["status", "result"]
    search_fields = ["institution__name"]
    list_select_related = ["institution", "plan"]
    show_full_result_count = False


@admin.register(RegisterCampaign)
class RegisterCampaignAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "region", "deadline", "status"]
    list_filter = ["kind", "status"]


@admin.register(RegisterChange)
class RegisterChangeAdmin(ReadOnlyAdmin):
    list_display = ["institution", "field", "old_value", "new_value", "status", "decided_at"]
    list_filter = ["field", "status"]
    search_fields = ["institution__name"]
    list_select_related = ["institution"]


@admin.register(TeacherBan)
class TeacherBanAdmin(ServiceAdminMixin, admin.ModelAdmin):
    """Added through institutions.teachers.ban_create (validated, audited); lifted on the black-list page."""

    list_display = ["name", "kind", "starts_on", "ends_on", "source", "lifted_at"]
    list_filter = ["kind"]
    search_fields = ["name", "=id_number"]
    fields = ["name", "id_number", "kind", "starts_on", "ends_on", "source", "reason"]

    def has_change_permission(self, request, obj=None):
        return obj is None

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        with admin_service_call():
            saved = teachers.ban_create(actor=request.user, data=form_data(form, change=False))
        adopt(obj, saved)
