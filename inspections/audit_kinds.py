"""The audit event kinds of inspections (registered in apps.InspectionsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InspectionsAuditKind(models.TextChoices):
    CHECKLIST_TEMPLATE_REVISED = "checklist_template.revised", _("修订检查清单")
    CAMPAIGN_CREATED = "campaign.created", _("创建检查行动")
    CAMPAIGN_UPDATED = "campaign.updated", _("修改检查行动")
    CAMPAIGN_DELETED = "campaign.deleted", _("删除检查行动")
    VISIT_PLANNED = "visit.planned", _("安排检查")
    VISIT_INSPECTORS_ASSIGNED = "visit.inspectors_assigned", _("调整检查人员")
    VISIT_STARTED = "visit.started", _("开始检查")
    VISIT_SUBMITTED = "visit.submitted", _("提交检查")
    VISIT_AMENDED = "visit.amended", _("更正检查")
    VISIT_OUTCOME_RECORDED = "visit.outcome_recorded", _("记录处理结果")
    VISIT_UPDATED = "visit.updated", _("修改检查")
    VISIT_DELETED = "visit.deleted", _("删除检查")
    CHECKLIST_ANSWER_SAVED = "checklist_answer.saved", _("填写检查项")
    EVIDENCE_UPLOADED = "evidence.uploaded", _("上传证据")
    SIGNATURE_SAVED = "signature.saved", _("现场签字或拒签")
    PROBLEM_ITEM_CLOSED = "problem_item.closed", _("问题项销号")
    SPOT_CHECK_DRAWN = "spot_check.drawn", _("双随机抽取")
    SPOT_CHECK_PUBLISHED = "spot_check.published", _("公开抽查结果")


# Keys of before/after that are not fields of the object's model.
FIELD_LABELS = {
    "signatures": _("签名"),
    "departments": _("参与部门"),
    "inspectors": _("检查人员"),
    "items": _("检查项"),
    "reason": _("原因"),
    "changes": _("更正内容"),
    "pool_size": _("抽取范围"),
    "roster_size": _("检查人员数"),
    "seed": _("随机种子"),
    "size": _("抽取数量"),
    "failed_items": _("不合格项"),
    "offline_items": _("离线填报项"),
    "problem_items": _("问题项"),
}
