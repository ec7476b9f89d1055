"""Every admin changelist and add page loads for a curator."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from matchmaking.models import ApiToken
from matchmaking.models import Invitation
from matchmaking.models import MatchEvent
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import PitchFactory
from tests.factories import SessionReportFactory
from tests.factories import TimeSlotFactory

pytestmark = pytest.mark.django_db

# Users, groups and two-factor devices are for superusers only.
MODELS = [
    model
    for model in admin.site._registry
    if model._meta.app_label not in {"auth", "otp_totp"}
]


def test_every_project_model_is_in_the_admin():
    from django.apps import apps

    from matchmaking.models import AllocationSlate
    from matchmaking.models import ConversationRead
    from matchmaking.models import NearMiss
    from matchmaking.models import Notification
    from matchmaking.models import NotificationPreference
    from matchmaking.models import SavedSearch
    from matchmaking.models import SignInThrottle
    from matchmaking.models import SuggestedChange
    from matchmaking.models import TextAnalysis

    # Historical models (the audit trail) are read through each model's
    # "History" page, not registered on their own; the sign-in throttle's
    # counters are bookkeeping that no one edits (a successful sign-in or a
    # password reset clears them); notifications, notification settings,
    # saved searches and conversation read markers are each person's own,
    # kept on their pages only; near misses and the advisor's changes are the
    # engine's, rewritten by every refresh and shown on the pages of the
    # records they concern, and the allocation slates are read on the
    # allocation page; the kept text analyses are the engine's bookkeeping.
    own = {Notification, NotificationPreference, SavedSearch, ConversationRead}
    derived = {NearMiss, SuggestedChange, AllocationSlate, TextAnalysis}
    project = {
        m
        for app in ("matchmaking", "roundtable")
        for m in apps.get_app_config(app).get_models()
        if not m.__name__.startswith("Historical")
        and m is not SignInThrottle
        and m not in own
        and m not in derived
    }
    assert project <= set(admin.site._registry)


@pytest.mark.parametrize(
    "model", MODELS, ids=lambda m: f"{m._meta.app_label}.{m._meta.model_name}"
)
def test_changelist_add_and_change_pages_load_for_a_curator(client, curator, model):
    # A curator is staff but not a superuser: CuratorBackend grants the rights.
    match = MatchFactory()
    MatchEvent.objects.create(match=match, to_status="suggested", actor=curator)
    ApiToken.objects.create(
        user=curator, name="ci", prefix="abcd1234", key_hash="0" * 64
    )
    Invitation.objects.create(
        email="new@example.org",
        token_hash="1" * 64,
        member_state=match.need.member_state,
        expires_at=timezone.now(),
    )
    MembershipFactory()
    PitchFactory()
    TimeSlotFactory()
    SessionReportFactory()
    client.force_login(curator)
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert client.get(reverse(f"{prefix}_changelist")).status_code == 200
    # Records kept as history (published agenda versions) have no add page.
    expected_add = (
        200
        if admin.site._registry[model].has_add_permission(
            type("Request", (), {"user": curator})()
        )
        else 403
    )
    assert client.get(reverse(f"{prefix}_add")).status_code == expected_add
    obj = model._default_manager.first()
    if obj is not None:
        assert client.get(reverse(f"{prefix}_change", args=[obj.pk])).status_code == 200


def test_the_admin_search_finds_a_country_by_name(client, curator):
    client.force_login(curator)
    response = client.get(
        reverse("admin:matchmaking_country_changelist"), {"q": "Sénégal"}
    )
    assert response.status_code == 200
    assert [c.iso3 for c in response.context["cl"].result_list] == ["SEN"]


def test_a_curator_cannot_make_anyone_a_superuser(client, curator):
    from matchmaking.models import User

    client.force_login(curator)
    other = User.objects.create_user("other", password="x-very-long-password-1")
    url = reverse("admin:matchmaking_user_change", args=[other.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields


def test_the_coordination_figures_are_read_only_in_the_admin(curator):
    from matchmaking.models import CoordinationCell
    from matchmaking.models import CoordinationShare
    from matchmaking.models import CoordinationYear
    from matchmaking.models import CoordinationYearTotal

    request = type("Request", (), {"user": curator})()
    for model in (
        CoordinationShare,
        CoordinationCell,
        CoordinationYear,
        CoordinationYearTotal,
    ):
        model_admin = admin.site._registry[model]
        allowed = (
            model_admin.has_add_permission(request),
            model_admin.has_change_permission(request),
            model_admin.has_delete_permission(request),
            model_admin.has_view_permission(request),
        )
        assert allowed == (False, False, False, True), model
