"""The audit event kinds of rectification and penalties (registered in apps.PenaltiesConfig.ready)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PenaltiesAuditKind(models.TextChoices):
    ORDER_DRAFTED = "order.drafted", _("拟制整改通知书")
    ORDER_APPROVED = "order.approved", _("批准整改通知书")
    ORDER_SERVED = "order.served", _("送达整改通知书")
    ORDER_EXTENDED = "order.extended", _("延长整改期限")
    ORDER_CANCELLED = "order.cancelled", _("撤销整改通知书")
    ORDER_OVERDUE = "order.overdue", _("整改逾期")
    ORDER_ESCALATED = "order.escalated", _("逾期未整改转立案")
    ORDER_CLOSED = "order.closed", _("整改销号完成")
    ORDER_ITEM_CLOSED = "order_item.closed", _("整改事项销号")
    SUSPENSION_DRAFTED = "suspension.drafted", _("拟制停办整改通知书")
    SUSPENSION_APPROVED = "suspension.approved", _("批准停办整改通知书")
    SUSPENSION_SERVED = "suspension.served", _("送达停办整改通知书")
    SUSPENSION_COMPLETED = "suspension.completed", _("停办整改完成")
    REFUND_RECORDED = "refund.recorded", _("记录退费")
    CASE_OPENED = "case.opened", _("登记案件线索")
    CASE_REVIEWED = "case.reviewed", _("初步审查")
    CASE_FILED = "case.filed", _("立案")
    CASE_DROPPED = "case.dropped", _("不予立案")
    CASE_INVESTIGATION_STARTED = "case.investigation_started", _("开始调查取证")
    CASE_EVIDENCE_ADDED = "case.evidence_added", _("提交证据")
    CASE_RIGHTS_NOTIFIED = "case.rights_notified", _("告知权利")
    CASE_STATEMENT_RECORDED = "case.statement_recorded", _("记录陈述申辩")
    CASE_DECIDED = "case.decided", _("作出处罚决定")
    CASE_SERVED = "case.served", _("送达处罚决定书")
    CASE_EXECUTED = "case.executed", _("记录执行")
    CASE_CLOSED = "case.closed", _("结案")
    CASE_DOCUMENT_ISSUED = "case.document_issued", _("制作案件文书")
    SERVICE_PROOF_PREPARED = "service_proof.prepared", _("制作送达回证")
    SERVICE_PROOF_SERVED = "service_proof.served", _("按送达回证送达")
    SERVICE_PROOF_PUBLISHED = "service_proof.published", _("公告送达（公告期内）")
    SERVICE_CONSENT_RECORDED = "service_consent.recorded", _("登记电子送达确认书")
    SERVICE_CONSENT_WITHDRAWN = "service_consent.withdrawn", _("撤回电子送达同意")
    CASE_INVESTIGATION_CLOSED = "case.investigation_closed", _("提交调查终结报告")
    CASE_RECORD_ADDED = "case.record_added", _("制作调查笔录")
    CASE_ADJUDICATED = "case.adjudicated", _("案件审理")
    CASE_RIGHTS_SERVED = "case.rights_served", _("送达事先告知书")
    CASE_HEARING_REQUESTED = "case.hearing_requested", _("申请听证")
    CASE_HEARING_NOTIFIED = "case.hearing_notified", _("送达听证通知书")
    CASE_HEARING_NOTICE_SERVED = "case.hearing_notice_served", _("按送达回证送达听证通知书")
    CASE_HEARING_RECUSAL = "case.hearing_recusal", _("听证回避申请")
    CASE_HEARING_HELD = "case.hearing_held", _("举行听证")
    CASE_HEARING_WAIVED = "case.hearing_waived", _("视为放弃听证")
    CASE_HEARING_REPORTED = "case.hearing_reported", _("提交听证报告")
    CASE_LEGAL_REVIEWED = "case.legal_reviewed", _("法制审核")
    CASE_DISCUSSED = "case.discussed", _("集体讨论")
    CASE_PAYMENT_RECORDED = "case.payment_recorded", _("记录缴款")
    CASE_REMINDED = "case.reminded", _("送达催告书")
    CASE_ENFORCEMENT_APPLIED = "case.enforcement_applied", _("申请法院强制执行")
    CASE_PERIOD_EXTENDED = "case.period_extended", _("延长办案期限")
    CASE_PERIOD_SUSPENDED = "case.period_suspended", _("中止办案期限")
    CASE_PERIOD_RESUMED = "case.period_resumed", _("恢复办案期限")
    CASE_CREDIT_SANCTION = "case.credit_sanction", _("记录联合信用惩戒")
    CASE_DECISION_REVISED = "case.decision_revised", _("登记决定被变更或撤销")
    INTERVIEW_RECORDED = "interview.recorded", _("记录约谈")


# Keys of before/after that are not fields of the object's model.
FIELD_LABELS = {
    "service": _("送达记录"),
    "items": _("整改事项"),
    "penalties": _("处罚"),
    "period_change": _("期限变更"),
    "hearing": _("听证"),
    "social_impact": _("具有一定社会影响，依法公开"),
    "decision": _("处罚决定"),
    "discussion": _("集体讨论"),
    "legal_review": _("法制审核"),
    "payment": _("缴款"),
    "record": _("笔录"),
    "revision": _("复议或诉讼结果"),
    "revision_body": _("复议机关或人民法院"),
    "revision_body_kind": _("机关类别"),
    "revision_note": _("说明"),
    "revision_on": _("决定日期"),
    "revision_recorded_at": _("登记时间"),
    "revision_recorded_by": _("登记人"),
    "revision_reference": _("文书号"),
    "attended": _("出席"),
    "attendees": _("出席人员"),
    "chair": _("主持人"),
    "conclusion": _("结论"),
    "consent": _("同意"),
    "document_number": _("文书号"),
    "document_type": _("文书类型"),
    "electronic_address": _("电子送达地址"),
    "ended_at": _("结束时间"),
    "especially_serious": _("情节特别严重"),
    "held_at": _("召开时间"),
    "members": _("成员"),
    "method": _("方式"),
    "legal_basis": _("法律依据"),
    "notice_medium": _("告知方式"),
    "notice_published_at": _("公告时间"),
    "notice_served_on": _("告知送达日期"),
    "officers": _("执法人员"),
    "opinion": _("意见"),
    "opinions": _("意见"),
    "paid_on": _("缴款日期"),
    "party_signed": _("当事人签名"),
    "period_months": _("期限（月）"),
    "person_id_number": _("身份证号"),
    "person_name": _("姓名"),
    "proof": _("证明"),
    "provisions": _("条款"),
    "public": _("公开"),
    "receipt": _("收据号"),
    "receiver_name": _("受送达人"),
    "receiver_relation": _("与当事人关系"),
    "recorded_at": _("记录时间"),
    "recorded_by": _("记录人"),
    "recusal_note": _("回避说明"),
    "recusal_requested": _("申请回避"),
    "refusal_note": _("拒绝说明"),
    "refused": _("拒绝"),
    "reported_at": _("报告时间"),
    "requested_on": _("申请日期"),
    "reviewed_at": _("审核时间"),
    "scheduled_for": _("安排时间"),
    "served_at": _("送达时间"),
    "signature_refusal": _("拒绝签名"),
    "signed": _("已签名"),
    "started_at": _("开始时间"),
    "subject_name": _("对象名称"),
    "subject_role": _("对象身份"),
    "waived_reason": _("放弃理由"),
    "witness_name": _("见证人"),
    "co_server_name": _("共同送达人"),
}
