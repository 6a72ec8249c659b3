from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PenaltiesConfig(AppConfig):
    name = "penalties"
    verbose_name = _("整改与处罚")

    def ready(self):
        from regulator.audit import register_kinds

        from . import oversight, publicity_sources
        from .audit_kinds import FIELD_LABELS, PenaltiesAuditKind

        register_kinds(PenaltiesAuditKind, field_labels=FIELD_LABELS)
        oversight.register_all()  # what this app contributes to the oversight floor
        publicity_sources.register_all()  # when a case or an order may give a black-list proposal
