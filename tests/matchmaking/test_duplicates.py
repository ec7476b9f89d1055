"""Likely duplicates of programmes and needs, and their place in the review queue."""

from matchmaking import duplicates
from matchmaking.enums import NeedStatus
from matchmaking.models import Country
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory


def test_words_fold_accents_and_drop_stop_words_and_numbers():
    assert duplicates.words("Équipe nationale de réponse 2026", "the CSIRT") == {
        "equipe",
        "nationale",
        "reponse",
        "csirt",
    }
    assert duplicates.jaccard({"a", "b"}, {"b", "c"}) == 1 / 3
    assert duplicates.jaccard((), ()) == 0.0


def test_programme_duplicates_same_provider_or_same_text(db, curator):
    provider = ProviderFactory()
    original = ProgrammeFactory(
        provider=provider, title="National CSIRT support 2026", summary="A"
    )
    again = ProgrammeFactory(
        provider=provider, title="National CSIRT support 2027", summary="B"
    )
    copied = ProgrammeFactory(
        title="Cyber incident response training for national teams",
        summary="Hands-on incident response training for national CSIRT staff.",
        topics=["incident-response"],
    )
    copy = ProgrammeFactory(
        title="Cyber incident response training for national teams",
        summary="Hands-on incident response training for national CSIRT staff!",
        topics=["incident-response", "cyber-exercises"],
    )
    # Same words on another topic entirely: not the same offer.
    ProgrammeFactory(
        title="Cyber incident response training for national teams",
        summary="Hands-on incident response training for national CSIRT staff.",
        topics=["awareness"],
    )
    unrelated = ProgrammeFactory(title="Cybercrime legislation drafting")
    found = duplicates.programme_duplicates(
        user=curator, programme_ids=[again.pk, copy.pk, unrelated.pk]
    )
    assert [(d.ref, d.other_ref, d.reason) for d in found] == [
        (again.ref, original.ref, "same_provider"),
        (copy.ref, copied.ref, "same_text"),
    ]
    assert found[0].similarity == 1.0
    assert duplicates.programme_duplicates(user=curator, programme_ids=[]) == []


def test_need_duplicates_only_within_the_same_state_and_active(db, curator):
    senegal = MemberStateFactory()
    mali = MemberStateFactory(country=Country.objects.get(iso3="MLI"))
    old = NeedFactory(member_state=senegal, title="Establish a national CSIRT")
    NeedFactory(
        member_state=senegal,
        title="Establish a national CSIRT",
        status=NeedStatus.FULFILLED,
    )
    NeedFactory(member_state=mali, title="Establish a national CSIRT")
    new = NeedFactory(member_state=senegal, title="Establish our national CSIRT")
    found = duplicates.need_duplicates(user=curator, need_ids=[new.pk])
    assert [(d.ref, d.other_ref, d.reason) for d in found] == [
        (new.ref, old.ref, "same_state")
    ]


def test_review_queue_lists_duplicates_with_links(db, client, curator):
    provider = ProviderFactory()
    first = ProgrammeFactory(provider=provider, title="National CSIRT support")
    second = ProgrammeFactory(provider=provider, title="National CSIRT support")
    client.force_login(curator)
    html = client.get("/curation/").content.decode()
    assert 'id="duplicate-list"' in html
    assert f'href="/programmes/{first.ref}/"' in html
    assert f'data-ref="{second.ref}" data-other="{first.ref}"' in html


def test_review_queue_without_duplicates(db, client, curator):
    ProgrammeFactory(title="National CSIRT support")
    client.force_login(curator)
    html = client.get("/curation/").content.decode()
    assert "No likely duplicate among the records below." in html
