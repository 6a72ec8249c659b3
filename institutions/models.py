"""The register (台账, 一家一册): institutions, their sites, licences and teachers."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from regulator.models import Department, Region, TimeStampedModel


class PremisesType(models.TextChoices):
    COMMERCIAL = "commercial", _("商业用房")
    RESIDENTIAL = "residential", _("居民住宅")
    BASEMENT = "basement", _("地下室")
    OTHER = "other", _("其他")


# Premises that must be closed, whatever else is in order.
FORBIDDEN_PREMISES = frozenset({PremisesType.RESIDENTIAL, PremisesType.BASEMENT})


class Category(models.TextChoices):
    ACADEMIC = "academic", _("学科类")
    SPORTS = "sports", _("非学科类·体育")
    ARTS = "arts", _("非学科类·文化艺术")
    SCIENCE = "science", _("非学科类·科技")
    VOCATIONAL = "vocational", _("职业技能类")


class StudentStage(models.TextChoices):
    PRESCHOOL = "preschool", _("学龄前（3–6岁）")
    COMPULSORY = "compulsory", _("义务教育")
    SENIOR_HIGH = "senior_high", _("普通高中")


class Delivery(models.TextChoices):
    OFFLINE = "offline", _("线下")
    ONLINE = "online", _("线上")
    BOTH = "both", _("线上线下")


class ProfitType(models.TextChoices):
    FOR_PROFIT = "for_profit", _("营利性（市场监管登记）")
    NON_PROFIT = "non_profit", _("非营利性（民政登记）")


class OperatingState(models.TextChoices):
    OPERATING = "operating", _("正常经营")
    SUSPENDED = "suspended", _("停办整改")
    CLOSED = "closed", _("已关停")
    BANNED = "banned", _("已取缔")


class LicenceStanding(models.TextChoices):
    NONE = "none", _("无证无照")
    BUSINESS_ONLY = "business_only", _("有照无证")
    SCHOOL_ONLY = "school_only", _("有证无照")
    BOTH = "both", _("有证有照")


class Institution(TimeStampedModel):
    name = models.CharField(_("机构名称"), max_length=120)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, help_text=_("18位，含GB 32100-2015校验位；无照机构可空")
    )
    organiser = models.CharField(_("举办者"), max_length=120, blank=True)
    legal_representative = models.CharField(_("法定代表人/负责人"), max_length=40, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("办学地址"), max_length=200)
    region = models.ForeignKey(
        Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="institutions"
    )
    premises_type = models.CharField(
        _("场所类型"), max_length=20, choices=PremisesType.choices, default=PremisesType.COMMERCIAL
    )
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    serves_preschool = models.BooleanField(_("面向学龄前"), default=False)
    serves_compulsory = models.BooleanField(_("面向义务教育"), default=False)
    serves_senior_high = models.BooleanField(_("面向普通高中"), default=False)
    delivery = models.CharField(_("培训方式"), max_length=10, choices=Delivery.choices, default=Delivery.OFFLINE)
    profit_type = models.CharField(
        _("营利性质"), max_length=20, choices=ProfitType.choices, default=ProfitType.FOR_PROFIT
    )
    operating_state = models.CharField(
        _("经营状态"), max_length=20, choices=OperatingState.choices, default=OperatingState.OPERATING
    )
    # Derived from the valid licences by institutions.services.refresh_standing; never typed in.
    licence_standing = models.CharField(
        _("证照情况"), max_length=20, choices=LicenceStanding.choices, default=LicenceStanding.NONE, editable=False
    )
    fund_account = models.CharField(_("学杂费专用/监管账户"), max_length=60, blank=True)
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("校外培训机构")
        verbose_name_plural = _("校外培训机构")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~models.Q(credit_code=""), name="institution_credit_code_unique",
                violation_error_message=_("统一社会信用代码已存在：该机构已登记，请勿重复录入。"),
            ),
        ]
        indexes = [
            models.Index(fields=["region", "id"], name="inst_region_id", opclasses=["varchar_pattern_ops", "int8_ops"]),
            models.Index(fields=["licence_standing", "id"], name="inst_standing_id"),
            models.Index(fields=["operating_state", "id"], name="inst_state_id"),
            models.Index(fields=["category", "id"], name="inst_category_id"),
            # Exact-name duplicate checks of the ledger import (the trigram index would be chosen otherwise).
            models.Index(fields=["name", "region"], name="inst_name_region"),
            # Dashboard: institutions of a region by standing, category and state, from the index alone.
            models.Index(fields=["region", "licence_standing", "category", "operating_state"],
                         name="inst_region_figures",
                         opclasses=["varchar_pattern_ops", "text_ops", "text_ops", "text_ops"]),
        ]
        permissions = [("share_institution", _("可共享机构档案"))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("institutions:detail", args=[self.pk])

    @property
    def students_served(self) -> list[str]:
        labels = []
        if self.serves_preschool:
            labels.append(StudentStage.PRESCHOOL.label)
        if self.serves_compulsory:
            labels.append(StudentStage.COMPULSORY.label)
        if self.serves_senior_high:
            labels.append(StudentStage.SENIOR_HIGH.label)
        return labels

    @property
    def premises_forbidden(self) -> bool:
        return self.premises_type in FORBIDDEN_PREMISES


class Site(TimeStampedModel):
    """One of the sites of an institution that runs several (一校多址); each needs approval."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="sites")
    address = models.CharField(_("地址"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+")
    premises_type = models.CharField(
        _("场所类型"), max_length=20, choices=PremisesType.choices, default=PremisesType.COMMERCIAL
    )
    area_m2 = models.PositiveIntegerField(_("面积（平方米）"), null=True, blank=True)
    approved = models.BooleanField(_("已审批"), default=False)
    approval_reference = models.CharField(_("审批文号"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("办学点")
        verbose_name_plural = _("办学点")
        ordering = ["id"]

    def __str__(self):
        return self.address


class LicenceKind(models.TextChoices):
    SCHOOL_RUNNING = "school_running", _("办学许可证")
    BUSINESS = "business", _("营业执照")
    NON_ENTERPRISE = "non_enterprise", _("民办非企业单位登记证书")
    FIRE_SAFETY = "fire_safety", _("消防安全检查合格证/验收")
    BUILDING_SAFETY = "building_safety", _("房屋安全鉴定")
    ICP = "icp", _("ICP经营许可证")


# 证 (licence to run a school) and 照 (registration as a business or non-profit) for the standing.
SCHOOL_LICENCE_KINDS = frozenset({LicenceKind.SCHOOL_RUNNING})
REGISTRATION_KINDS = frozenset({LicenceKind.BUSINESS, LicenceKind.NON_ENTERPRISE})


class LicenceState(models.TextChoices):
    VALID = "valid", _("有效")
    SUSPENDED = "suspended", _("暂扣")
    REVOKED = "revoked", _("吊销")
    EXPIRED = "expired", _("过期")


class Licence(TimeStampedModel):
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="licences"
    )
    kind = models.CharField(_("证照类别"), max_length=20, choices=LicenceKind.choices)
    number = models.CharField(_("证号"), max_length=60)
    issuer = models.ForeignKey(
        Department, verbose_name=_("发证部门"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issuer_name = models.CharField(_("发证机关名称"), max_length=80, blank=True)
    issued_on = models.DateField(_("发证日期"))
    valid_until = models.DateField(_("有效期至"), null=True, blank=True)
    scope = models.CharField(_("业务范围"), max_length=300, blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=LicenceState.choices, default=LicenceState.VALID)

    class Meta:
        verbose_name = _("证照")
        verbose_name_plural = _("证照")
        ordering = ["kind", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("issued_on")),
                name="licence_valid_after_issue",
                violation_error_message=_("有效期至不能早于发证日期。"),
            ),
            models.UniqueConstraint(
                fields=["kind", "number"], name="licence_kind_number_unique",
                violation_error_message=_("同类证照的证号已存在。"),
            ),
        ]
        indexes = [models.Index(fields=["number"], name="licence_number")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"


class Teacher(TimeStampedModel):
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.CASCADE, related_name="teachers"
    )
    name = models.CharField(_("姓名"), max_length=40)
    subject = models.CharField(_("任教科目"), max_length=40, blank=True)
    qualification_number = models.CharField(_("教师资格证号"), max_length=40, blank=True)
    diploma = models.CharField(_("学历"), max_length=40, blank=True)
    is_in_service_teacher = models.BooleanField(
        _("在职中小学教师"), default=False, help_text=_("在职中小学教师不得在校外培训机构任教")
    )

    class Meta:
        verbose_name = _("培训人员")
        verbose_name_plural = _("培训人员")
        ordering = ["id"]

    def __str__(self):
        return self.name

    @property
    def has_qualification(self) -> bool:
        return bool(self.qualification_number)


# Direct foreign-key object permissions (docs/pitfalls.md): granted when a case shares an institution's file.
class InstitutionUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Institution, on_delete=models.CASCADE)


class InstitutionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Institution, on_delete=models.CASCADE)


class ImportJobState(models.TextChoices):
    VALIDATING = "validating", _("校验中")
    VALIDATED = "validated", _("待确认")
    REJECTED = "rejected", _("文件无法导入")
    IMPORTING = "importing", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    CANCELLED = "cancelled", _("已取消")


class ImportJob(TimeStampedModel):
    """An uploaded ledger workbook: validated first, written only when the user confirms."""

    department = models.ForeignKey(Department, verbose_name=_("部门"), on_delete=models.PROTECT, related_name="+")
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    state = models.CharField(
        _("状态"), max_length=20, choices=ImportJobState.choices, default=ImportJobState.VALIDATING
    )
    total_rows = models.PositiveIntegerField(_("总行数"), default=0)
    valid_rows = models.PositiveIntegerField(_("有效行数"), default=0)
    processed_rows = models.PositiveIntegerField(_("已处理行数"), default=0)
    imported_rows = models.PositiveIntegerField(_("已导入行数"), default=0)
    file_error = models.TextField(_("文件错误"), blank=True)
    report = models.JSONField(_("校验报告"), default=list, blank=True)
    empty_rows = models.PositiveIntegerField(_("跳过的空行"), default=0)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账导入")
        verbose_name_plural = _("台账导入")
        ordering = ["-id"]

    def __str__(self):
        return self.original_name
