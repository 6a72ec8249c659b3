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


# Keys of before/after that are not fields of the object's model.
FIELD_LABELS = {
    "licences": _("证照"),
    "department": _("部门"),
    "reason": _("原因"),
    "valid_rows": _("有效记录数"),
}
