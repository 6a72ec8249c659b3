"""The audit event kinds of the register (registered in apps.InstitutionsConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionsAuditKind(models.TextChoices):
    INSTITUTION_CREATED = "institution.created", _("登记机构")
    INSTITUTION_UPDATED = "institution.updated", _("修改机构信息")
    INSTITUTION_MOVED = "institution.moved", _("变更机构所属区划")
    INSTITUTION_DELETED = "institution.deleted", _("删除机构")
    INSTITUTION_SHARED = "institution.shared", _("共享机构档案")
    INSTITUTION_STANDING_CHANGED = "institution.standing_changed", _("证照情况变更")
    INSTITUTION_OPERATING_STATE_CHANGED = "institution.operating_state_changed", _("经营状态变更")
    LICENCE_CREATED = "licence.created", _("新增证照")
    LICENCE_UPDATED = "licence.updated", _("修改证照")
    LICENCE_DELETED = "licence.deleted", _("删除证照")
    LICENCE_EXPIRED = "licence.expired", _("证照到期")
    LICENCE_REVOKED = "licence.revoked", _("吊销证照")
    SITE_CREATED = "site.created", _("新增办学点")
    SITE_UPDATED = "site.updated", _("修改办学点")
    SITE_DELETED = "site.deleted", _("删除办学点")
    TEACHER_CREATED = "teacher.created", _("新增培训人员")
    TEACHER_UPDATED = "teacher.updated", _("修改培训人员")
    TEACHER_DELETED = "teacher.deleted", _("删除培训人员")
    IMPORT_JOB_CONFIRMED = "import_job.confirmed", _("确认导入台账")
    REGISTER_REVIEW_CHECKED = "register_review.checked", _("核对台账待核对事项")
    INSTITUTION_CANCELLED = "institution.cancelled", _("注销机构")
    LICENCE_CANCELLED = "licence.cancelled", _("注销证照")
    CHANGE_REQUESTED = "register_change.requested", _("申请登记变更")
    CHANGE_APPROVED = "register_change.approved", _("批准登记变更")
    CHANGE_REFUSED = "register_change.refused", _("不予批准登记变更")
    ANNUAL_PLAN_CREATED = "annual_plan.created", _("制定年检计划")
    ANNUAL_PLAN_PUBLISHED = "annual_plan.published", _("公布年检结果")
    ANNUAL_INSPECTION_ADDED = "annual_inspection.added", _("列入年检")
    ANNUAL_MATERIAL_RECEIVED = "annual_inspection.material_received", _("收到年检材料")
    ANNUAL_REVIEWED = "annual_inspection.reviewed", _("年检书面审查")
    ANNUAL_VISIT_PLANNED = "annual_inspection.visit_planned", _("安排年检实地核查")
    ANNUAL_DECIDED = "annual_inspection.decided", _("作出年检结论")
    ANNUAL_REFUSED = "annual_inspection.refused", _("拒绝接受年检")
    ANNUAL_IMPORTED = "annual_inspection.imported", _("导入年检结果")
    CAMPAIGN_OPENED = "register_campaign.opened", _("发起专项工作")
    CAMPAIGN_ITEM_RECORDED = "register_campaign.item_recorded", _("登记专项工作事项")
    CAMPAIGN_COMPLETED = "register_campaign.completed", _("机构完成专项工作")
    CAMPAIGN_LEAD = "register_campaign.lead", _("专项工作转为案件线索")
    TEACHER_BAN_CREATED = "teacher_ban.created", _("列入教师黑名单")
    TEACHER_BAN_LIFTED = "teacher_ban.lifted", _("解除教师黑名单")
    TEACHER_BAN_CHANGED = "teacher_ban.changed", _("变更教师黑名单期限")
    TEACHER_LEFT = "teacher.left", _("培训人员离职")
    TEACHER_IN_SERVICE_FLAGGED = "teacher.in_service_flagged", _("在职教师违规兼职")
    TEACHER_IN_SERVICE_CLEARED = "teacher.in_service_cleared", _("解除在职教师违规兼职标记")
    LICENCE_RENEWED = "licence.renewed", _("证照续期/换证")
    IN_SERVICE_ROSTER_IMPORTED = "in_service_roster.imported", _("导入在职中小学教师名单")


# Keys of before/after that are not fields of the object's model.
FIELD_LABELS = {
    "licences": _("证照"),
    "department": _("部门"),
    "reason": _("原因"),
    "valid_rows": _("有效记录数"),
    "date": _("日期"),
    "item": _("事项"),
    "case": _("案件"),
    "order": _("整改通知"),
    "visit": _("检查"),
    "row": _("行号"),
    "approval_document": _("批准文件"),
    "cleared": _("解除标记人数"),
    "flagged": _("标记人数"),
    "superseded": _("被替换的版本"),
    "institutions": _("机构数"),
    "notice": _("年检结论通知书"),
    "document": _("文件"),
    "passed": _("已完成"),
    "principal": _("校长"),
    "scope": _("办学内容"),
    "batch": _("公告批次"),
    "penalty": _("处罚"),
}
