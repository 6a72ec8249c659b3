"""Admin: the guided-price table and the banks' statement formats are kept here (configuration); filings,
accounts, alerts and risk assessments are shown read-only, their changes go through the pages' services."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import BankFormat, Course, FundAccount, FundAlert, GuidedPrice, RiskAssessment


@admin.register(GuidedPrice)
class GuidedPriceAdmin(admin.ModelAdmin):
    list_display = ["region", "stage", "delivery", "subject_label", "max_fee_per_hour", "valid_from", "reference"]
    list_filter = ["stage", "delivery", "subject"]
    search_fields = ["subject", "region__name", "reference"]
    raw_id_fields = ["region"]
    fields = ["region", "stage", "delivery", "subject", "max_fee_per_hour", "valid_from", "reference"]

    @admin.display(description=_("科目"), ordering="subject")
    def subject_label(self, obj):
        return obj.subject_display


@admin.register(BankFormat)
class BankFormatAdmin(admin.ModelAdmin):
    list_display = ["bank", "reference_column", "date_column", "credit_column", "debit_column", "balance_column"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Course)
class CourseAdmin(ReadOnlyAdmin):
    list_display = ["name", "institution", "subject", "category", "stage", "status", "submitted_at"]
    list_filter = ["status", "category", "stage"]
    list_select_related = ["institution"]
    search_fields = ["name", "institution__name"]


@admin.register(FundAccount)
class FundAccountAdmin(ReadOnlyAdmin):
    list_display = ["institution", "bank_format", "masked_number", "mode", "minimum_balance", "balance", "balance_on"]
    list_select_related = ["institution", "bank_format"]
    exclude = ["account_number"]


@admin.register(FundAlert)
class FundAlertAdmin(ReadOnlyAdmin):
    list_display = ["institution", "kind", "status", "raised_at", "assigned_to", "closed_at"]
    list_filter = ["kind", "status"]
    list_select_related = ["institution", "assigned_to"]


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["institution", "level", "score", "assessed_at", "is_current"]
    list_filter = ["level", "is_current"]
    list_select_related = ["institution"]
