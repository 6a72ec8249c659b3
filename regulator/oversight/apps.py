from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    """The floor above the apps. Listed after them in INSTALLED_APPS: their ready() has filled the registry."""

    name = "regulator.oversight"
    label = "oversight"
    verbose_name = _("统计与督办")

    def ready(self):
        from regulator import hooks

        from . import context_processors, summary

        # An institution that moves to another region takes its summarised past figures along.
        hooks.connect(hooks.on_institution_moved, summary.institution_moved)
        # Every committed change of work makes the cached navigation counts stale.
        hooks.connect(hooks.on_work_changed, context_processors.bump_version)
