from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoundtableConfig(AppConfig):
    name = "roundtable"
    verbose_name = _("Roundtable")

    def ready(self) -> None:
        # Imported here: the module imports models, which load after the
        # registry is ready (Django's rule for ready()).
        from roundtable.notifications import register

        register()
