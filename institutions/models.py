"""The register (台账, 一家一册): institutions, their sites, licences and teachers."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from regulator.models import Department, DepartmentKind, Region, TimeStampedModel

from .validators import validate_id_number


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
    CANCELLED = "cancelled", _("已注销")


# No longer running: drawn by the 回头看 campaigns, never by ordinary spot checks.
ENDED_STATES = frozenset({OperatingState.CLOSED, OperatingState.BANNED, OperatingState.CANCELLED})


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
    # Changed only through a reviewed change (institutions.changes), never by editing the row.
    principal = models.CharField(_("校长"), max_length=40, blank=True)
    scope = models.CharField(_("办学内容/经营范围"), max_length=300, blank=True)
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
    # 注销: set only by institutions.changes.institution_cancel, with its reason.
    cancelled_on = models.DateField(_("注销日期"), null=True, blank=True, editable=False)
    cancellation_reason = models.CharField(_("注销原因"), max_length=200, blank=True, editable=False)
    # Whether the institution has a public page: set, and never unset, by what makes one (a list entry published,
    # a spot-check result published, an annual-inspection batch published: services.mark_public_pages). The public
    # search reads this column, not three EXISTS subqueries (docs/bench-scale.md, "The public search").
    has_public_page = models.BooleanField(_("有公示页面"), default=False, editable=False)

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
            # The public search: institutions with a public page, by name.
            models.Index(fields=["name", "id"], name="inst_public_name", condition=models.Q(has_public_page=True)),
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
    CANCELLED = "cancelled", _("注销")


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


class TeacherIdentity(TimeStampedModel):
    """One person who teaches, known by the identity number: their employment records (Teacher rows) at one
    institution after another keep their history, and the black list is checked against the person."""

    id_number = models.CharField(_("身份证号"), max_length=18, unique=True, validators=[validate_id_number])
    name = models.CharField(_("姓名"), max_length=40)

    class Meta:
        verbose_name = _("教师身份")
        verbose_name_plural = _("教师身份")
        ordering = ["id"]

    def __str__(self):
        return self.name


class Teacher(TimeStampedModel):
    """An employment record: one person teaching at one institution from a date until a date (open: still)."""

    # Set by services.teacher_save from the identity number, never chosen in a form.
    identity = models.ForeignKey(TeacherIdentity, verbose_name=_("教师身份"), on_delete=models.PROTECT,
                                 null=True, blank=True, editable=False, related_name="employments")
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
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number],
        help_text=_("18位，含GB 11643校验位；不公开，页面中脱敏显示"),
    )
    started_on = models.DateField(_("任职起始日期"), null=True, blank=True)
    ended_on = models.DateField(_("离职日期"), null=True, blank=True, editable=False)
    end_reason = models.CharField(_("离职原因"), max_length=120, blank=True, editable=False)
    # Set when the person's identity number is on a current in-service teacher roster (在职教师违规兼职).
    in_service_flagged_at = models.DateTimeField(_("在职教师违规兼职"), null=True, blank=True, editable=False)
    in_service_roster = models.ForeignKey("InServiceRoster", verbose_name=_("在职中小学教师名单"),
                                          on_delete=models.SET_NULL, null=True, blank=True, editable=False,
                                          related_name="+")

    class Meta:
        verbose_name = _("培训人员")
        verbose_name_plural = _("培训人员")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["identity", "institution"], condition=models.Q(ended_on__isnull=True),
                                    name="teacher_one_current_employment",
                                    violation_error_message=_("该人员已在本机构任职。")),
            models.CheckConstraint(condition=models.Q(ended_on__isnull=True) | models.Q(started_on__isnull=True)
                                   | models.Q(ended_on__gte=models.F("started_on")),
                                   name="teacher_ends_after_start",
                                   violation_error_message=_("离职日期不能早于任职起始日期。")),
        ]
        indexes = [
            models.Index(fields=["id_number"], name="teacher_id_number"),
            models.Index(fields=["in_service_flagged_at"], name="teacher_in_service_flag",
                         condition=models.Q(in_service_flagged_at__isnull=False)),
        ]

    def __str__(self):
        return self.name

    @property
    def has_qualification(self) -> bool:
        return bool(self.qualification_number)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def is_current(self) -> bool:
        return self.ended_on is None


def mask_id_number(id_number: str) -> str:
    return f"{id_number[:4]}**********{id_number[-4:]}" if id_number else ""


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
    # The report as the uploaded file with a 原因 column (ledger/annotated.py), written by the task that wrote
    # the report; empty when there is nothing to report or the file cannot be read.
    report_file = models.FileField(_("带原因的工作簿"), upload_to="imports/%Y/%m/", blank=True)
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


# ---- the register through time: annual inspection (年检) ---------------------------------------------------

class RegisterReviewStatus(models.TextChoices):
    PENDING = "pending", _("待核对")
    CHECKED = "checked", _("已核对")


class RegisterReview(TimeStampedModel):
    """待核对: something about an institution's entry a person should look at — the ledger import's 名称疑含地址 —
    for the department that put it up (its heads' queue: 台账导入待核对). Opened by the import, closed by
    institutions.services.register_review_check."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="reviews")
    department = models.ForeignKey(Department, verbose_name=_("核对部门"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("待核对事项"), max_length=200)
    import_job = models.ForeignKey(ImportJob, verbose_name=_("台账导入"), on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=RegisterReviewStatus.choices,
                              default=RegisterReviewStatus.PENDING)
    checked_at = models.DateTimeField(_("核对时间"), null=True, blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核对人"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("台账核对事项")
        verbose_name_plural = _("台账核对事项")
        ordering = ["id"]
        indexes = [models.Index(fields=["department", "status", "id"], name="register_review_queue")]

    def __str__(self):
        return f"{self.institution_id}: {self.reason}"


class AnnualMaterialKind(models.Model):
    """One of the materials an annual inspection asks for (a configurable list, kept in the admin)."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("材料名称"), max_length=80)
    position = models.PositiveSmallIntegerField(_("顺序"), default=0)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("年检材料")
        verbose_name_plural = _("年检材料")
        ordering = ["position", "id"]

    def __str__(self):
        return self.name


class AnnualPlanStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    PUBLISHED = "published", _("结果已公布")


class AnnualInspectionPlan(TimeStampedModel):
    """A department's annual inspection of one year: the deadline and the materials asked for."""

    department = models.ForeignKey(Department, verbose_name=_("年检部门"), on_delete=models.PROTECT,
                                   related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    deadline = models.DateField(_("截止日期"))
    materials = models.ManyToManyField(AnnualMaterialKind, verbose_name=_("报送材料"), related_name="+")
    status = models.CharField(_("状态"), max_length=20, choices=AnnualPlanStatus.choices,
                              default=AnnualPlanStatus.OPEN)
    batch_number = models.CharField(_("公布批次号"), max_length=40, blank=True)
    published_at = models.DateTimeField(_("公布时间"), null=True, blank=True)
    # What was published, as canonical JSON, and its SHA-256 (the public batch page and its verification record).
    canonical_json = models.TextField(_("公布内容（规范JSON）"), blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("年检计划")
        verbose_name_plural = _("年检计划")
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year"], name="annual_plan_department_year",
                                    violation_error_message=_("本部门该年度的年检计划已存在。")),
        ]

    def __str__(self):
        return _("%(year)s年度年检") % {"year": self.year}

    def get_absolute_url(self):
        return reverse("institutions:annual_plan", args=[self.pk])


class AnnualInspectionStatus(models.TextChoices):
    PENDING = "pending", _("待报送材料")
    REVIEWED = "reviewed", _("书面审查完成")
    DECIDED = "decided", _("已出结论")
    REFUSED = "refused", _("拒绝接受年检")
    CANCELLED = "cancelled", _("机构已注销")


class AnnualResult(models.TextChoices):
    PASS = "pass", _("合格")
    BASIC_PASS = "basic_pass", _("基本合格")
    FAIL = "fail", _("不合格")


class AnnualInspection(TimeStampedModel):
    """One institution's annual inspection in a plan: materials, desk review, optional site visit, result."""

    plan = models.ForeignKey(AnnualInspectionPlan, verbose_name=_("年检计划"), on_delete=models.CASCADE,
                             related_name="inspections")
    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.PROTECT,
                                    related_name="annual_inspections")
    status = models.CharField(_("状态"), max_length=20, choices=AnnualInspectionStatus.choices,
                              default=AnnualInspectionStatus.PENDING)
    review_note = models.TextField(_("书面审查意见"), blank=True)
    reviewed_at = models.DateTimeField(_("审查时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审查人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    site_visit = models.ForeignKey("inspections.Visit", verbose_name=_("实地核查"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    result = models.CharField(_("年检结论"), max_length=20, choices=AnnualResult.choices, blank=True)
    reasons = models.TextField(_("理由"), blank=True)
    decided_on = models.DateField(_("结论日期"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("作出结论"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    notice_number = models.CharField(_("年检结论通知文号"), max_length=60, blank=True)
    notice_pdf = models.FileField(_("年检结论通知书PDF"), upload_to="institutions/annual/", blank=True,
                                  max_length=200)
    notice_sha256 = models.CharField(_("年检结论通知书SHA-256"), max_length=64, blank=True)
    # What the result set going (ids in the penalties app, which the register does not import models of).
    order_id = models.PositiveBigIntegerField(_("整改通知"), null=True, blank=True)
    case_id = models.PositiveBigIntegerField(_("处罚案件线索"), null=True, blank=True)

    class Meta:
        verbose_name = _("机构年检")
        verbose_name_plural = _("机构年检")
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "institution"], name="annual_inspection_once_per_plan",
                                    violation_error_message=_("该机构已在本年度年检计划中。")),
            models.CheckConstraint(condition=~models.Q(result="fail") | ~models.Q(reasons=""),
                                   name="annual_fail_has_reasons",
                                   violation_error_message=_("年检不合格须写明理由。")),
        ]
        indexes = [models.Index(fields=["institution", "plan"], name="annual_institution_plan")]

    def __str__(self):
        return f"{self.plan} · {self.institution}"

    def get_absolute_url(self):
        return reverse("institutions:annual_inspection", args=[self.pk])


class AnnualMaterialReceipt(models.Model):
    inspection = models.ForeignKey(AnnualInspection, verbose_name=_("年检"), on_delete=models.CASCADE,
                                   related_name="receipts")
    kind = models.ForeignKey(AnnualMaterialKind, verbose_name=_("材料"), on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField(_("收到日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("年检材料收取")
        verbose_name_plural = _("年检材料收取")
        ordering = ["kind__position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "kind"], name="annual_receipt_once",
                                    violation_error_message=_("该材料已登记收到。")),
        ]

    def __str__(self):
        return f"{self.kind} {self.received_on}"


# ---- the register through time: campaigns over a set of institutions (重新审核登记, 回头看) ------------------

class RegisterCampaignKind(models.TextChoices):
    RE_REGISTRATION = "re_registration", _("重新审核登记（营转非）")
    LOOK_BACK = "look_back", _("回头看（已关停机构）")


class CampaignItem(models.TextChoices):
    SCHOOL_LICENCE = "school_licence", _("对照设置标准换发新的办学许可证")
    NON_PROFIT = "non_profit", _("在民政部门登记为非营利性机构")
    FUND_ACCOUNT = "fund_account", _("建立第三方资金监管账户")
    BUSINESS_SCOPE = "business_scope", _("变更经营（业务）范围")
    STILL_CLOSED = "still_closed", _("核实仍处于关停状态，未复办")
    SIGNBOARD = "signboard", _("门头招牌已清理")
    OUTDOOR_ADS = "outdoor_ads", _("户外广告已清理")


CAMPAIGN_ITEMS: dict[str, tuple[str, ...]] = {
    RegisterCampaignKind.RE_REGISTRATION: (CampaignItem.SCHOOL_LICENCE, CampaignItem.NON_PROFIT,
                                           CampaignItem.FUND_ACCOUNT, CampaignItem.BUSINESS_SCOPE),
    RegisterCampaignKind.LOOK_BACK: (CampaignItem.STILL_CLOSED, CampaignItem.SIGNBOARD, CampaignItem.OUTDOOR_ADS),
}


# 谁审批谁监管: who records each item.
CAMPAIGN_ITEM_REMIT: dict[str, frozenset[str]] = {
    CampaignItem.SCHOOL_LICENCE: frozenset({DepartmentKind.EDUCATION, DepartmentKind.HR}),
    CampaignItem.NON_PROFIT: frozenset({DepartmentKind.CIVIL_AFFAIRS}),
    CampaignItem.FUND_ACCOUNT: frozenset({DepartmentKind.FINANCE, DepartmentKind.EDUCATION}),
    CampaignItem.BUSINESS_SCOPE: frozenset({DepartmentKind.MARKET}),
    CampaignItem.STILL_CLOSED: frozenset({DepartmentKind.EDUCATION, DepartmentKind.MARKET}),
    CampaignItem.SIGNBOARD: frozenset({DepartmentKind.MARKET, DepartmentKind.LAW_ENFORCEMENT,
                                       DepartmentKind.EDUCATION}),
    CampaignItem.OUTDOOR_ADS: frozenset({DepartmentKind.MARKET, DepartmentKind.LAW_ENFORCEMENT,
                                         DepartmentKind.EDUCATION}),
}


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已结束")


class RegisterCampaign(TimeStampedModel):
    """A campaign of the joint office over a set of institutions of its region, each with a checklist."""

    kind = models.CharField(_("类型"), max_length=20, choices=RegisterCampaignKind.choices)
    name = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, verbose_name=_("发起部门"), on_delete=models.PROTECT,
                                   related_name="+")
    deadline = models.DateField(_("完成期限"))
    status = models.CharField(_("状态"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.OPEN)
    swept_at = models.DateTimeField(_("逾期处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("台账专项工作")
        verbose_name_plural = _("台账专项工作")
        ordering = ["-id"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("institutions:campaign", args=[self.pk])

    @property
    def items(self) -> tuple[str, ...]:
        return CAMPAIGN_ITEMS[self.kind]


class CampaignEnrolment(TimeStampedModel):
    campaign = models.ForeignKey(RegisterCampaign, verbose_name=_("专项工作"), on_delete=models.CASCADE,
                                 related_name="enrolments")
    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.PROTECT,
                                    related_name="campaign_enrolments")
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    # Set when the institution did not complete by the deadline (or was found reopened): the penalty lead's id.
    lead_case_id = models.PositiveBigIntegerField(_("转为案件线索"), null=True, blank=True)

    class Meta:
        verbose_name = _("专项工作机构")
        verbose_name_plural = _("专项工作机构")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "institution"], name="campaign_enrolment_once",
                                    violation_error_message=_("该机构已在本专项工作中。")),
        ]
        indexes = [models.Index(fields=["institution", "completed_at"], name="enrolment_institution_done")]

    def __str__(self):
        return f"{self.campaign} · {self.institution}"


class CampaignItemRecord(TimeStampedModel):
    enrolment = models.ForeignKey(CampaignEnrolment, verbose_name=_("专项工作机构"), on_delete=models.CASCADE,
                                  related_name="records")
    item = models.CharField(_("事项"), max_length=20, choices=CampaignItem.choices)
    passed = models.BooleanField(_("已完成/符合"), default=True)
    document = models.CharField(_("文件（文号）"), max_length=120)
    done_on = models.DateField(_("日期"))
    department = models.ForeignKey(Department, verbose_name=_("登记部门"), on_delete=models.PROTECT,
                                   related_name="+")

    class Meta:
        verbose_name = _("专项工作事项")
        verbose_name_plural = _("专项工作事项")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "item"], name="campaign_item_once",
                                    violation_error_message=_("该事项已登记。")),
        ]

    def __str__(self):
        return self.get_item_display()


# ---- the register through time: changes (变更) -------------------------------------------------------------

class ChangeField(models.TextChoices):
    NAME = "rename", _("机构名称")
    ADDRESS = "relocation", _("办学地址")
    ORGANISER = "new_organiser", _("举办者")
    LEGAL_REPRESENTATIVE = "new_legal_representative", _("法定代表人/负责人")
    PRINCIPAL = "new_principal", _("校长")
    SCOPE = "new_scope", _("办学内容/经营范围")


# The Institution field each kind of change rewrites.
CHANGED_FIELD = {
    ChangeField.NAME: "name",
    ChangeField.ADDRESS: "address",
    ChangeField.ORGANISER: "organiser",
    ChangeField.LEGAL_REPRESENTATIVE: "legal_representative",
    ChangeField.PRINCIPAL: "principal",
    ChangeField.SCOPE: "scope",
}

# Fields that change only through an approved change, never through the institution's edit form.
CHANGE_ONLY_FIELDS = ("principal", "scope")


class ChangeStatus(models.TextChoices):
    REQUESTED = "requested", _("待审核")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("不予批准")


class RegisterChange(TimeStampedModel):
    """A change of a registered fact, with its approval document: the file's row changes only when approved."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="changes")
    field = models.CharField(_("变更事项"), max_length=30, choices=ChangeField.choices)
    old_value = models.CharField(_("变更前"), max_length=300, blank=True)
    new_value = models.CharField(_("变更后"), max_length=300)
    approval_document = models.CharField(_("批准文件（文号）"), max_length=120, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=ChangeStatus.choices, default=ChangeStatus.REQUESTED)
    decided_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    decision_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("登记变更")
        verbose_name_plural = _("登记变更")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.get_field_display()}：{self.old_value} → {self.new_value}"


# ---- the people who teach: the black list (教师黑名单) ------------------------------------------------------

class BanKind(models.TextChoices):
    PROHIBITED = "prohibited", _("从业禁止")
    RESTRICTED = "restricted", _("限制从业")


class TeacherBan(TimeStampedModel):
    """A person barred from training work (a penalty decision or a teacher-conduct finding), for a period."""

    name = models.CharField(_("姓名"), max_length=40)
    id_number = models.CharField(_("身份证号"), max_length=18, validators=[validate_id_number])
    kind = models.CharField(_("类型"), max_length=20, choices=BanKind.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("截止日期"), null=True, blank=True, help_text=_("空为终身"))
    source = models.CharField(_("依据（决定书文号或认定文件）"), max_length=120)
    reason = models.CharField(_("事由"), max_length=300)
    department = models.ForeignKey(Department, verbose_name=_("登记部门"), on_delete=models.PROTECT,
                                   related_name="+")
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    # A ban imposed by a penalty decision (限制从业): the penalty row and its case, ids in the penalties app.
    penalty_id = models.PositiveBigIntegerField(_("处罚"), null=True, blank=True)
    case_id = models.PositiveBigIntegerField(_("处罚案件"), null=True, blank=True)
    # The person barred (the check of a teacher being recorded is by identity).
    identity = models.ForeignKey(TeacherIdentity, verbose_name=_("教师身份"), on_delete=models.PROTECT,
                                 null=True, blank=True, editable=False, related_name="bans")

    class Meta:
        verbose_name = _("教师黑名单")
        verbose_name_plural = _("教师黑名单")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__isnull=True)
                                   | models.Q(ends_on__gte=models.F("starts_on")),
                                   name="teacher_ban_ends_after_start",
                                   violation_error_message=_("截止日期不能早于起始日期。")),
            models.UniqueConstraint(fields=["penalty_id"], condition=models.Q(penalty_id__isnull=False),
                                    name="teacher_ban_once_per_penalty"),
        ]
        indexes = [models.Index(fields=["id_number"], name="teacher_ban_id_number")]

    def __str__(self):
        return f"{self.name}（{self.get_kind_display()}）"

    def in_force(self, today) -> bool:
        return self.lifted_at is None and self.starts_on <= today and (self.ends_on is None or self.ends_on >= today)


# ---- licence renewal (续期/换证) --------------------------------------------------------------------------

class LicenceRenewal(TimeStampedModel):
    """A licence's validity extended (续期) or the licence re-issued under a new number (换证), with its approval
    document: recorded by institutions.changes.licence_renew, which moves the licence's validity date."""

    licence = models.ForeignKey(Licence, verbose_name=_("证照"), on_delete=models.CASCADE, related_name="renewals")
    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="licence_renewals")
    renewed_on = models.DateField(_("续期批准日期"))
    old_valid_until = models.DateField(_("原有效期至"))
    new_valid_until = models.DateField(_("新有效期至"))
    old_number = models.CharField(_("原证号"), max_length=60)
    new_number = models.CharField(_("新证号"), max_length=60)
    approval_document = models.CharField(_("批准文件（文号）"), max_length=120)
    old_state = models.CharField(_("原状态"), max_length=20, choices=LicenceState.choices)

    class Meta:
        verbose_name = _("证照续期")
        verbose_name_plural = _("证照续期")
        ordering = ["-renewed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(new_valid_until__gt=models.F("old_valid_until")),
                                   name="licence_renewal_extends",
                                   violation_error_message=_("续期后的有效期须晚于原有效期。")),
        ]

    def __str__(self):
        return f"{self.licence} → {self.new_valid_until}"


