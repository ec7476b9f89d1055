"""Learning from answers: declines with a kind of reason are labelled data."""

from __future__ import annotations

import io
import json

from django.core.management import call_command

from matchmaking import services
from matchmaking.enums import MatchStatus
from matchmaking.models import Match
from tests.factories import MatchFactory
from tests.factories import MembershipFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory


def test_declines_keep_their_kind_and_the_report_measures_the_engine(db):
    need = NeedFactory(ref="need")
    focal = UserFactory(username="focal")
    MembershipFactory(user=focal, member_state=need.member_state)
    taken = MatchFactory(
        need=need, programme=ProgrammeFactory(ref="taken"), score=0.8, rank=1
    )
    Match.objects.filter(pk=taken.pk).update(status=MatchStatus.INTEREST)
    for ref, score in (("below", 0.5), ("above", 0.9)):
        match = MatchFactory(
            need=need, programme=ProgrammeFactory(ref=ref), score=score
        )
        services.transition_match(
            user=focal,
            match=match,
            action="decline",
            note="Off topic for us.",
            decline_code="not_relevant",
        )
    assert set(Match.objects.values_list("decline_code", flat=True)) == {
        "",
        "not_relevant",
    }
    labels = io.StringIO()
    call_command("engine_agreement", "--labels", stdout=labels)
    assert [(a["programme"], a["label"]) for a in json.loads(labels.getvalue())] == [
        ("above", "not_relevant"),
        ("below", "not_relevant"),
        ("taken", "taken_up"),
    ]
    report = io.StringIO()
    call_command("engine_agreement", stdout=report)
    assert report.getvalue().splitlines()[0] == (
        "3 answered suggestions; 2 pairs (taken up vs declined as not relevant, "
        "same need); agreement 0.5"
    )
