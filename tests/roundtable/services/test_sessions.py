"""Breakout registration with capacity; rapporteurs write and publish reports."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.utils import timezone

from roundtable import services
from roundtable.models import BreakoutRegistration
from roundtable.models import Session
from roundtable.models import SessionReport


def test_registration_takes_a_seat_until_the_breakout_is_full(cast):
    services.register_for_breakout(user=cast.delegate, session=cast.breakout)
    services.register_for_breakout(user=cast.presenter, session=cast.breakout)
    with pytest.raises(ValidationError) as refused:
        services.register_for_breakout(user=cast.outsider, session=cast.breakout)
    assert refused.value.messages == ["This breakout is full."]
    with pytest.raises(ValidationError) as refused:
        services.register_for_breakout(user=cast.delegate, session=cast.breakout)
    assert refused.value.messages == ["You are already registered."]
    services.cancel_breakout_registration(user=cast.delegate, session=cast.breakout)
    services.register_for_breakout(user=cast.outsider, session=cast.breakout)
    assert sorted(
        BreakoutRegistration.objects.values_list("user__username", flat=True)
    ) == ["outsider", "presenter"]
    with pytest.raises(ValidationError) as refused:
        services.cancel_breakout_registration(user=cast.delegate, session=cast.breakout)
    assert refused.value.messages == ["You are not registered for this breakout."]


def test_only_breakouts_that_have_not_started_take_registrations(cast):
    with pytest.raises(ValidationError) as refused:
        services.register_for_breakout(user=cast.delegate, session=cast.opening)
    assert refused.value.messages == ["Registration is for breakout sessions."]
    Session.objects.filter(pk=cast.breakout.pk).update(
        starts_at=timezone.now() - dt.timedelta(minutes=5)
    )
    with pytest.raises(ValidationError) as refused:
        services.register_for_breakout(user=cast.delegate, session=cast.breakout)
    assert refused.value.messages == ["This breakout has started."]
    assert not BreakoutRegistration.objects.exists()


def test_a_breakout_without_capacity_takes_everyone(cast):
    Session.objects.filter(pk=cast.breakout.pk).update(capacity=None)
    for user in (cast.delegate, cast.presenter, cast.outsider, cast.curator):
        services.register_for_breakout(user=user, session=cast.breakout)
    assert BreakoutRegistration.objects.count() == 4


def test_the_rapporteur_writes_and_publishes_the_report(cast):
    with pytest.raises(PermissionDenied):
        services.assign_rapporteur(
            user=cast.presenter, session=cast.breakout, rapporteur=cast.presenter
        )
    services.assign_rapporteur(
        user=cast.curator, session=cast.breakout, rapporteur=cast.colleague
    )
    with pytest.raises(ValidationError) as refused:
        services.publish_session_report(
            user=cast.colleague, report=SessionReport.objects.get()
        )
    assert refused.value.message_dict == {
        "summary": ["Write the summary before publishing."]
    }
    for intruder in (cast.presenter, cast.outsider):
        with pytest.raises(PermissionDenied):
            services.write_session_report(
                user=intruder, session=cast.breakout, data={"summary": "Hijack"}
            )
    report = services.write_session_report(
        user=cast.colleague,
        session=cast.breakout,
        data={
            "summary": "States asked for help with national strategies.",
            "key_issues": "Sequencing of support.",
            "commitments": "Two providers offered reviews.",
        },
    )
    services.publish_session_report(user=cast.colleague, report=report)
    report.refresh_from_db()
    assert (report.rapporteur, report.summary, report.published_at is not None) == (
        cast.colleague,
        "States asked for help with national strategies.",
        True,
    )
    with pytest.raises(ValidationError) as refused:
        services.publish_session_report(user=cast.curator, report=report)
    assert refused.value.messages == ["This report is already published."]


def test_the_chair_writes_the_report_of_a_session_without_a_rapporteur(cast):
    Session.objects.filter(pk=cast.opening.pk).update(chair=cast.colleague)
    cast.opening.refresh_from_db()
    report = services.write_session_report(
        user=cast.colleague, session=cast.opening, data={"summary": "Opened."}
    )
    assert (report.rapporteur, report.summary) == (cast.colleague, "Opened.")
