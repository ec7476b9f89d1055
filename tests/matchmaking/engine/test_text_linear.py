"""Text analysis reads a bounded amount of any text (no wall-clock assertions).

The speed figures are in ``bench/text_analysis.py``; these tests prove the bounds
that make the cost linear: what is tokenised, how much is stemmed, and that the
Chinese segmentation gives the same tokens as the plain all-pairs search.
"""

import random

import pytest

from matchmaking.engine.text import han
from matchmaking.engine.text import stemming
from matchmaking.engine.text import tokens
from matchmaking.engine.text.analyser import clear_caches
from matchmaking.engine.text.analyser import default_lexicon

MEGABYTE = 1_000_000


class CountingStemmer:
    """A Snowball stemmer that counts the characters it is given."""

    def __init__(self, inner, counter):
        self.inner = inner
        self.counter = counter

    def stemWord(self, word):
        self.counter["chars"] += len(word)
        self.counter["words"] += 1
        return self.inner.stemWord(word)


@pytest.fixture
def stemmed(monkeypatch):
    """Characters and words handed to the stemmers, from cold caches."""
    default_lexicon()  # built (its terms stemmed) before counting
    counter = {"chars": 0, "words": 0}
    real = stemming._stemmer
    monkeypatch.setattr(
        stemming, "_stemmer", lambda language: CountingStemmer(real(language), counter)
    )
    clear_caches()
    yield counter
    clear_caches()


def _random_tokens(size, seed=1):
    rng = random.Random(seed)  # noqa: S311 (test data, not security)
    words, length = [], 0
    while length < size:
        word = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(2, 12)))
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:size]


def test_tokenize_cuts_one_unbroken_megabyte_word_to_one_short_token():
    assert tokens.tokenize("Ab" * (MEGABYTE // 2)) == ["ab" * 32]


def test_tokenize_reads_only_the_first_analysed_characters():
    text = _random_tokens(MEGABYTE)
    assert tokens.tokenize(text) == tokens.tokenize(text[: tokens.MAX_ANALYSED_CHARS])
    assert len(tokens.tokenize(text)) < tokens.MAX_ANALYSED_CHARS // 2


def test_tokenize_cuts_long_words_next_to_chinese_characters():
    assert tokens.tokenize("网络" + "x" * 100 + " " + "y" * 100) == [
        "网络",
        "x" * 64,
        "y" * 64,
    ]


def test_profile_of_a_megabyte_word_stems_a_bounded_number_of_characters(stemmed):
    default_lexicon().profile({"description": "q" * MEGABYTE})
    # One cut token, stemmed at most once per stemmer (en, fr, es, pt, ru).
    assert stemmed["words"] <= 5
    assert stemmed["chars"] <= 5 * tokens.MAX_TOKEN_CHARS


def test_profile_of_megabyte_random_tokens_stems_only_the_analysed_start(stemmed):
    default_lexicon().profile({"description": _random_tokens(MEGABYTE)})
    # Each token of the first MAX_ANALYSED_CHARS characters at most once per
    # Latin stemmer: bounded by the cap, not by the megabyte.
    assert stemmed["chars"] <= 4 * tokens.MAX_ANALYSED_CHARS


def test_profile_of_a_long_text_is_the_profile_of_its_analysed_start():
    lexicon = default_lexicon()
    start = "National CSIRT incident response training for the police. " * 200
    start = start[: tokens.MAX_ANALYSED_CHARS]
    rest = " Cybercrime legislation and forensics. " * 1000
    assert lexicon.profile({"description": start + rest}) == lexicon.profile(
        {"description": start}
    )


def test_detect_language_reads_only_the_analysed_start():
    english = "the training of the national team and the police " * 500
    assert tokens.detect_language(english + "网络安全" * MEGABYTE) == "en"


def _segment_all_pairs(run):
    """The segmentation with an unbounded look-back (the reference)."""
    terms = han._han_terms()
    found = []
    for start, char in enumerate(run):
        for term, concepts in terms.get(char, ()):
            if run.startswith(term, start):
                end = start + len(term)
                if not any(
                    s <= start and end <= e and concepts & c for s, e, _, c in found
                ):
                    found.append((start, end, term, concepts))
    covered = [False] * len(run)
    for start, end, _, _ in found:
        covered[start:end] = [True] * (end - start)
    out = [term for _, _, term, _ in found]
    stretch = ""
    for char, done in zip((*run, ""), (*covered, True), strict=True):
        if not done:
            stretch += char
            continue
        out.extend(stretch[i : i + 2] for i in range(len(stretch) - 1))
        stretch = ""
    return tuple(out)


def test_chinese_segmentation_with_bounded_look_back_finds_the_same_tokens():
    terms = [t for ts in han._han_terms().values() for t, _ in ts]
    rng = random.Random(7)  # noqa: S311 (test data, not security)
    for _ in range(200):
        pieces = [rng.choice([*terms, "的", "和", "国家", "支持"]) for _ in range(12)]
        run = "".join(pieces)
        assert han._segment_han.__wrapped__(run) == _segment_all_pairs(run)


def test_unbroken_megabyte_of_chinese_gives_tokens_bounded_by_the_cap():
    found = tokens.tokenize("网络安全战略" * (MEGABYTE // 6))
    assert 0 < len(found) <= tokens.MAX_ANALYSED_CHARS