# ---- the in-service public-school teacher roster (在职中小学教师名单) ---------------------------------------

class InServiceRoster(TimeStampedModel):
    """One import of an education bureau's roster of in-service primary and secondary school teachers. A new
    import replaces the bureau's current roster (the old one is kept, superseded). Held apart: never public,
    read only by education staff holding the view permission (permissions.can_keep_in_service_roster)."""

    department = models.ForeignKey(Department, verbose_name=_("教育部门"), on_delete=models.PROTECT,
                                   related_name="+")
    version = models.PositiveIntegerField(_("版本"))
    original_name = models.CharField(_("文件名"), max_length=200)
    row_count = models.PositiveIntegerField(_("人数"), default=0)
    is_current = models.BooleanField(_("现行"), default=True)
    superseded_at = models.DateTimeField(_("被替换时间"), null=True, blank=True)
    flagged_count = models.PositiveIntegerField(_("匹配到的培训人员"), default=0)

    class Meta:
        verbose_name = _("在职中小学教师名单")
        verbose_name_plural = _("在职中小学教师名单")
        ordering = ["-id"]
        permissions = [("keep_in_service_roster", _("可导入和查看在职中小学教师名单"))]
        constraints = [
            models.UniqueConstraint(fields=["department", "version"], name="in_service_roster_version"),
            models.UniqueConstraint(fields=["department"], condition=models.Q(is_current=True),
                                    name="in_service_roster_one_current"),
        ]

    def __str__(self):
        return _("%(department)s 第%(version)d版") % {"department": self.department, "version": self.version}


class InServiceRosterEntry(models.Model):
    roster = models.ForeignKey(InServiceRoster, verbose_name=_("名单"), on_delete=models.CASCADE,
                               related_name="entries")
    row_number = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("姓名"), max_length=40)
    id_number = models.CharField(_("身份证号"), max_length=18)
    school = models.CharField(_("任职学校"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("在职中小学教师")
        verbose_name_plural = _("在职中小学教师")
        ordering = ["roster", "row_number"]
        indexes = [models.Index(fields=["id_number", "roster"], name="in_service_entry_id_number")]

    def __str__(self):
        return self.name

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)
