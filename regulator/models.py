"""The organisation (regions, departments, staff) and the one audit trail every app writes to."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, Group
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Shared base: who created and last changed a row, and when."""

    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )

    class Meta:
        abstract = True


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省")
    PREFECTURE = 2, _("市/州")
    COUNTY = 3, _("县/区")
    TOWNSHIP = 4, _("乡镇/街道")


# Length of the official division code (行政区划代码) at each level: 44, 4401, 440106, 440106001.
CODE_LENGTH = {RegionLevel.PROVINCE: 2, RegionLevel.PREFECTURE: 4, RegionLevel.COUNTY: 6, RegionLevel.TOWNSHIP: 9}


class Region(models.Model):
    """A node of the region tree, keyed by its official code so a subtree is a prefix match."""

    code = models.CharField(_("行政区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    abbreviation = models.CharField(
        _("简称"), max_length=10, blank=True, help_text=_("用于文书编号，如“济”")
    )

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [models.Index(fields=["code"], name="region_code_pattern", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__gte=1, level__lte=4), name="region_level_valid"),
        ]

    def __str__(self):
        return self.name

    def contains(self, code: str) -> bool:
        return bool(code) and code.startswith(self.code)

    @property
    def full_name(self) -> str:
        return self.name


class DepartmentKind(models.TextChoices):
    EDUCATION = "education", _("教育")
    MARKET = "market", _("市场监管")
    POLICE = "police", _("公安")
    FIRE = "fire", _("消防救援")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HR = "hr", _("人力资源和社会保障")
    HOUSING = "housing", _("住房和城乡建设")
    HEALTH = "health", _("卫生健康")
    TAX = "tax", _("税务")
    FINANCE = "finance", _("金融监管")
    LAW_ENFORCEMENT = "law_enforcement", _("综合行政执法")
    CULTURE = "culture", _("文化广电旅游")


class Department(models.Model):
    """A department of one kind in one region, e.g. 某县教育局. Its staff share one auth group."""

    kind = models.CharField(_("部门类别"), max_length=20, choices=DepartmentKind.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("名称"), max_length=80)
    short_name = models.CharField(_("简称"), max_length=20, blank=True, help_text=_("用于文书编号，如“济教”"))
    is_joint_office_seat = models.BooleanField(
        _("专项治理办公室所在单位"), default=False, help_text=_("牵头单位，通常为教育局")
    )
    group = models.OneToOneField(Group, verbose_name=_("权限组"), on_delete=models.PROTECT, related_name="department",
                                 editable=False)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region_id", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "region"], name="department_kind_region_unique")]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    INSPECTOR = "inspector", _("执法检查人员")
    HEAD = "head", _("部门负责人")
    JOINT_OFFICE = "joint_office", _("专项治理办公室")
    ADMIN = "admin", _("系统管理员")


class User(AbstractUser):
    """A staff account: one department, one role. Administrators may stand outside any department."""

    department = models.ForeignKey(
        Department, verbose_name=_("所属部门"), on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.INSPECTOR)
    full_name = models.CharField(_("姓名"), max_length=40, blank=True)
    enforcement_certificate = models.CharField(_("执法证号"), max_length=30, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role="admin") | models.Q(department__isnull=False),
                name="staff_has_department_unless_admin",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def is_admin_role(self) -> bool:
        return self.is_superuser or self.role == Role.ADMIN

    @property
    def region_code(self) -> str:
        """The prefix of every region this account may see; '' means the whole country."""
        if self.is_admin_role and self.department_id is None:
            return ""
        return self.department.region_id if self.department_id else "\x00"

    @property
    def department_kind(self) -> str:
        return self.department.kind if self.department_id else ""


