"""Rectification orders (限期整改), suspension notices (停办) and penalty cases (行政处罚).

Every status change goes through one function in penalties.services; the chaser (penalties.chaser)
polls the deadline columns every day, so no deadline lives in a Celery ETA.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regulator.models import Department, TimeStampedModel

USER = settings.AUTH_USER_MODEL


def _user_fk(verbose_name, **kwargs):
    return models.ForeignKey(
        USER,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        **kwargs,
    )


class DocumentKind(models.TextChoices):
    """Numbered documents: the value is the DocumentSequence kind (one gap-free sequence per department, year
    and kind); the word inside the number (罚字) comes from the department's DocumentNumberPattern."""

    RECTIFICATION_ORDER = "rectification", _("限期整改通知书")
    SUSPENSION_NOTICE = "suspension", _("停办通知书")
    PENALTY_DECISION = "penalty", _("行政处罚决定书")
    RIGHTS_NOTICE = "rights_notice", _("行政处罚事先告知书")
    HEARING_NOTICE = "hearing_notice", _("听证通知书")
    NO_PENALTY_DECISION = "no_penalty", _("不予行政处罚决定书")
    CASE_TRANSFER = "transfer", _("案件移送书")
    PAYMENT_REMINDER = "reminder", _("催告书")
    ENFORCEMENT_APPLICATION = "enforcement", _("强制执行申请书")
    SERVICE_PROOF = "service_proof", _("送达回证")


class DocumentNumberPattern(models.Model):
    """文号格式 of one department for one kind of document, as in 济教罚字〔2022〕第1号: the issuer's
    abbreviation (机关代字, 济教), the kind word (文书代字, 罚字), then 〔year〕 and 第N号 without padding.
    Kept in admin; a department without a row uses its short name and the default word of the kind."""

    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("文书种类"), max_length=20, choices=DocumentKind.choices)
    abbreviation = models.CharField(_("机关代字"), max_length=20, help_text=_("如“济教”“历下教”"))
    kind_word = models.CharField(_("文书代字"), max_length=10, help_text=_("如“罚字”“责改字”"))

    class Meta:
        verbose_name = _("文号格式")
        verbose_name_plural = _("文号格式")
        ordering = ["department_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["department", "kind"], name="number_pattern_unique"),
            models.CheckConstraint(
                condition=~models.Q(abbreviation="") & ~models.Q(kind_word=""), name="number_pattern_filled"
            ),
        ]

    def __str__(self):
        return self.format(year=2026, serial=1)

    def clean(self):
        # The year brackets and 第…号 are added by format(): typed into a part they would print twice.
        for field in ("abbreviation", "kind_word"):
            value = getattr(self, field)
            if any(character in value for character in "〔〕[]()（）第号0123456789 "):
                raise ValidationError({field: _("只填写代字本身，年份、〔〕和“第…号”由系统生成。")})

    def format(self, *, year: int, serial: int) -> str:
        return f"{self.abbreviation}{self.kind_word}〔{year}〕第{serial}号"


