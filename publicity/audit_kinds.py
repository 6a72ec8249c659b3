"""The audit event kinds of lists and reports (registered in apps.PublicityConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PublicityAuditKind(models.TextChoices):
    LIST_ENTRY_PROPOSED = "list_entry.proposed", _("提出名单")
    LIST_ENTRY_REVIEWED = "list_entry.reviewed", _("审核名单")
    LIST_ENTRY_APPROVED = "list_entry.approved", _("批准名单")
    LIST_ENTRY_REJECTED = "list_entry.rejected", _("退回名单")
    LIST_ENTRY_STATEMENT_RECORDED = "list_entry.statement_recorded", _("记录机构陈述")
    LIST_ENTRY_NOTIFIED = "list_entry.notified", _("告知机构拟列入黑名单")
    LIST_ENTRY_PUBLISHED = "list_entry.published", _("公示名单")
    LIST_ENTRY_CORRECTION_PROPOSED = "list_entry.correction_proposed", _("提出更正")
    LIST_ENTRY_REMOVAL_PROPOSED = "list_entry.removal_proposed", _("提出移出名单")
    LIST_ENTRY_REMOVED = "list_entry.removed", _("移出名单")
    LIST_ENTRY_REMOVAL_REJECTED = "list_entry.removal_rejected", _("不予移出名单")
    BATCH_PUBLISHED = "batch.published", _("发布公示批次")
    PUBLICATION_OPENED = "publication.opened", _("登记待公开决定")
    PUBLICATION_PUBLISHED = "publication.published", _("公开决定")
    PUBLICATION_WITHDRAWAL_REQUIRED = "publication.withdrawal_required", _("决定变更或撤销，待撤回公开")
    PUBLICATION_WITHDRAWN = "publication.withdrawn", _("撤回公开的决定")
    REPORT_FILED = "report.filed", _("收到举报")
    REPORT_RECORDED = "report.recorded", _("登记电话、信件或来访举报")
    REPORT_ASSIGNED = "report.assigned", _("分派举报")
    REPORT_RETURNED = "report.returned", _("退回举报")
    REPORT_IDENTITY_VIEWED = "report.identity_viewed", _("查看举报人信息")
    REPORT_VERIFYING = "report.verifying", _("核查举报")
    REPORT_HANDLING = "report.handling", _("办理举报")
    REPORT_REPLIED = "report.replied", _("答复举报人")
    REPORT_CLOSED = "report.closed", _("举报办结")


# Keys of before/after that are not fields of the object's model.
FIELD_LABELS = {
    "anonymous": _("匿名"),
    "attachments": _("附件数"),
    "entries": _("名单条目"),
    "fields": _("查看的信息"),
}
