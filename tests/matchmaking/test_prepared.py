"""Prepared reads give what their queryset gives, building it once per shape."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import F

from matchmaking import prepared
from matchmaking import selectors
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.prepared import Prepared
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import NeedFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_shapes():
    prepared._shapes.clear()
    yield
    prepared._shapes.clear()


def _matches_of(need_id: int):
    return (
        Match.objects.select_related("programme__provider")
        .only(
            "id",
            "need_id",
            "score",
            "reasons",
            "programme__ref",
            "programme__provider__ref",
        )
        .filter(need=need_id)
        .order_by(F("rank").asc(nulls_last=True), "-score", "programme_id")
    )


def _same(found, expected) -> None:
    """Same rows, same loaded columns and relations, same values."""
    assert [m.pk for m in found] == [m.pk for m in expected]
    for mine, theirs in zip(found, expected, strict=True):
        assert mine.get_deferred_fields() == theirs.get_deferred_fields()
        assert mine.reasons == theirs.reasons  # JSON converted as the ORM does
        assert mine.programme.ref == theirs.programme.ref
        assert mine.programme.get_deferred_fields() == (
            theirs.programme.get_deferred_fields()
        )
        assert mine.programme.provider.ref == theirs.programme.provider.ref
        assert mine._state.db == theirs._state.db
        assert not mine._state.adding


def test_a_prepared_page_gives_the_querysets_rows_and_relations(
    django_assert_num_queries,
):
    needs = [NeedFactory(), NeedFactory()]
    for need in needs:
        for rank in (2, 1, None):
            MatchFactory(need=need, rank=rank, reasons=[{"code": "x", "params": {}}])
    built = []

    def build(need_id):
        built.append(need_id)
        return _matches_of(need_id)

    for need in needs:
        page = Prepared(("test", "page"), build, need.pk)
        with django_assert_num_queries(1):  # the page; its relations are read
            rows = page[0:2]
            [m.programme.provider.ref for m in rows]
        _same(rows, list(_matches_of(need.pk)[0:2]))
        assert page.count() == 3
        assert page[2:5][0].pk == _matches_of(need.pk)[2].pk
    # Built for each shape once (the page, the count, the second page), with
    # stand-ins: never with a real id.
    assert len(built) == 3
    assert all(need_id < 0 for need_id in built)


def test_a_prepared_get_finds_one_row_or_says_none():
    need = NeedFactory(ref="need-x")
    NeedFactory(ref="need-y")

    def build(ref):
        return (
            Need.objects.select_related("member_state")
            .only("id", "ref", "member_state__country_id")
            .filter(ref=ref)
        )

    found = Prepared(("test", "get"), build, "need-x").get()
    assert found.pk == need.pk
    assert found.member_state.country_id == need.member_state.country_id
    with pytest.raises(Need.DoesNotExist):
        Prepared(("test", "get"), build, "need-z").get()


def test_a_shape_that_matches_nothing_asks_nothing(django_assert_num_queries):
    def build(programme_id):
        return (
            Programme.objects.filter(pk=programme_id).filter(pk__in=[]).order_by("id")
        )

    read = Prepared(("test", "none"), build, 3)
    read[0:1]  # built once
    with django_assert_num_queries(0):
        assert read[0:1] == []
        assert read.count() == 0


def test_a_slot_the_statement_does_not_carry_as_given_is_refused():
    def build(ref):  # icontains sends "%ref%", not the value itself
        return Need.objects.filter(ref__icontains=ref).order_by("id")

    with pytest.raises(ValueError, match="slot"):
        Prepared(("test", "contains"), build, "need")[0:1]


def test_only_ints_and_strs_fill_slots():
    with pytest.raises(TypeError):
        Prepared(("test", "date"), lambda day: Need.objects.all(), None)[0:1]


def test_a_signature_names_what_visibility_reads():
    curator = UserFactory(is_curator=True)
    MembershipFactory(user=curator)  # a curator's organisations change nothing
    state_user = UserFactory()
    state = MembershipFactory(user=state_user).member_state
    provider_user = UserFactory(is_active=False)
    provider = ProviderFactory()
    MembershipFactory(user=provider_user, member_state=None, provider=provider)
    assert selectors.signature_of(user=curator) == selectors.Signature(
        curator=True, active=True, states=frozenset(), providers=frozenset()
    )
    assert selectors.signature_of(user=state_user) == selectors.Signature(
        curator=False, active=True, states=frozenset({state.pk}), providers=frozenset()
    )
    # An inactive user's providers still name their draft programmes.
    assert selectors.signature_of(user=provider_user) == selectors.Signature(
        curator=False,
        active=False,
        states=frozenset(),
        providers=frozenset({provider.pk}),
    )
    assert selectors.signature_of(user=AnonymousUser()) == selectors.Signature(
        curator=False, active=False, states=frozenset(), providers=frozenset()
    )


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements: PostgreSQL"
)
def test_on_postgresql_the_server_prepares_a_prepared_reads_statement():
    need = NeedFactory()
    MatchFactory(need=need)
    page = Prepared(("test", "server"), _matches_of, need.pk)
    assert [m.need_id for m in page[0:5]] == [need.pk]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s",
            ['SELECT "matchmaking_match"."id"%'],
        )
        assert len(cursor.fetchall()) == 1


def test_without_a_prepare_threshold_the_connections_own_cursor_is_used(settings):
    options = connection.settings_dict["OPTIONS"]
    kept = options.pop("prepare_threshold", None)
    try:
        with prepared.cursor() as cursor:
            assert not isinstance(cursor.cursor, prepared._PreparingCursor)
    finally:
        if kept is not None:
            options["prepare_threshold"] = kept
