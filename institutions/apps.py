from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("机构台账")

    def ready(self):
        from regulator import hooks
        from regulator.audit import register_kinds

        from . import filters, oversight
        from .audit_kinds import FIELD_LABELS, InstitutionsAuditKind

        register_kinds(InstitutionsAuditKind, field_labels=FIELD_LABELS)
        oversight.register_all()  # what this app contributes to the oversight floor
        hooks.connect(hooks.on_regions_changed, filters.bump_regions_version)
