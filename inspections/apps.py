from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("检查")

    def ready(self):
        from . import oversight

        oversight.register_all()  # what this app contributes to the oversight floor
