"""Forms of the register through time: annual inspection, campaigns, changes, cancellation, the black list."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .forms import DateInput
from .models import (
    AnnualMaterialKind,
    AnnualResult,
    ChangeField,
    RegisterCampaignKind,
    TeacherBan,
)
from .validators import normalize_credit_code, normalize_id_number

ISO_DATE = "%Y-%m-%d"  # what <input type="date"> takes as its value, whatever the language's date format


class AnnualPlanForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    deadline = forms.DateField(label=_("截止日期"), widget=DateInput(format=ISO_DATE))
    materials = forms.ModelMultipleChoiceField(
        label=_("报送材料"), queryset=AnnualMaterialKind.objects.filter(is_active=True),
        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1
        self.fields["materials"].initial = list(self.fields["materials"].queryset)


class MaterialReceiptForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("材料"), queryset=AnnualMaterialKind.objects.none())
    received_on = forms.DateField(label=_("收到日期"), widget=DateInput(format=ISO_DATE))
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, inspection, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].queryset = inspection.plan.materials.all()
        self.fields["received_on"].initial = timezone.localdate()


class NoteForm(forms.Form):
    note = forms.CharField(label=_("意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class SiteVisitForm(forms.Form):
    planned_on = forms.DateField(label=_("核查日期"), widget=DateInput(format=ISO_DATE))


class DecideForm(forms.Form):
    result = forms.ChoiceField(label=_("年检结论"), choices=AnnualResult.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
                              max_length=2000, help_text=_("基本合格、不合格须写明理由"))


class ResultsImportForm(forms.Form):
    file = forms.FileField(label=_("年检结果名单（.xlsx）"))


class CampaignOpenForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=RegisterCampaignKind.choices)
    name = forms.CharField(label=_("名称"), max_length=120)
    deadline = forms.DateField(label=_("完成期限"), widget=DateInput(format=ISO_DATE))


class ItemRecordForm(forms.Form):
    item = forms.CharField(widget=forms.HiddenInput)
    document = forms.CharField(label=_("文件（文号）"), max_length=120)
    done_on = forms.DateField(label=_("日期"), widget=DateInput(format=ISO_DATE))
    passed = forms.TypedChoiceField(label=_("结果"), coerce=lambda v: v == "1", initial="1",
                                    choices=[("1", _("已完成/符合")), ("0", _("未通过（发现复办等）"))])


class ChangeRequestForm(forms.Form):
    field = forms.ChoiceField(label=_("变更事项"), choices=ChangeField.choices)
    new_value = forms.CharField(label=_("变更后"), max_length=300)
    approval_document = forms.CharField(label=_("批准文件（文号）"), max_length=120, required=False)


class ChangeDecisionForm(forms.Form):
    approval_document = forms.CharField(label=_("批准文件（文号）"), max_length=120, required=False)
    note = forms.CharField(label=_("审核意见"), max_length=300, required=False)


class CancelForm(forms.Form):
    cancelled_on = forms.DateField(label=_("注销日期"), widget=DateInput(format=ISO_DATE))
    reason = forms.CharField(label=_("注销原因"), max_length=200)


class TeacherBanForm(forms.ModelForm):
    class Meta:
        model = TeacherBan
        fields = ["name", "id_number", "kind", "starts_on", "ends_on", "source", "reason"]
        widgets = {"starts_on": DateInput(format=ISO_DATE), "ends_on": DateInput(format=ISO_DATE)}

    def clean_id_number(self):
        return normalize_id_number(self.cleaned_data.get("id_number", ""))


class LicenceRenewForm(forms.Form):
    renewed_on = forms.DateField(label=_("续期批准日期"), widget=DateInput(format=ISO_DATE))
    new_valid_until = forms.DateField(label=_("新有效期至"), widget=DateInput(format=ISO_DATE))
    approval_document = forms.CharField(label=_("批准文件（文号）"), max_length=120)
    new_number = forms.CharField(label=_("新证号（换证时填写）"), max_length=60, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["renewed_on"].initial = timezone.localdate()


class TeacherLeaveForm(forms.Form):
    ended_on = forms.DateField(label=_("离职日期"), widget=DateInput(format=ISO_DATE))
    reason = forms.CharField(label=_("离职原因"), max_length=120)


class TeacherMoveForm(forms.Form):
    to_credit_code = forms.CharField(label=_("调入机构统一社会信用代码"), max_length=18)
    moved_on = forms.DateField(label=_("调动日期"), widget=DateInput(format=ISO_DATE))
    reason = forms.CharField(label=_("说明"), max_length=120, required=False)

    def clean_to_credit_code(self):
        return normalize_credit_code(self.cleaned_data.get("to_credit_code", ""))


class RosterImportForm(forms.Form):
    file = forms.FileField(label=_("在职中小学教师名单（.xlsx、.xls、.ods 或 .csv）"))
