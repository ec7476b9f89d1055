"""Daily and weekly digests: the reader's categories, language, time zone; once."""

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from django.utils import timezone

from matchmaking import notifications
from matchmaking.enums import Visibility
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import Notification
from matchmaking.models import Profile
from matchmaking.notifications import dispatch
from matchmaking.notifications import preferences
from matchmaking.notifications.digests import build_digests
from matchmaking.notifications.digests import window
from matchmaking.notifications.mail import send_pending

pytestmark = pytest.mark.django_db


def _yesterday(world, kind):
    event = notifications.record(kind, world.match)
    dispatch.deliver([event.pk])
    Notification.objects.filter(event=event).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )


def test_the_daily_digest_lists_yesterday_in_the_readers_language(world):
    world.manager.language = "es"
    world.manager.save(update_fields=["language"])
    Profile.objects.create(user=world.manager, time_zone="UTC")
    _yesterday(world, EventKind.SUGGESTION_NEW)  # suggestions: daily by default
    _yesterday(world, EventKind.MATCH_DECLINED)  # matches: mailed at once instead
    MailMessage.objects.all().delete()
    assert build_digests(period="daily") == 3  # focal, colleague, manager
    assert build_digests(period="daily") == 0  # the same day again: nothing new
    send_pending()
    spanish = next(m for m in mail.outbox if m.to == ["manager@example.org"])
    assert spanish.subject == "Resumen diario · 1"
    assert "Nuevas sugerencias" in spanish.body
    assert world.match.need.title in spanish.body
    assert "Declined" not in spanish.body
    assert "Rechaz" not in spanish.body
    assert (
        spanish.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    )


def test_a_digest_leaves_out_what_the_reader_may_no_longer_see(world):
    _yesterday(world, EventKind.SUGGESTION_NEW)
    need = world.match.need
    need.visibility = Visibility.CONFIDENTIAL
    need.save(update_fields=["visibility"])
    build_digests(period="daily")
    assert sorted(MailMessage.objects.values_list("to", flat=True)) == [
        "colleague@example.org",
        "focal@example.org",
    ]


def test_weekly_readers_get_nothing_daily(world):
    preferences.set_mail_modes(user=world.manager, modes={"suggestions": "weekly"})
    _yesterday(world, EventKind.SUGGESTION_NEW)
    build_digests(period="daily")
    assert not MailMessage.objects.filter(user=world.manager).exists()


def test_the_window_is_the_readers_local_day_and_week():
    now = dt.datetime(2026, 12, 9, 1, 0, tzinfo=dt.UTC)  # Wednesday
    tokyo = window("daily", now, zoneinfo.ZoneInfo("Asia/Tokyo"))
    assert tokyo.key == "2026-12-08"
    assert tokyo.start.isoformat() == "2026-12-08T00:00:00+09:00"
    dakar = window("daily", now, zoneinfo.ZoneInfo("Africa/Dakar"))
    assert dakar.key == "2026-12-08"
    la = window("daily", now, zoneinfo.ZoneInfo("America/Los_Angeles"))
    assert la.key == "2026-12-07"
    week = window("weekly", now, zoneinfo.ZoneInfo("UTC"))
    assert (week.key, week.start.date().isoformat()) == ("2026-W49", "2026-11-30")