class DocumentLetterhead(models.Model):
    """The office's contact line printed at the foot of its documents (地址、邮编、联系电话), kept in admin."""

    department = models.OneToOneField(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField(_("机关地址"), max_length=200, blank=True)
    postcode = models.CharField(_("邮政编码"), max_length=10, blank=True)
    phone = models.CharField(_("联系电话"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("文书落款信息")
        verbose_name_plural = _("文书落款信息")

    def __str__(self):
        return str(self.department_id)


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已批准")
    SERVED = "served", _("已送达")
    CLOSED = "closed", _("已销号")
    OVERDUE = "overdue", _("逾期未整改")
    ESCALATED = "escalated", _("已升级处理")
    CANCELLED = "cancelled", _("已撤销")


# Orders whose deadline is still being chased.
ORDER_RUNNING = (OrderStatus.APPROVED, OrderStatus.SERVED)
# Orders whose items may still be closed.
ORDER_OPEN = (OrderStatus.APPROVED, OrderStatus.SERVED, OrderStatus.OVERDUE, OrderStatus.ESCALATED)


class RectificationOrder(TimeStampedModel):
    """限期整改通知书: the items an institution must fix by a deadline, issued by one department."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="rectification_orders",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("下达部门"), on_delete=models.PROTECT, related_name="rectification_orders"
    )
    visit = models.ForeignKey(
        "inspections.Visit",
        verbose_name=_("来源检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="rectification_orders",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )
    deadline = models.DateField(_("整改期限"))
    original_deadline = models.DateField(_("原整改期限"), null=True, blank=True)
    requirements = models.TextField(_("整改要求"), blank=True)
    drafted_by = _user_fk(_("拟稿人"))
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = _user_fk(_("批准人"))
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("逾期时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancelled_by = _user_fk(_("撤销人"))
    cancel_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    serial = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number = models.CharField(_("文号"), max_length=80, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="penalties/orders/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("限期整改通知书")
        verbose_name_plural = _("限期整改通知书")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "deadline", "id"], name="order_status_deadline"),
            models.Index(fields=["department", "status", "-id"], name="order_department_status"),
            models.Index(fields=["institution", "-id"], name="order_institution"),
            models.Index(fields=["department", "created_at"], name="order_draft_by_department",
                         condition=models.Q(status="draft")),
            # Dashboard and weekly figures: orders issued, closed and overdue in a period.
            models.Index(fields=["approved_at"], name="order_approved_at"),
            models.Index(fields=["closed_at"], name="order_closed_at"),
            models.Index(fields=["overdue_at"], name="order_overdue_at"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "serial"],
                condition=models.Q(serial__isnull=False),
                name="order_number_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["approved", "served", "closed", "overdue", "escalated"])
                | ~models.Q(number=""),
                name="order_numbered_when_issued",
            ),
        ]

    def __str__(self):
        return self.number or str(_("整改通知书（草稿）#%(id)s") % {"id": self.pk})

    def get_absolute_url(self):
        return reverse("penalties:order_detail", args=[self.pk])

    @property
    def is_extended(self) -> bool:
        return self.original_deadline is not None


class Extension(models.Model):
    """The one extension (延期) an order may get: old and new deadline, and why."""

    order = models.OneToOneField(
        RectificationOrder, verbose_name=_("整改通知书"), on_delete=models.CASCADE, related_name="extension"
    )
    old_deadline = models.DateField(_("原期限"))
    new_deadline = models.DateField(_("新期限"))
    reason = models.TextField(_("延期理由"))
    created_at = models.DateTimeField(_("延期时间"))
    created_by = models.ForeignKey(USER, verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("整改延期")
        verbose_name_plural = _("整改延期")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(new_deadline__gt=models.F("old_deadline")), name="extension_later_deadline"
            ),
        ]

    def __str__(self):
        return f"{self.old_deadline} → {self.new_deadline}"


class ItemStatus(models.TextChoices):
    OPEN = "open", _("未销号")
    CLOSED = "closed", _("已销号")


class ClosingMethod(models.TextChoices):
    REINSPECTION = "reinspection", _("复查核实")
    DOCUMENTS = "documents", _("书面材料核实")


class OrderItem(models.Model):
    """One problem to fix, with its legal basis; closed (销号) one by one by the issuing department."""

    order = models.ForeignKey(
        RectificationOrder, verbose_name=_("整改通知书"), on_delete=models.CASCADE, related_name="items"
    )
    problem_item = models.ForeignKey(
        "inspections.ProblemItem",
        verbose_name=_("问题项"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="order_items",
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    text = models.TextField(_("问题"))
    legal_basis = models.CharField(_("法律依据"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = _user_fk(_("销号人"))
    closing_method = models.CharField(_("核实方式"), max_length=20, choices=ClosingMethod.choices, blank=True)
    closing_note = models.TextField(_("核实情况"), blank=True)
    evidence = models.FileField(
        _("整改材料"), upload_to="penalties/evidence/%Y/%m/", blank=True, max_length=200
    )

    class Meta:
        verbose_name = _("整改事项")
        verbose_name_plural = _("整改事项")
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_item_position_unique"),
            models.CheckConstraint(
                condition=models.Q(status="open")
                | (models.Q(closed_at__isnull=False) & ~models.Q(closing_method="")),
                name="order_item_closed_has_how",
            ),
        ]
        indexes = [models.Index(fields=["order", "status"], name="order_item_status")]

    def __str__(self):
        return f"{self.position}. {self.text[:40]}"


class ServedDocument(models.TextChoices):
    RECTIFICATION_ORDER = "rectification_order", _("限期整改通知书")
    SUSPENSION_NOTICE = "suspension_notice", _("停办通知书")
    RIGHTS_NOTICE = "rights_notice", _("行政处罚事先告知书")
    PENALTY_DECISION = "penalty_decision", _("行政处罚决定书")


class ServiceMethod(models.TextChoices):
    IN_PERSON = "in_person", _("直接送达")
    POST = "post", _("邮寄送达")
    ELECTRONIC = "electronic", _("电子送达（经同意）")
    LEFT_WITH_WITNESS = "left_with_witness", _("留置送达")
    PUBLIC_NOTICE = "public_notice", _("公告送达")


class ElectronicServiceConsent(models.Model):
    """电子送达确认书: the addressee agreed to be served electronically (行政处罚法 Art 61): who agreed for it,
    when, and the address to serve to. Electronic service without one is refused; a withdrawn one no longer counts."""

    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("受送达人"), on_delete=models.PROTECT, related_name="+"
    )
    consented_by = models.CharField(
        _("同意人"), max_length=40, help_text=_("签署确认书的人及其身份，如：法定代表人王某")
    )
    consented_at = models.DateTimeField(_("同意时间"))
    address = models.CharField(_("电子送达地址"), max_length=200, help_text=_("电子邮箱、手机号码或其他电子地址"))
    recorded_at = models.DateTimeField(_("登记时间"))
    recorded_by = models.ForeignKey(USER, verbose_name=_("登记人"), on_delete=models.PROTECT, related_name="+")
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("电子送达确认书")
        verbose_name_plural = _("电子送达确认书")
        ordering = ["-consented_at"]
        indexes = [models.Index(fields=["institution", "-consented_at"], name="service_consent_institution")]

    def __str__(self):
        return f"{self.consented_by} → {self.address}"


class ServiceProof(models.Model):
    """送达回证 as printed before service: one or several documents of one department to one addressee, numbered
    and verifiable like the documents; the service of all of them is recorded on it at once."""

    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("受送达人"), on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        Department, verbose_name=_("送达机关"), on_delete=models.PROTECT, related_name="service_proofs"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("编号"), max_length=80)
    created_at = models.DateTimeField(_("制作时间"))
    created_by = models.ForeignKey(USER, verbose_name=_("制作人"), on_delete=models.PROTECT, related_name="+")
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="penalties/proofs/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("送达回证")
        verbose_name_plural = _("送达回证")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year", "serial"], name="service_proof_number_unique"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("penalties:proof_detail", args=[self.pk])


class ServiceProofItem(models.Model):
    """One document listed on a proof of service (its name and number as printed)."""

    proof = models.ForeignKey(ServiceProof, verbose_name=_("送达回证"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("序号"))
    document_type = models.CharField(_("文书"), max_length=30, choices=ServedDocument.choices)
    document_id = models.BigIntegerField(_("文书编号"))
    document_number = models.CharField(_("文号"), max_length=80)

    class Meta:
        verbose_name = _("送达文书")
        verbose_name_plural = _("送达文书")
        ordering = ["proof_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["proof", "position"], name="service_proof_item_position_unique"),
            models.UniqueConstraint(fields=["proof", "document_type", "document_id"], name="service_proof_item_once"),
        ]
        indexes = [models.Index(fields=["document_type", "document_id"], name="service_proof_item_document")]

    def __str__(self):
        return f"{self.get_document_type_display()} {self.document_number}"


class ServiceRecord(models.Model):
    """送达回证 as filled in: one per served document (serving twice is refused by the unique constraint too);
    the documents served together share their `proof`."""

    document_type = models.CharField(_("文书"), max_length=30, choices=ServedDocument.choices)
    document_id = models.BigIntegerField(_("文书编号"))
    document_number = models.CharField(_("文号"), max_length=80, blank=True)
    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("受送达人"), on_delete=models.PROTECT, related_name="+"
    )
    proof = models.ForeignKey(
        ServiceProof, verbose_name=_("送达回证"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="records",
    )
    served_at = models.DateTimeField(_("送达时间"), help_text=_("公告送达：公告期满之时"))
    place = models.CharField(_("送达地点"), max_length=200, blank=True)
    method = models.CharField(_("送达方式"), max_length=20, choices=ServiceMethod.choices)
    receiver_name = models.CharField(_("签收人"), max_length=40, blank=True)
    receiver_relation = models.CharField(_("与受送达人关系"), max_length=40, blank=True)
    refused = models.BooleanField(_("拒绝签收"), default=False)
    witness_name = models.CharField(_("见证人"), max_length=40, blank=True)
    server = models.ForeignKey(USER, verbose_name=_("送达人"), on_delete=models.PROTECT, related_name="+")
    co_server_name = models.CharField(_("其他送达人"), max_length=80, blank=True)
    remarks = models.TextField(_("备注"), blank=True)
    photo = models.FileField(_("送达照片"), upload_to="penalties/service/%Y/%m/", blank=True, max_length=200)
    notice_published_at = models.DateTimeField(_("公告时间"), null=True, blank=True)
    notice_medium = models.CharField(_("公告载体"), max_length=200, blank=True)
    consent = models.ForeignKey(
        ElectronicServiceConsent, verbose_name=_("电子送达确认书"), on_delete=models.PROTECT, null=True,
        blank=True, related_name="+",
    )
    electronic_address = models.CharField(_("电子送达地址"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["-served_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_id"], name="service_once_per_document"
            ),
            models.CheckConstraint(
                condition=models.Q(refused=False) | ~models.Q(witness_name=""),
                name="service_refusal_has_witness",
            ),
            models.CheckConstraint(
                condition=~models.Q(method="public_notice") | models.Q(notice_published_at__isnull=False),
                name="service_public_notice_dated",
            ),
        ]

    def __str__(self):
        return f"{self.get_document_type_display()} {self.document_number} {self.served_at:%Y-%m-%d %H:%M}"


class SuspensionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    APPROVED = "approved", _("已批准")
    SERVED = "served", _("已送达")
    COMPLETED = "completed", _("退费完成")
    CANCELLED = "cancelled", _("已撤销")


class SuspensionNotice(TimeStampedModel):
    """停办通知书: stop enrolment, stop all training, refund all tuition; refunds per student group."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("机构"),
        on_delete=models.PROTECT,
        related_name="suspension_notices",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("下达部门"), on_delete=models.PROTECT, related_name="suspension_notices"
    )
    visit = models.ForeignKey(
        "inspections.Visit",
        verbose_name=_("来源检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="suspension_notices",
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=SuspensionStatus.choices, default=SuspensionStatus.DRAFT
    )
    stop_enrolment = models.BooleanField(_("停止招生"), default=True)
    stop_training = models.BooleanField(_("停止全部培训活动"), default=True)
    refund_all = models.BooleanField(_("退还全部未消课费用"), default=True)
    facts = models.TextField(_("违法事实"))
    legal_basis = models.CharField(_("法律依据"), max_length=300)
    refund_deadline = models.DateField(_("退费期限"))
    drafted_by = _user_fk(_("拟稿人"))
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    approved_by = _user_fk(_("批准人"))
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    completed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    cancelled_by = _user_fk(_("撤销人"))
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    serial = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number = models.CharField(_("文号"), max_length=80, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="penalties/suspensions/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("停办通知书")
        verbose_name_plural = _("停办通知书")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "refund_deadline", "id"], name="suspension_status_deadline")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "year", "serial"],
                condition=models.Q(serial__isnull=False),
                name="suspension_number_unique",
            ),
        ]

    def __str__(self):
        return self.number or str(_("停办通知书（草稿）#%(id)s") % {"id": self.pk})

    def get_absolute_url(self):
        return reverse("penalties:suspension_detail", args=[self.pk])


