"""Inspections (检查): checklist templates, campaigns, double-random draws, site visits and their findings.

A checklist template is versioned: editing it makes a new version, and a visit keeps the version it was
planned with, so a past visit never changes. Each failed answer of a submitted visit becomes a ProblemItem
on the institution, which the penalties app turns into a rectification order.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from institutions.models import Category, Institution, LicenceStanding, StudentStage
from regulator.models import Department, Region, TimeStampedModel


class ChecklistTemplate(TimeStampedModel):
    """One version of a checklist. `code` names the checklist across versions; only one version is current."""

    code = models.SlugField(_("代码"), max_length=40)
    version = models.PositiveIntegerField(_("版本"), default=1)
    name = models.CharField(_("名称"), max_length=120)
    is_current = models.BooleanField(_("现行版本"), default=True)
    notes = models.TextField(_("修订说明"), blank=True)

    class Meta:
        verbose_name = _("检查清单模板")
        verbose_name_plural = _("检查清单模板")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["code", "version"], name="checklist_template_code_version_unique"
            ),
            models.UniqueConstraint(
                fields=["code"], condition=models.Q(is_current=True), name="checklist_template_one_current"
            ),
        ]

    def __str__(self):
        return f"{self.name}（第{self.version}版）"


class ChecklistItem(models.Model):
    """An item of one template version. Never edited once a visit uses it: a revision copies the items."""

    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("模板"), on_delete=models.PROTECT, related_name="items"
    )
    position = models.PositiveSmallIntegerField(_("序号"))
    code = models.CharField(_("检查项代码"), max_length=20)
    text = models.TextField(_("检查内容"))
    guidance = models.TextField(_("检查要点"), blank=True)

    class Meta:
        verbose_name = _("检查项")
        verbose_name_plural = _("检查项")
        ordering = ["template_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "position"], name="checklist_item_position_unique"),
            models.UniqueConstraint(fields=["template", "code"], name="checklist_item_code_unique"),
        ]

    def __str__(self):
        return f"{self.position}. {self.text[:40]}"


class InspectionKind(models.TextChoices):
    SWEEP = "sweep", _("专项治理排查")
    SPOT_CHECK = "spot_check", _("双随机抽查")
    COMPLAINT = "complaint", _("举报核查")
    UNANNOUNCED = "unannounced", _("暗访")
    REINSPECTION = "reinspection", _("复查")
    JOINT = "joint", _("联合检查")


class CampaignStatus(models.TextChoices):
    ACTIVE = "active", _("进行中")
    CLOSED = "closed", _("已结束")


class Campaign(TimeStampedModel):
    """A campaign (专项治理行动, 双随机抽查 …): scope, period, lead and participating departments."""

    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("检查类型"), max_length=20, choices=InspectionKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("范围（区划）"), on_delete=models.PROTECT, related_name="+"
    )
    category = models.CharField(_("范围（类别）"), max_length=20, choices=Category.choices, blank=True)
    students_served = models.CharField(
        _("范围（培训对象）"), max_length=20, choices=StudentStage.choices, blank=True
    )
    licence_standing = models.CharField(
        _("范围（证照情况）"), max_length=20, choices=LicenceStanding.choices, blank=True
    )
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="led_campaigns"
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("参与部门"), related_name="campaigns", blank=True
    )
    checklist_template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查清单"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.ACTIVE
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("检查行动")
        verbose_name_plural = _("检查行动")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(
                fields=["region", "-starts_on"],
                name="campaign_region_start",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_period_valid"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("inspections:campaign_detail", args=[self.pk])


class SpotCheckDraw(TimeStampedModel):
    """A double-random draw (双随机): stored with seed, pool and roster so anyone can re-run it."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("检查行动"), on_delete=models.PROTECT, related_name="draws"
    )
    seed = models.CharField(_("随机种子"), max_length=64)
    sample_size = models.PositiveIntegerField(_("抽取机构数"))
    inspectors_per_visit = models.PositiveSmallIntegerField(_("每组检查人员数"), default=2)
    criteria = models.JSONField(_("抽取范围"), default=dict)
    pool = models.JSONField(_("机构库（有序编号）"), default=list)
    roster = models.JSONField(_("检查人员库（有序编号）"), default=list)
    conflicts = models.JSONField(_("回避声明"), default=list, help_text=_("[检查人员编号, 机构编号] 列表"))
    result = models.JSONField(_("抽取结果"), default=list)
    published_at = models.DateTimeField(_("公示时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("双随机抽取记录")
        verbose_name_plural = _("双随机抽取记录")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.campaign} #{self.pk}"

    def get_absolute_url(self):
        return reverse("inspections:draw_detail", args=[self.pk])


class VisitStatus(models.TextChoices):
    PLANNED = "planned", _("待检查")
    IN_PROGRESS = "in_progress", _("检查中")
    SUBMITTED = "submitted", _("已提交")


class VisitOutcome(models.TextChoices):
    NONE = "", _("未定")
    NO_PROBLEM = "no_problem", _("未发现问题")
    RECTIFICATION = "rectification", _("责令限期整改")
    SUSPENSION = "suspension", _("责令停办")
    REFERRAL = "referral", _("移送其他部门")
    PENALTY_CASE = "penalty_case", _("立案查处")


class Visit(TimeStampedModel):
    """One site check of one institution, by assigned inspectors, against one template version."""

    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("检查行动"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    draw = models.ForeignKey(
        SpotCheckDraw,
        verbose_name=_("抽取记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="visits"
    )
    kind = models.CharField(_("检查类型"), max_length=20, choices=InspectionKind.choices)
    lead_department = models.ForeignKey(
        Department, verbose_name=_("牵头部门"), on_delete=models.PROTECT, related_name="led_visits"
    )
    departments = models.ManyToManyField(
        Department, verbose_name=_("参与部门"), related_name="joint_visits", blank=True
    )
    checklist_template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("检查清单版本"), on_delete=models.PROTECT, related_name="visits"
    )
    previous_visit = models.ForeignKey(
        "self",
        verbose_name=_("原检查"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reinspections",
    )
    planned_on = models.DateField(_("计划日期"))
    status = models.CharField(
        _("状态"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.PLANNED
    )
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("开始人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    position_accuracy_m = models.PositiveIntegerField(_("定位精度（米）"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("提交人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    outcome = models.CharField(
        _("处理结果"), max_length=20, choices=VisitOutcome.choices, default=VisitOutcome.NONE, blank=True
    )
    outcome_note = models.TextField(_("处理意见"), blank=True)
    outcome_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    referred_department = models.ForeignKey(
        Department,
        verbose_name=_("移送部门"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    summary = models.TextField(_("检查情况"), blank=True)

    class Meta:
        verbose_name = _("检查")
        verbose_name_plural = _("检查")
        ordering = ["-planned_on", "-id"]
        indexes = [
            models.Index(fields=["lead_department", "-planned_on", "-id"], name="visit_dept_planned"),
            models.Index(fields=["institution", "-submitted_at"], name="visit_institution_submitted"),
            models.Index(fields=["status", "planned_on"], name="visit_status_planned"),
            # The heads' queue: small partial indexes over the rows that await the department.
            models.Index(fields=["lead_department", "submitted_at"], name="visit_awaiting_outcome",
                         condition=models.Q(status="submitted", outcome="")),
            models.Index(fields=["lead_department", "planned_on"], name="visit_planned_by_department",
                         condition=models.Q(status="planned")),
            # Dashboard and weekly figures: visits submitted in a period.
            models.Index(fields=["submitted_at"], name="visit_submitted_at", condition=models.Q(status="submitted")),
        ]

    def __str__(self):
        return f"{self.institution} {self.planned_on:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("inspections:visit_detail", args=[self.pk])

    @property
    def is_read_only(self) -> bool:
        return self.status == VisitStatus.SUBMITTED


class VisitInspector(models.Model):
    visit = models.ForeignKey(
        Visit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="assignments"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("检查人员"),
        on_delete=models.PROTECT,
        related_name="visit_assignments",
    )
    is_lead = models.BooleanField(_("主查人"), default=False)

    class Meta:
        verbose_name = _("检查人员分派")
        verbose_name_plural = _("检查人员分派")
        ordering = ["visit_id", "-is_lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "inspector"], name="visit_inspector_unique"),
        ]
        indexes = [models.Index(fields=["inspector", "visit"], name="visit_inspector_lookup")]

    def __str__(self):
        return f"{self.inspector} @ {self.visit_id}"


class AnswerResult(models.TextChoices):
    PASS = "pass", _("符合")
    FAIL = "fail", _("不符合")
    NOT_APPLICABLE = "na", _("不适用")


class ChecklistAnswer(models.Model):
    """The answer to one item of the visit's template version; saved as the inspector types (autosave)."""

    visit = models.ForeignKey(Visit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(
        ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+"
    )
    result = models.CharField(_("结论"), max_length=10, choices=AnswerResult.choices, blank=True)
    remark = models.TextField(_("情况说明"), blank=True)
    # For a re-inspection: the failed answer of the earlier visit this item follows up.
    carried_from = models.ForeignKey(
        "self",
        verbose_name=_("原检查结论"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("填写时间"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填写人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("检查结论")
        verbose_name_plural = _("检查结论")
        ordering = ["visit_id", "item__position"]
        constraints = [models.UniqueConstraint(fields=["visit", "item"], name="checklist_answer_unique")]

    def __str__(self):
        return f"{self.visit_id}/{self.item_id}: {self.result}"


class EvidenceKind(models.TextChoices):
    PHOTO = "photo", _("照片")
    VIDEO = "video", _("视频")
    DOCUMENT = "document", _("文件")


class Evidence(models.Model):
    """A photo, video or document. `original` is for staff only; `display` is the EXIF-stripped copy."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="evidence"
    )
    item = models.ForeignKey(
        ChecklistItem,
        verbose_name=_("检查项"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("类别"), max_length=10, choices=EvidenceKind.choices)
    client_id = models.CharField(_("客户端编号"), max_length=64, help_text=_("重传同一文件时用于去重"))
    original = models.FileField(_("原始文件"), upload_to="evidence/original/%Y/%m/", max_length=255)
    display = models.FileField(_("展示文件"), upload_to="evidence/display/%Y/%m/", max_length=255, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=60)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=200, blank=True)
    uploaded_at = models.DateTimeField(_("上传时间"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("证据")
        verbose_name_plural = _("证据")
        ordering = ["visit_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "client_id"], name="evidence_client_id_unique")
        ]

    def __str__(self):
        return self.original_name or f"evidence #{self.pk}"


class Signature(models.Model):
    """The institution representative's signature on the screen, or the recorded refusal and why."""

    visit = models.OneToOneField(
        Visit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="signature"
    )
    signer_name = models.CharField(_("签字人"), max_length=40, blank=True)
    signer_role = models.CharField(_("职务/身份"), max_length=40, blank=True)
    image = models.FileField(_("签名图像"), upload_to="signatures/%Y/%m/", blank=True)
    refused = models.BooleanField(_("拒绝签字"), default=False)
    refusal_reason = models.TextField(_("拒签原因"), blank=True)
    signed_at = models.DateTimeField(_("签字时间"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("签字")
        verbose_name_plural = _("签字")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(refused=True) & ~models.Q(refusal_reason=""))
                | (models.Q(refused=False) & ~models.Q(image="")),
                name="signature_image_or_refusal",
            ),
        ]

    def __str__(self):
        return self.signer_name or str(_("拒绝签字"))


class VisitAmendment(models.Model):
    """A correction to a submitted visit: the reason and what changed, kept in the history."""

    visit = models.ForeignKey(
        Visit, verbose_name=_("检查"), on_delete=models.CASCADE, related_name="amendments"
    )
    reason = models.TextField(_("更正原因"))
    changes = models.JSONField(_("更正内容"), default=list)
    created_at = models.DateTimeField(_("更正时间"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更正人"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("检查更正")
        verbose_name_plural = _("检查更正")
        ordering = ["visit_id", "id"]

    def __str__(self):
        return f"{self.visit_id}: {self.reason[:30]}"


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("未销号")
    CLOSED = "closed", _("已销号")


class ProblemItem(TimeStampedModel):
    """A failed item of a submitted visit (问题项), ready for a rectification order; closed one by one."""

    institution = models.ForeignKey(
        Institution, verbose_name=_("机构"), on_delete=models.PROTECT, related_name="problem_items"
    )
    visit = models.ForeignKey(
        Visit, verbose_name=_("检查"), on_delete=models.PROTECT, related_name="problem_items"
    )
    answer = models.OneToOneField(
        ChecklistAnswer,
        verbose_name=_("检查结论"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="problem_item",
    )
    checklist_item = models.ForeignKey(
        ChecklistItem, verbose_name=_("检查项"), on_delete=models.PROTECT, related_name="+"
    )
    item_code = models.CharField(_("检查项代码"), max_length=20)
    item_text = models.TextField(_("检查内容"))
    finding = models.TextField(_("发现问题"), blank=True)
    department = models.ForeignKey(
        Department, verbose_name=_("责任部门"), on_delete=models.PROTECT, related_name="problem_items"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    closed_at = models.DateTimeField(_("销号时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("销号人"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("问题项")
        verbose_name_plural = _("问题项")
        ordering = ["visit_id", "id"]
        indexes = [
            models.Index(fields=["institution", "status"], name="problem_institution_status"),
            models.Index(fields=["department", "status", "-id"], name="problem_department_status"),
            models.Index(fields=["created_at"], name="problem_created_at"),  # dashboard periods
        ]

    def __str__(self):
        return f"{self.item_code} {self.item_text[:30]}"

    @property
    def remark(self) -> str:
        return self.finding


# Direct foreign-key object permissions (docs/pitfalls.md): a referral or joint visit grants view to a department.
class VisitUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Visit, on_delete=models.CASCADE)


class VisitGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Visit, on_delete=models.CASCADE)


class ProblemItemUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(ProblemItem, on_delete=models.CASCADE)


class ProblemItemGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(ProblemItem, on_delete=models.CASCADE)


# ---- offline sync (issue 18) ----------------------------------------------------------------------------


class SyncKind(models.TextChoices):
    START = "begin", _("开始检查")
    ANSWER = "answer", _("检查项")
    PHOTO = "photo", _("照片")
    SIGNATURE = "sign", _("签字或拒签")
    SUBMIT = "submit", _("提交检查")


class SyncVerdict(models.TextChoices):
    ACCEPTED = "accepted", _("已采用")
    REFUSED = "refused", _("未采用")


class SyncedMutation(models.Model):
    """One change the visit page queued on the phone (offline or not), applied once: its client-generated id is
    unique here, so a replay finds its row and gets the same verdict back without touching anything again.

    Only verdicts that cannot change are kept (accepted, or refused because the visit was cancelled, reassigned
    or submitted, or the content was refused); a refusal that may pass later (clock, wrong account, missing photo
    chunks) is answered without a row, so the same mutation can be sent again."""

    client_id = models.UUIDField(_("客户端编号"), unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("检查人员"), on_delete=models.PROTECT, related_name="+"
    )
    # No foreign key: the verdict outlives a visit deleted (cancelled) while the phone was offline.
    visit_id = models.PositiveBigIntegerField(_("检查编号"))
    kind = models.CharField(_("类别"), max_length=20, choices=SyncKind.choices)
    item_id = models.PositiveBigIntegerField(_("检查项编号"), null=True, blank=True)
    verdict = models.CharField(_("结果"), max_length=10, choices=SyncVerdict.choices)
    reason = models.TextField(_("未采用原因"), blank=True)
    device_time = models.DateTimeField(_("手机记录时间"))
    received_at = models.DateTimeField(_("服务器接收时间"))
    result = models.JSONField(_("返回内容"), default=dict, blank=True)

    class Meta:
        verbose_name = _("离线同步记录")
        verbose_name_plural = _("离线同步记录")
        ordering = ["visit_id", "id"]
        indexes = [models.Index(fields=["visit_id", "kind", "item_id"], name="synced_mutation_visit_item")]

    def __str__(self):
        return f"{self.kind} {self.client_id}: {self.verdict}"


class UploadChunk(models.Model):
    """One chunk of a photo uploaded from the outbox; the photo mutation assembles them once all have arrived,
    so a dropped connection resumes at the first missing chunk."""

    upload_id = models.UUIDField(_("上传编号"))
    index = models.PositiveIntegerField(_("序号"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.CASCADE, related_name="+"
    )
    visit_id = models.PositiveBigIntegerField(_("检查编号"))
    data = models.BinaryField(_("内容"))
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("照片分块")
        verbose_name_plural = _("照片分块")
        ordering = ["upload_id", "index"]
        constraints = [models.UniqueConstraint(fields=["upload_id", "index"], name="upload_chunk_unique")]
        indexes = [models.Index(fields=["user", "received_at"], name="upload_chunk_user_received")]

    def __str__(self):
        return f"{self.upload_id}#{self.index}"
