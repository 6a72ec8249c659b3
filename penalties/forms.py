"""Forms parse input only; the services decide and write."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from .models import (
    Adjudication,
    CaseSource,
    ClosingMethod,
    DecisionKind,
    DecisionRevision,
    NoPenaltyGround,
    PenaltyKind,
    Provision,
    ProvisionRole,
    RecordKind,
    ReviewConclusion,
    RevisionBody,
    ServiceMethod,
)

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


_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
_DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


def _datetime_field(label, **kwargs):
    return forms.DateTimeField(label=label, widget=_DATETIME, input_formats=_DATETIME_FORMATS, **kwargs)


def _text(label, rows=3, required=True, **kwargs):
    return forms.CharField(label=label, required=required, widget=forms.Textarea(attrs={"rows": rows}), **kwargs)


class FileForm(forms.Form):
    violation_ended_on = forms.DateField(
        label=_("违法行为发生（终了）日期"), widget=_DATE,
        help_text=_("连续或者继续状态的，填行为终了之日；超过二年（涉及生命健康、金融安全的五年）不能立案"),
    )
    endangers_safety = forms.BooleanField(
        label=_("涉及公民生命健康安全、金融安全且有危害后果"), required=False
    )


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("笔录类别"), choices=RecordKind.choices)
    started_at = _datetime_field(_("开始时间"))
    ended_at = _datetime_field(_("结束时间"))
    place = forms.CharField(label=_("地点"), max_length=200)
    officers = forms.CharField(label=_("执法人员及执法证号"), max_length=200)
    subject_name = forms.CharField(label=_("被检查人/被询问人"), max_length=60)
    subject_role = forms.CharField(label=_("身份（职务、与当事人关系）"), max_length=60, required=False)
    content = _text(_("笔录内容"), rows=6)
    signed = forms.BooleanField(label=_("被检查人/被询问人已签名"), required=False, initial=True)
    refusal_note = forms.CharField(label=_("拒绝签名情况"), max_length=200, required=False)


class ConcludeForm(forms.Form):
    report = _text(_("调查终结报告（查明的事实、证据、违法所得计算）"), rows=5)
    income_taken = money_field(_("收取费用（元）"), name=_("收取费用"), required=False)
    refunds_made = money_field(_("已退还费用（元）"), name=_("已退还费用"), required=False)


class AdjudicateForm(forms.Form):
    """审理; the proposed penalties come in PenaltyFormSet."""

    outcome = forms.ChoiceField(label=_("审理意见"), choices=Adjudication.choices)
    reason = _text(_("理由"), rows=2, required=False)
    referred_to = forms.CharField(label=_("移送机关"), max_length=100, required=False,
                                  help_text=_("移送司法机关时填写，如：历下区公安分局"))


class StatementForm(forms.Form):
    statement = _text(_("当事人陈述申辩"), required=False)
    waived = forms.BooleanField(label=_("当事人明确放弃陈述申辩和听证"), required=False)


class HearingRequestForm(forms.Form):
    requested_on = forms.DateField(label=_("申请听证日期"), widget=_DATE)


class HearingNotifyForm(forms.Form):
    scheduled_for = _datetime_field(_("听证时间"))
    place = forms.CharField(label=_("听证地点"), max_length=200)
    chair = forms.ModelChoiceField(label=_("听证主持人"), queryset=None)
    members = forms.CharField(label=_("听证员、记录员"), max_length=200, required=False)
    notice_served_on = forms.DateField(
        label=_("听证通知书送达日期"), widget=_DATE, required=False,
        help_text=_("已送达的填写送达日期；留空则制作听证通知书后按送达回证送达。"),
    )
    public = forms.BooleanField(label=_("公开举行"), required=False, initial=True)

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        from regulator.models import User

        self.fields["chair"].queryset = User.objects.filter(department=department, is_active=True).order_by("pk")


class PublicNoticeForm(forms.Form):
    """公告送达 recorded on the day of the notice: pending until the notice period is over."""

    published_at = _datetime_field(_("公告时间"))
    notice_medium = forms.CharField(label=_("公告载体"), max_length=200,
                                    help_text=_("如：本机关公告栏、门户网站"))


class RecusalForm(forms.Form):
    note = _text(_("回避申请及决定"), rows=2)
    new_chair = forms.ModelChoiceField(label=_("更换听证主持人"), queryset=None, required=False)

    def __init__(self, *args, department=None, **kwargs):
        super().__init__(*args, **kwargs)
        from regulator.models import User

        self.fields["new_chair"].queryset = User.objects.filter(department=department, is_active=True).order_by("pk")


class HearingHoldForm(forms.Form):
    record = _text(_("听证笔录"), rows=6)
    party_signed = forms.BooleanField(label=_("当事人已签字"), required=False, initial=True)
    signature_refusal = forms.CharField(label=_("拒绝签字情况"), max_length=200, required=False)


class NoteForm(forms.Form):
    note = _text(_("情况说明"), rows=2)


class ReportForm(forms.Form):
    report = _text(_("报告"), rows=5)


class LegalReviewForm(forms.Form):
    conclusion = forms.ChoiceField(label=_("审核结论"), choices=ReviewConclusion.choices)
    opinion = _text(_("审核意见"), rows=4)


class DiscussionForm(forms.Form):
    held_at = _datetime_field(_("讨论时间"))
    attendees = _text(_("参加人员"), rows=2)
    opinions = _text(_("讨论意见"), rows=3, required=False)
    conclusion = _text(_("讨论结论"), rows=2)


class PaymentForm(forms.Form):
    amount = money_field(_("缴款金额（元）"), name=_("缴款金额"))
    paid_on = forms.DateField(label=_("缴款日期"), widget=_DATE)
    receipt = forms.CharField(label=_("缴款凭证号"), max_length=60)


class RemindForm(forms.Form):
    served_on = forms.DateField(label=_("催告书送达日期"), widget=_DATE)


class EnforcementForm(forms.Form):
    court = forms.CharField(label=_("受理申请的人民法院"), max_length=100)


class ExtendPeriodForm(forms.Form):
    new_due = forms.DateField(label=_("延长后的决定期限"), widget=_DATE)
    reason = _text(_("理由"), rows=2)


class InterviewForm(forms.Form):
    held_at = _datetime_field(_("约谈时间"))
    place = forms.CharField(label=_("约谈地点"), max_length=200)
    staff = forms.CharField(label=_("约谈人"), max_length=200, help_text=_("执法人员姓名"))
    interviewees = forms.CharField(label=_("被约谈人"), max_length=200, help_text=_("姓名及职务"))
    said = _text(_("约谈内容"), rows=4)
    promised = _text(_("被约谈方承诺"), rows=2, required=False)
    case = forms.IntegerField(label=_("关联案件编号"), required=False, min_value=1)


class RevisionForm(forms.Form):
    """A decision changed or annulled on administrative review or by a court."""

    revision = forms.ChoiceField(label=_("变更或撤销"), choices=DecisionRevision.choices)
    body_kind = forms.ChoiceField(label=_("作出机关"), choices=RevisionBody.choices)
    body = forms.CharField(label=_("复议机关或人民法院名称"), max_length=100)
    revised_on = forms.DateField(label=_("变更或撤销决定日期"), widget=_DATE)
    reference = forms.CharField(label=_("复议决定书或判决书文号"), max_length=100)
    note = _text(_("变更或撤销的内容"), rows=2, required=False)
    restriction_months = forms.IntegerField(
        label=_("变更后的限制从业期限（月）"), required=False, min_value=0, max_value=600,
        help_text=_("决定中的限制从业期限被变更时填写，0为不再限制从业；撤销决定时教师黑名单记录自动解除"))


class ExecuteForm(forms.Form):
    note = forms.CharField(label=_("执行情况"), widget=forms.Textarea(attrs={"rows": 2}))


PENALTY_ROWS = 4


_ADOPTED = [("", "—"), ("yes", _("采纳")), ("no", _("不予采纳"))]


class DecisionForm(forms.Form):
    """The decision; its penalties come in PenaltyFormSet."""

    kind = forms.ChoiceField(label=_("决定类别"), choices=DecisionKind.choices)
    facts = _text(_("经查明的事实"), rows=4)
    no_penalty_ground = forms.ChoiceField(
        label=_("不予处罚理由"), required=False, choices=[("", "—"), *NoPenaltyGround.choices]
    )
    statement_adopted = forms.ChoiceField(label=_("陈述申辩意见"), required=False, choices=_ADOPTED)
    statement_reasons = _text(_("采纳或不予采纳的理由"), rows=2, required=False)
    correction_order = _text(_("责令改正内容"), rows=2, required=False)
    refund_ordered = forms.BooleanField(label=_("责令退还所收费用"), required=False)
    refund_amount = money_field(_("应退还费用（元）"), name=_("应退还费用"), required=False)
    social_impact = forms.BooleanField(
        label=_("具有一定社会影响，依法公开"), required=False,
        help_text=_("行政处罚法第四十八条：决定作出后七个工作日内在网站公开，个人信息脱敏"))
    party_is_natural_person = forms.BooleanField(label=_("当事人为自然人（公开时隐去姓名）"), required=False)
    person_names = forms.CharField(label=_("需隐去的自然人姓名（以逗号分隔）"), required=False, max_length=300)

    def clean_statement_adopted(self):
        return {"yes": True, "no": False}.get(self.cleaned_data.get("statement_adopted"))

    def clean_person_names(self):
        raw = self.cleaned_data.get("person_names") or ""
        return [name.strip() for name in raw.replace("，", ",").replace("、", ",").split(",") if name.strip()]


def _penalty_provisions():
    return Provision.objects.filter(active=True, role=ProvisionRole.PENALTY).order_by("position", "id")


class PenaltyForm(forms.Form):
    """One penalty: its kind, the penalty article cited, the amount. A row without a kind is left out; the
    service checks the kind against the article and the fine against its range."""

    kind = forms.ChoiceField(label=_("处罚种类"), required=False, choices=[("", "—"), *PenaltyKind.choices])
    provision = forms.ModelChoiceField(label=_("依据条款"), required=False, queryset=Provision.objects.none())
    amount = money_field(_("金额（元）"), name=_("金额"), required=False)
    especially_serious = forms.BooleanField(label=_("情节特别严重"), required=False)
    period_months = forms.IntegerField(label=_("限制期限（月）"), required=False, min_value=1, max_value=600)
    person_name = forms.CharField(label=_("被限制从业人员姓名"), required=False, max_length=40,
                                  help_text=_("限制从业时填写，列入教师黑名单"))
    person_id_number = forms.CharField(label=_("被限制从业人员身份证号"), required=False, max_length=18)
    legal_basis = forms.CharField(label=_("补充依据"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provision"].queryset = _penalty_provisions()
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
        """The rows, in order, for penalties.services.case_adjudicate and case_decide."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            provision = data.get("provision")
            rows.append({
                "kind": data.get("kind") or "", "amount": data.get("amount"),
                "provision_id": provision.pk if provision else None,
                "especially_serious": bool(data.get("especially_serious")),
                "period_months": data.get("period_months"), "legal_basis": data.get("legal_basis") or "",
                "person_name": data.get("person_name") or "", "person_id_number": data.get("person_id_number") or "",
            })
        return rows

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
