"""Course and fee filing (班次备案), supervised fund accounts (资金监管账户) with their bank statements, charges
checked against the prepayment rules, fund-risk alerts, and each institution's risk level with its history."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from institutions.models import Category, Institution, StudentStage, Teacher
from regulator.models import Department, Region, TimeStampedModel


class CourseDelivery(models.TextChoices):
    OFFLINE = "offline", _("线下")
    ONLINE = "online", _("线上")


class CourseStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    FILED = "filed", _("已备案")
    RETURNED = "returned", _("退回补正")
    REFUSED = "refused", _("不予备案")


class GuidedPrice(models.Model):
    """The government-guided price of subject classes (学科类培训政府指导价) of a region, kept in admin; a row per
    subject, or one with no subject for every subject (the most specific row applies: services.guided_price)."""

    region = models.ForeignKey(Region, verbose_name=_("区划"), on_delete=models.PROTECT, related_name="+")
    stage = models.CharField(_("学段"), max_length=20, choices=StudentStage.choices)
    delivery = models.CharField(_("培训方式"), max_length=10, choices=CourseDelivery.choices)
    # "" rather than NULL: one unique constraint covers both, on every database (NULLs are distinct in it).
    subject = models.CharField(_("科目"), max_length=40, blank=True,
                               help_text=_("留空表示适用于所有学科类科目；填写科目（如“数学”）则只适用于该科目。"))
    max_fee_per_hour = models.DecimalField(_("每课时最高收费（元）"), max_digits=8, decimal_places=2)
    valid_from = models.DateField(_("执行日期"))
    reference = models.CharField(_("文件依据"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("政府指导价")
        verbose_name_plural = _("政府指导价")
        ordering = ["region", "stage", "delivery", "subject", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["region", "stage", "delivery", "subject", "valid_from"],
                                    name="guided_price_unique",
                                    violation_error_message=_("该区划、学段、培训方式和科目在同一执行日期已有指导价。")),
            models.CheckConstraint(condition=models.Q(max_fee_per_hour__gt=0), name="guided_price_positive"),
        ]

    def __str__(self):
        return (f"{self.region} {self.get_stage_display()} {self.get_delivery_display()} {self.subject_display}"
                f" ≤{self.max_fee_per_hour}")

    @property
    def subject_display(self) -> str:
        return self.subject or str(_("所有学科类科目"))


class Course(TimeStampedModel):
    """One class (班次) as filed with the education department that licensed the institution."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="courses")
    department = models.ForeignKey(Department, verbose_name=_("审核部门"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("班次名称"), max_length=100)
    subject = models.CharField(_("科目"), max_length=40)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    stage = models.CharField(_("招生对象学段"), max_length=20, choices=StudentStage.choices)
    grade = models.CharField(_("年级"), max_length=40, blank=True)
    delivery = models.CharField(_("培训方式"), max_length=10, choices=CourseDelivery.choices,
                                default=CourseDelivery.OFFLINE)
    syllabus = models.TextField(_("培训内容与大纲"))
    materials = models.FileField(_("培训材料"), upload_to="funds/materials/%Y/%m/", blank=True)
    materials_opinion = models.TextField(_("培训材料审核意见"), blank=True)
    foreign_curriculum = models.BooleanField(_("使用境外课程"), default=False)
    starts_on = models.DateField(_("开班日期"))
    ends_on = models.DateField(_("结班日期"))
    # [{"weekday": 1..7, "start": "HH:MM", "end": "HH:MM"}]: one entry per lesson of a week.
    schedule = models.JSONField(_("每周课表"), default=list)
    skipped_dates = models.JSONField(_("停课日期"), default=list, blank=True)
    lesson_minutes = models.PositiveSmallIntegerField(_("每课时时长（分钟）"))
    class_hours = models.PositiveSmallIntegerField(_("总课时"))
    class_size = models.PositiveSmallIntegerField(_("班额（人）"))
    fee_per_hour = models.DecimalField(_("每课时收费（元）"), max_digits=8, decimal_places=2)
    fee_total = models.DecimalField(_("每期收费（元）"), max_digits=10, decimal_places=2)
    teachers = models.ManyToManyField(Teacher, verbose_name=_("授课教师"), blank=True, related_name="courses")
    status = models.CharField(_("状态"), max_length=20, choices=CourseStatus.choices, default=CourseStatus.SUBMITTED)
    submitted_at = models.DateTimeField(_("报送时间"))
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    review_reason = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("班次备案")
        verbose_name_plural = _("班次备案")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["institution", "status"], name="course_institution_status"),
            models.Index(fields=["department", "status"], name="course_department_status"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="course_dates_order"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("funds:course_detail", args=[self.pk])


class SupervisionMode(models.TextChoices):
    CUSTODY = "custody", _("银行托管（按课消划拨）")
    RISK_DEPOSIT = "risk_deposit", _("风险保证金")


class BankFormat(models.Model):
    """The columns of one bank's statement file, mapped once (kept in admin)."""

    bank = models.CharField(_("银行"), max_length=60, unique=True)
    reference_column = models.CharField(_("流水号列"), max_length=40)
    date_column = models.CharField(_("交易日期列"), max_length=40)
    credit_column = models.CharField(_("收入金额列"), max_length=40)
    debit_column = models.CharField(_("支出金额列"), max_length=40)
    balance_column = models.CharField(_("余额列"), max_length=40)
    counterparty_column = models.CharField(_("对方户名列"), max_length=40, blank=True)
    memo_column = models.CharField(_("摘要列"), max_length=40, blank=True)
    date_format = models.CharField(_("日期格式"), max_length=20, default="%Y-%m-%d",
                                   help_text=_("Python 日期格式，如 %Y-%m-%d 或 %Y%m%d"))

    class Meta:
        verbose_name = _("银行流水格式")
        verbose_name_plural = _("银行流水格式")
        ordering = ["bank"]

    def __str__(self):
        return self.bank

    @property
    def required_columns(self) -> list[str]:
        return [self.reference_column, self.date_column, self.credit_column, self.debit_column, self.balance_column]


class FundAccount(TimeStampedModel):
    """An institution's supervised tuition account (学杂费专用账户 / 第三方监管账户)."""

    institution = models.OneToOneField(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                       related_name="supervised_account")
    bank_format = models.ForeignKey(BankFormat, verbose_name=_("监管银行"), on_delete=models.PROTECT,
                                    related_name="accounts")
    account_number = models.CharField(_("账号"), max_length=40)
    opened_on = models.DateField(_("开户日期"))
    mode = models.CharField(_("监管方式"), max_length=20, choices=SupervisionMode.choices,
                            default=SupervisionMode.CUSTODY)
    minimum_balance = models.DecimalField(_("最低余额（元）"), max_digits=14, decimal_places=2, default=0)
    balance = models.DecimalField(_("当前余额（元）"), max_digits=14, decimal_places=2, default=0)
    balance_on = models.DateField(_("余额日期"), null=True, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("监管部门"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("资金监管账户")
        verbose_name_plural = _("资金监管账户")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["bank_format", "account_number"], name="fund_account_number_unique",
                                    violation_error_message=_("该银行账号已绑定其他机构。")),
            models.CheckConstraint(condition=models.Q(minimum_balance__gte=0), name="fund_account_minimum_positive"),
        ]

    def __str__(self):
        return f"{self.bank_format} {self.masked_number}"

    def get_absolute_url(self):
        return reverse("funds:account_detail", args=[self.pk])

    @property
    def masked_number(self) -> str:
        number = self.account_number
        return ("*" * max(len(number) - 4, 0)) + number[-4:] if len(number) > 4 else "****"


class StatementImport(TimeStampedModel):
    """One bank statement file imported into an account (every row or none)."""

    account = models.ForeignKey(FundAccount, verbose_name=_("账户"), on_delete=models.CASCADE,
                                related_name="statement_imports")
    original_name = models.CharField(_("文件名"), max_length=200)
    rows = models.PositiveIntegerField(_("记录数"), default=0)
    new_rows = models.PositiveIntegerField(_("新增记录数"), default=0)
    skipped_rows = models.PositiveIntegerField(_("已导入过的记录数"), default=0)
    closing_balance = models.DecimalField(_("期末余额"), max_digits=14, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("银行流水导入")
        verbose_name_plural = _("银行流水导入")
        ordering = ["-id"]
        constraints = [  # referenced by FundTransaction's (statement, account) on PostgreSQL
            models.UniqueConstraint(fields=["id", "account"], name="statement_import_id_account_unique"),
        ]

    def __str__(self):
        return self.original_name


class FundTransaction(models.Model):
    """One row of a bank statement: a receipt (amount > 0) or an outflow (amount < 0) and the balance after it.

    Written 50,000 rows at a time by the statement import (COPY), so it carries only the indexes a query uses and one
    foreign key checked per row instead of two: on PostgreSQL (statement, account) references the statement's
    (id, account) (migration 0004), which also ties a row's account to its statement's; Django's own constraints on
    the two fields are off (db_constraint=False), their cascades are Django's as before (docs/funds.md)."""

    account = models.ForeignKey(FundAccount, verbose_name=_("账户"), on_delete=models.CASCADE,
                                related_name="transactions", db_constraint=False, db_index=False)
    statement = models.ForeignKey(StatementImport, verbose_name=_("导入批次"), on_delete=models.CASCADE,
                                  related_name="transactions", db_constraint=False, db_index=False)
    reference = models.CharField(_("流水号"), max_length=60)
    booked_on = models.DateField(_("交易日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=14, decimal_places=2)
    balance_after = models.DecimalField(_("交易后余额（元）"), max_digits=14, decimal_places=2)
    counterparty = models.CharField(_("对方户名"), max_length=120, blank=True)
    memo = models.CharField(_("摘要"), max_length=200, blank=True)
    is_release = models.BooleanField(_("课消划拨"), default=False)
    sequence = models.PositiveIntegerField(_("顺序"))

    class Meta:
        verbose_name = _("银行流水")
        verbose_name_plural = _("银行流水")
        ordering = ["account", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["account", "reference"], name="fund_transaction_reference_unique"),
        ]
        indexes = [
            # the account's rows in order (its page, the import's last row, an account's delete and exists())
            models.Index(fields=["account", "sequence"], name="fund_tx_account_sequence"),
            # the daily job's large outflows of the last 31 days, across accounts (a few percent of the rows)
            models.Index(fields=["booked_on"], name="fund_tx_outflow_day",
                         condition=models.Q(amount__lt=0, is_release=False)),
        ]

    def __str__(self):
        return self.reference


class ChargeSource(models.TextChoices):
    CONTRACT = "contract", _("培训合同")
    RECEIPT = "receipt", _("收费票据")
    PARENT_REPORT = "parent_report", _("家长反映")


class Charge(TimeStampedModel):
    """One charge to a family (一次性收费), from a contract, a receipt or a parent's report, checked against the
    prepayment rules when it is recorded."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="charges")
    course = models.ForeignKey(Course, verbose_name=_("班次"), on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="charges")
    source = models.CharField(_("来源"), max_length=20, choices=ChargeSource.choices, default=ChargeSource.CONTRACT)
    paid_on = models.DateField(_("收费日期"))
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2)
    class_hours = models.PositiveIntegerField(_("对应课时"))
    covers_from = models.DateField(_("课程起始日期"))
    covers_until = models.DateField(_("课程截止日期"))
    into_supervised_account = models.BooleanField(_("缴入监管账户"), default=True)
    breaches = models.JSONField(_("违反的规定"), default=list, blank=True)
    reference = models.CharField(_("合同/票据号"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("收费记录")
        verbose_name_plural = _("收费记录")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(covers_until__gte=models.F("covers_from")),
                                   name="charge_period_order"),
        ]

    def __str__(self):
        return f"{self.institution} {self.amount}"


class AlertKind(models.TextChoices):
    LOW_BALANCE = "low_balance", _("余额低于最低余额")
    LARGE_OUTFLOW = "large_outflow", _("大额资金流出")
    PREPAYMENT = "prepayment", _("违规预收费")
    OFF_ACCOUNT = "off_account", _("未进入监管账户的收费")
    CONSUMPTION_STOP = "consumption_stop", _("课消突然停止（有预收余额）")
    # A parent's public report (publicity, topic off_account): unverified, unlike OFF_ACCOUNT's recorded charge.
    PARENT_REPORT = "parent_report", _("家长反映收费未进入监管账户")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("待分派")
    ASSIGNED = "assigned", _("处置中")
    CLOSED = "closed", _("已办结")


class FundAlert(TimeStampedModel):
    """A fund-risk alert (资金风险预警): raised once per key by the daily job or when a charge is recorded."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="fund_alerts")
    department = models.ForeignKey(Department, verbose_name=_("处置部门"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("预警类型"), max_length=20, choices=AlertKind.choices)
    key = models.CharField(_("去重键"), max_length=120, unique=True)
    detail = models.TextField(_("预警内容"))
    amount = models.DecimalField(_("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    raised_at = models.DateTimeField(_("预警时间"))
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("承办人"), on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    assigned_at = models.DateTimeField(_("分派时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办结人"), on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    handling_note = models.TextField(_("办理情况"), blank=True)
    case = models.ForeignKey("penalties.PenaltyCase", verbose_name=_("处罚案件线索"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    # The public report a PARENT_REPORT alert comes from (a plain id: the report's page applies its own rules).
    source_report_id = models.BigIntegerField(_("来源举报编号"), null=True, blank=True)

    class Meta:
        verbose_name = _("资金风险预警")
        verbose_name_plural = _("资金风险预警")
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="fund_alert_department_status"),
            models.Index(fields=["institution", "raised_at"], name="fund_alert_institution_day"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.institution}"

    def get_absolute_url(self):
        return reverse("funds:alert_detail", args=[self.pk])


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")
    KEY = "key", _("重点")


class RiskAssessment(models.Model):
    """One computation of an institution's risk level; the latest per institution is its current level."""

    institution = models.ForeignKey(Institution, verbose_name=_("机构"), on_delete=models.CASCADE,
                                    related_name="risk_assessments")
    assessed_at = models.DateTimeField(_("评估时间"))
    score = models.PositiveIntegerField(_("得分"))
    level = models.CharField(_("风险等级"), max_length=10, choices=RiskLevel.choices)
    # [{"code", "label", "count", "weight", "points"}]
    factors = models.JSONField(_("风险因素"), default=list)
    is_current = models.BooleanField(_("当前"), default=True)

    class Meta:
        verbose_name = _("风险评估")
        verbose_name_plural = _("风险评估")
        ordering = ["-assessed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["institution"], condition=models.Q(is_current=True),
                                    name="risk_one_current_per_institution"),
        ]
        indexes = [models.Index(fields=["level", "institution"], name="risk_level_institution",
                                condition=models.Q(is_current=True))]

    def __str__(self):
        return f"{self.institution} {self.get_level_display()}"
