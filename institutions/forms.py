"""Forms of the register; they parse and validate one row, services write it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from regulator.models import Region, RegionLevel

from . import permissions
from .models import CHANGE_ONLY_FIELDS, Institution, Licence, LicenceKind, Site, Teacher
from .validators import normalize_credit_code, normalize_id_number, validate_credit_code


def _region_field(user, **kwargs) -> forms.ModelChoiceField:
    queryset = Region.objects.filter(level__gte=RegionLevel.COUNTY)
    if user.region_code:
        queryset = queryset.filter(code__startswith=user.region_code)
    return forms.ModelChoiceField(
        queryset=queryset.order_by("code"), label=_("所在区划"),
        error_messages={"invalid_choice": _("该区划不存在或不在您的管辖范围内。")}, **kwargs,
    )


class DateInput(forms.DateInput):
    input_type = "date"


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = [
            "name", "credit_code", "organiser", "legal_representative", "principal", "scope", "contact_phone",
            "address", "region",
            "premises_type", "category", "serves_preschool", "serves_compulsory", "serves_senior_high",
            "delivery", "profit_type", "operating_state", "fund_account", "notes",
        ]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user)
        self.fields["credit_code"].widget.attrs.update({"autocapitalize": "characters", "maxlength": 18})
        if self.instance.pk:  # recorded at registration; afterwards changed only by an approved change
            for name in CHANGE_ONLY_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _("请通过“登记变更”申请修改（附批准文件）。")

    def clean_credit_code(self):
        code = normalize_credit_code(self.cleaned_data.get("credit_code", ""))
        if code:
            validate_credit_code(code)
        return code


class SiteForm(forms.ModelForm):
    class Meta:
        model = Site
        fields = ["address", "region", "premises_type", "area_m2", "approved", "approval_reference"]

    def __init__(self, *args, user, institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"] = _region_field(user)
        self.fields["region"].queryset = self.fields["region"].queryset.filter(
            code__startswith=institution.region_id[:6]
        )


class TeacherForm(forms.ModelForm):
    class Meta:
        model = Teacher
        fields = ["name", "id_number", "subject", "qualification_number", "diploma", "is_in_service_teacher",
                  "started_on"]
        widgets = {"started_on": DateInput()}

    def __init__(self, *args, user, institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["id_number"].widget.attrs.update({"autocapitalize": "characters", "maxlength": 18,
                                                      "autocomplete": "off"})

    def clean_id_number(self):
        return normalize_id_number(self.cleaned_data.get("id_number", ""))


class LicenceForm(forms.ModelForm):
    class Meta:
        model = Licence
        fields = ["kind", "number", "issuer_name", "issued_on", "valid_until", "scope", "state"]
        widgets = {"issued_on": DateInput(), "valid_until": DateInput()}

    def __init__(self, *args, user, institution, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = set(permissions.licence_kinds_for(user))
        self.fields["kind"].choices = [(k, label) for k, label in LicenceKind.choices if k in allowed]
        self.instance.institution = institution

    def clean(self):
        cleaned = super().clean()
        issued, until = cleaned.get("issued_on"), cleaned.get("valid_until")
        if issued and until and until < issued:
            self.add_error("valid_until", _("有效期至（%(until)s）早于发证日期（%(issued)s）。") % {
                "until": until, "issued": issued})
        return cleaned


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=_("台账文件（.xlsx、.xls、.ods、.csv）"))
