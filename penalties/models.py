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
    # The provisions breached, picked from the library (法律条款库); legal_basis only supplements them.
    provisions = models.ManyToManyField(
        "Provision", verbose_name=_("违反的规定"), blank=True, related_name="order_items"
    )
    legal_basis = models.CharField(_("法律依据（补充）"), max_length=300, blank=True)
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
    # Case documents served like any document; their document_id is the case's (one of each per case).
    HEARING_NOTICE = "hearing_notice", _("听证通知书")
    PAYMENT_REMINDER = "payment_reminder", _("催告书")


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
    # 公告送达 recorded while its period runs (published, not yet effective): the chaser serves the documents
    # once the period is over (services.proofs.service_proof_complete_notices).
    notice_published_at = models.DateTimeField(_("公告时间"), null=True, blank=True)
    notice_medium = models.CharField(_("公告载体"), max_length=200, blank=True)
    notice_recorded_by = models.ForeignKey(
        USER, verbose_name=_("公告记录人"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
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

    @property
    def notice_effective_at(self):
        """When a published 公告送达 counts as served (PENALTIES_PUBLIC_NOTICE_DAYS after the notice), else None."""
        if self.notice_published_at is None:
            return None
        import datetime

        from . import conf

        return self.notice_published_at + datetime.timedelta(days=conf.public_notice_days())

    @property
    def notice_pending(self) -> bool:
        """Published by 公告送达, its period still running (not yet recorded as served)."""
        return self.notice_published_at is not None and self.served_at is None


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
    INVESTIGATED = "investigated", _("调查终结，待审理")
    PROPOSED = "proposed", _("拟处罚，待事先告知")
    NOTICE_OF_RIGHTS = "notice_of_rights", _("告知陈述申辩/听证")
    DECIDED = "decided", _("已作出决定")
    SERVED = "served", _("已送达")
    ENFORCEMENT = "enforcement", _("已申请强制执行")
    EXECUTED = "executed", _("已执行")
    CLOSED = "closed", _("已结案")
    DROPPED = "dropped", _("不予立案")
    WITHDRAWN = "withdrawn", _("已撤销立案")
    REFERRED = "referred", _("已移送司法机关")


class Adjudication(models.TextChoices):
    """审理: what the head decides once the investigation is closed (行政处罚法 Art 57)."""

    PENALTY = "penalty", _("拟给予行政处罚")
    NO_PENALTY = "no_penalty", _("不予行政处罚")
    WITHDRAW = "withdraw", _("撤销立案")
    REFER = "refer", _("移送司法机关")


class NoPenaltyGround(models.TextChoices):
    """行政处罚法 Art 33 (and Art 57 ¶1 (2), (3)): why no penalty is given."""

    MINOR_CORRECTED = "minor_corrected", _("违法行为轻微并及时改正，没有造成危害后果")
    FIRST_MINOR = "first_minor", _("初次违法且危害后果轻微并及时改正")
    NO_FAULT = "no_fault", _("当事人有证据足以证明没有主观过错")
    NOT_ESTABLISHED = "not_established", _("违法事实不能成立")


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
    violation_ended_on = models.DateField(
        _("违法行为发生（终了）日期"), null=True, blank=True,
        help_text=_("连续或者继续状态的，为行为终了之日（行政处罚法第三十六条）"),
    )
    endangers_safety = models.BooleanField(
        _("涉及公民生命健康安全、金融安全且有危害后果"), default=False,
        help_text=_("追责期限延长至五年（行政处罚法第三十六条）"),
    )
    party_is_person = models.BooleanField(_("当事人为自然人"), default=False)
    legal_review_marked = models.BooleanField(_("部门确定须法制审核"), default=False)
    discussion_marked = models.BooleanField(_("情节复杂或重大，须集体讨论"), default=False)
    investigation_closed_at = models.DateTimeField(_("调查终结时间"), null=True, blank=True)
    investigation_closed_by = _user_fk(_("调查终结报告人"))
    income_taken = models.DecimalField(_("收取费用（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    refunds_made = models.DecimalField(_("已退还费用（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    illegal_income = models.DecimalField(_("违法所得（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    adjudicated_at = models.DateTimeField(_("审理时间"), null=True, blank=True)
    adjudicated_by = _user_fk(_("审理人"))
    adjudication = models.CharField(_("审理意见"), max_length=20, choices=Adjudication.choices, blank=True)
    adjudication_reason = models.TextField(_("审理理由"), blank=True)
    proposed = models.JSONField(_("拟处罚（结构化）"), default=list, blank=True)
    hearing_right = models.BooleanField(_("告知听证权利"), default=False)
    rights_served_at = models.DateTimeField(_("事先告知书送达时间"), null=True, blank=True)
    rights_waived = models.BooleanField(_("当事人明确放弃陈述申辩和听证"), default=False)
    referred_to = models.CharField(_("移送机关"), max_length=100, blank=True)
    withdrawn_at = models.DateTimeField(_("撤销立案时间"), null=True, blank=True)
    referred_at = models.DateTimeField(_("移送时间"), null=True, blank=True)
    reminder_served_on = models.DateField(_("催告书送达日期"), null=True, blank=True)
    reminder_by = _user_fk(_("催告人"))
    enforcement_applied_on = models.DateField(_("申请强制执行日期"), null=True, blank=True)
    enforcement_court = models.CharField(_("申请执行法院"), max_length=100, blank=True)
    closure_report = models.TextField(_("结案报告"), blank=True)
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


class DecisionKind(models.TextChoices):
    PENALTY = "penalty", _("行政处罚决定书")
    NO_PENALTY = "no_penalty", _("不予行政处罚决定书")


class DecisionRevision(models.TextChoices):
    """What the review body or the court did to the decision (行政复议法, 行政诉讼法 Arts 70, 77)."""

    CHANGED = "changed", _("变更")
    ANNULLED = "annulled", _("撤销")


class RevisionBody(models.TextChoices):
    REVIEW = "review", _("行政复议机关")
    COURT = "court", _("人民法院")


class Decision(models.Model):
    """行政处罚决定书 (or 不予行政处罚决定书) of a case: numbered on the decision, with its penalties and their
    legal bases, the party's statement and why it was or was not adopted, and the orders that accompany it
    (责令改正, 责令退还所收费用: orders, not penalties). Joint credit sanctions are recorded after it."""

    case = models.OneToOneField(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="decision"
    )
    kind = models.CharField(_("决定类别"), max_length=20, choices=DecisionKind.choices, default=DecisionKind.PENALTY)
    facts = models.TextField(_("经查明的事实"))
    no_penalty_ground = models.CharField(_("不予处罚理由"), max_length=30, choices=NoPenaltyGround.choices, blank=True)
    statement_summary = models.TextField(_("当事人陈述申辩意见"), blank=True)
    statement_adopted = models.BooleanField(_("陈述申辩意见是否采纳"), null=True, blank=True)
    statement_reasons = models.TextField(_("采纳或不予采纳的理由"), blank=True)
    correction_order = models.TextField(_("责令改正内容"), blank=True)
    refund_ordered = models.BooleanField(_("责令退还所收费用"), default=False)
    refund_amount = models.DecimalField(_("应退还费用（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    credit_sanction_at = models.DateTimeField(_("联合信用惩戒记录时间"), null=True, blank=True)
    credit_sanction_note = models.TextField(_("联合信用惩戒措施"), blank=True)
    # 行政处罚法 Art 48: a decision with social impact is published (publicity.publications).
    social_impact = models.BooleanField(_("具有一定社会影响，依法公开"), default=False)
    # Changed or annulled on administrative review or by a court: its publication is withdrawn.
    revision = models.CharField(_("决定被变更或撤销"), max_length=10, choices=DecisionRevision.choices, blank=True)
    revision_body_kind = models.CharField(_("作出变更或撤销的机关类别"), max_length=10, choices=RevisionBody.choices,
                                          blank=True)
    revision_body = models.CharField(_("复议机关或人民法院"), max_length=100, blank=True)
    revision_on = models.DateField(_("变更或撤销决定日期"), null=True, blank=True)
    revision_reference = models.CharField(_("复议决定书或判决书文号"), max_length=100, blank=True)
    revision_note = models.TextField(_("变更或撤销的内容"), blank=True)
    revision_recorded_at = models.DateTimeField(_("变更或撤销登记时间"), null=True, blank=True)
    revision_recorded_by = models.ForeignKey(USER, verbose_name=_("变更或撤销登记人"), on_delete=models.PROTECT,
                                             related_name="+", null=True, blank=True)
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
    CONFISCATE_PROPERTY = "confiscate_property", _("没收非法财物")
    STOP_ENROLMENT = "stop_enrolment", _("责令停止招收学员")
    STOP_RUNNING = "stop_running", _("责令停止举办")
    LICENCE_REVOCATION = "licence_revocation", _("吊销许可证件")
    TRADE_RESTRICTION = "trade_restriction", _("限制从业")


# Penalties that carry an amount of money.
MONETARY_PENALTIES = frozenset({PenaltyKind.FINE, PenaltyKind.CONFISCATION, PenaltyKind.CONFISCATE_PROPERTY})
# Penalties that give the party the right to a hearing whatever the amount (行政处罚法 Art 63 ¶1 (2)-(4)).
HEARING_KINDS = frozenset(
    {PenaltyKind.STOP_ENROLMENT, PenaltyKind.STOP_RUNNING, PenaltyKind.LICENCE_REVOCATION,
     PenaltyKind.TRADE_RESTRICTION}
)


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
    provision = models.ForeignKey(
        "Provision", verbose_name=_("依据条款"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    especially_serious = models.BooleanField(_("情节特别严重"), default=False)
    period_months = models.PositiveSmallIntegerField(_("限制期限（月）"), null=True, blank=True)
    # 限制从业 is imposed on a person (a teacher, the organiser): named here, and put on the teacher black list.
    person_name = models.CharField(_("被限制从业人员姓名"), max_length=40, blank=True)
    person_id_number = models.CharField(_("被限制从业人员身份证号"), max_length=18, blank=True)
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


class ProvisionRole(models.TextChoices):
    PENALTY = "penalty", _("罚则条款")
    OBLIGATION = "obligation", _("义务/依据条款")


class FineBasis(models.TextChoices):
    NONE = "none", _("不设罚款")
    AMOUNT = "amount", _("固定金额（元）")
    INCOME_MULTIPLE = "income_multiple", _("违法所得倍数")


class Provision(TimeStampedModel):
    """One article of a law in the library of provisions (法律条款库), kept in admin.

    A penalty article (罚则) says which penalty kinds it allows and the range of its fine: an amount in yuan
    or a multiple of the illegal income, with the 'especially serious' (情节特别严重) range where the article
    has one. An obligation article (义务条款) is what a party breached; it names the penalty articles that
    apply to it. The seed (migration 0005) must be checked by the legal office: see docs/provisions.md."""

    law = models.CharField(_("法律法规名称"), max_length=100, help_text=_("不含书名号，如：民办教育促进法"))
    article = models.CharField(_("条"), max_length=30, help_text=_("如：第十七条"))
    paragraph = models.CharField(_("款项"), max_length=40, blank=True, help_text=_("如：第一款第（三）项"))
    gist = models.CharField(_("要旨"), max_length=120, blank=True)
    text = models.TextField(_("条文"))
    role = models.CharField(_("条款类别"), max_length=20, choices=ProvisionRole.choices)
    allowed_kinds = models.JSONField(_("可适用的处罚种类"), default=list, blank=True)
    fine_basis = models.CharField(
        _("罚款计算方式"), max_length=20, choices=FineBasis.choices, default=FineBasis.NONE
    )
    fine_min = models.DecimalField(
        _("罚款下限"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("元，或违法所得的倍数（按计算方式）；空为不设下限"),
    )
    fine_max = models.DecimalField(
        _("罚款上限"), max_digits=14, decimal_places=2, null=True, blank=True,
        help_text=_("元，或违法所得的倍数（按计算方式）"),
    )
    serious_fine_min = models.DecimalField(
        _("情节特别严重的罚款下限"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    serious_fine_max = models.DecimalField(
        _("情节特别严重的罚款上限"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    competent_authority = models.CharField(
        _("实施机关"), max_length=100, blank=True, help_text=_("如：县级以上教育行政部门；市场监督管理部门")
    )
    penalty_articles = models.ManyToManyField(
        "self", verbose_name=_("适用的罚则条款"), symmetrical=False, blank=True, related_name="obligation_articles"
    )
    checklist_codes = models.JSONField(
        _("对应检查项代码"), default=list, blank=True, help_text=_("检查清单中适用本条的检查项，如 [\"C04\"]")
    )
    position = models.PositiveIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)
    checked = models.BooleanField(_("已经法制机构核对"), default=False)

    class Meta:
        verbose_name = _("法律条款")
        verbose_name_plural = _("法律条款库")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["law", "article", "paragraph"], name="provision_unique_article"),
            models.CheckConstraint(
                condition=models.Q(fine_min__isnull=True)
                | models.Q(fine_max__isnull=True)
                | models.Q(fine_min__lte=models.F("fine_max")),
                name="provision_fine_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(serious_fine_min__isnull=True)
                | models.Q(serious_fine_max__isnull=True)
                | models.Q(serious_fine_min__lte=models.F("serious_fine_max")),
                name="provision_serious_range_ordered",
            ),
        ]

    def __str__(self):
        return self.citation

    @property
    def citation(self) -> str:
        """《民办教育促进法》第六十二条 (with the paragraph where there is one)."""
        return f"《{self.law}》{self.article}{self.paragraph}"

    @property
    def has_fine(self) -> bool:
        return self.fine_basis != FineBasis.NONE

    @property
    def has_serious_range(self) -> bool:
        return self.serious_fine_min is not None or self.serious_fine_max is not None

    def allows(self, kind: str) -> bool:
        return kind in (self.allowed_kinds or [])

    def fine_range(self, *, especially_serious: bool = False, illegal_income=None):
        """(minimum, maximum) in yuan of the fine this article allows; either may be None (no bound).
        For a multiple of the illegal income, the income must be given (a Decimal in yuan)."""
        from decimal import Decimal

        low, high = self.fine_min, self.fine_max
        if especially_serious and self.has_serious_range:
            low, high = self.serious_fine_min, self.serious_fine_max
        if self.fine_basis == FineBasis.INCOME_MULTIPLE:
            income = Decimal(illegal_income or 0)
            low = None if low is None else (low * income).quantize(Decimal("0.01"))
            high = None if high is None else (high * income).quantize(Decimal("0.01"))
        return low, high


# ---- the steps of a case (issue 12): records, hearing, review, discussion, payments, periods, interviews ----


class RecordKind(models.TextChoices):
    ON_SITE = "on_site", _("现场检查笔录")
    INQUIRY = "inquiry", _("询问笔录")


class InvestigationRecord(models.Model):
    """现场检查笔录 or 询问笔录 recorded in the app; each is also an entry of the numbered evidence list."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="records"
    )
    kind = models.CharField(_("笔录类别"), max_length=20, choices=RecordKind.choices)
    evidence = models.OneToOneField(
        CaseEvidence, verbose_name=_("证据"), on_delete=models.PROTECT, related_name="record"
    )
    started_at = models.DateTimeField(_("开始时间"))
    ended_at = models.DateTimeField(_("结束时间"))
    place = models.CharField(_("地点"), max_length=200)
    officers = models.CharField(_("执法人员及执法证号"), max_length=200)
    subject_name = models.CharField(_("被检查人/被询问人"), max_length=60)
    subject_role = models.CharField(_("身份（职务、与当事人关系）"), max_length=60, blank=True)
    content = models.TextField(_("笔录内容"))
    signed = models.BooleanField(_("被检查人/被询问人已签名"), default=False)
    refusal_note = models.CharField(_("拒绝签名情况"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("调查笔录")
        verbose_name_plural = _("调查笔录")
        ordering = ["case_id", "started_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")), name="record_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(signed=True) | ~models.Q(refusal_note=""), name="record_signed_or_refusal"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}（{self.subject_name}，{self.started_at:%Y-%m-%d}）"


class HearingStatus(models.TextChoices):
    REQUESTED = "requested", _("已申请")
    NOTIFIED = "notified", _("已通知")
    HELD = "held", _("已举行")
    REPORTED = "reported", _("已提交听证报告")
    WAIVED = "waived", _("视为放弃")


class Hearing(models.Model):
    """听证 (行政处罚法 Arts 63–65): asked for within 5 working days of service of the 事先告知书, announced
    (听证通知书) at least 7 working days ahead, chaired by someone who did not investigate; record and report."""

    case = models.OneToOneField(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="hearing"
    )
    status = models.CharField(_("状态"), max_length=20, choices=HearingStatus.choices, default=HearingStatus.REQUESTED)
    requested_on = models.DateField(_("申请日期"))
    public = models.BooleanField(_("公开举行"), default=True)
    scheduled_for = models.DateTimeField(_("听证时间"), null=True, blank=True)
    place = models.CharField(_("听证地点"), max_length=200, blank=True)
    notice_served_on = models.DateField(_("听证通知书送达日期"), null=True, blank=True)
    chair = _user_fk(_("听证主持人"))
    members = models.CharField(_("听证员、记录员"), max_length=200, blank=True)
    recusal_requested = models.BooleanField(_("当事人申请回避"), default=False)
    recusal_note = models.TextField(_("回避申请及决定"), blank=True)
    attended = models.BooleanField(_("当事人到场"), null=True, blank=True)
    record = models.TextField(_("听证笔录"), blank=True)
    party_signed = models.BooleanField(_("当事人已签字"), default=False)
    signature_refusal = models.CharField(_("拒绝签字情况"), max_length=200, blank=True)
    held_at = models.DateTimeField(_("举行时间"), null=True, blank=True)
    report = models.TextField(_("听证报告"), blank=True)
    reported_at = models.DateTimeField(_("报告时间"), null=True, blank=True)
    waived_reason = models.CharField(_("视为放弃的情况"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("更新时间"))
    updated_by = models.ForeignKey(USER, verbose_name=_("更新人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("听证")
        verbose_name_plural = _("听证")

    def __str__(self):
        return str(_("听证（%(case)s）") % {"case": self.case_id})

    @property
    def concluded(self) -> bool:
        return self.status in (HearingStatus.REPORTED, HearingStatus.WAIVED)


class LegalQualification(models.Model):
    """A staff member who may do the 法制审核 (行政处罚法 Art 58: 初次从事法制审核的人员应当通过国家统一法律职业
    资格考试取得法律职业资格): granted in admin."""

    user = models.OneToOneField(
        USER, verbose_name=_("工作人员"), on_delete=models.CASCADE, related_name="legal_qualification"
    )
    certificate = models.CharField(_("法律职业资格证书编号"), max_length=40, blank=True)
    active = models.BooleanField(_("有效"), default=True)
    granted_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("法制审核资格")
        verbose_name_plural = _("法制审核资格")

    def __str__(self):
        return f"{self.user} {self.certificate}"


class ReviewConclusion(models.TextChoices):
    AGREE = "agree", _("同意")
    AMEND = "amend", _("建议修改后作出决定")
    DISAGREE = "disagree", _("不同意")


class LegalReview(models.Model):
    """法制审核意见书 (Art 58)."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="legal_reviews"
    )
    reviewer = models.ForeignKey(USER, verbose_name=_("审核人"), on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"))
    conclusion = models.CharField(_("审核结论"), max_length=20, choices=ReviewConclusion.choices)
    opinion = models.TextField(_("审核意见"))

    class Meta:
        verbose_name = _("法制审核")
        verbose_name_plural = _("法制审核")
        ordering = ["case_id", "-reviewed_at", "-id"]

    def __str__(self):
        return f"{self.get_conclusion_display()} {self.reviewed_at:%Y-%m-%d}"


class CollectiveDiscussion(models.Model):
    """集体讨论 by the heads of the department (Art 57 ¶2): who attended and what was concluded."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="discussions"
    )
    held_at = models.DateTimeField(_("讨论时间"))
    attendees = models.TextField(_("参加人员"))
    opinions = models.TextField(_("讨论意见"), blank=True)
    conclusion = models.TextField(_("讨论结论"))
    recorded_by = models.ForeignKey(USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("集体讨论")
        verbose_name_plural = _("集体讨论")
        ordering = ["case_id", "-held_at", "-id"]

    def __str__(self):
        return f"{self.held_at:%Y-%m-%d} {self.conclusion[:30]}"


class Payment(models.Model):
    """A payment of the fine (and of the 加处罚款 once due): amount, date, receipt."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="payments"
    )
    amount = models.DecimalField(_("缴款金额（元）"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("缴款日期"))
    receipt = models.CharField(_("缴款凭证号"), max_length=60)
    recorded_at = models.DateTimeField(_("记录时间"))
    recorded_by = models.ForeignKey(USER, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("缴款记录")
        verbose_name_plural = _("缴款记录")
        ordering = ["case_id", "paid_on", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive")]

    def __str__(self):
        return f"{self.paid_on} ¥{self.amount}"


class PeriodChangeKind(models.TextChoices):
    SUSPEND = "suspend", _("中止计算")
    EXTEND = "extend", _("延长")


class CasePeriodChange(models.Model):
    """The decision period (Art 60) suspended (中止: resumed later, the days added) or extended, with a reason."""

    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="period_changes"
    )
    kind = models.CharField(_("类别"), max_length=10, choices=PeriodChangeKind.choices)
    reason = models.TextField(_("理由"))
    started_on = models.DateField(_("起始日期"))
    ended_on = models.DateField(_("恢复日期"), null=True, blank=True)
    old_due = models.DateField(_("原期限"))
    new_due = models.DateField(_("新期限"), null=True, blank=True)
    approved_by = models.ForeignKey(USER, verbose_name=_("批准人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    class Meta:
        verbose_name = _("办案期限中止/延长")
        verbose_name_plural = _("办案期限中止/延长")
        ordering = ["case_id", "started_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=models.Q(kind="suspend", ended_on__isnull=True),
                name="case_one_open_suspension",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.started_on}"


class Interview(TimeStampedModel):
    """约谈: not a penalty but its own record (who, when, with whom, what was said, what was promised), with or
    without a case."""

    department = models.ForeignKey(
        Department, verbose_name=_("约谈部门"), on_delete=models.PROTECT, related_name="interviews"
    )
    institution = models.ForeignKey(
        "institutions.Institution", verbose_name=_("约谈机构"), on_delete=models.PROTECT,
        related_name="interviews",
    )
    case = models.ForeignKey(
        PenaltyCase, verbose_name=_("关联案件"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="interviews",
    )
    held_at = models.DateTimeField(_("约谈时间"))
    place = models.CharField(_("约谈地点"), max_length=200)
    staff = models.CharField(_("约谈人"), max_length=200, help_text=_("执法人员姓名"))
    interviewees = models.CharField(_("被约谈人"), max_length=200, help_text=_("姓名及职务"))
    said = models.TextField(_("约谈内容"))
    promised = models.TextField(_("被约谈方承诺"), blank=True)

    class Meta:
        verbose_name = _("约谈记录")
        verbose_name_plural = _("约谈记录")
        ordering = ["-held_at", "-id"]
        indexes = [models.Index(fields=["department", "-held_at"], name="interview_department")]

    def __str__(self):
        return str(_("约谈 %(name)s %(day)s") % {"name": self.institution.name, "day": f"{self.held_at:%Y-%m-%d}"})

    def get_absolute_url(self):
        return reverse("penalties:interview_detail", args=[self.pk])


class CaseDocument(models.Model):
    """A case document as issued (立案审批表 … 结案报告): its content frozen at issue (the plain context of
    penalties.services.case_documents, dates tagged), its number (the kind's sequence where it is sent to the party,
    else the case's 案号), and its PDF with the SHA-256 that the public verification record holds."""

    case = models.ForeignKey(PenaltyCase, verbose_name=_("案件"), on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("文书"), max_length=30)
    record_id = models.BigIntegerField(_("笔录编号"), null=True, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), null=True, blank=True)
    serial = models.PositiveIntegerField(_("序号"), null=True, blank=True)
    number = models.CharField(_("文号"), max_length=80)
    title = models.CharField(_("标题"), max_length=60)
    content = models.JSONField(_("内容"), default=dict)
    issued_at = models.DateTimeField(_("制作时间"))
    issued_by = models.ForeignKey(USER, verbose_name=_("制作人"), on_delete=models.PROTECT, related_name="+")
    pdf = models.FileField(_("PDF"), upload_to="penalties/case-documents/", blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("案件文书")
        verbose_name_plural = _("案件文书")
        ordering = ["case_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "kind", "record_id"], name="case_document_once", nulls_distinct=False
            ),
        ]

    def __str__(self):
        return f"{self.title} {self.number}"

    def get_absolute_url(self):
        return reverse("penalties:case_detail", args=[self.case_id])

    @property
    def institution(self):
        return self.case.institution

    @property
    def department(self):
        return self.case.department

