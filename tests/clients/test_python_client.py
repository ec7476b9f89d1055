"""An integrator's journey with a client generated from the served schema.

openapi-python-client generates a package from ``/api/v1/schema/`` of a live
server (in a temporary folder, no network beyond the live server; a warning of
the generator fails the test), and the journey uses its typed calls only: no
hand patches, no raw HTTP.
"""

from __future__ import annotations

import datetime as dt
import importlib
import io
import subprocess  # nosec B404 (the generator of the dev dependencies)
import sys
from pathlib import Path

import httpx
import pytest

from matchmaking.accounts import tokens
from matchmaking.models import Programme
from matchmaking.models import TokenScope
from matchmaking.models import Topic
from tests.factories import ProgrammeFactory
from tests.roundtable import pdfs
from tests.roundtable.conftest import Cast
from tests.roundtable.conftest import cast  # noqa: F401 (the fixture)

pytestmark = [
    # Serialized rollback, as every other transactional test here: a flush
    # without it recreates the content types under new ids, and the next
    # serialized test on the same worker then fails to restore its own.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.one_database_pass,
]

CONFIG = """\
post_hooks: []
package_name_override: cbm_client
content_type_overrides:
  application/pdf: application/octet-stream
  application/xml: application/octet-stream
"""


@pytest.fixture
def generated(live_server, tmp_path):
    """The client package generated from the live server's schema."""
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    # Fetched here with a patient timeout (the generator's own is 5 s, short
    # for the first schema a busy CI machine builds), then generated from it.
    served = httpx.get(f"{live_server.url}/api/v1/schema/?format=json", timeout=120)
    served.raise_for_status()
    schema = tmp_path / "schema.json"
    schema.write_bytes(served.content)
    tool = Path(sys.executable).with_name("openapi-python-client")
    generated = subprocess.run(  # noqa: S603  # nosec B603 (fixed arguments)
        [
            str(tool),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(tmp_path / "cbm_client"),
            "--meta",
            "none",
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout, generated.stdout
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module("cbm_client")
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m.split(".")[0] == "cbm_client"]:
            del sys.modules[name]


def module(package, name: str):
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_runs_an_integrators_journey(
    generated,
    live_server,
    cast: Cast,  # noqa: F811
    settings,
    tmp_path,
):
    settings.MEDIA_ROOT = tmp_path / "media"
    api = module(generated, "api")
    models = module(generated, "models")
    types = module(generated, "types")
    client_module = module(generated, "client")
    for number in range(3):
        ProgrammeFactory(provider=cast.other_provider, title=f"Other {number}")
    _maker, manage_key = tokens.create_token(
        user=cast.delegate, name="bootstrap", scope=TokenScope.MANAGE
    )
    _presenter_token, presenter_key = tokens.create_token(
        user=cast.presenter, name="deck", scope=TokenScope.READ_WRITE
    )

    def as_key(key: str):
        return client_module.AuthenticatedClient(
            base_url=live_server.url, token=key, raise_on_unexpected_status=True
        )

    # Make a token (with a token of the manage scope).
    tokens_create = module(api, "tokens.tokens_create")
    made = tokens_create.sync(
        client=as_key(manage_key),
        body=models.ApiTokenCreateRequest(
            name="journey", scope=models.TokenScopeEnum.READ_WRITE
        ),
    )
    assert isinstance(made, models.ApiTokenCreated)
    client = as_key(made.key)

    # List programmes with several multi-value filters, page by page.
    programmes_list = module(api, "programmes.programmes_list")
    seen: list[str] = []
    page = 1
    while True:
        listed = programmes_list.sync(
            client=client,
            language=["en", "fr"],
            topic=["csirt-establishment", "cyber-diplomacy"],
            provider=[cast.provider.ref, cast.other_provider.ref],
            status=[models.ProgrammesListStatusItem.PUBLISHED],
            page=page,
            page_size=2,
        )
        assert isinstance(listed, models.PaginatedProgrammeList)
        seen += [programme.ref for programme in listed.results]
        if not listed.next_:
            break
        page += 1
    expected = Programme.objects.filter(
        status="published",
        provider__in=[cast.provider, cast.other_provider],
        topics__slug__in=["csirt-establishment", "cyber-diplomacy"],
    ).values_list("ref", flat=True)
    assert sorted(seen) == sorted(set(expected))
    assert len(seen) >= 4

    # Create a need, then set its date to null (JSON can say null).
    needs_create = module(api, "needs.needs_create")
    need = needs_create.sync(
        client=client,
        body=models.NeedRequest(
            country=cast.state.country_id,
            title="Incident response for the national CSIRT",
            summary="Help to set up a national CSIRT and its incident response.",
            topics=[Topic.objects.get(slug="csirt-establishment").slug],
            languages=["en"],
            needed_by=dt.date(2027, 6, 30),
            publish=True,
        ),
    )
    assert isinstance(need, models.Need)
    assert need.needed_by == dt.date(2027, 6, 30)
    needs_partial_update = module(api, "needs.needs_partial_update")
    cleared = needs_partial_update.sync(
        ref=need.ref, client=client, body=models.PatchedNeedRequest(needed_by=None)
    )
    assert isinstance(cleared, models.Need)
    assert cleared.needed_by is None

    # Read its matches, with typed reasons and components.
    needs_matches_list = module(api, "needs.needs_matches_list")
    matches = needs_matches_list.sync(ref=need.ref, client=client)
    assert isinstance(matches, models.PaginatedNestedMatchList)
    assert matches.results, "the engine suggested nothing"
    first = matches.results[0]
    assert isinstance(first.components, models.Components)
    assert all(isinstance(reason, models.Reason) for reason in first.reasons)
    assert first.reasons
    assert all(reason.text for reason in first.reasons)

    # Express interest in the first one.
    express = module(api, "matches.matches_express_interest_create")
    interested = express.sync(
        id=str(first.id), client=client, body=models.NoteRequest(note="Let us talk.")
    )
    assert isinstance(interested, models.Match)
    assert interested.status == models.MatchStatusEnum.INTEREST

    # The provider drafts a pitch and uploads a 3-page slide deck.
    presenter = as_key(presenter_key)
    pitches_create = module(api, "pitches.pitches_create")
    pitch = pitches_create.sync(
        client=presenter,
        body=models.PitchDraftRequest(
            event=cast.event.slug,
            provider=cast.provider.ref,
            title="From a decree to a working CSIRT",
            abstract="How a country gets a CSIRT in 18 months.",
            presenter_name="Ingrid Solberg",
        ),
    )
    assert isinstance(pitch, models.Pitch)
    upload = module(api, "pitches.pitches_slides_update")
    uploaded = upload.sync_detailed(
        id=str(pitch.id),
        client=presenter,
        body=models.SlideDeckUploadRequest(
            slide_deck=types.File(
                payload=io.BytesIO(pdfs.pdf(3)),
                file_name="deck.pdf",
                mime_type="application/pdf",
            )
        ),
    )
    assert isinstance(uploaded.parsed, models.Pitch), uploaded.content
    assert uploaded.parsed.slide_count == 3

    # Revoke the token: it is refused from then on.
    tokens_destroy = module(api, "tokens.tokens_destroy")
    revoked = tokens_destroy.sync_detailed(id=str(made.id), client=as_key(manage_key))
    assert revoked.status_code == 204
    after = programmes_list.sync_detailed(
        client=as_key(made.key).with_headers({}), page_size=1
    )
    assert after.status_code == 401
