"""The OpenAPI schema, its docs page, and Schemathesis over every GET operation (T14).

API_FUZZ_EXAMPLES raises the examples per operation (CI on PostgreSQL: 100).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from config.wsgi import application
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
