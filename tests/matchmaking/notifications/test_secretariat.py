"""The secretariat's weekly digest: new needs, newly unmet needs, stalled matches."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from matchmaking import notifications
from matchmaking import services
from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.enums import UnmetReason
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.models import Profile
from matchmaking.notifications import preferences
from matchmaking.notifications.mail import send_pending
from matchmaking.notifications.secretariat import build_secretariat_digests
from tests.factories import MatchFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY = dt.datetime(2026, 12, 14, 8, 0, tzinfo=UTC)  # the week before: 7-13 Dec


def _at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=UTC)


@pytest.fixture
def week(world, time_machine):
    """A week of secretariat news around the notification world."""
    time_machine.move_to(dt.datetime(2026, 11, 1, 12, tzinfo=UTC), tick=False)
    Need.objects.update(created_at=timezone.now())  # the world's need is old
    old = NeedFactory(title="Old need, unmet this week")
    draft = NeedFactory(title="A draft", status=NeedStatus.DRAFT)
    provider = world.match.programme.provider
    slow = MatchFactory(
        need=NeedFactory(title="Slow need"),
        programme=ProgrammeFactory(provider=provider, title="Slow programme"),
    )
    recent = MatchFactory(
        need=NeedFactory(title="Recent need"),
        programme=ProgrammeFactory(provider=provider, title="Recent programme"),
    )
    time_machine.move_to(_at(1), tick=False)  # interest 12 days before the week ends
    services.transition_match(user=world.focal, match=slow, action="express_interest")
    time_machine.move_to(_at(4), tick=False)  # introduced 10 days before: fine
    world.match.status = MatchStatus.INTEREST
    world.match.save(update_fields=["status"])
    services.transition_match(user=world.manager, match=world.match, action="introduce")
    time_machine.move_to(_at(9), tick=False)
    new = NeedFactory(title="Fresh need")
    Need.objects.filter(pk=draft.pk).update(created_at=_at(9))
    time_machine.move_to(_at(10), tick=False)
    Need.objects.filter(pk=old.pk).update(unmet_reason=UnmetReason.NO_ELIGIBLE)
    notifications.record(EventKind.NEED_UNMET, old)
    time_machine.move_to(_at(11), tick=False)  # interest 3 days before: fine
    services.transition_match(user=world.focal, match=recent, action="express_interest")
    time_machine.move_to(MONDAY, tick=False)
    return {"old": old, "new": new, "slow": slow}


def test_each_curator_gets_last_weeks_digest_once_in_their_language_and_zone(
    world, week
):
    curator = UserFactory(username="curator", is_curator=True, language="fr")
    Profile.objects.create(user=curator, time_zone="Europe/Paris")
    quiet = UserFactory(username="quiet", is_curator=True)
    preferences.set_mail_modes(user=quiet, modes={"curation": "never"})
    MailMessage.objects.all().delete()
    mail.outbox.clear()

    assert build_secretariat_digests() == 1
    assert build_secretariat_digests() == 0  # the same week again: nothing
    send_pending()
    [message] = [m for m in mail.outbox if m.to == ["curator@example.org"]]
    assert message.subject == (
        "Synthèse hebdomadaire du secrétariat : 7 décembre 2026 \u2013 13 décembre 2026"
    )
    body = message.body
    fresh = body.index("Nouveaux besoins (1)")
    unmet = body.index("Besoins désormais sans correspondance (1)")
    stalled = body.index("Correspondances au point mort (1)")
    assert fresh < unmet < stalled
    assert body[fresh:unmet].count("\n- ") == 1
    assert "Fresh need" in body[fresh:unmet]
    assert "A draft" not in body
    assert "Old need, unmet this week" in body[unmet:stalled]
    assert (
        "Slow need ↔ Slow programme: intérêt sans réponse depuis 12 jours"
        in body[stalled:]
    )
    assert "Recent need" not in body[stalled:]
    assert world.match.need.title not in body[stalled:]
    assert f"/matches/{week['slow'].pk}/" in body
    assert message.extra_headers["List-Unsubscribe-Post"] == (
        "List-Unsubscribe=One-Click"
    )
    assert MailMessage.objects.get(to="curator@example.org").category == "curation"
    # Nobody else: not the curator who turned it off, not the parties.
    assert sorted(MailMessage.objects.values_list("to", flat=True)) == [
        "curator@example.org"
    ]


def test_an_introduction_without_a_step_for_30_days_is_stalled(
    world, week, time_machine
):
    curator = UserFactory(username="curator", is_curator=True)
    time_machine.move_to(MONDAY + dt.timedelta(days=28), tick=False)
    OutboxEvent.objects.all().delete()
    build_secretariat_digests()
    send_pending()
    [message] = [m for m in mail.outbox if m.to == [curator.email]]
    assert (
        f"{world.match.need.title} ↔ {world.match.programme.title}: "
        "introduced, no step for 37 days"
    ) in message.body
    assert "New needs (0)" in message.body


def test_a_quiet_week_sends_no_digest(world, time_machine):
    UserFactory(username="curator", is_curator=True)
    world.match.delete()
    time_machine.move_to(dt.datetime(2027, 3, 1, 8, tzinfo=UTC), tick=False)
    assert build_secretariat_digests() == 0
