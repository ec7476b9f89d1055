"""The OpenAPI schema, its docs page, and Schemathesis (T14).

Schemathesis runs over every GET operation, then its stateful phase follows
the schema's OpenAPI links: a member state's and a provider's user, each with a
``manage`` token, create needs, programmes, matches, tokens, saved searches and
webhooks and follow the links to read, change, act on and delete them, every
answer checked (server errors, status codes, content types, response schemas,
and the stateful checks: what was created can be read, what was deleted is
gone); 15 scenarios of up to 10 calls per user keep it under a minute.
API_FUZZ_EXAMPLES raises the examples per operation (CI on PostgreSQL: 100).
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished
from django.core.signals import request_started
from django.db import close_old_connections
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import negative_data_rejection
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.test import Client

from config.wsgi import application
from matchmaking.accounts import tokens
from matchmaking.api.schema import LINKS
from matchmaking.funding.services import parse_funding
from matchmaking.funding.services import write_funding
from matchmaking.models import TokenScope
from matchmaking.models import Topic
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "25"))


# Loaded at collection: generating the schema needs no database.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)
# Left out by design: a page past the last one is schema-valid but answered 400
# naming `page`; and, as in DRF generally, a malformed *optional* pagination
# parameter (page_size=null, repeated) falls back to the default instead of a
# 400. Server errors, status codes, content types, headers, response schemas
# and ignored authentication are all checked.
EXCLUDED = [positive_data_acceptance, negative_data_rejection]
fuzz = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
# Derandomized: the same scenarios every run (in one process).
stateful = settings(
    derandomize=True,
    max_examples=15,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def world(shared_world):
    """The API cast, made once for this module (conftest.shared_world)."""
    return shared_world


@pytest.fixture
def in_process_db():
    """Keep the test's connection across WSGI calls, as Django's test client does.

    Schemathesis calls the WSGI app directly, so Django's request signals would
    close the connection (and its test transaction) after every request.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.include(method="GET").parametrize()
@fuzz
def test_get_operations_as_anonymous(case, world, in_process_db):
    cache.clear()  # the throttle budget is not what is under test here
    case.call_and_validate(excluded_checks=EXCLUDED)


@schema.include(method="GET").parametrize()
@fuzz
def test_get_operations_with_a_token(case, world, in_process_db):
    cache.clear()
    case.call_and_validate(
        headers={"Authorization": f"Token {world.read_key}"},
        excluded_checks=EXCLUDED,
    )


# The stateful phase walks the operations the links join (the GET tests above
# cover every operation on its own).
linked = schema.include(
    operation_id=sorted(
        {source for source, _code in LINKS}
        | {target for _parameters, targets in LINKS.values() for target in targets}
    )
)


def _state_machine_for(key: str, creates: dict, calls: list):
    """The schema's state machine (its OpenAPI links), calling as ``key``'s owner.

    ``creates`` gives, per create operation, a valid body to send in place of
    the generated one (as Schemathesis's guide to stateful testing suggests):
    random text is almost never a need a state may post, and the chains that
    follow a created need or programme are what this phase is for.
    """
    headers = {"Authorization": f"Token {key}"}

    class AsUser(linked.as_state_machine()):
        def setup(self):
            # Each scenario starts from the same world (Hypothesis replays
            # scenarios and needs the same answers to the same calls).
            self.scenario = transaction.atomic()
            self.scenario.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self.scenario.__exit__(None, None, None)

        def before_call(self, case):
            cache.clear()  # the throttle budget is not what is under test here
            valid = creates.get(case.operation.label)
            if valid is not None and isinstance(case.body, dict):
                drawn = {k: case.body[k] for k in ("publish",) if k in case.body}
                case.body = {**valid, **drawn}

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def after_call(self, response, case):
            calls.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, **kwargs):
            # Told the headers, the authentication check knows the token is
            # real and probes the same call without it and with a wrong one.
            case.validate_response(response, headers=headers, excluded_checks=EXCLUDED)

    return AsUser


# What each role creates first in its chains: its own records. (Its webhook
# create is among the operations too, but whether 15 scenarios reach it is a
# draw that changes with the schema and the worker: tests/matchmaking/api's
# webhook tests create webhooks for every role.)
CREATES = {
    "ms_a": {"POST /api/v1/needs/"},
    "prov_p": {"POST /api/v1/programmes/"},
}


