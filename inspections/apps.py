from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("检查")

    def ready(self):
        from regulator.audit import register_kinds

        from . import oversight
        from .audit_kinds import FIELD_LABELS, InspectionsAuditKind

        register_kinds(InspectionsAuditKind, field_labels=FIELD_LABELS)
        oversight.register_all()  # what this app contributes to the oversight floor
