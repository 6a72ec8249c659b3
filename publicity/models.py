"""Publicity (公示公开) and reports (监督举报): list entries published in batches, removals, statements,
and the public's reports with their ledger steps.

A published list entry never changes its content: a correction is a new version that `supersedes` it,
and when the new version is published the old one is stamped `superseded_at` (metadata only).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from institutions.models import Institution
from regulator.models import Department, Region, TimeStampedModel


class ListKind(models.TextChoices):
    WHITE = "white", _("白名单")
    BLACK = "black", _("黑名单")


class BlackCategory(models.TextChoices):
    LICENSED_VIOLATING = "licensed_violating", _("有证有照但违规")
    UNLICENSED = "unlicensed", _("无证无照")
    SAFETY_HAZARD = "safety_hazard", _("存在安全隐患")
    OTHER = "other", _("其他")


class EntrySource(models.TextChoices):
    MANUAL = "manual", _("人工提出")
    PENALTY_DECISION = "penalty_decision", _("行政处罚决定")
    OVERDUE_ORDER = "overdue_order", _("逾期未整改")
    INSPECTION = "inspection", _("检查发现")


class EntryStatus(models.TextChoices):
    PROPOSED = "proposed", _("已提出")
    REVIEWED = "reviewed", _("负责人已审核")
    REJECTED = "rejected", _("未通过")
    APPROVED = "approved", _("专班已批准")
    PUBLISHED = "published", _("已公示")
    REMOVAL_PROPOSED = "removal_proposed", _("申请移出")
    REMOVED = "removed", _("已移出")


# Statuses in which the entry is (or was last) visible to the public.
PUBLIC_STATUSES = (EntryStatus.PUBLISHED, EntryStatus.REMOVAL_PROPOSED)


class ListEntry(TimeStampedModel):
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="list_entries"
    )
    list_kind = models.CharField(_("名单"), max_length=10, choices=ListKind.choices)
    black_category = models.CharField(
        _("黑名单类别"), max_length=30, choices=BlackCategory.choices, blank=True
    )
    reason = models.TextField(_("列入原因"))
    handling_result = models.CharField(_("处理结果"), max_length=300, blank=True)
    source_type = models.CharField(
        _("来源"), max_length=30, choices=EntrySource.choices, default=EntrySource.MANUAL
    )
    source_object_type = models.CharField(_("来源对象类型"), max_length=60, blank=True)
    source_object_id = models.CharField(_("来源对象编号"), max_length=40, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=EntryStatus.choices, default=EntryStatus.PROPOSED
    )
    is_typical_case = models.BooleanField(_("典型案例曝光"), default=False)
    proposing_department = models.ForeignKey(
        Department, verbose_name=_("提出部门"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"))
    # 告知: a first black-list version is approved only after the institution was told (with its right to state
    # and defend) and the statement period (BLACK_LIST_STATEMENT_WORKING_DAYS working days) has run out.
    notified_on = models.DateField(_("告知机构日期"), null=True, blank=True)
    notice_method = models.CharField(_("告知方式"), max_length=100, blank=True)
    statement_due = models.DateField(_("陈述申辩期限"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    batch = models.ForeignKey(
        "Batch",
        verbose_name=_("公示批次"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries",
    )
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)
    removed_at = models.DateTimeField(_("移出时间"), null=True, blank=True)
    internal_remark = models.TextField(_("内部备注（不公开）"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("更正的版本"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
    )
    superseded_at = models.DateTimeField(_("被更正时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("名单条目")
        verbose_name_plural = _("名单条目")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["status", "list_kind", "-published_at"], name="entry_public"),
            # The public lists' order, without sorting the whole list on every uncached page.
            models.Index(
                fields=["list_kind", "-published_at", "-id"], name="entry_public_order",
                condition=models.Q(status__in=["published", "removal_proposed"], superseded_at__isnull=True),
            ),
            models.Index(fields=["institution", "status"], name="entry_institution"),
            models.Index(fields=["source_object_type", "source_object_id"], name="entry_source"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(list_kind="black") | models.Q(black_category=""),
                name="entry_white_has_no_black_category",
            ),
            models.CheckConstraint(
                condition=models.Q(version=1, supersedes__isnull=True)
                | models.Q(version__gt=1, supersedes__isnull=False),
                name="entry_version_matches_supersedes",
            ),
        ]

    def __str__(self):
        return f"{self.get_list_kind_display()} · {self.institution_id} · v{self.version}"

    @property
    def needs_statement_period(self) -> bool:
        """A new black-list entry (not a correction of a published one) waits for the institution's statement."""
        return self.list_kind == ListKind.BLACK and self.version == 1

    @property
    def corrected_at(self):
        """When a correction version was published (shown publicly as 更正于…)."""
        return self.published_at if self.version > 1 else None


