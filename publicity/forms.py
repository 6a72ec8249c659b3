"""Forms of the public site and the staff pages; they parse and validate, and never change state."""

import copy
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from institutions.models import Category, StudentStage
from institutions.widgets import FastSelect, SharedChoices
from regulator import uploads
from regulator.models import Department

from .models import BlackCategory, ListKind, ReportTopic
from .selectors import OPEN_DATA_MAX_PAGE, PUBLIC_MAX_PAGE

MAX_PHOTOS = getattr(settings, "REPORT_MAX_PHOTOS", 3)
MAX_PHOTO_BYTES = getattr(settings, "REPORT_MAX_PHOTO_BYTES", 5 * 1024 * 1024)

def _blank(choices):
    return [("", _("全部")), *choices]


def _form_key(form, *, choices_version, **what) -> tuple | None:
    """What a public search form's HTML depends on besides the language (the form_fields tag of
    regulator/templatetags/fragments.py keeps the HTML under it): its class and options, its region choices'
    version and the values of its own fields (not the rest of the query string). None without a version."""
    if choices_version is None:
        return None
    data = form.data
    values = tuple((name, tuple(data.getlist(name)) if hasattr(data, "getlist") else data.get(name))
                   for name in form.fields) if form.is_bound else ()
    return (type(form).__name__, choices_version, tuple(sorted(what.items())), values)


class ChoiceField(SharedChoices, forms.ChoiceField):
    """A ChoiceField whose copy in every form instance shares the choice list."""


# Fields with their region choices, per form class and regions version: setting ~150 choices normalises them twice
# (field and widget), which was most of a public search form's construction.
_FIELDS_BY_VERSION: dict[tuple, dict] = {}
_FIELDS_KEPT = 16


class _RegionChoicesForm(forms.Form):
    """A public search form with a `region` choice among the regions passed in: with their version (the cached
    regions list's), the fields with those choices are built once per version and copied cheaply per request."""

    def __init__(self, *args, regions=(), choices_version=None, **kwargs):
        if choices_version is not None:
            key = (type(self), choices_version)
            fields = _FIELDS_BY_VERSION.get(key)
            if fields is None:
                fields = {name: copy.deepcopy(field) for name, field in type(self).base_fields.items()}
                fields["region"].choices = _blank(list(regions))
                if len(_FIELDS_BY_VERSION) >= _FIELDS_KEPT:
                    _FIELDS_BY_VERSION.clear()
                _FIELDS_BY_VERSION[key] = fields
            self.base_fields = fields  # Form.__init__ deep-copies these: cheap, the choice lists are shared
        super().__init__(*args, **kwargs)
        if choices_version is None:
            self.fields["region"].choices = _blank(list(regions))


class PublicListForm(_RegionChoicesForm):
    q = forms.CharField(label=_("机构名称/地址"), required=False, max_length=60)
    credit_code = forms.CharField(label=_("统一社会信用代码"), required=False, max_length=18, min_length=18)
    region = ChoiceField(widget=FastSelect, label=_("区划"), required=False)
    category = ChoiceField(widget=FastSelect, label=_("类别"), required=False, choices=_blank(Category.choices))
    students = ChoiceField(widget=FastSelect, label=_("培训对象"), required=False,
                                 choices=_blank(StudentStage.choices))
    black_category = ChoiceField(
        widget=FastSelect, label=_("黑名单类别"), required=False, choices=_blank(BlackCategory.choices)
    )
    page = forms.IntegerField(
        label=_("页码"),
        required=False,
        min_value=1,
        max_value=PUBLIC_MAX_PAGE,
        error_messages={
            "min_value": _("页码须为1到%(limit_value)s之间的整数。"),
            "max_value": _("页码超出范围：最多显示前%(limit_value)s页，请缩小搜索条件。"),
            "invalid": _("页码须为整数。"),
        },
    )

    def __init__(self, *args, regions=(), show_black_category=True, choices_version=None, **kwargs):
        super().__init__(*args, regions=regions, choices_version=choices_version, **kwargs)
        if not show_black_category:
            del self.fields["black_category"]
        self.form_key = _form_key(self, choices_version=choices_version, black=show_black_category)


