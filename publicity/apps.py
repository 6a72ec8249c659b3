from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = _("公示与举报")

    def ready(self):
        from . import oversight

        oversight.register_all()  # what this app contributes to the oversight floor
