from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MatchmakingConfig(AppConfig):
    name = "matchmaking"
    verbose_name = _("Matchmaking")

    def ready(self) -> None:
        # Imported here, not at the top: these modules import the models, which
        # cannot load before the app registry is ready (Django's rule for
        # ready()). Security logging only: auth signals are the one hook
        # Django offers.
        from matchmaking.audit import connect_security_signals

        connect_security_signals()

        # Sign-in throttle per account: counts Django's auth signals too.
        from matchmaking.accounts.throttle import connect_throttle_signals

        connect_throttle_signals()

        # The API read cache sees every write to the database (api_cache).
        from matchmaking.api_cache import watch_connections

        watch_connections()

        # The coordination view's cells follow every ORM write of their inputs.
        from matchmaking.coordination_cells import connect_signals

        connect_signals()

        # Built-in notification channels (centre, mail) and subjects (match,
        # need); other modules add theirs in their own ready().
        from matchmaking.notifications import register_builtins

        register_builtins()

        # Webhooks and saved-search alerts are outbox channels too.
        from matchmaking.savedsearches import alerts
        from matchmaking.webhooks import channel

        channel.register()
        alerts.register()

        # A match's conversation: who hears of a new message.
        from matchmaking.conversations import subjects

        subjects.register()
