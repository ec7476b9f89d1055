"""The engine's text analyses kept for the next process: read back, pruned."""

import pytest

from matchmaking import suggestions
from matchmaking.engine.text.analyser import Lexicon
from matchmaking.engine.text.analyser import default_lexicon
from matchmaking.models import Match
from matchmaking.models import Need
from matchmaking.models import TextAnalysis
from matchmaking.text_analyses import keep_analyses
from matchmaking.text_analyses import stored_analyses
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


def suggested():
    return list(
        Match.objects.order_by("need__ref", "rank").values_list(
            "need__ref", "programme__ref", "rank", "score", "components", "reasons"
        )
    )


@pytest.fixture
def records():
    ProgrammeFactory(
        ref="csirt",
        title="Establishing a national CSIRT",
        description="Readiness assessment and launch of a national incident "
        "response team.",
        topics=["csirt-establishment"],
        languages=["en"],
    )
    ProgrammeFactory(
        ref="forensics",
        title="Laboratoire de criminalistique numérique",
        description="Formation des enquêteurs à la preuve électronique.",
        topics=["digital-forensics"],
        languages=["en"],
    )
    return NeedFactory(
        title="A national CSIRT",
        description="We want an incident response team and forensic training.",
        languages=["en"],
    )


def count_analyses(monkeypatch) -> list[int]:
    """How many texts each call of the lexicon analyses, from now on."""
    analysed: list[int] = []
    real = Lexicon.profiles
    monkeypatch.setattr(
        Lexicon,
        "profiles",
        lambda self, texts, **kw: (
            analysed.append(len(texts)) or real(self, texts, **kw)
        ),
    )
    return analysed


def test_a_new_process_reads_the_analyses_a_rematch_stored(records, monkeypatch):
    suggestions.reset_engine()
    suggestions.rematch_all()
    assert TextAnalysis.objects.count() == 3
    first = suggested()
    # A new process (nothing in memory) analyses no text again, and ranks
    # the same.
    suggestions.reset_engine()
    analysed = count_analyses(monkeypatch)
    suggestions.rematch_all()
    assert analysed == []
    assert suggested() == first


def test_an_edited_text_is_analysed_again_and_its_old_analysis_dropped(
    records, monkeypatch
):
    suggestions.reset_engine()
    suggestions.rematch_all()
    before = set(TextAnalysis.objects.values_list("digest", flat=True))
    Need.objects.filter(pk=records.pk).update(description="Forensic training only.")
    suggestions.reset_engine()
    analysed = count_analyses(monkeypatch)
    suggestions.rematch_all()
    after = set(TextAnalysis.objects.values_list("digest", flat=True))
    assert analysed == [1]
    assert (len(before - after), len(after - before), len(after)) == (1, 1, 3)


def test_stored_analyses_are_the_analyses_made():
    lexicon = default_lexicon()
    key = ("Incident response", "Für CERT-Teams, 国家 CSIRT", "Formation à la réponse.")
    made = lexicon.profile(
        dict(zip(("title", "summary", "description"), key, strict=True))
    )
    other = ("Cloud security", "", "")
    assert keep_analyses({key: made}, used=[key, other]) == (1, 0)
    assert stored_analyses([key, other]) == {key: made}
    # Another lexicon's analyses are not those of this one.
    assert stored_analyses([key], fingerprint="another") == {}
    assert keep_analyses({}, used=[other]) == (0, 1)
    assert TextAnalysis.objects.count() == 0


def test_stored_analyses_share_their_stems_and_weights_between_texts():
    lexicon = default_lexicon()
    keys = [
        ("Incident response", "CSIRT training", "Incident response for CSIRT teams."),
        ("Incident handling", "CSIRT exercises", "Incident response exercises."),
    ]
    made = {
        key: lexicon.profile(
            dict(zip(("title", "summary", "description"), key, strict=True))
        )
        for key in keys
    }
    keep_analyses(made, used=keys)
    read = stored_analyses(keys)
    # The same values and types, in the same order...
    assert read == made
    for key in keys:
        for name in ("concepts", "topics", "audiences", "assistance_types", "words"):
            got, want = getattr(read[key], name), getattr(made[key], name)
            assert list(got.items()) == list(want.items())
            assert [type(v) for v in got.values()] == [type(v) for v in want.values()]
    # ... and one object for a stem both texts use.
    first, second = (read[key].words for key in keys)
    both = [stem for stem in second if stem in first]
    assert both
    in_first = {stem: stem for stem in first}
    assert all(in_first[stem] is stem for stem in both)
