"""Database constraints and single-row rules of the matchmaking models."""

import datetime as dt
import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db import transaction

from matchmaking.models import Country
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Provider
from tests.factories import MatchFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_match_is_unique_per_need_and_programme():
    match = MatchFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(need=match.need, programme=match.programme, score=0.5)
    assert Match.objects.count() == 1


@pytest.mark.parametrize("score", [-0.1, 1.5])
def test_a_match_score_stays_in_the_unit_interval(score):
    need, programme = NeedFactory(), ProgrammeFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Match.objects.create(need=need, programme=programme, score=score)
    assert Match.objects.count() == 0


def test_a_match_rating_is_from_1_to_5():
    match = MatchFactory()
    match.feedback_rating = 6
    with pytest.raises(IntegrityError), transaction.atomic():
        match.save()
    match.refresh_from_db()
    assert match.feedback_rating is None


def test_a_membership_links_to_exactly_one_organisation():
    user = UserFactory()
    state = MemberStateFactory()
    provider = ProviderFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, member_state=state, provider=provider)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user)
    assert Membership.objects.count() == 0


def test_a_user_joins_a_state_once():
    user = UserFactory()
    state = MemberStateFactory()
    Membership.objects.create(user=user, member_state=state)
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=user, member_state=state)
    assert Membership.objects.count() == 1


def test_a_programme_cannot_end_before_it_starts():
    programme = ProgrammeFactory()
    programme.starts_on = dt.date(2027, 1, 1)
    programme.ends_on = dt.date(2026, 1, 1)
    with pytest.raises(ValidationError) as excinfo:
        programme.full_clean()
    assert "ends_on" in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        programme.save()


def test_a_verified_provider_records_when():
    provider = ProviderFactory()
    provider.is_verified = True
    with pytest.raises(IntegrityError), transaction.atomic():
        provider.save(update_fields=["is_verified"])
    assert Provider.objects.get(pk=provider.pk).is_verified is False


def test_only_un_member_and_observer_states_can_be_member_states():
    puerto_rico = Country.objects.get(iso3="PRI")
    with pytest.raises(ValidationError) as excinfo:
        MemberState(country=puerto_rico).full_clean()
    assert excinfo.value.message_dict == {
        "country": ["Only UN member and observer states can post needs."]
    }
    MemberState(country=Country.objects.get(iso3="PSE")).full_clean()


def test_refs_are_generated_and_unique():
    state = MemberStateFactory()
    first = Need.objects.create(member_state=state, title="A")
    second = Need.objects.create(member_state=state, title="B")
    assert first.ref.startswith("need-")
    assert first.ref != second.ref


def test_names_follow_the_active_language():
    from django.utils import translation

    senegal = Country.objects.get(iso3="SEN")
    with translation.override("fr"):
        assert str(senegal) == "Sénégal"
    with translation.override("en"):
        assert str(senegal) == "Senegal"


def test_the_name_key_migration_keeps_existing_duplicates_apart(db):
    """Issue 14, finding 7: rows from before the constraint get their keys; a
    name already taken twice keeps the oldest (verified first) on the plain key."""
    migration = importlib.import_module("matchmaking.migrations.0012_provider_name_key")
    first = ProviderFactory(name="Alpha Cyber")
    second = ProviderFactory(name="Beta")
    Provider.objects.filter(pk=second.pk).update(name="ALPHA cyber", name_key="old")
    Provider.objects.filter(pk=first.pk).update(name_key="")

    migration.compute_name_keys(django_apps, None)

    assert dict(
        Provider.objects.filter(pk__in=[first.pk, second.pk]).values_list(
            "pk", "name_key"
        )
    ) == {first.pk: "alpha cyber", second.pk: f"alpha cyber#{second.pk}"}
