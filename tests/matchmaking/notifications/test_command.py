"""manage.py run_notifications delivers what the worker left behind."""

from io import StringIO

from django.core.management import call_command

from matchmaking import notifications
from matchmaking.models import EventKind
from matchmaking.models import Notification


def test_run_notifications_sweeps_undelivered_events(world):
    # Recorded outside a captured commit: the worker never ran (a crash).
    event = notifications.record(EventKind.MATCH_INTRODUCED, world.match)
    out = StringIO()
    call_command("run_notifications", stdout=out)
    assert out.getvalue().startswith(
        "reminders: 0, events delivered: 1, digests: 0 daily"
    )
    assert Notification.objects.filter(event=event).count() == 3
