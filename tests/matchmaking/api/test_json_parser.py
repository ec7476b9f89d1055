"""Hostile JSON bodies are a 400 naming the problem, never a 500 (issue 14, #15)."""

from __future__ import annotations

import pytest

from matchmaking.models import Need
from matchmaking.models import Provider
from tests.matchmaking.api.conftest import client_for

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000


def post(client, url: str, body: str):
    return client.post(url, body, content_type="application/json")


@pytest.mark.parametrize(
    "body",
    [
        '{"title": ' + DEEP + "}",
        '{"title": ' + "[" * 70 + "]" * 70 + "}",
    ],
)
def test_deeply_nested_json_is_a_400(world, body):
    before = Need.objects.count()

    response = post(client_for(world, "ms_a"), "/api/v1/needs/", body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "parse_error"
    assert "nested" in error["message"]
    assert Need.objects.count() == before


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ('{"title": "a\\u0000b"}', "title", "Null characters are not allowed."),
        (
            '{"title": "a\\ud800b"}',
            "title",
            "Surrogate characters are not allowed: U+D800.",
        ),
        (
            '{"topics": ["x\\udfff"]}',
            "topics.0",
            "Surrogate characters are not allowed: U+DFFF.",
        ),
        ('{"a\\u0000": 1}', "a\\x00", "Null characters are not allowed."),
    ],
)
def test_nul_and_lone_surrogates_are_a_400_naming_the_field(
    world, body, field, message
):
    before = Need.objects.count()

    response = post(client_for(world, "ms_a"), "/api/v1/needs/", body)

    assert response.status_code == 400
    assert response.json()["error"] == {
        "status": 400,
        "code": "invalid",
        "message": message,
        "fields": {field: [message]},
    }
    assert Need.objects.count() == before


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ('{"format": "cbm-dataset/1", "about": ' + DEEP + "}", "parse_error"),
        (
            '{"format": "cbm-dataset/1", "providers": [{"ref": "p", '
            '"name": "a\\u0000", "stakeholder_group": "intergovernmental"}]}',
            "invalid",
        ),
        (
            '{"format": "cbm-dataset/1", "providers": [{"ref": "p", '
            '"name": "a\\ud800", "stakeholder_group": "intergovernmental"}]}',
            "invalid",
        ),
    ],
)
def test_a_hostile_dataset_import_is_a_400_writing_nothing(world, body, code):
    before = Provider.objects.count()

    response = post(client_for(world, "curator"), "/api/v1/dataset/import/", body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert Provider.objects.count() == before
