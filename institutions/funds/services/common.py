"""What the funds services share: the clock, the department acting, the audit snapshot."""

from django.utils import timezone
from django.utils.translation import gettext as _

from regulator.audit import snapshot
from regulator.errors import ServiceError
from regulator.models import Department, DepartmentKind


def now_or(now=None):
    return now or timezone.now()


def acting_department(actor, institution, kind=DepartmentKind.EDUCATION) -> Department:
    """The actor's department; for an administrator outside any department, the nearest department of `kind`
    above the institution."""
    if actor is not None and actor.department_id:
        return actor.department
    code = institution.region_id
    department = (Department.objects.filter(kind=kind, region__code__in=[code[:n] for n in (2, 4, 6, 9, 12)])
                  .order_by("-region__code").first())
    if department is None:
        raise ServiceError(_("该机构所在地区没有%(kind)s部门，无法办理。") % {"kind": DepartmentKind(kind).label})
    return department


def snap(obj, fields=None) -> dict:
    return snapshot(obj, fields)
