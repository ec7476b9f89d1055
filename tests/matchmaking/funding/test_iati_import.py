"""IATI in: drafts for review, provenance, duplicates, invalid files refused
with every problem named and nothing written; export then import round-trips."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from matchmaking.funding import iati
from matchmaking.funding.iati_import import IatiInvalid
from matchmaking.funding.iati_import import import_activities
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import ContentTranslation
from matchmaking.models import ImportedActivity
from matchmaking.models import Programme
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory
from tests.factories import UserFactory

EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "iati"


def fields(programme: Programme) -> dict:
    """What an export then import must keep of a programme."""
    return {
        "provider": programme.provider_id,
        "title": programme.title,
        "summary": programme.summary,
        "description": programme.description,
        "language": programme.content_language_id,
        "topics": sorted(programme.topics.values_list("slug", flat=True)),
        "countries": sorted(
            programme.eligible_countries.values_list("iso3", flat=True)
        ),
        "regions": sorted(programme.eligible_regions.values_list("code", flat=True)),
        "ldc_only": programme.ldc_only,
        "sids_only": programme.sids_only,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "translations": sorted(
            ContentTranslation.objects.filter(object_id=programme.pk).values_list(
                "language_id", "title", "summary"
            )
        ),
        "participants": sorted(
            programme.participants.values_list(
                "role", "provider_id", "name", "iati_ref"
            )
        ),
        "budget": sorted(
            programme.budget_lines.values_list(
                "period_start", "period_end", "amount", "currency"
            )
        ),
    }


@pytest.fixture
def exported_programme(db):
    donor = ProviderFactory(ref="donor", name="Nordic Donor")
    programme = ProgrammeFactory(
        title="Cybercrime legislation support",
        summary="Drafting help.",
        description="Long description.",
        topics=["cybercrime-legislation", "incident-response"],
        sids_only=True,
        starts_on="2026-01-01",
        ends_on="2027-06-30",
    )
    programme.eligible_countries.set(["FJI", "TON"])
    programme.eligible_regions.set(["009"])
    ContentTranslation.objects.create(
        content_object=programme,
        language_id="fr",
        title="Appui à la législation",
        summary="Aide à la rédaction.",
    )
    write_funding(
        programme=programme,
        funding=parse_funding(
            {
                "participants": [
                    {"role": "funding", "provider": donor.ref, "iati_ref": "XM-9"},
                    {"role": "implementing", "name": "Pacific CERT"},
                ],
                "budget_lines": [
                    {
                        "period_start": "2026-01-01",
                        "period_end": "2026-12-31",
                        "amount": "5000.50",
                        "currency": "AUD",
                    }
                ],
            }
        ),
    )
    programme.refresh_from_db()
    return programme


def test_export_then_import_round_trips_the_fields(exported_programme):
    document = iati.export_document(Programme.objects.all(), base_url="https://x/")
    before = fields(exported_programme)
    curator = UserFactory(is_curator=True)

    (draft,) = import_activities(content=document, source_name="out.xml", user=curator)

    programme = Programme.objects.get(ref=draft.ref)
    assert programme.status == "draft"
    assert fields(programme) == before
    assert draft.duplicate_of == exported_programme.ref
    source = ImportedActivity.objects.get(programme=programme)
    assert (source.iati_identifier, source.source_name, source.imported_by) == (
        f"XI-CBM-{exported_programme.ref}",
        "out.xml",
        curator,
    )


@pytest.mark.parametrize(
    "name",
    sorted(p.name for p in (EXAMPLES / "should-fail").glob("*.xml")),
)
def test_the_schemas_failing_examples_are_refused_naming_the_problem(db, name):
    content = (EXAMPLES / "should-fail" / name).read_bytes()
    before = Programme.objects.count()

    with pytest.raises(IatiInvalid) as raised:
        import_activities(content=content, source_name=name, user=None)

    assert raised.value.problems
    assert all(p.startswith("line ") for p in raised.value.problems)
    assert Programme.objects.count() == before
    assert not ImportedActivity.objects.exists()


def test_a_valid_file_with_unusable_activities_names_every_problem(db):
    content = (EXAMPLES / "should-pass" / "22-participating-org.xml").read_bytes()

    with pytest.raises(IatiInvalid) as raised:
        import_activities(content=content, source_name="x.xml", user=None)

    problems = "\n".join(raised.value.problems)
    assert "iati-identifier is empty" in problems
    assert "participating-org role 'xx' is not 1-4" in problems
    assert "no sector or tag maps to a topic" in problems
    assert "no registered provider" in problems
    assert not Programme.objects.exists()


def test_the_command_imports_a_file_and_refuses_a_bad_one(exported_programme, tmp_path):
    good = tmp_path / "good.xml"
    good.write_bytes(
        iati.export_document(Programme.objects.all(), base_url="https://x/")
    )
    bad = tmp_path / "bad.xml"
    bad.write_bytes((EXAMPLES / "should-fail" / "01-empty-activity.xml").read_bytes())
    out, err = io.StringIO(), io.StringIO()

    call_command("import_iati", str(good), stdout=out)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_iati", str(bad), stdout=out, stderr=err)

    assert "1 draft programmes for review." in out.getvalue()
    assert "possible duplicate of" in out.getvalue()
    assert "line " in err.getvalue()
    assert Programme.objects.filter(status="draft").count() == 1


def test_curators_upload_a_file_others_cannot(client, exported_programme, curator):
    document = iati.export_document(Programme.objects.all(), base_url="https://x/")
    client.force_login(UserFactory())
    denied = client.post(
        "/curation/iati-import/", {"file": io.BytesIO(document)}, format="multipart"
    )
    client.force_login(curator)
    upload = io.BytesIO(document)
    upload.name = "activities.xml"

    response = client.post("/curation/iati-import/", {"file": upload})

    assert denied.status_code == 404
    assert response.status_code == 200
    assert Programme.objects.filter(status="draft").count() == 1
    assert "activities.xml" in response.content.decode()