class PublicSearchForm(_RegionChoicesForm):
    """One search over every institution with a public page: white-listed, black-listed or neither."""

    LIST_CHOICES = [("", _("全部")), ("white", _("在白名单中")), ("black", _("在黑名单中")),
                    ("none", _("不在白名单或黑名单中"))]
    q = forms.CharField(label=_("机构名称、地址或统一社会信用代码"), required=False, max_length=60)
    region = ChoiceField(widget=FastSelect, label=_("区划"), required=False)
    category = ChoiceField(widget=FastSelect, label=_("类别"), required=False, choices=_blank(Category.choices))
    list_status = ChoiceField(widget=FastSelect, label=_("名单"), required=False, choices=LIST_CHOICES)
    page = forms.IntegerField(
        label=_("页码"), required=False, min_value=1, max_value=PUBLIC_MAX_PAGE,
        error_messages={
            "min_value": _("页码须为1到%(limit_value)s之间的整数。"),
            "max_value": _("页码超出范围：最多显示前%(limit_value)s页，请缩小搜索条件。"),
            "invalid": _("页码须为整数。"),
        },
    )

    def __init__(self, *args, regions=(), choices_version=None, **kwargs):
        super().__init__(*args, regions=regions, choices_version=choices_version, **kwargs)
        self.form_key = _form_key(self, choices_version=choices_version)


class OpenDataForm(forms.Form):
    list_kind = forms.ChoiceField(widget=FastSelect, label=_("名单"), required=False,
                                  choices=_blank(ListKind.choices))
    page = forms.IntegerField(
        label=_("页码"),
        required=False,
        min_value=1,
        max_value=OPEN_DATA_MAX_PAGE,
        error_messages={
            "min_value": _("页码须为正整数。"),
            "max_value": _("页码超出范围。"),
            "invalid": _("页码须为整数。"),
        },
    )


class PageForm(forms.Form):
    page = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=PUBLIC_MAX_PAGE,
        error_messages={
            "min_value": _("页码须为正整数。"),
            "max_value": _("页码超出范围。"),
            "invalid": _("页码须为整数。"),
        },
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultiplePhotoField(forms.FileField):
    """Up to MAX_PHOTOS photos, each decoded and re-encoded without EXIF/GPS (regulator.uploads): what cleans to
    is the stripped copy, never the upload, so the reporter's location is not stored anywhere."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/heic,image/heif"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(_("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS})
        cleaned = []
        for upload in files:
            if upload.size > MAX_PHOTO_BYTES:
                raise forms.ValidationError(
                    _("照片“%(name)s”超过%(mb)dMB。")
                    % {"name": upload.name[:60], "mb": MAX_PHOTO_BYTES // 1048576}
                )
            try:
                cleaned.append(
                    uploads.check(upload, accept={uploads.IMAGE}, limits={uploads.IMAGE: MAX_PHOTO_BYTES})
                )
            except uploads.UploadRefused as error:
                message = error.message
                if uploads.kind_of(_head(upload)) != uploads.IMAGE:
                    message = _("文件“%(name)s”不是JPEG、PNG、WebP或HEIC图片。") % {"name": upload.name[:60]}
                raise forms.ValidationError(message) from None
        return cleaned


class ScreenshotField(MultiplePhotoField):
    """One screenshot (a transfer, a receipt), checked and re-encoded like the photos; cleans to it or None."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        if len(files) > 1:
            raise forms.ValidationError(_("只能上传一张截图。"))
        cleaned = super().clean(files, initial)
        return cleaned[0] if cleaned else None


def _head(upload) -> bytes:
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    return head


