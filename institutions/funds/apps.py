from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FundsConfig(AppConfig):
    """Course and fee filing (班次备案), supervised fund accounts and alerts, and institutions' risk levels."""

    name = "institutions.funds"
    label = "funds"
    verbose_name = _("备案与资金监管")

    def ready(self):
        from regulator.audit import register_kinds

        from . import oversight
        from .audit_kinds import FIELD_LABELS, FundsAuditKind

        register_kinds(FundsAuditKind, field_labels=FIELD_LABELS)
        oversight.register_all()
