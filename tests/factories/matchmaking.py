"""Factories of the matchmaking models."""

import factory
from factory.django import DjangoModelFactory

from matchmaking import coordination_cells
from matchmaking.enums import MembershipRole
from matchmaking.enums import NeedStatus
from matchmaking.enums import ProgrammeStatus
from matchmaking.enums import Visibility
from matchmaking.models import Country
from matchmaking.models import Match
from matchmaking.models import Membership
from matchmaking.models import MemberState
from matchmaking.models import Message
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from matchmaking.models import StakeholderGroup
from matchmaking.models import User

TEST_PASSWORD = "correct-horse-battery-staple-42"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password(TEST_PASSWORD)


class MemberStateFactory(DjangoModelFactory):
    class Meta:
        model = MemberState
        django_get_or_create = ("country",)

    country = factory.LazyFunction(lambda: Country.objects.get(iso3="SEN"))


class ProviderFactory(DjangoModelFactory):
    class Meta:
        model = Provider

    ref = factory.Sequence(lambda n: f"provider-{n}")
    name = factory.Sequence(lambda n: f"Provider {n}")
    stakeholder_group = factory.LazyFunction(
        lambda: StakeholderGroup.objects.get(slug="intergovernmental")
    )
    country = factory.LazyFunction(lambda: Country.objects.get(iso3="CHE"))
    website = "https://provider.example.org"
    description = "A provider of cyber capacity-building programmes."


class MembershipFactory(DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    member_state = factory.SubFactory(MemberStateFactory)
    provider = None
    role = MembershipRole.FOCAL_POINT


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"programme-{n}")
    provider = factory.SubFactory(ProviderFactory)
    title = factory.Sequence(lambda n: f"National CSIRT support {n}")
    summary = "Helps countries set up a national CSIRT."
    description = "Assessment, design and launch of a national incident response team."
    status = ProgrammeStatus.PUBLISHED

    @classmethod
    def _generate(cls, strategy, params):
        # The programme and its tags, written as the record services write
        # them: the coordination cells refreshed once at the end, not once
        # for the row and again for each tag set.
        if strategy != factory.enums.CREATE_STRATEGY:
            return super()._generate(strategy, params)
        with coordination_cells.batched():
            return super()._generate(strategy, params)

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        if create:
            obj.topics.set(
                extracted if extracted is not None else ["csirt-establishment"]
            )

    @factory.post_generation
    def languages(obj, create, extracted, **kwargs):
        if create:
            obj.languages.set(extracted if extracted is not None else ["en", "fr"])


class NeedFactory(DjangoModelFactory):
    class Meta:
        model = Need
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"need-{n}")
    member_state = factory.SubFactory(MemberStateFactory)
    title = factory.Sequence(lambda n: f"Establish a national CSIRT {n}")
    description = "We need help to establish our national CSIRT."
    status = NeedStatus.OPEN
    visibility = Visibility.PUBLIC

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        if create:
            obj.topics.set(
                extracted if extracted is not None else ["csirt-establishment"]
            )

    @factory.post_generation
    def languages(obj, create, extracted, **kwargs):
        if create:
            obj.languages.set(extracted if extracted is not None else ["fr"])


class MatchFactory(DjangoModelFactory):
    class Meta:
        model = Match

    need = factory.SubFactory(NeedFactory)
    programme = factory.SubFactory(ProgrammeFactory)
    score = 0.8
    rank = 1


class MessageFactory(DjangoModelFactory):
    """A message of the state's side on an introduced match (make it so first)."""

    class Meta:
        model = Message

    match = factory.SubFactory(MatchFactory, status="introduced")
    side = "state"
    body = factory.Sequence(lambda n: f"Message {n}: when could we start?")
