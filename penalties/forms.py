"""Forms parse input only; the services decide and write."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import CaseSource, ClosingMethod, PenaltyKind, ServiceMethod

_DATE = forms.DateInput(attrs={"type": "date"})


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
    )
    method = forms.ChoiceField(label=_("送达方式"), choices=ServiceMethod.choices)
    place = forms.CharField(label=_("送达地点"), required=False, max_length=200)
    receiver_name = forms.CharField(label=_("签收人"), required=False, max_length=40)
    receiver_relation = forms.CharField(
        label=_("与受送达人关系"), required=False, max_length=40, help_text=_("如：法定代表人、工作人员")
    )
    refused = forms.BooleanField(label=_("拒绝签收（留置送达）"), required=False)
    witness_name = forms.CharField(label=_("见证人"), required=False, max_length=40)
    remarks = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("送达照片"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["served_at"].initial = timezone.localtime().strftime("%Y-%m-%dT%H:%M")


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
    student_group = forms.CharField(label=_("学员群体"), max_length=120, help_text=_("如：三年级数学班"))
    students = forms.CharField(label=_("学员人数"), required=False)
    amount_due = forms.CharField(label=_("应退金额（元）"))
    amount_refunded = forms.CharField(label=_("已退金额（元）"), required=False)
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
    """Facts plus up to PENALTY_ROWS rows of (kind, amount, legal basis); the service checks amounts."""

    facts = forms.CharField(label=_("经查明的事实"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for i in range(PENALTY_ROWS):
            self.fields[f"kind_{i}"] = forms.ChoiceField(
                label=_("处罚种类"), required=False, choices=[("", "—"), *PenaltyKind.choices]
            )
            self.fields[f"amount_{i}"] = forms.CharField(label=_("金额（元）"), required=False, max_length=30)
            self.fields[f"basis_{i}"] = forms.CharField(label=_("法律依据"), required=False, max_length=300)

    def penalty_rows(self):
        return [(self[f"kind_{i}"], self[f"amount_{i}"], self[f"basis_{i}"]) for i in range(PENALTY_ROWS)]

    def penalties(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "kind": data.get(f"kind_{i}"),
                "amount": data.get(f"amount_{i}"),
                "legal_basis": data.get(f"basis_{i}"),
            }
            for i in range(PENALTY_ROWS)
        ]
