from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class RegulatorConfig(AppConfig):
    name = "regulator"
    verbose_name = _("组织与审计")

    def ready(self):
        from . import signals  # noqa: F401  (sign-ins, sign-outs and failed sign-ins are audited)
        from .audit import register_kinds
        from .audit_kinds import FIELD_LABELS, RegulatorAuditKind

        register_kinds(RegulatorAuditKind, field_labels=FIELD_LABELS)

        # django-axes calls its admin section "Axes"; administrators unlock accounts there (regulator/login_throttle.py)
        apps.get_app_config("axes").verbose_name = _("登录限制")

        from django.urls import register_converter

        from .params import IdConverter

        # Before any urls module is imported: every route's ids are `<id:…>`, bounded to a bigint.
        register_converter(IdConverter, "id")

        from .observability import connect_task_metrics

        # Task counts, durations and the periodic jobs' figures, for /metrics (regulator/observability.py).
        connect_task_metrics()
