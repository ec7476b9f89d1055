"""Reads: pitches for you, the review queue, the balance view, breakouts, reports."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from matchmaking.enums import MatchStatus
from matchmaking.enums import NeedStatus
from matchmaking.models import Country
from matchmaking.models import StakeholderGroup
from roundtable import selectors
from roundtable.enums import PitchState
from tests.factories import MatchFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import ReviewFactory
from tests.factories import SessionReportFactory
from tests.roundtable.conftest import close_call
from tests.roundtable.conftest import make_pitch
from tests.roundtable.conftest import suggested_match

S = PitchState


def pitch_with(cast, ref: str, topics, *, state=S.CONFIRMED, **provider):
    provider = ProviderFactory(ref=ref, name=ref.title(), **provider)
    programme = ProgrammeFactory(
        ref=f"{ref}-prog",
        title=f"{ref.title()} programme",
        provider=provider,
        topics=list(topics),
    )
    return make_pitch(
        cast,
        state=state,
        provider=provider,
        programmes=[programme],
        title=f"{ref.title()} pitch",
        deck=False,
    ), programme


def test_pitches_for_a_state_come_from_matches_then_shared_topics(cast):
    close_call(cast, release=True)
    matched = make_pitch(cast, state=S.SCHEDULED)
    suggested_match(cast)
    overlap, _ = pitch_with(cast, "overlap", ["csirt-establishment", "cyber-exercises"])
    pitch_with(cast, "unrelated", ["critical-infrastructure"])
    hidden, hidden_prog = pitch_with(
        cast, "hidden", ["csirt-establishment"], state=S.SUBMITTED
    )
    MatchFactory(need=cast.need, programme=hidden_prog, score=0.99)
    declined, declined_prog = pitch_with(cast, "declined", ["cybercrime-legislation"])
    MatchFactory(
        need=cast.need, programme=declined_prog, score=0.9, status=MatchStatus.DECLINED
    )
    NeedFactory(member_state=cast.state, status=NeedStatus.CLOSED, topics=["awareness"])
    awareness, _ = pitch_with(cast, "awareness", ["awareness"])

    found = selectors.pitches_for(user=cast.delegate, event=cast.event)
    assert [(f.pitch.pk, f.score, f.reasons, f.need_ids) for f in found] == [
        (
            matched.pk,
            0.82,
            (
                "Matches your need “A national CSIRT for Senegal” through "
                "CSIRT Launchpad (score 0.82)",
                "Both concern CSIRTs",
            ),
            (cast.need.pk,),
        ),
        (
            overlap.pk,
            0.5,
            (
                "Shares topics with your need “A national CSIRT for Senegal”: "
                "Establishing and maturing national CSIRTs/CERTs",
            ),
            (cast.need.pk,),
        ),
    ]
    assert {hidden.pk, declined.pk, awareness.pk}.isdisjoint(f.pitch.pk for f in found)
    for user in (cast.other_delegate, cast.presenter, cast.curator, AnonymousUser()):
        assert selectors.pitches_for(user=user, event=cast.event) == []


def test_a_staged_acceptance_is_not_for_you_yet(cast):
    close_call(cast)
    make_pitch(cast, state=S.ACCEPTED)
    suggested_match(cast)
    assert selectors.pitches_for(user=cast.delegate) == []


def test_the_review_queue_aggregates_weighted_scores(cast):
    strong = make_pitch(cast, state=S.IN_REVIEW, title="Strong")
    weak, _ = pitch_with(cast, "weak", ["awareness"], state=S.IN_REVIEW)
    pitch_with(cast, "fresh", ["awareness"], state=S.SUBMITTED)
    pitch_with(cast, "draft", ["awareness"], state=S.DRAFT)
    ReviewFactory(
        pitch=strong,
        curator=cast.curator,
        relevance=5,
        clarity=4,
        feasibility=4,
        reach=3,
    )
    ReviewFactory(
        pitch=strong,
        curator=cast.second_curator,
        relevance=4,
        clarity=4,
        feasibility=4,
        reach=4,
    )
    ReviewFactory(
        pitch=weak, curator=cast.curator, relevance=1, clarity=2, feasibility=3, reach=1
    )
    rows = [
        (
            p.title,
            p.review_count,
            round(p.score, 2) if p.score is not None else None,
            p.avg_relevance,
            p.reviewed_by_me,
        )
        for p in selectors.review_queue(user=cast.second_curator, event=cast.event)
    ]
    assert rows == [
        ("Strong", 2, 4.1, 4.5, True),  # (4.2 + 4.0) / 2
        ("Weak pitch", 1, 1.6, 1.0, False),
        ("Fresh pitch", 0, None, None, False),
    ]
    assert list(selectors.review_queue(user=cast.presenter, event=cast.event)) == []
    assert list(selectors.reviews_visible_to(user=cast.presenter)) == []
    assert selectors.reviews_visible_to(user=cast.curator).count() == 3


def test_the_balance_view_counts_accepted_pitches(cast):
    make_pitch(cast, state=S.ACCEPTED)
    pitch_with(
        cast,
        "academy",
        ["cybercrime-legislation"],
        state=S.SCHEDULED,
        stakeholder_group=StakeholderGroup.objects.get(slug="academia"),
        country=Country.objects.get(iso3="KEN"),
    )
    pitch_with(cast, "nope", ["awareness"], state=S.REJECTED)
    balance = selectors.pitch_balance(user=cast.curator, event=cast.event)
    assert balance == selectors.PitchBalance(
        total=2,
        themes=(
            ("Cyber Incident Management and Critical Infrastructure Protection", 1),
            ("Cybercrime", 1),
        ),
        regions=(("Africa", 1), ("Europe", 1)),
        stakeholder_groups=(("Academia", 1), ("Intergovernmental organization", 1)),
    )
    assert selectors.pitch_balance(user=cast.presenter, event=cast.event) is None


def test_breakouts_show_seats_taken_and_ones_own_registration(cast):
    from roundtable import services

    services.register_for_breakout(user=cast.delegate, session=cast.breakout)
    rows = [
        (s.title, s.capacity, s.seats_taken, s.is_registered)
        for s in selectors.breakouts_of(user=cast.delegate, event=cast.event)
    ]
    assert rows == [("ICT policies and governance structures", 2, 1, True)]
    rows = [
        (s.seats_taken, s.is_registered)
        for s in selectors.breakouts_of(user=AnonymousUser(), event=cast.event)
    ]
    assert rows == [(1, False)]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("curator", ["draft", "published"]),
        ("rapporteur", ["draft", "published"]),
        ("outsider", ["published"]),
        ("anonymous", ["published"]),
    ],
)
def test_draft_reports_are_seen_by_curators_and_their_rapporteur(cast, who, expected):
    from django.utils import timezone

    SessionReportFactory(
        session=cast.breakout, rapporteur=cast.colleague, summary="draft"
    )
    SessionReportFactory(
        session=cast.opening, summary="published", published_at=timezone.now()
    )
    user = {
        "curator": cast.curator,
        "rapporteur": cast.colleague,
        "outsider": cast.outsider,
        "anonymous": AnonymousUser(),
    }[who]
    found = sorted(r.summary for r in selectors.reports_visible_to(user=user))
    assert found == expected


def test_reviewers_see_the_needs_a_pitch_answers(cast):
    pitch = make_pitch(cast, state=PitchState.IN_REVIEW)
    match = suggested_match(cast)
    found = selectors.needs_answered_by(user=cast.curator, pitch=pitch)
    assert [(m.need.ref, m.programme.ref) for m in found] == [
        (match.need.ref, match.programme.ref)
    ]