class Refund(models.Model):
    """Refunds to one group of students (e.g. a class): what is owed, what was paid back, and the proof."""

    notice = models.ForeignKey(
        SuspensionNotice, verbose_name=_("停办通知书"), on_delete=models.CASCADE, related_name="refunds"
    )
    student_group = models.CharField(_("学员群体"), max_length=120)
    students = models.PositiveIntegerField(_("学员人数"), default=0)
    amount_due = models.DecimalField(
        _("应退金额（元）"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    amount_refunded = models.DecimalField(
        _("已退金额（元）"), max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    evidence = models.FileField(
        _("退费凭证"), upload_to="penalties/refunds/%Y/%m/", blank=True, max_length=200
    )
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(USER, verbose_name=_("更新人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("退费记录")
        verbose_name_plural = _("退费记录")
        ordering = ["notice_id", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_due__gte=0, amount_refunded__gte=0),
                name="refund_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(amount_refunded__lte=models.F("amount_due")),
                name="refund_not_more_than_due",
            ),
            models.UniqueConstraint(fields=["notice", "student_group"], name="refund_group_unique"),
        ]

    def __str__(self):
        return self.student_group

    @property
    def is_complete(self) -> bool:
        return self.amount_refunded >= self.amount_due

    @property
    def outstanding(self):
        return self.amount_due - self.amount_refunded


class CaseStatus(models.TextChoices):
    LEAD = "lead", _("线索")
    PRELIMINARY_REVIEW = "preliminary_review", _("初核")
    FILED = "filed", _("已立案")
    INVESTIGATION = "investigation", _("调查取证")
    NOTICE_OF_RIGHTS = "notice_of_rights", _("告知陈述申辩/听证")
    DECIDED = "decided", _("已作出决定")
    SERVED = "served", _("已送达")
    EXECUTED = "executed", _("已执行")
    CLOSED = "closed", _("已结案")
    DROPPED = "dropped", _("不予立案")


class CaseSource(models.TextChoices):
    INSPECTION = "inspection", _("检查发现")
    COMPLAINT = "complaint", _("投诉举报")
    REFERRAL = "referral", _("部门移送")
    FUND_ALERT = "fund_alert", _("资金风险预警")
    OVERDUE_ORDER = "overdue_order", _("逾期未整改")


class PenaltyCase(TimeStampedModel):
    """行政处罚案件: lead → 初核 → 立案 → 调查取证 → 告知 → 决定 → 送达 → 执行 → 结案."""

    institution = models.ForeignKey(
        "institutions.Institution",
        verbose_name=_("当事人"),
        on_delete=models.PROTECT,
        related_name="penalty_cases",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("承办部门"), on_delete=models.PROTECT, related_name="penalty_cases"
    )
    source = models.CharField(_("案件来源"), max_length=20, choices=CaseSource.choices)
    source_order = models.OneToOneField(
        RectificationOrder,
        verbose_name=_("来源整改通知书"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_case",
    )
    source_visit = models.ForeignKey(
        "inspections.Visit",
        verbose_name=_("来源检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="penalty_cases",
    )
    source_reference = models.CharField(
        _("来源编号"), max_length=80, blank=True, help_text=_("举报编号、移送函号或预警编号")
    )
    summary = models.TextField(_("案情摘要"))
    status = models.CharField(_("状态"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.LEAD)
    opened_at = models.DateTimeField(_("登记时间"))
    opened_by = _user_fk(_("登记人"))
    reviewed_at = models.DateTimeField(_("初核时间"), null=True, blank=True)
    reviewed_by = _user_fk(_("初核人"))
    filed_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    filed_by = _user_fk(_("立案批准人"))
    decision_due = models.DateField(_("决定期限"), null=True, blank=True)
    investigation_at = models.DateTimeField(_("调查开始时间"), null=True, blank=True)
    investigation_by = _user_fk(_("调查人"))
    investigation_findings = models.TextField(_("调查终结报告"), blank=True)
    rights_notified_at = models.DateTimeField(_("告知时间"), null=True, blank=True)
    rights_notified_by = _user_fk(_("告知人"))
    proposed_penalties = models.TextField(_("拟处罚内容"), blank=True)
    statement_due = models.DateField(_("陈述申辩期限"), null=True, blank=True)
    statement = models.TextField(_("当事人陈述申辩"), blank=True)
    hearing_requested = models.BooleanField(_("要求听证"), default=False)
    statement_recorded_at = models.DateTimeField(_("陈述申辩记录时间"), null=True, blank=True)
    statement_recorded_by = _user_fk(_("记录人"))
    decided_at = models.DateTimeField(_("决定时间"), null=True, blank=True)
    decided_by = _user_fk(_("决定人"))
    service_due = models.DateField(_("送达期限"), null=True, blank=True)
    served_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    payment_due = models.DateField(_("缴款期限"), null=True, blank=True)
    executed_at = models.DateTimeField(_("执行时间"), null=True, blank=True)
    executed_by = _user_fk(_("执行记录人"))
    execution_note = models.TextField(_("执行情况"), blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closed_by = _user_fk(_("结案人"))
    dropped_at = models.DateTimeField(_("不予立案时间"), null=True, blank=True)
    dropped_by = _user_fk(_("不予立案决定人"))
    drop_reason = models.TextField(_("不予立案理由"), blank=True)

    class Meta:
        verbose_name = _("行政处罚案件")
        verbose_name_plural = _("行政处罚案件")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["department", "status", "-id"], name="case_department_status"),
            models.Index(fields=["status", "decision_due"], name="case_status_decision_due"),
        ]

    def __str__(self):
        return str(_("处罚案件#%(id)s %(name)s") % {"id": self.pk, "name": self.institution.name})

    def get_absolute_url(self):
        return reverse("penalties:case_detail", args=[self.pk])


class CaseEvidence(models.Model):
    """Evidence attached to a case (photos, body-camera video, documents, interview records)."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="evidence"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    description = models.CharField(_("证据名称"), max_length=200)
    file = models.FileField(_("文件"), upload_to="penalties/case-evidence/%Y/%m/", blank=True, max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    added_at = models.DateTimeField(_("提交时间"))
    added_by = models.ForeignKey(USER, verbose_name=_("提交人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("案件证据")
        verbose_name_plural = _("案件证据")
        ordering = ["case_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="case_evidence_position_unique")
        ]

    def __str__(self):
        return self.description


class Decision(models.Model):
    """行政处罚决定书 of a case: numbered on the decision, with its penalties and their legal bases."""

    case = models.OneToOneField(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="decision"
    )
    facts = models.TextField(_("经查明的事实"))
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("文号"), max_length=80)
    decided_at = models.DateTimeField(_("决定时间"))
    decided_by = models.ForeignKey(USER, verbose_name=_("决定人"), on_delete=models.PROTECT, related_name="+")
    pdf = models.FileField(_("PDF"), upload_to="penalties/decisions/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("行政处罚决定书")
        verbose_name_plural = _("行政处罚决定书")
        ordering = ["-id"]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("penalties:case_detail", args=[self.case_id])

    @property
    def institution(self):
        return self.case.institution

    @property
    def department(self):
        return self.case.department


class PenaltyKind(models.TextChoices):
    WARNING = "warning", _("警告/通报批评")
    FINE = "fine", _("罚款")
    CONFISCATION = "confiscation", _("没收违法所得")
    REFUND_ORDER = "refund_order", _("责令退还违规收费")
    STOP_ENROLMENT = "stop_enrolment", _("责令停止招收学员")
    LICENCE_REVOCATION = "licence_revocation", _("吊销办学许可证")
    BAN = "ban", _("取缔")
    TALK = "talk", _("约谈")
    CREDIT_SANCTION = "credit_sanction", _("联合信用惩戒")


# Penalties that carry an amount of money.
MONETARY_PENALTIES = frozenset({PenaltyKind.FINE, PenaltyKind.CONFISCATION, PenaltyKind.REFUND_ORDER})


class Penalty(models.Model):
    decision = models.ForeignKey(
        Decision, verbose_name=_("决定书"), on_delete=models.CASCADE, related_name="penalties"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    kind = models.CharField(_("处罚种类"), max_length=30, choices=PenaltyKind.choices)
    amount = models.DecimalField(
        _("金额（元）"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    legal_basis = models.CharField(_("法律依据"), max_length=300)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("处罚")
        verbose_name_plural = _("处罚")
        ordering = ["decision_id", "position"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="penalty_amount_not_negative",
            ),
            models.UniqueConstraint(fields=["decision", "position"], name="penalty_position_unique"),
        ]

    def __str__(self):
        return self.get_kind_display()