@pytest.mark.parametrize("role", ["ms_a", "prov_p"])
def test_stateful_phase_along_the_links(world, in_process_db, role):
    _token, key = tokens.create_token(
        user=world.users[role], name="stateful", scope=TokenScope.MANAGE
    )
    topic = Topic.objects.order_by("slug").values_list("slug", flat=True)[0]
    common = {"title": "Stateful", "topics": [topic], "languages": ["en"]}
    creates = {
        "POST /api/v1/needs/": {**common, "country": "SEN"},
        "POST /api/v1/programmes/": {**common, "provider": "prov-p"},
        "POST /api/v1/webhooks/": {
            "url": "https://hooks.example.org/cbm",
            "event_types": ["saved_search.match"],
        },
    }
    calls: list[tuple[str, int]] = []
    run_state_machine_as_test(
        _state_machine_for(key, creates, calls), settings=stateful
    )
    succeeded = {label for label, code in calls if 200 <= code < 300}
    # The scenarios did walk: the role's creates worked, and calls on an
    # object named by a link (its id in the path) succeeded.
    assert CREATES[role] <= succeeded, succeeded
    assert any("{" in label for label in succeeded), succeeded


def test_links_name_real_operations_and_parameters(world):
    body = client_for(world, "anon").get("/api/v1/schema/?format=json").json()
    operations = {
        operation["operationId"]: operation
        for items in body["paths"].values()
        for operation in items.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    linked = 0
    for (source, code), (parameters, targets) in LINKS.items():
        links = operations[source]["responses"][code]["links"]
        assert sorted(link["operationId"] for link in links.values()) == sorted(targets)
        for target in targets:
            names = {p["name"] for p in operations[target].get("parameters", [])}
            assert set(parameters) <= names, (source, target)
        linked += len(targets)
    assert linked > 60


def test_dataset_export_answers_as_its_schema_says(world, in_process_db):
    funding = parse_funding(
        {
            "currency": "EUR",
            "total_budget": "120000.00",
            "participants": [
                {"role": "funding", "name": "A ministry"},
                {"role": "implementing", "provider": "prov-p"},
            ],
            "budget_lines": [
                {
                    "period_start": "2026-01-01",
                    "period_end": "2026-12-31",
                    "amount": "60000.00",
                    "currency": "EUR",
                }
            ],
        }
    )
    write_funding(programme=world.prog_p, funding=funding)
    response = Client(application).get("/api/v1/dataset/export/")
    body = response.get_json()
    assert body["programmes"][0]["funding"]["budget_lines"][0]["amount"] == "60000.00"
    operation = schema["/api/v1/dataset/export/"]["GET"]
    assert operation.is_valid_response(response)
    body["programmes"][0]["funding"]["participants"] = "A ministry"
    response.set_data(json.dumps(body))
    assert not operation.is_valid_response(response)
    component = schema.raw_schema["components"]["schemas"]["DatasetProgramme"]
    assert component["properties"]["funding"] == {
        "$ref": "#/components/schemas/DatasetFunding"
    }


def test_schema_documents_every_route(world):
    body = client_for(world, "anon").get("/api/v1/schema/?format=json").json()
    paths = body["paths"]
    assert "/api/v1/needs/{ref}/matches/" in paths
    assert "/api/v1/matches/{id}/express-interest/" in paths
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "429"} <= codes, (method, path)


def test_schema_is_what_generators_need(world):
    body = client_for(world, "anon").get("/api/v1/schema/?format=json").json()
    operations = [
        (f"{method} {path}", operation)
        for path, items in body["paths"].items()
        for method, operation in items.items()
    ]
    summaries = [operation["summary"] for _name, operation in operations]
    descriptions = [operation["description"] for _name, operation in operations]
    assert all(summaries)
    assert "\n" not in "".join(summaries)
    assert len(set(summaries)) == len(summaries)
    assert len(set(descriptions)) == len(descriptions)
    for name, operation in operations:
        if "requestBody" in operation:
            media = list(operation["requestBody"]["content"])
            assert media in (["application/json"], ["multipart/form-data"]), name
            assert {"413", "415"} <= set(operation["responses"]), name
    uploads = [
        name
        for name, operation in operations
        if "multipart/form-data" in operation.get("requestBody", {}).get("content", {})
    ]
    assert uploads == ["put /api/v1/pitches/{id}/slides/"]
    theme = next(
        parameter
        for parameter in body["paths"]["/api/v1/programmes/"]["get"]["parameters"]
        if parameter["name"] == "theme"
    )
    assert theme["schema"] == {"type": "array", "items": {"type": "string"}}
    assert (theme["style"], theme["explode"]) == ("form", True)
    match = body["components"]["schemas"]["Match"]["properties"]
    assert match["reasons"]["items"] == {"$ref": "#/components/schemas/Reason"}
    assert match["components"]["allOf"] == [{"$ref": "#/components/schemas/Components"}]


def test_docs_page_loads_only_vendored_assets_under_the_csp(world):
    client = client_for(world, "anon")
    response = client.get("/api/v1/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<style" not in html
    assert "<script>" not in html  # no inline script: the initializer is a URL
    assert "/static/vendor/swagger-ui-dist-5.35.0/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    script = client.get("/api/v1/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
