from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InstitutionsConfig(AppConfig):
    name = "institutions"
    verbose_name = _("机构台账")

    def ready(self):
        from . import oversight

        oversight.register_all()  # what this app contributes to the oversight floor