class Statement(TimeStampedModel):
    """The institution's statement and defence (陈述申辩) recorded before the decision, with the answer."""

    entry = models.ForeignKey(
        ListEntry, verbose_name=_("名单条目"), on_delete=models.CASCADE, related_name="statements"
    )
    received_on = models.DateField(_("收到日期"))
    text = models.TextField(_("陈述申辩内容"))
    answer = models.TextField(_("采纳情况及答复"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("陈述申辩")
        verbose_name_plural = _("陈述申辩")
        ordering = ["id"]

    def __str__(self):
        return f"{self.entry_id} {self.received_on}"


class Batch(TimeStampedModel):
    """A dated, numbered publication (批次) of approved entries; its canonical JSON is hashed, verifiable."""

    department = models.ForeignKey(
        Department, verbose_name=_("发布单位"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    serial = models.PositiveIntegerField(_("序号"))
    number = models.CharField(_("批次编号"), max_length=80, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    as_of = models.DateField(_("截至日期"))
    published_at = models.DateTimeField(_("发布时间"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发布人"), on_delete=models.PROTECT, related_name="+"
    )
    canonical_json = models.TextField(_("批次内容（规范JSON）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        verbose_name = _("公示批次")
        verbose_name_plural = _("公示批次")
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["department", "year", "serial"], name="batch_serial_unique"),
        ]

    def __str__(self):
        return self.number


class Removal(TimeStampedModel):
    """Removal (移出) of a published entry: proposed with a reason, approved by the joint office."""

    class State(models.TextChoices):
        PROPOSED = "proposed", _("待批准")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    entry = models.ForeignKey(
        ListEntry, verbose_name=_("名单条目"), on_delete=models.PROTECT, related_name="removals"
    )
    reason = models.TextField(_("移出原因"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("提出人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("批准人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("批准时间"), null=True, blank=True)
    removed_on = models.DateField(_("移出日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("移出记录")
        verbose_name_plural = _("移出记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["entry"], condition=models.Q(state="proposed"), name="removal_one_open_per_entry"
            ),
        ]

    def __str__(self):
        return f"{self.entry_id} {self.get_state_display()}"


class ReportStatus(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ASSIGNED = "assigned", _("已分办")
    VERIFYING = "verifying", _("核查中")
    HANDLING = "handling", _("处理中")
    REPLIED = "replied", _("已答复")
    CLOSED = "closed", _("已办结")


class ReportChannel(models.TextChoices):
    """How a report came in: the seed's 接受电话、网络和信件举报, and in person at the office."""

    WEB = "web", _("网络")
    PHONE = "phone", _("电话")
    LETTER = "letter", _("信件")
    VISIT = "visit", _("来访")


class ReportTopic(models.TextChoices):
    """What a report is about, where a topic has its own fields and its own way onward."""

    GENERAL = "general", _("其他问题")
    # 收费未进入监管账户: a parent paid outside the supervised account; reaches the fund alerts
    # (institutions.funds reads `selectors.reported_off_account_charges`), never with the reporter's identity.
    OFF_ACCOUNT = "off_account", _("收费未进入监管账户")


OPEN_REPORT_STATUSES = (
    ReportStatus.REGISTERED,
    ReportStatus.ASSIGNED,
    ReportStatus.VERIFYING,
    ReportStatus.HANDLING,
)


class Report(TimeStampedModel):
    """A report (举报) from the public; the reporter's identity is seen only by the handling department."""

    tracking_number = models.CharField(_("查询码"), max_length=32, unique=True)
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("被举报机构"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    subject_name = models.CharField(_("被举报对象名称"), max_length=120, blank=True)
    subject_address = models.CharField(_("地址"), max_length=200, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="+")
    content = models.TextField(_("举报内容"))
    is_anonymous = models.BooleanField(_("匿名"), default=True)
    reporter_name = models.CharField(_("举报人姓名"), max_length=40, blank=True)
    reporter_phone = models.CharField(_("举报人电话"), max_length=30, blank=True)
    channel = models.CharField(_("举报渠道"), max_length=10, choices=ReportChannel.choices, default=ReportChannel.WEB)
    topic = models.CharField(_("举报事项"), max_length=20, choices=ReportTopic.choices, default=ReportTopic.GENERAL)
    # A charge outside the supervised account (topic off_account), as the receipt or the transfer shows it.
    charge_amount = models.DecimalField(_("缴费金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    charge_paid_on = models.DateField(_("缴费日期"), null=True, blank=True)
    charge_payee = models.CharField(_("收款账户或收款方"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("电话、信件、来访举报由登记的工作人员录入"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.REGISTERED
    )
    received_at = models.DateTimeField(_("登记时间"))
    deadline = models.DateField(_("办理期限"))
    department = models.ForeignKey(
        Department,
        verbose_name=_("承办部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("分办时间"), null=True, blank=True)
    reply = models.TextField(_("答复内容（告知举报人）"), blank=True)
    replied_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Hook for issue 4: the inspection visit created while verifying (plain id, no cross-app foreign key).
    inspection_visit_id = models.BigIntegerField(_("核查检查编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("举报")
        verbose_name_plural = _("举报")
        ordering = ["-id"]
        indexes = [
            models.Index(
                fields=["region", "status", "-id"],
                name="report_region_status",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "int8_ops"],
            ),
            models.Index(fields=["status", "deadline"], name="report_deadline"),
            models.Index(fields=["department", "status"], name="report_department"),
            # The fund alert job's read: parents' reports of charges outside the supervised account.
            models.Index(fields=["received_at"], name="report_off_account",
                         condition=models.Q(topic="off_account", institution__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(topic="off_account")
                | models.Q(charge_amount__gt=0, charge_paid_on__isnull=False),
                name="report_off_account_charge",
            ),
        ]

    def __str__(self):
        return self.tracking_display

    @property
    def tracking_display(self) -> str:
        number = self.tracking_number
        return "-".join(number[i : i + 4] for i in range(0, len(number), 4))

    @property
    def subject_display(self) -> str:
        return self.institution.name if self.institution_id else self.subject_name


def report_upload_to(instance, filename):
    return f"reports/{instance.report_id}/{instance.sha256[:16]}{instance.extension}"


class ReportAttachment(models.Model):
    report = models.ForeignKey(
        Report, verbose_name=_("举报"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("文件"), upload_to=report_upload_to)
    content_type = models.CharField(_("类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    is_payment_proof = models.BooleanField(_("转账截图"), default=False)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("举报附件")
        verbose_name_plural = _("举报附件")
        ordering = ["id"]

    def __str__(self):
        return self.file.name

    @property
    def extension(self) -> str:
        return {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}.get(
            self.content_type, ".bin"
        )


class ReportStep(models.Model):
    """One step of the ledger; `note` is internal, `public_note` is what the reporter sees."""

    report = models.ForeignKey(Report, verbose_name=_("举报"), on_delete=models.CASCADE, related_name="steps")
    status = models.CharField(_("进入状态"), max_length=20, choices=ReportStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("经办人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("内部记录"), blank=True)
    public_note = models.CharField(_("告知举报人"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("举报办理步骤")
        verbose_name_plural = _("举报办理步骤")
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.report_id} {self.status}"


class PublicationSource(models.TextChoices):
    PENALTY_DECISION = "penalty_decision", _("行政处罚决定")
    ORDER_RESULT = "order_result", _("整改结果")


class PublicationStatus(models.TextChoices):
    PENDING = "pending", _("待公开")
    PUBLISHED = "published", _("已公开")
    WITHDRAWAL_DUE = "withdrawal_due", _("待撤回")
    WITHDRAWN = "withdrawn", _("已撤回")


class WithdrawalReason(models.TextChoices):
    CHANGED = "changed", _("决定已变更")
    ANNULLED_ON_REVIEW = "annulled_on_review", _("经行政复议被撤销或确认违法")
    ANNULLED_BY_COURT = "annulled_by_court", _("经行政诉讼被撤销或确认违法")


class DecisionPublication(TimeStampedModel):
    """A decision published on the public site (行政处罚法 Art 48): a decision with social impact within
    DECISION_PUBLICATION_WORKING_DAYS (7) working days of the decision, a rectification result when its order
    closes; withdrawn within 3 working days when the decision is changed or annulled on review or by a court.

    `party_name` and `text` are stored as published: names of natural persons, ID and phone numbers masked.
    """

    source_type = models.CharField(_("来源"), max_length=20, choices=PublicationSource.choices)
    source_id = models.CharField(_("来源编号"), max_length=40)
    institution = models.ForeignKey(
        Institution, verbose_name=_("当事人"), on_delete=models.PROTECT, related_name="publications"
    )
    department = models.ForeignKey(Department, verbose_name=_("作出部门"), on_delete=models.PROTECT,
                                   related_name="+")
    party_name = models.CharField(_("当事人（公开）"), max_length=120)
    document_number = models.CharField(_("文书编号"), max_length=60, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    text = models.TextField(_("公开内容"))
    # The decision's parts as published (open data): masked like `text`, copied when the publication is opened.
    credit_code = models.CharField(_("统一社会信用代码（公开）"), max_length=18, blank=True)
    facts = models.TextField(_("违法事实（公开）"), blank=True)
    legal_basis = models.TextField(_("处罚依据（公开）"), blank=True)
    penalty_kinds = models.CharField(_("处罚种类（公开）"), max_length=300, blank=True)
    penalty_amount = models.DecimalField(_("罚没金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    decided_on = models.DateField(_("决定日期"))
    publish_due = models.DateField(_("公开期限"))
    status = models.CharField(
        _("状态"), max_length=20, choices=PublicationStatus.choices, default=PublicationStatus.PENDING
    )
    published_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("公开人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    withdrawal_reason = models.CharField(
        _("撤回原因"), max_length=30, choices=WithdrawalReason.choices, blank=True
    )
    withdrawal_note = models.CharField(_("撤回说明"), max_length=300, blank=True)
    withdrawal_ordered_on = models.DateField(_("变更或撤销决定日期"), null=True, blank=True)
    withdraw_due = models.DateField(_("撤回期限"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("撤回人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("决定公开")
        verbose_name_plural = _("决定公开")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["source_type", "source_id"], name="publication_one_per_source"),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="publication_public"),
            models.Index(fields=["department", "status"], name="publication_department"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("publicity:publication_detail", args=[self.pk])


class BulkFile(models.Model):
    """The current nightly bulk file of one dataset for one county (publicity/bulk.py): where it is stored, its
    size, row count, SHA-256 and when it was generated. One row per (county, dataset, format): a new file is
    written beside the old one and this row switched to it, then the old one is deleted."""

    region = models.ForeignKey(Region, verbose_name=_("区县"), on_delete=models.PROTECT, related_name="+")
    dataset = models.CharField(_("数据集"), max_length=30)
    format = models.CharField(_("格式"), max_length=10)
    file = models.FileField(_("文件"), upload_to="open-data/", max_length=200)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    rows = models.PositiveIntegerField(_("行数"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    generated_at = models.DateTimeField(_("生成时间"))

    class Meta:
        verbose_name = _("开放数据批量文件")
        verbose_name_plural = _("开放数据批量文件")
        ordering = ["region_id", "dataset", "format"]
        constraints = [
            models.UniqueConstraint(fields=["region", "dataset", "format"], name="bulk_file_one_per_dataset"),
        ]

    def __str__(self):
        return f"{self.region_id}/{self.dataset}.{self.format}"
