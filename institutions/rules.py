"""Rules of the register that several writers share: the seed's "不再批准设立分支机构，不再批准办学地址变更" for
subject-class institutions (address changes in institutions.changes, new sites in institutions.services)."""

from django.utils.translation import gettext_lazy as _

from regulator.errors import ServiceError

from .models import Category, Institution

NO_ADDRESS_CHANGE = _("学科类校外培训机构不再批准办学地址变更（“不再批准设立分支机构，不再批准办学地址变更”）。")
NO_NEW_BRANCH = _("学科类校外培训机构不再批准设立分支机构（“不再批准设立分支机构，不再批准办学地址变更”）。")


def refuse_subject_class_address_change(institution: Institution) -> None:
    if institution.category == Category.ACADEMIC:
        raise ServiceError(NO_ADDRESS_CHANGE, field="field")


def refuse_subject_class_branch(institution: Institution) -> None:
    if institution.category == Category.ACADEMIC:
        raise ServiceError(NO_NEW_BRANCH)
