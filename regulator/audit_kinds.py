"""The audit event kinds of the organisation (departments, staff accounts, sign-ins) and of the oversight floor.

Every app declares its kinds in its own `audit_kinds.py` as `TextChoices` named `<object>.<what happened>` and
registers them in `AppConfig.ready()` (regulator.audit.register_kinds); the label is what the history shows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegulatorAuditKind(models.TextChoices):
    DEPARTMENT_CREATED = "department.created", _("新增部门")
    DEPARTMENT_UPDATED = "department.updated", _("修改部门")
    USER_CREATED = "user.created", _("新增账号")
    USER_UPDATED = "user.updated", _("修改账号信息")
    USER_ROLE_CHANGED = "user.role_changed", _("变更账号角色、部门或权限")
    USER_DEACTIVATED = "user.deactivated", _("停用账号")
    USER_ACTIVATED = "user.activated", _("启用账号")
    USER_PASSWORD_CHANGED = "user.password_changed", _("修改本人密码")
    USER_PASSWORD_SET = "user.password_set", _("管理员重设密码")
    USER_LOGGED_IN = "user.logged_in", _("登录")
    USER_LOGIN_FAILED = "user.login_failed", _("登录失败")
    USER_LOGGED_OUT = "user.logged_out", _("退出登录")
    QUEUE_ITEM_ASSIGNED = "queue_item.assigned", _("分派待办")
    WEEKLY_REPORT_GENERATED = "weekly_report.generated", _("生成周报")
    WEEKLY_REPORT_SAVED = "weekly_report.saved", _("保存周报内容")
    WEEKLY_REPORT_SUBMITTED = "weekly_report.submitted", _("填报周报")
    WEEKLY_REPORT_RETURNED = "weekly_report.returned", _("退回周报")
    WEEKLY_REPORT_SENT = "weekly_report.sent", _("审核并报送周报")
    CALENDAR_ARRANGEMENT_SAVED = "calendar_arrangement.saved", _("录入或修改年度节假日安排")
    CALENDAR_ARRANGEMENT_DELETED = "calendar_arrangement.deleted", _("删除年度节假日安排")


# Keys of before/after that are not fields of the object's model.
FIELD_LABELS = {
    "assignee": _("承办人"),
    "kind": _("类别"),
    "username": _("用户名"),
    "ip_address": _("IP 地址"),
    "groups": _("权限组"),
    "user_permissions": _("权限"),
    "usable_password": _("可用密码登录"),
    "week_start": _("周起始日"),
    "headline": _("摘要数字"),
    "holidays": _("放假日期"),
    "workdays": _("调休上班日期"),
    "group": _("权限组"),
    "label": _("名称"),
    "points": _("分值"),
    "weight": _("权重"),
    "count": _("次数"),
    "weekday": _("星期"),
    "start": _("开始"),
    "end": _("结束"),
    "status": _("状态"),
    "content": _("内容"),
    "text": _("内容"),
    "note": _("备注"),
    "remarks": _("备注"),
    "amount": _("金额"),
    "place": _("地点"),
}
