"""Commitments: recorded at a meeting, public, progress reports, reminders."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.utils import timezone

from matchmaking.models import ExchangeRate
from matchmaking.models import MailMessage
from matchmaking.models import Notification
from matchmaking.models import OutboxEvent
from matchmaking.notifications import preferences
from matchmaking.notifications.digests import build_digests
from matchmaking.notifications.dispatch import sweep
from roundtable import services
from roundtable.models import Commitment
from roundtable.services.commitments import add_months
from roundtable.services.commitments import reports_still_due
from tests.factories import MembershipFactory
from tests.factories import ProviderFactory
from tests.factories import SessionFactory
from tests.factories import SessionReportFactory
from tests.factories.roundtable import MeetingFactory
from tests.factories.roundtable import PitchFactory


@pytest.fixture
def meeting(db):
    provider = ProviderFactory()
    session = SessionFactory()
    pitch = PitchFactory(provider=provider, event=session.event, session=session)
    return MeetingFactory(pitch=pitch)


@pytest.fixture
def provider_user(meeting):
    return MembershipFactory(member_state=None, provider=meeting.pitch.provider).user


def commit(user, meeting, **more):
    data = {
        "title": "Forensics training for two LDCs",
        "amount": Decimal("200000"),
        "currency": "EUR",
        "due_on": dt.date(2027, 12, 31),
        "countries": ["AFG", "NPL"],
        "for_ldcs": True,
        "report_every_months": 6,
        **more,
    }
    return services.record_commitment(
        user=user, provider_id=meeting.pitch.provider_id, data=data, meeting=meeting
    )


def test_a_commitment_made_at_a_meeting_links_pitch_session_and_event(
    meeting, provider_user
):
    ExchangeRate.objects.create(
        currency="EUR", valid_from="2020-01-01", usd_per_unit=Decimal("1.1")
    )

    commitment = commit(provider_user, meeting)

    assert (commitment.pitch, commitment.session, commitment.event) == (
        meeting.pitch,
        meeting.pitch.session,
        meeting.pitch.event,
    )
    assert sorted(commitment.countries.values_list("iso3", flat=True)) == [
        "AFG",
        "NPL",
    ]
    assert commitment.amount_usd == Decimal("220000.00")
    assert commitment.state == "announced"


def test_only_the_committing_organisation_records_and_reports(meeting, db):
    outsider = MembershipFactory(member_state=None, provider=ProviderFactory()).user

    with pytest.raises(PermissionDenied):
        commit(outsider, meeting)
    assert not Commitment.objects.exists()


def test_an_amount_or_something_in_kind_is_required(meeting, provider_user):
    with pytest.raises(ValidationError) as raised:
        commit(provider_user, meeting, amount=None)

    assert "amount" in raised.value.message_dict
    assert not Commitment.objects.exists()


def test_a_due_report_reminds_the_provider_once_then_a_report_moves_it_on(
    meeting, provider_user
):
    commitment = commit(provider_user, meeting)
    due = commitment.next_report_due

    assert services.send_due_reminders(today=due - dt.timedelta(days=1)) == 0
    assert services.send_due_reminders(today=due) == 1
    assert services.send_due_reminders(today=due) == 0  # once per due date
    sweep(older_than=dt.timedelta(0))
    event = OutboxEvent.objects.get(kind="reminder")
    assert event.payload == {"reminder": "commitment-report", "due": due.isoformat()}
    assert list(
        Notification.objects.filter(event=event).values_list("user", flat=True)
    ) == [provider_user.pk]

    services.report_progress(
        user=provider_user,
        commitment=commitment,
        narrative="Half the courses are given.",
        share_delivered=50,
        spend=Decimal("90000"),
        evidence_links=["https://example.org/report.pdf"],
    )

    commitment.refresh_from_db()
    assert (commitment.state, commitment.share_delivered) == ("in_progress", 50)
    assert commitment.next_report_due == add_months(due, 6)


def test_evidence_must_be_web_addresses_and_nothing_is_written_otherwise(
    meeting, provider_user
):
    commitment = commit(provider_user, meeting)

    with pytest.raises(ValidationError):
        services.report_progress(
            user=provider_user,
            commitment=commitment,
            narrative="x",
            share_delivered=10,
            evidence_links=["javascript:alert(1)"],
        )

    assert not commitment.reports.exists()
    commitment.refresh_from_db()
    assert commitment.share_delivered == 0


def test_a_withdrawn_commitment_takes_no_report_and_cannot_come_back(
    meeting, provider_user
):
    commitment = commit(provider_user, meeting)
    services.set_commitment_state(
        user=provider_user, commitment=commitment, state="withdrawn"
    )

    with pytest.raises(ValidationError):
        services.set_commitment_state(
            user=provider_user, commitment=commitment, state="in_progress"
        )
    with pytest.raises(ValidationError):
        services.report_progress(
            user=provider_user, commitment=commitment, narrative="x", share_delivered=5
        )


def test_pages_and_api_show_commitments_to_everyone_and_the_session_report_lists_them(
    client, meeting, provider_user
):
    commitment = commit(provider_user, meeting)
    SessionReportFactory(
        session=meeting.pitch.session,
        published_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )

    listing = client.get("/roundtable/commitments/").content.decode()
    api = client.get("/api/v1/commitments/").json()
    report = client.get(f"/roundtable/sessions/{meeting.pitch.session_id}/report/")

    assert commitment.title in listing
    assert [c["ref"] for c in api["results"]] == [commitment.ref]
    assert api["results"][0]["countries"] == ["AFG", "NPL"]
    assert commitment.title in report.content.decode()


def test_the_provider_records_on_the_page_and_reports_through_the_api(
    client, meeting, provider_user
):
    client.force_login(provider_user)

    response = client.post(
        f"/roundtable/commitments/new/?meeting={meeting.pk}",
        {
            "provider": meeting.pitch.provider_id,
            "title": "Two LDCs",
            "in_kind": "Ten training places",
            "currency": "USD",
            "due_on": "2027-06-30",
            "countries": ["AFG", "NPL"],
            "report_every_months": "3",
        },
    )
    commitment = Commitment.objects.get()
    api = client.post(
        f"/api/v1/commitments/{commitment.ref}/reports/",
        {"narrative": "Half done", "share_delivered": 50},
        content_type="application/json",
    )

    assert response.status_code == 302
    assert api.status_code == 201
    commitment.refresh_from_db()
    assert commitment.share_delivered == 50


def test_a_report_sent_before_the_digest_takes_its_reminder_out_of_it(
    meeting, provider_user, time_machine
):
    commitment = commit(provider_user, meeting)
    due = commitment.next_report_due
    preferences.set_mail_modes(user=provider_user, modes={"reminders": "daily"})
    time_machine.move_to(dt.datetime.combine(due, dt.time(9), tzinfo=dt.UTC))
    assert services.send_due_reminders(today=due) == 1
    sweep(older_than=dt.timedelta(0))
    time_machine.move_to(dt.datetime.combine(due, dt.time(12), tzinfo=dt.UTC))
    waiting = OutboxEvent.objects.filter(kind="reminder")
    assert reports_still_due(waiting, timezone.now()) == {waiting.get().pk}

    services.report_progress(
        user=provider_user,
        commitment=commitment,
        narrative="The first course is given.",
        share_delivered=20,
    )
    time_machine.move_to(
        dt.datetime.combine(due + dt.timedelta(days=1), dt.time(6), tzinfo=dt.UTC)
    )
    assert reports_still_due(waiting, timezone.now()) == set()
    build_digests(period="daily")
    assert not MailMessage.objects.filter(
        user=provider_user, key__startswith="digest:daily:"
    ).exists()