class AuditEvent(models.Model):
    """One row per change, chained by HMAC-SHA256 per institution; written only through regulator.audit."""

    created_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人姓名"), max_length=80, blank=True)
    # Plain integer (no foreign key): the trail outlives the institution and never changes with it.
    institution_id = models.BigIntegerField(_("机构"), null=True, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    kind = models.CharField(_("事件"), max_length=40)
    summary = models.CharField(_("摘要"), max_length=200, blank=True)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    # Not unique in the database: on PostgreSQL the table is partitioned by year of created_at (migration 0014),
    # and a unique key of a partitioned table must include the partition key. An HMAC-SHA256 repeats no more than
    # a key would; audit_verify checks every link.
    hash = models.CharField(_("哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["institution_id", "id"], name="audit_institution_chain"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.object_type}#{self.object_id}"

    @property
    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for every field that differs, for display."""
        before, after = self.before or {}, self.after or {}
        keys = sorted(set(before) | set(after))
        return [(key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)]


class AuditCheckpoint(models.Model):
    """A signed daily record of how long each audit chain was and which row ended it (regulator.audit_checkpoints).

    Only the chains that grew since the previous checkpoint get an entry; the state at a checkpoint is, for each
    chain, its latest entry up to it. Each checkpoint's HMAC covers its entries and the previous checkpoint's
    signature, so neither an entry nor a whole checkpoint can be changed or taken out unnoticed.
    """

    created_at = models.DateTimeField(_("时间"))
    through_id = models.BigIntegerField(_("最大审计记录编号"))
    rows = models.BigIntegerField(_("审计记录数"))
    chains = models.BigIntegerField(_("链数"))
    entries_digest = models.CharField(_("条目摘要"), max_length=64)
    previous_signature = models.CharField(_("前一检查点签名"), max_length=64, blank=True)
    signature = models.CharField(_("签名"), max_length=64)

    class Meta:
        verbose_name = _("审计检查点")
        verbose_name_plural = _("审计检查点")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} #{self.pk}"


class AuditCheckpointChain(models.Model):
    """One chain's length and head at a checkpoint."""

    checkpoint = models.ForeignKey(AuditCheckpoint, on_delete=models.PROTECT, related_name="entries")
    # The chain's institution id; null for the chain of events about no institution.
    chain = models.BigIntegerField(null=True, blank=True)
    length = models.BigIntegerField()
    head_id = models.BigIntegerField()
    head_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [models.Index(fields=["chain", "checkpoint"], name="audit_checkpoint_chain")]

    def __str__(self):
        return f"{self.chain}: {self.length} @ {self.head_id}"


class Notification(models.Model):
    """An in-app inbox message (also e-mailed). `key` is unique so a job can never notify twice."""

    # No index of its own: notification_inbox begins with it (the inbox, the unread count, a user's deletion).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("收件人"), on_delete=models.CASCADE, related_name="notifications",
        db_index=False,
    )
    key = models.CharField(_("去重键"), max_length=200)
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-id"], name="notification_inbox")]
        # A constraint, not unique=True (no varchar_pattern_ops twin to write on every notice; keys are only
        # compared whole, by ON CONFLICT (key) in regulator/notifications.py).
        constraints = [models.UniqueConstraint(fields=["key"], name="notification_key_unique")]

    def __str__(self):
        return self.subject


class VerificationRecord(models.Model):
    """A numbered document or published batch that the public can verify at an unguessable address."""

    token = models.CharField(_("验证码"), max_length=40, unique=True)
    kind = models.CharField(_("文书类型"), max_length=40)
    number = models.CharField(_("文号"), max_length=80, db_index=True)
    title = models.CharField(_("标题"), max_length=200)
    issuer_name = models.CharField(_("出具单位"), max_length=80)
    issued_at = models.DateTimeField(_("出具时间"))
    subject_name = models.CharField(_("当事人"), max_length=120, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    object_type = models.CharField(_("对象类型"), max_length=60)
    object_id = models.CharField(_("对象编号"), max_length=40)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("文书验证记录")
        verbose_name_plural = _("文书验证记录")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id"], name="verification_one_per_object"),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    def get_absolute_url(self):

        return reverse("verify", args=[self.token])


class DocumentSequence(models.Model):
    """Gap-free document numbers per department, year and kind; locked and incremented in the approving transaction."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("文书编号序列")
        verbose_name_plural = _("文书编号序列")
        constraints = [
            models.UniqueConstraint(fields=["department", "year", "kind"], name="document_sequence_unique"),
        ]

    def __str__(self):
        return f"{self.department} {self.year} {self.kind}: {self.last_number}"


def weekly_report_upload_to(instance, filename):
    return f"weekly/{instance.region_id}/{instance.week_start:%Y%m%d}-{filename}"


class WeeklyReportStatus(models.TextChoices):
    DRAFT = "writing", _("填报中")
    SUBMITTED = "to_review", _("已填报，待审核")
    SENT = "sent", _("已审核报送")


class WeeklyReport(models.Model):
    """周报: one county's figures and narrative for one week, sent to its prefecture; one per week.

    A week runs Saturday to Friday: `week_start` is the Saturday. The Friday-evening beat job
    (regulator/oversight/tasks.py weekly_reports) opens the draft of the week that ends that day; the figures are
    frozen when the 填报人 submits it, which is refused before the week is over (a part week is never the
    report), and it goes to the prefecture when a different person, the 审核人, approves it.
    """

    region = models.ForeignKey(
        Region, verbose_name=_("县（区）"), on_delete=models.PROTECT, related_name="weekly_reports"
    )
    week_start = models.DateField(_("周起始日（周六）"))
    week_end = models.DateField(_("周截止日（周五）"))
    figures = models.JSONField(_("数据"), default=dict)
    pdf = models.FileField(_("PDF"), upload_to=weekly_report_upload_to, blank=True, max_length=200)
    pdf_sha256 = models.CharField(_("PDF SHA-256"), max_length=64, blank=True)
    xlsx = models.FileField(_("Excel"), upload_to=weekly_report_upload_to, blank=True, max_length=200)
    xlsx_sha256 = models.CharField(_("Excel SHA-256"), max_length=64, blank=True)
    generated_at = models.DateTimeField(_("生成时间"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("生成人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", help_text=_("空表示由每周五定时任务生成"),
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=WeeklyReportStatus.choices, default=WeeklyReportStatus.DRAFT
    )
    reporting_unit = models.CharField(_("填报单位"), max_length=100, blank=True)
    progress = models.TextField(_("工作进展"), blank=True)
    problems = models.TextField(_("存在问题"), blank=True)
    next_steps = models.TextField(_("下步工作"), blank=True)
    filled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("填报人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    filled_at = models.DateTimeField(_("填报时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核报送时间"), null=True, blank=True)
    return_reason = models.CharField(_("退回意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("周报")
        verbose_name_plural = _("周报")
        ordering = ["-week_start", "region_id"]
        constraints = [
            models.UniqueConstraint(fields=["region", "week_start"], name="weekly_report_one_per_week"),
            models.CheckConstraint(condition=models.Q(week_end__gt=models.F("week_start")),
                                   name="weekly_report_week_valid"),
            models.CheckConstraint(
                condition=models.Q(reviewed_by__isnull=True) | ~models.Q(reviewed_by=models.F("filled_by")),
                name="weekly_report_reviewer_not_filler",
            ),
        ]
        indexes = [models.Index(fields=["week_start", "region"], name="weekly_report_week")]

    def __str__(self):
        return f"{self.region_id} {self.week_start:%Y-%m-%d}"

    def get_absolute_url(self):

        return reverse("weekly_detail", args=[self.pk])


class QueueAssignment(models.Model):
    """Who of the department works a row of the heads' queue (regulator.oversight.queue), set by queue_assign.

    Keyed by the subject (visit, order, suspension, case, report, entry) and its id rather than by the queue
    kind, so an assignment follows the object from one kind to the next (due soon → overdue → escalated).
    """

    subject = models.CharField(_("对象类型"), max_length=20)
    object_id = models.BigIntegerField(_("对象编号"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承办人"), on_delete=models.PROTECT, related_name="queue_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("分派人"), on_delete=models.PROTECT, related_name="+"
    )
    assigned_at = models.DateTimeField(_("分派时间"))

    class Meta:
        verbose_name = _("待办分派")
        verbose_name_plural = _("待办分派")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "object_id"], name="queue_assignment_unique"),
        ]
        indexes = [models.Index(fields=["assignee", "subject"], name="queue_assignment_assignee")]

    def __str__(self):
        return f"{self.subject}#{self.object_id} → {self.assignee_id}"


class DailyFigure(models.Model):
    """One day's (or month's) count of one dashboard measure, per region × department (× dimension): the nightly
    summary. Month rows are the sums of their day rows, so that a year is read as twelve rows, not 365.

    Filled by regulator.oversight.summary (the beat job `refresh_daily_figures` and the command of that name) for the
    measures whose rows never move once counted (a visit submitted, an order approved, closed or overdue…);
    the dashboard sums these days and counts only the days after `DailyFigureState.through` live.
    `region_code` is the institution's own region (any level), so any ancestor is a prefix of it.
    """

    day = models.DateField(_("日期"), help_text=_("按月汇总的行为该月1日"))
    span = models.CharField(_("汇总粒度"), max_length=5, choices=[("day", _("日")), ("month", _("月"))], default="day")
    figure = models.CharField(_("指标"), max_length=40, help_text=_("台账.口径，如 visits.done"))
    region_code = models.CharField(_("区划代码"), max_length=12)
    department = models.ForeignKey(
        Department, verbose_name=_("部门"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    dimension = models.CharField(_("分类"), max_length=40, blank=True, default="",
                                 help_text=_("检查项代码、处罚种类或名单类别"))
    count = models.PositiveIntegerField(_("数量"))
    amount = models.DecimalField(_("金额（元）"), max_digits=18, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("每日统计")
        verbose_name_plural = _("每日统计")
        indexes = [
            # Covering: the dashboard's one summary query is an index-only scan (rows of a region are scattered).
            models.Index(fields=["span", "day", "region_code"], name="daily_figure_lookup",
                         opclasses=["text_ops", "date_ops", "varchar_pattern_ops"],
                         include=["figure", "department", "dimension", "count", "amount"]),
            models.Index(fields=["day"], name="daily_figure_day"),
        ]

    def __str__(self):
        return f"{self.day:%Y-%m-%d} {self.figure} {self.region_code} {self.count}"


class InstitutionFigure(models.Model):
    """Institutions per county × licence standing × category × operating state, as of
    `DailyFigureState.institutions_at`: what the dashboards of prefectures, provinces and the country count
    from, retaken every ten minutes (regulator.oversight.summary.refresh_institutions). A county's count live.
    The columns are the dimensions of the register's StateSection (institutions/oversight.py)."""

    region_code = models.CharField(_("区划代码"), max_length=12)
    licence_standing = models.CharField(_("证照情况"), max_length=20)
    category = models.CharField(_("类别"), max_length=20)
    operating_state = models.CharField(_("经营状态"), max_length=20)
    count = models.PositiveIntegerField(_("数量"))

    class Meta:
        verbose_name = _("机构数快照")
        verbose_name_plural = _("机构数快照")
        indexes = [models.Index(fields=["region_code"], name="institution_figure_region",
                                opclasses=["varchar_pattern_ops"])]

    def __str__(self):
        return f"{self.region_code} {self.licence_standing} {self.category} {self.operating_state} {self.count}"


class DailyFigureState(models.Model):
    """How far the nightly summary reaches: every day up to `through` (inclusive) is in DailyFigure. One row."""

    through = models.DateField(_("汇总截至"), null=True, blank=True)
    institutions_at = models.DateTimeField(_("机构数快照时间"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("最近汇总时间"), null=True, blank=True)
    refreshed_from = models.DateField(_("最近汇总起始日"), null=True, blank=True)
    rows = models.PositiveIntegerField(_("最近写入行数"), default=0)
    seconds = models.FloatField(_("最近耗时（秒）"), default=0)

    class Meta:
        verbose_name = _("每日统计汇总状态")
        verbose_name_plural = _("每日统计汇总状态")

    def __str__(self):
        return f"through {self.through}"


class CalendarArrangement(TimeStampedModel):
    """One year's official arrangement of holidays (国务院办公厅关于…部分节假日安排的通知), as entered here.

    A year with an arrangement counts its holidays and adjusted working days (调休) from its CalendarDay rows;
    a year without one falls back to Monday–Friday, and every period reaching into it is flagged
    (regulator.calendar.uncovered_years) so nobody relies on the fallback silently.
    """

    class Source(models.TextChoices):
        PACKAGE = "chinesecalendar", _("chinesecalendar 软件包")
        MANUAL = "by_hand", _("人工录入")

    year = models.PositiveSmallIntegerField(_("年度"), unique=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    notice = models.CharField(
        _("通知文号"), max_length=100, blank=True, help_text=_("如：国办发明电〔2025〕7号"),
    )

    class Meta:
        verbose_name = _("年度节假日安排")
        verbose_name_plural = _("年度节假日安排")
        ordering = ["-year"]

    def __str__(self):
        return str(self.year)


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（放假）")
    WORKDAY = "workday", _("调休上班")


class CalendarDay(models.Model):
    """A day that differs from Monday–Friday: a holiday on a weekday, or a weekend day worked (调休)."""

    arrangement = models.ForeignKey(
        CalendarArrangement, verbose_name=_("年度安排"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=CalendarDayKind.choices)
    name = models.CharField(_("节日"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("节假日或调休日")
        verbose_name_plural = _("节假日或调休日")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"

    def clean(self):
        try:
            arrangement = self.arrangement  # set, unsaved, when the admin adds the year with its days
        except CalendarArrangement.DoesNotExist:
            arrangement = None
        if self.date and arrangement is not None and arrangement.year and self.date.year != arrangement.year:
            raise ValidationError({"date": _("日期须在%(year)s年内。") % {"year": arrangement.year}})