class ReportForm(forms.Form):
    # Asked only for 收费未进入监管账户: the public stylesheet hides them while another topic is chosen.
    charge_fields = ("charge_amount", "charge_paid_on", "charge_payee", "payment_proof")

    institution = forms.IntegerField(widget=forms.HiddenInput, required=False)
    topic = forms.ChoiceField(label=_("举报事项"), choices=ReportTopic.choices, initial=ReportTopic.GENERAL,
                              required=False, widget=forms.RadioSelect)
    subject_name = forms.CharField(
        label=_("被举报机构名称"),
        required=False,
        max_length=120,
        help_text=_("未登记的机构或个人，请填写名称和地址"),
    )
    subject_address = forms.CharField(label=_("地址"), required=False, max_length=200)
    region = forms.ChoiceField(label=_("所在区县"), required=False)
    content = forms.CharField(
        label=_("举报内容"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("请写明时间、地点、培训内容、收费等情况"),
    )
    photos = MultiplePhotoField(label=_("照片（可选，最多3张，每张不超过5MB）"), required=False)
    # 收费未进入监管账户: what the receipt or the transfer record shows.
    charge_amount = forms.DecimalField(label=_("缴费金额（元）"), required=False, min_value=Decimal("0.01"),
                                       max_digits=10, decimal_places=2,
                                       help_text=_("举报“收费未进入监管账户”时填写"))
    charge_paid_on = forms.DateField(label=_("缴费日期"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    charge_payee = forms.CharField(label=_("收款账户或收款方"), required=False, max_length=100,
                                   help_text=_("收据或转账记录上显示的收款账号、户名，或收款方式（如个人微信、现金）"))
    payment_proof = ScreenshotField(label=_("转账截图（可选，1张）"), required=False,
                                    help_text=_("可遮挡您自己的姓名和账号，只需显示收款方、金额和日期"))
    reporter_name = forms.CharField(label=_("联系人姓名（可不填，匿名举报）"), required=False, max_length=40)
    reporter_phone = forms.CharField(label=_("联系电话（可不填）"), required=False, max_length=30)
    # Honeypot: hidden from people by CSS; robots fill it in.
    website = forms.CharField(label=_("请勿填写此项"), required=False, max_length=200)

    def __init__(self, *args, regions=(), institution=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.institution_obj = institution
        self.fields["region"].choices = [("", _("请选择")), *regions]
        if institution is not None:
            for name in ("subject_name", "subject_address", "region"):
                self.fields[name].widget = forms.HiddenInput()

    def clean_reporter_phone(self):
        phone = self.cleaned_data["reporter_phone"].strip()
        if phone and not all(char.isdigit() or char in "-+ " for char in phone):
            raise forms.ValidationError(_("电话号码只能包含数字和“-”。"))
        return phone

    def clean(self):
        cleaned = super().clean()
        if self.institution_obj is None:
            if not (cleaned.get("subject_name", "").strip() and cleaned.get("subject_address", "").strip()):
                raise forms.ValidationError(_("请填写被举报机构（或个人）的名称和地址。"))
            if not cleaned.get("region"):
                self.add_error("region", _("请选择所在区县。"))
        if cleaned.get("topic") == ReportTopic.OFF_ACCOUNT:
            if cleaned.get("charge_amount") is None and "charge_amount" not in self.errors:
                self.add_error("charge_amount", _("请填写缴费金额（元）。"))
            if cleaned.get("charge_paid_on") is None and "charge_paid_on" not in self.errors:
                self.add_error("charge_paid_on", _("请填写缴费日期。"))
            if not cleaned.get("charge_payee", "").strip():
                self.add_error("charge_payee", _("请填写收款账户或收款方（收据或转账记录上显示的）。"))
        return cleaned

    def charge(self) -> dict | None:
        data = self.cleaned_data
        if data.get("topic") != ReportTopic.OFF_ACCOUNT:
            return None
        return {"amount": data["charge_amount"], "paid_on": data["charge_paid_on"], "payee": data["charge_payee"]}


# ---- staff ---------------------------------------------------------------------------------------


class ReportRecordForm(forms.Form):
    """A report received by phone, letter or in person, entered by a clerk (电话、信件、来访举报登记)."""

    channel = forms.ChoiceField(label=_("举报渠道"), choices=[
        ("phone", _("电话")), ("letter", _("信件")), ("visit", _("来访"))])
    received_at = forms.DateTimeField(
        label=_("收到时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    credit_code = forms.CharField(label=_("被举报机构统一社会信用代码（已登记机构）"), required=False, max_length=18)
    subject_name = forms.CharField(label=_("被举报机构名称"), required=False, max_length=120,
                                   help_text=_("未登记的机构或个人，请填写名称和地址"))
    subject_address = forms.CharField(label=_("地址"), required=False, max_length=200)
    region = forms.ChoiceField(label=_("所在区县"))
    content = forms.CharField(label=_("举报内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 6}),
                              help_text=_("记录举报人所述的时间、地点、培训内容、收费等情况"))
    reporter_name = forms.CharField(label=_("举报人姓名（举报人愿意留下的）"), required=False, max_length=40)
    reporter_phone = forms.CharField(label=_("举报人联系方式（举报人愿意留下的）"), required=False, max_length=30)

    def __init__(self, *args, regions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("请选择")), *regions]

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("credit_code", "").strip() and not (
                cleaned.get("subject_name", "").strip() and cleaned.get("subject_address", "").strip()):
            raise forms.ValidationError(_("请填写已登记机构的统一社会信用代码，或未登记机构（个人）的名称和地址。"))
        return cleaned


class EntryProposeForm(forms.Form):
    credit_code = forms.CharField(label=_("机构统一社会信用代码"), max_length=18, required=False)
    institution_id = forms.IntegerField(label=_("机构编号"), required=False, widget=forms.HiddenInput)
    list_kind = forms.ChoiceField(label=_("名单"), choices=ListKind.choices)
    black_category = forms.ChoiceField(
        label=_("黑名单类别"), required=False, choices=_blank(BlackCategory.choices)
    )
    reason = forms.CharField(
        label=_("列入原因（公开）"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4})
    )
    handling_result = forms.CharField(label=_("处理结果（公开）"), max_length=300, required=False)
    is_typical_case = forms.BooleanField(label=_("作为典型案例曝光"), required=False)
    internal_remark = forms.CharField(
        label=_("内部备注（不公开）"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("credit_code") and not cleaned.get("institution_id"):
            raise forms.ValidationError(_("请填写机构的统一社会信用代码。"))
        return cleaned


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("同意")), ("reject", _("不同意"))])
    note = forms.CharField(label=_("意见"), required=False, max_length=300)
    is_typical_case = forms.BooleanField(label=_("作为典型案例曝光"), required=False)


class StatementForm(forms.Form):
    received_on = forms.DateField(label=_("收到日期"), widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label=_("陈述申辩内容"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    answer = forms.CharField(
        label=_("采纳情况及答复"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class NoticeForm(forms.Form):
    """告知: when and how the institution was told of a black-list proposal and its right to state and defend."""

    notified_on = forms.DateField(label=_("告知日期"), widget=forms.DateInput(attrs={"type": "date"}))
    method = forms.CharField(label=_("告知方式"), max_length=100, help_text=_("如：直接送达告知书、邮寄送达"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class CorrectionForm(forms.Form):
    reason = forms.CharField(
        label=_("更正后的列入原因"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    handling_result = forms.CharField(label=_("更正后的处理结果"), required=False, max_length=300)


class BatchPublishForm(forms.Form):
    title = forms.CharField(label=_("批次标题"), required=False, max_length=200)
    as_of = forms.DateField(
        label=_("截至日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    entry_ids = forms.TypedMultipleChoiceField(
        coerce=int, choices=(), required=True, error_messages={"required": _("请选择要发布的条目。")}
    )

    def __init__(self, *args, entry_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entry_ids"].choices = entry_choices


class ReportAssignForm(forms.Form):
    department = forms.ModelChoiceField(label=_("承办部门"), queryset=Department.objects.none())
    deadline = forms.DateField(
        label=_("办理期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("内部记录"), required=False, max_length=2000)

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        if departments is not None:
            self.fields["department"].queryset = departments


class ReportStepForm(forms.Form):
    note = forms.CharField(
        label=_("内部记录"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    reply = forms.CharField(
        label=_("答复内容（举报人可见）"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    open_visit = forms.BooleanField(label=_("同时发起现场核查"), required=False)
