"""Content language and the owners' translations of titles and summaries."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from matchmaking import engine_profiles
from matchmaking import services
from matchmaking import translations
from matchmaking.dataset.exchange import import_dataset
from matchmaking.engine.text.tokens import detect_language
from matchmaking.models import ContentTranslation
from matchmaking.models import Country
from matchmaking.models import Language
from matchmaking.models import Need
from matchmaking.models import Programme
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def senegal():
    return MemberStateFactory(country=Country.objects.get(iso3="SEN"))


@pytest.fixture
def focal(senegal):
    user = UserFactory(username="focal", language="fr")
    MembershipFactory(user=user, member_state=senegal)
    return user


@pytest.fixture
def outsider():
    user = UserFactory(username="outsider")
    mali = MemberStateFactory(country=Country.objects.get(iso3="MLI"))
    MembershipFactory(user=user, member_state=mali)
    return user


@pytest.fixture
def need(senegal):
    return NeedFactory(
        ref="sen-csirt",
        member_state=senegal,
        title="Mise en place du CSIRT national",
        summary="Un CSIRT national opérationnel.",
        content_language_id="fr",
    )


def _can(user, need):
    return lambda: services.can_edit_record(user=user, record=need)


def test_a_new_need_is_written_in_the_authors_interface_language(focal, senegal):
    created = services.create_record(
        user=focal,
        owner=senegal,
        data={"title": "Créer un CSIRT", "topics": ["csirt-establishment"]},
        publish=False,
    )
    assert created.content_language_id == "fr"
    english = services.create_record(
        user=focal,
        owner=senegal,
        data={
            "title": "A CSIRT",
            "content_language": Language.objects.get(code="en"),
            "topics": ["csirt-establishment"],
        },
        publish=False,
    )
    assert english.content_language_id == "en"


def test_the_owner_adds_replaces_and_deletes_a_translation(focal, need):
    translations.save_translation(
        user=focal,
        obj=need,
        language="en",
        title="Setting up the national CSIRT",
        summary="An operational national CSIRT.",
        can_edit=_can(focal, need),
    )
    translations.save_translation(
        user=focal,
        obj=need,
        language="en",
        title="Launching the national CSIRT",
        can_edit=_can(focal, need),
    )
    assert list(
        ContentTranslation.objects.values_list("language_id", "title", "summary")
    ) == [("en", "Launching the national CSIRT", "")]
    translations.delete_translation(
        user=focal, obj=need, language="en", can_edit=_can(focal, need)
    )
    assert not ContentTranslation.objects.exists()
    with pytest.raises(ValidationError) as error:
        translations.delete_translation(
            user=focal, obj=need, language="en", can_edit=_can(focal, need)
        )
    assert set(error.value.message_dict) == {"language"}


def test_bad_translations_name_the_field_and_write_nothing(focal, need):
    cases = [
        ({"language": "fr", "title": "Doublon"}, "language"),  # the original's
        ({"language": "xx", "title": "?"}, "language"),
        ({"language": "es", "title": "  "}, "title"),
        ({"language": "es", "title": "T" * 301}, "title"),
    ]
    for item, field in cases:
        with pytest.raises(ValidationError) as error:
            translations.save_translation(
                user=focal, obj=need, can_edit=_can(focal, need), **item
            )
        assert field in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        translations.replace_translations(
            user=focal,
            obj=need,
            items=[
                {"language": "en", "title": "Fine"},
                {"language": "en", "title": "Twice"},
            ],
            can_edit=_can(focal, need),
        )
    assert set(error.value.message_dict) == {"translations"}
    assert not ContentTranslation.objects.exists()


def test_only_owners_and_curators_translate(focal, outsider, need):
    with pytest.raises(PermissionDenied):
        translations.save_translation(
            user=outsider,
            obj=need,
            language="en",
            title="Hijacked",
            can_edit=_can(outsider, need),
        )
    assert not ContentTranslation.objects.exists()
    curator = UserFactory(username="cur", is_curator=True)
    translations.save_translation(
        user=curator,
        obj=need,
        language="en",
        title="Set-up of the national CSIRT",
        can_edit=_can(curator, need),
    )
    assert ContentTranslation.objects.get().created_by == curator


def test_readers_see_their_language_or_the_original_with_a_notice(focal, need):
    translations.save_translation(
        user=focal,
        obj=need,
        language="en",
        title="Setting up the national CSIRT",
        summary="An operational national CSIRT.",
        can_edit=_can(focal, need),
    )
    need = Need.objects.prefetch_related("translations").get(pk=need.pk)
    english = translations.shown_version(need, "en")
    assert (english.title, english.language, english.is_original, english.notice) == (
        "Setting up the national CSIRT",
        "en",
        False,
        "",
    )
    french = translations.shown_version(need, "fr")
    assert (french.title, french.is_original, french.notice) == (
        "Mise en place du CSIRT national",
        True,
        "",
    )
    with translation.override("en"):
        russian = translations.shown_version(need, "ru")
    assert russian.title == "Mise en place du CSIRT national"
    assert russian.notice == "Shown in French: no Russian version yet"


def test_the_engine_reads_the_translations_too(focal, need):
    translations.save_translation(
        user=focal,
        obj=need,
        language="zh",
        title="建立国家计算机应急响应小组",
        can_edit=_can(focal, need),
    )
    (profile,) = engine_profiles.load_needs(Need.objects.filter(pk=need.pk)).profiles
    assert (
        profile.summary == "Un CSIRT national opérationnel.\n建立国家计算机应急响应小组"
    )
    programme = ProgrammeFactory(ref="p-en", content_language_id="en")
    (loaded,) = engine_profiles.load_programmes([programme.pk]).profiles
    assert loaded.summary == programme.summary


def test_search_finds_a_record_by_its_translated_title(client, focal, need):
    translations.save_translation(
        user=focal,
        obj=need,
        language="en",
        title="Standing up the national incident team",
        can_edit=_can(focal, need),
    )
    NeedFactory(ref="other", member_state=need.member_state, title="Other")
    response = client.get(reverse("need-list"), {"q": "incident team"})
    body = response.content.decode()
    assert "/needs/sen-csirt/" in body
    assert "/needs/other/" not in body


def test_the_detail_page_marks_the_language_and_says_when_it_falls_back(client, need):
    body = client.get(
        reverse("need-detail", args=[need.ref]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert '<h1 class="govuk-heading-xl" lang="fr" dir="auto">' in body
    assert "data-content-notice" in body


def test_the_edit_page_panel_adds_and_deletes_translations(
    client, focal, outsider, need
):
    client.force_login(focal)
    edit = client.get(reverse("need-edit", args=[need.ref])).content.decode()
    assert 'id="translation-form"' in edit
    url = reverse("need-translations", args=[need.ref])
    response = client.post(url, {"language": "fr", "title": "Même langue"})
    assert response.status_code == 400  # the original's language is not offered
    assert not ContentTranslation.objects.exists()
    response = client.post(
        url, {"language": "en", "title": "National CSIRT", "summary": ""}
    )
    assert response.status_code == 302
    assert list(ContentTranslation.objects.values_list("language_id", "title")) == [
        ("en", "National CSIRT")
    ]
    client.force_login(outsider)
    assert client.post(url, {"language": "es", "title": "No"}).status_code == 404
    delete = reverse("need-translation-delete", args=[need.ref, "en"])
    assert client.post(delete).status_code == 404
    assert ContentTranslation.objects.count() == 1
    client.force_login(focal)
    assert client.post(delete).status_code == 302
    assert not ContentTranslation.objects.exists()


def test_an_import_infers_the_language_of_each_text(django_capture_on_commit_callbacks):
    UserFactory(username="importer", is_curator=True)
    data = {
        "format": "cbm-dataset/1",
        "providers": [
            {
                "ref": "itu",
                "name": "ITU",
                "stakeholder_group": "intergovernmental",
                "country": "CHE",
            }
        ],
        "programmes": [
            {
                "ref": "p-zh",
                "provider": "itu",
                "title": "国家计算机应急响应小组建设",
                "topics": ["csirt-establishment"],
                "languages": ["zh"],
            }
        ],
        "needs": [
            {
                "ref": "n-es",
                "country": "GTM",
                "title": "Ley sobre delitos informáticos para el país",
                "description": "El Congreso busca asistencia para redactar la ley.",
                "languages": ["es"],
            }
        ],
    }
    with django_capture_on_commit_callbacks(execute=True):
        import_dataset(data=data)
    assert Programme.objects.get(ref="p-zh").content_language_id == "zh"
    assert Need.objects.get(ref="n-es").content_language_id == "es"
    assert detect_language("") == "en"


@pytest.mark.parametrize("model", [Need, Programme])
def test_a_page_of_translations_is_attached_as_the_prefetch_leaves_it(
    model, django_assert_num_queries
):
    factory = NeedFactory if model is Need else ProgrammeFactory
    records = [factory(content_language_id="en") for _ in range(3)]
    for record, languages in zip(records, (["fr", "es"], [], ["zh"]), strict=True):
        for code in languages:
            ContentTranslation.objects.create(
                content_object=record, language_id=code, title=f"{code} title"
            )
    ids = [record.pk for record in records]
    prefetched = list(
        model.objects.filter(pk__in=ids)
        .order_by("pk")
        .prefetch_related(translations.prefetch_translations())
    )
    page = list(model.objects.filter(pk__in=ids).order_by("pk"))
    ContentType.objects.get_for_model(model)  # cached per process, as served
    with django_assert_num_queries(1):
        translations.attach_translations(page)

    def rows(record):
        return [
            (t.pk, t.object_id, t.language_id, t.title, t.summary)
            for t in getattr(record, translations.PREFETCHED)
        ]

    assert [rows(r) for r in page] == [rows(r) for r in prefetched]
    assert [len(rows(r)) for r in page] == [2, 0, 1]
    with translation.override("zh"):
        shown = [translations.shown_version(r).title for r in page]
    assert shown == [page[0].title, page[1].title, "zh title"]
