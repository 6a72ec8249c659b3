"""Forms of the inspection pages: they parse input; services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from regulator.models import Department, Region, User

from .models import Campaign, InspectionKind, VisitOutcome

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CAMPAIGN_KINDS = [(k, label) for k, label in InspectionKind.choices if k != InspectionKind.REINSPECTION]


class CampaignForm(forms.ModelForm):
    kind = forms.ChoiceField(label=_("检查类型"), choices=CAMPAIGN_KINDS)

    class Meta:
        model = Campaign
        fields = [
            "name",
            "kind",
            "region",
            "category",
            "students_served",
            "licence_standing",
            "starts_on",
            "ends_on",
            "lead_department",
            "departments",
            "description",
        ]
        widgets = {
            "starts_on": _DATE,
            "ends_on": _DATE,
            "departments": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        code = user.region_code
        regions = Region.objects.all() if code == "" else Region.objects.filter(code__startswith=code)
        departments = (
            Department.objects.all()
            if code == ""
            else Department.objects.filter(region__code__startswith=code)
        )
        self.fields["region"].queryset = regions
        self.fields["lead_department"].queryset = departments
        self.fields["departments"].queryset = departments
        self.fields["departments"].required = False
        if user.department_id:
            self.fields["lead_department"].initial = user.department_id
            self.fields["region"].initial = user.department.region_id


class DrawForm(forms.Form):
    sample_size = forms.IntegerField(label=_("抽取机构数"), min_value=1, max_value=10_000)
    inspectors_per_visit = forms.IntegerField(label=_("每组检查人员数"), min_value=2, max_value=10, initial=2)
    planned_on = forms.DateField(label=_("计划检查日期"), widget=_DATE)
    seed = forms.CharField(
        label=_("随机种子（可选）"),
        max_length=64,
        required=False,
        help_text=_("留空则自动生成；抽取后公开，任何人可据此复核"),
    )
    conflicts = forms.CharField(
        label=_("回避声明"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行一条：检查人员用户名,机构编号"),
    )

    def clean_conflicts(self):
        pairs = []
        for number, line in enumerate(self.cleaned_data["conflicts"].splitlines(), start=1):
            line = line.strip().replace("，", ",")
            if not line:
                continue
            parts = [p.strip() for p in line.split(",")]
            if len(parts) != 2 or not parts[1].isdigit():
                raise forms.ValidationError(_("第 %(n)s 行格式应为：用户名,机构编号") % {"n": number})
            user = User.objects.filter(username=parts[0]).first()
            if user is None:
                raise forms.ValidationError(
                    _("第 %(n)s 行：找不到检查人员 %(u)s") % {"n": number, "u": parts[0]}
                )
            pairs.append([user.pk, int(parts[1])])
        return pairs

    risk_weights = forms.CharField(
        label=_("按风险等级加权（可选）"),
        max_length=200,
        required=False,
        help_text=_("如“重点:40,高:30,中:20,低:10”，各等级所占抽取比例之和为 100；留空则等概率抽取"),
    )


class VisitPlanForm(forms.Form):
    institution_id = forms.IntegerField(label=_("机构编号"), min_value=1)
    planned_on = forms.DateField(label=_("计划检查日期"), widget=_DATE)
    kind = forms.ChoiceField(label=_("检查类型"), choices=CAMPAIGN_KINDS)
    departments = forms.ModelMultipleChoiceField(
        label=_("联合检查部门"),
        queryset=Department.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    inspectors = forms.ModelMultipleChoiceField(
        label=_("检查人员"), queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        code = user.region_code
        departments = (
            Department.objects.all()
            if code == ""
            else Department.objects.filter(region__code__startswith=code)
        )
        self.fields["departments"].queryset = departments.exclude(pk=user.department_id)
        self.fields["inspectors"].queryset = User.objects.filter(
            department__in=departments, role="inspector", is_active=True
        ).select_related("department")
        self.fields["inspectors"].label_from_instance = lambda u: (
            f"{u} · {u.department.short_name or u.department}"
        )


class AmendForm(forms.Form):
    reason = forms.CharField(label=_("更正原因"), widget=forms.Textarea(attrs={"rows": 2}))


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("处理结果"), choices=[c for c in VisitOutcome.choices if c[0] != VisitOutcome.NONE]
    )
    referred_department = forms.ModelChoiceField(
        label=_("移送部门"), queryset=Department.objects.all(), required=False
    )
    note = forms.CharField(label=_("处理意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, visit=None, **kwargs):
        super().__init__(*args, **kwargs)
        if visit is not None:
            # Referral goes to a department of the visit's county or the prefecture and province above it.
            county = visit.lead_department.region_id[:6]
            self.fields["referred_department"].queryset = (
                Department.objects.filter(region_id__in=[county, county[:4], county[:2]])
                .exclude(pk=visit.lead_department_id)
                .order_by("region_id", "kind")
            )


class ReinspectionForm(forms.Form):
    planned_on = forms.DateField(label=_("复查日期"), widget=_DATE)
