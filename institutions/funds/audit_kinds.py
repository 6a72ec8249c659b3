"""The audit event kinds of filings, fund supervision and risk levels (registered in apps.FundsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FundsAuditKind(models.TextChoices):
    COURSE_SUBMITTED = "course.submitted", _("报送班次备案")
    COURSE_IMPORTED = "course.imported", _("导入班次备案")
    COURSE_FILED = "course.filed", _("班次予以备案")
    COURSE_RETURNED = "course.returned", _("班次备案退回补正")
    COURSE_REFUSED = "course.refused", _("班次不予备案")
    ACCOUNT_BOUND = "fund_account.bound", _("绑定资金监管账户")
    ACCOUNT_UPDATED = "fund_account.updated", _("修改资金监管账户")
    STATEMENT_IMPORTED = "fund_statement.imported", _("导入银行流水")
    CHARGE_RECORDED = "fund_charge.recorded", _("登记收费记录")
    ALERT_RAISED = "fund_alert.raised", _("产生资金风险预警")
    ALERT_ASSIGNED = "fund_alert.assigned", _("分派资金风险预警")
    ALERT_CLOSED = "fund_alert.closed", _("办结资金风险预警")
    ALERT_CASE_OPENED = "fund_alert.case_opened", _("资金风险预警转立案线索")
    RISK_ASSESSED = "risk.assessed", _("风险等级变更")


FIELD_LABELS = {
    "violations": _("不符合的规定"),
    "reason": _("原因"),
    "rows": _("记录数"),
    "new_rows": _("新增记录数"),
    "skipped_rows": _("已导入过的记录数"),
    "factors": _("风险因素"),
    "case": _("案件"),
    "note": _("办理情况"),
    "balance": _("余额"),
}
