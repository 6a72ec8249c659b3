"""Forms parse input only; the services decide and write."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .models import CaseSource, ClosingMethod, PenaltyKind, ServiceMethod

_DATE = forms.DateInput(attrs={"type": "date"})

# Amounts in yuan: two decimals, below ten thousand million (the models' columns hold more).
MONEY_MAX = Decimal("9999999999.99")


def _about(message, name):
    """`message` with %(field)s filled in by `name`, both translated when the error is shown."""
    return lazy(lambda: str(message) % {"field": name}, str)()


def money_field(label, *, name, required=True) -> forms.DecimalField:
    """A money amount in yuan: a finite number, not negative, at most two decimals; each refusal names
    the amount (`name`, e.g. 应退金额) in Chinese."""
    return forms.DecimalField(
        label=label, required=required, min_value=Decimal("0"), max_value=MONEY_MAX, decimal_places=2,
        error_messages={
            "required": _about(_("请填写%(field)s。"), name),
            "invalid": _about(_("%(field)s必须是数字。"), name),
            "min_value": _about(_("%(field)s不能为负数。"), name),
            "max_value": _about(_("%(field)s超出范围。"), name),
            "max_decimal_places": _about(_("%(field)s最多保留两位小数。"), name),
        },
    )


class OrderDraftForm(forms.Form):
    deadline = forms.DateField(label=_("整改期限"), widget=_DATE, help_text=_("默认30天，可设1至90天"))
    requirements = forms.CharField(
        label=_("整改要求"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class ServiceForm(forms.Form):
    served_at = forms.DateTimeField(
        label=_("送达时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        help_text=_("精确到分钟；公告送达填写公告发布的时间，系统按公告期满计算送达时间"),
    )
    method = forms.ChoiceField(label=_("送达方式"), choices=ServiceMethod.choices)
    place = forms.CharField(label=_("送达地点"), required=False, max_length=200)
    receiver_name = forms.CharField(label=_("签收人"), required=False, max_length=40)
    receiver_relation = forms.CharField(
        label=_("与受送达人关系"), required=False, max_length=40, help_text=_("如：法定代表人、工作人员")
    )
    refused = forms.BooleanField(label=_("拒绝签收（留置送达）"), required=False)
    witness_name = forms.CharField(label=_("见证人"), required=False, max_length=40,
                                   help_text=_("留置送达必填"))
    co_server_name = forms.CharField(label=_("其他送达人"), required=False, max_length=80)
    notice_medium = forms.CharField(label=_("公告载体"), required=False, max_length=200,
                                    help_text=_("公告送达必填，如：本机关公告栏、门户网站"))
    remarks = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("送达照片"), required=False, help_text=_("留置送达必须上传"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["served_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


class ConsentForm(forms.Form):
    consented_by = forms.CharField(label=_("同意人"), max_length=40, help_text=_("签署电子送达确认书的人及身份"))
    consented_at = forms.DateTimeField(
        label=_("同意时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    address = forms.CharField(label=_("电子送达地址"), max_length=200, help_text=_("电子邮箱、手机号码或其他电子地址"))


class ItemCloseForm(forms.Form):
    method = forms.ChoiceField(label=_("核实方式"), choices=ClosingMethod.choices)
    note = forms.CharField(label=_("核实情况"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = forms.FileField(label=_("整改材料"), required=False)


class ExtendForm(forms.Form):
    new_deadline = forms.DateField(label=_("新的整改期限"), widget=_DATE)
    reason = forms.CharField(label=_("延期理由"), widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class SuspensionForm(forms.Form):
    facts = forms.CharField(label=_("违法事实"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_basis = forms.CharField(label=_("法律依据"), max_length=300)
    refund_deadline = forms.DateField(label=_("退费期限"), widget=_DATE)
    stop_enrolment = forms.BooleanField(label=_("停止招生"), required=False, initial=True)
    stop_training = forms.BooleanField(label=_("停止全部培训活动"), required=False, initial=True)
    refund_all = forms.BooleanField(label=_("退还全部未消课费用"), required=False, initial=True)


class RefundForm(forms.Form):
    student_group = forms.CharField(label=_("学员群体"), max_length=120, help_text=_("如：三年级数学班"),
                                    error_messages={"required": _("请填写学员群体（如班级名称）。")})
    students = forms.CharField(label=_("学员人数"), required=False)
    amount_due = money_field(_("应退金额（元）"), name=_("应退金额"))
    amount_refunded = money_field(_("已退金额（元）"), name=_("已退金额"), required=False)
    evidence = forms.FileField(label=_("退费凭证"), required=False)


class CaseOpenForm(forms.Form):
    source = forms.ChoiceField(label=_("案件来源"), choices=CaseSource.choices)
    source_reference = forms.CharField(label=_("来源编号"), required=False, max_length=80)
    summary = forms.CharField(label=_("案情摘要"), widget=forms.Textarea(attrs={"rows": 3}))


class EvidenceForm(forms.Form):
    description = forms.CharField(label=_("证据名称"), max_length=200)
    file = forms.FileField(label=_("文件"), required=False)


class RightsForm(forms.Form):
    findings = forms.CharField(
        label=_("调查终结报告（查明的事实）"), widget=forms.Textarea(attrs={"rows": 3})
    )
    proposed_penalties = forms.CharField(label=_("拟作出的处罚"), widget=forms.Textarea(attrs={"rows": 2}))


class StatementForm(forms.Form):
    statement = forms.CharField(
        label=_("当事人陈述申辩"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hearing_requested = forms.BooleanField(label=_("要求听证"), required=False)


class ExecuteForm(forms.Form):
    note = forms.CharField(label=_("执行情况"), widget=forms.Textarea(attrs={"rows": 2}))


PENALTY_ROWS = 4


class DecisionForm(forms.Form):
    """The facts of a decision; its penalties come in PenaltyFormSet."""

    facts = forms.CharField(label=_("经查明的事实"), widget=forms.Textarea(attrs={"rows": 4}))


class PenaltyForm(forms.Form):
    """One penalty of a decision. A row without a kind is left out; the service checks what rows need."""

    kind = forms.ChoiceField(label=_("处罚种类"), required=False, choices=[("", "—"), *PenaltyKind.choices])
    amount = money_field(_("金额（元）"), name=_("金额"), required=False)
    legal_basis = forms.CharField(label=_("法律依据"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kind = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        if kind in PenaltyKind.values:
            # "罚款金额必须是数字。" rather than "金额必须是数字。": the refusal names the penalty.
            name = lazy(lambda: _("%(kind)s金额") % {"kind": PenaltyKind(kind).label}, str)()
            self.fields["amount"] = money_field(_("金额（元）"), name=name, required=False)


class BasePenaltyFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": _("表单不完整或已过期，请刷新页面后重新填写。"),
        "too_many_forms": _("处罚最多填写%(num)d项。"),
        "too_few_forms": _("请至少填写%(num)d项处罚。"),
    }

    def penalties(self) -> list[dict]:
        """(kind, amount, legal_basis) of every row, in order, for penalties.services.case_decide."""
        return [
            {"kind": form.cleaned_data.get("kind") or "", "amount": form.cleaned_data.get("amount"),
             "legal_basis": form.cleaned_data.get("legal_basis") or ""}
            for form in self.forms
        ]

    def error_list(self) -> list[str]:
        """Every refusal of the formset and its rows, for one message."""
        errors = [str(error) for error in self.non_form_errors()]
        for form in self.forms:
            errors += [str(error) for field_errors in form.errors.values() for error in field_errors]
        return errors


PenaltyFormSet = forms.formset_factory(
    PenaltyForm, formset=BasePenaltyFormSet, extra=PENALTY_ROWS, max_num=PENALTY_ROWS,
    absolute_max=PENALTY_ROWS, validate_max=True,
)
PENALTY_PREFIX = "penalties"
