"""Forms of filings and fund supervision: they parse input; the services check the rules."""

from django import forms
from django.utils.translation import gettext_lazy as _

from institutions.models import Category, StudentStage, Teacher
from regulator.models import User

from .models import BankFormat, ChargeSource, CourseDelivery, CourseStatus, SupervisionMode

_DATE = forms.DateInput(attrs={"type": "date"})


class CourseForm(forms.Form):
    name = forms.CharField(label=_("班次名称"), max_length=100)
    subject = forms.CharField(label=_("科目"), max_length=40)
    category = forms.ChoiceField(label=_("类别"), choices=Category.choices)
    stage = forms.ChoiceField(label=_("招生对象学段"), choices=StudentStage.choices)
    grade = forms.CharField(label=_("年级"), max_length=40, required=False)
    delivery = forms.ChoiceField(label=_("培训方式"), choices=CourseDelivery.choices)
    syllabus = forms.CharField(label=_("培训内容与大纲"), widget=forms.Textarea(attrs={"rows": 4}))
    materials = forms.FileField(label=_("培训材料"), required=False)
    foreign_curriculum = forms.BooleanField(label=_("使用境外课程"), required=False)
    starts_on = forms.DateField(label=_("开班日期"), widget=_DATE)
    ends_on = forms.DateField(label=_("结班日期"), widget=_DATE)
    schedule = forms.CharField(label=_("每周课表"), max_length=500,
                               help_text=_("每节课一项，如“周一 18:00-18:30；周三 19:00-19:40”"))
    skipped_dates = forms.CharField(label=_("停课日期"), max_length=2000, required=False,
                                    help_text=_("学期中不上课的日期，逗号分隔，如 2026-10-01,2026-10-02"))
    lesson_minutes = forms.IntegerField(label=_("每课时时长（分钟）"), min_value=1, max_value=240)
    class_hours = forms.IntegerField(label=_("总课时"), min_value=1, max_value=2000)
    class_size = forms.IntegerField(label=_("班额（人）"), min_value=1, max_value=500)
    fee_per_hour = forms.DecimalField(label=_("每课时收费（元）"), min_value=0, max_digits=8, decimal_places=2)
    fee_total = forms.DecimalField(label=_("每期收费（元）"), min_value=0, max_digits=10, decimal_places=2,
                                   required=False, help_text=_("留空则按每课时收费 × 总课时计算"))
    teachers = forms.ModelMultipleChoiceField(label=_("授课教师"), queryset=Teacher.objects.none(), required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, institution, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["teachers"].queryset = Teacher.objects.filter(institution=institution, ended_on__isnull=True)

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("materials", None)
        data["teachers"] = [t.pk for t in data["teachers"]]
        return data


class CourseReviewForm(forms.Form):
    decision = forms.ChoiceField(label=_("审核结果"), widget=forms.RadioSelect, choices=[
        (CourseStatus.FILED, _("予以备案")), (CourseStatus.RETURNED, _("退回补正")),
        (CourseStatus.REFUSED, _("不予备案"))])
    reason = forms.CharField(label=_("审核意见"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=_("退回或不予备案须写明理由"))
    materials_opinion = forms.CharField(label=_("培训材料审核意见"), required=False,
                                        widget=forms.Textarea(attrs={"rows": 2}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件"))


class AccountForm(forms.Form):
    bank_format = forms.ModelChoiceField(label=_("监管银行"), queryset=BankFormat.objects.all())
    account_number = forms.CharField(label=_("账号"), max_length=40)
    opened_on = forms.DateField(label=_("开户日期"), widget=_DATE)
    mode = forms.ChoiceField(label=_("监管方式"), choices=SupervisionMode.choices)
    minimum_balance = forms.DecimalField(label=_("最低余额（元）"), min_value=0, max_digits=14, decimal_places=2)


class ChargeForm(forms.Form):
    source = forms.ChoiceField(label=_("来源"), choices=ChargeSource.choices)
    reference = forms.CharField(label=_("合同/票据号"), max_length=60, required=False)
    paid_on = forms.DateField(label=_("收费日期"), widget=_DATE)
    amount = forms.DecimalField(label=_("金额（元）"), min_value=0, max_digits=12, decimal_places=2)
    class_hours = forms.IntegerField(label=_("对应课时"), min_value=1, max_value=10000)
    covers_from = forms.DateField(label=_("课程起始日期"), widget=_DATE)
    covers_until = forms.DateField(label=_("课程截止日期"), widget=_DATE)
    into_supervised_account = forms.BooleanField(label=_("缴入监管账户"), required=False, initial=True)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("承办人"), queryset=User.objects.none())

    def __init__(self, *args, department_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(department_id=department_id, is_active=True)


class CloseForm(forms.Form):
    note = forms.CharField(label=_("办理情况"), widget=forms.Textarea(attrs={"rows": 3}))
