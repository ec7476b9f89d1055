"""config/api.py: the served OpenAPI schema, kept once per process."""

from __future__ import annotations

import json

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from config.api import SchemaView
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
JSON = "application/vnd.oai.openapi+json"


def test_the_kept_schema_is_the_same_for_every_caller_and_the_generated_one():
    SchemaView._kept.clear()
    curator = APIClient()
    curator.force_authenticate(UserFactory(is_curator=True, is_staff=True))
    first = curator.get("/api/v1/schema/", HTTP_ACCEPT=JSON)  # generates it
    anonymous = APIClient().get("/api/v1/schema/", HTTP_ACCEPT=JSON)  # kept
    assert first.status_code == anonymous.status_code == 200
    assert first.content == anonymous.content
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert json.loads(anonymous.content) == json.loads(json.dumps(generated))


def test_each_language_gets_its_own_schema():
    SchemaView._kept.clear()
    client = APIClient()
    english = client.get("/api/v1/schema/", HTTP_ACCEPT=JSON)
    french = client.get("/api/v1/schema/", HTTP_ACCEPT=JSON, HTTP_ACCEPT_LANGUAGE="fr")
    assert english.status_code == french.status_code == 200
    assert len(SchemaView._kept) == 2
