from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicityConfig(AppConfig):
    name = "publicity"
    verbose_name = _("公示与举报")

    def ready(self):
        from regulator import hooks

        from . import cache, oversight

        oversight.register_all()  # what this app contributes to the oversight floor
        hooks.connect(hooks.on_regions_changed, cache.bump_regions_version)
