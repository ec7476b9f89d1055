"""T27: pagination caps and request-size limits."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import ProgrammeFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_page_size_beyond_the_largest_page_is_refused_naming_the_range(client):
    # A caller asking for a million rows learns the limit (it used to be
    # capped silently); the largest page still answers.
    ProgrammeFactory.create_batch(101)
    response = client.get("/api/v1/programmes/", {"page_size": 10**6})
    assert response.status_code == 400
    assert "page_size" in response.content.decode()
    assert "100" in response.content.decode()
    response = client.get("/api/v1/programmes/", {"page_size": 100})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], len(body["results"])) == (101, 100)
    assert body["next"] is not None


def test_every_list_endpoint_is_paginated():
    from config.api import router

    unpaginated = [
        prefix
        for prefix, viewset, _basename in router.registry
        if getattr(viewset, "pagination_class", None) is None
        and hasattr(viewset, "list")
    ]
    # Only single documents bounded by the reference data (the taxonomy, and
    # statistics aggregated per country, region or topic) skip pagination.
    assert [
        prefix
        for prefix in unpaginated
        if prefix != "taxonomy" and not prefix.startswith("stats/")
    ] == []


def test_a_body_over_the_upload_limit_is_refused(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="ada"))
    too_big = b'{"name": "' + b"x" * 1024 + b'", "scope": "read"}'
    response = client.post(
        "/api/v1/tokens/", data=too_big, content_type="application/json"
    )
    assert response.status_code in {400, 413}
    assert b"Traceback" not in response.content
    form = client.post("/accounts/profile/", {"first_name": "x" * 2000})
    assert form.status_code == 400
    # Just under the limit is fine.
    ok = client.post(
        "/api/v1/tokens/",
        data=b'{"name": "fits", "scope": "read"}',
        content_type="application/json",
    )
    assert ok.status_code == 201


def test_too_many_form_fields_are_refused(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(username="ada"))
    response = client.post("/accounts/profile/", {f"field{i}": "x" for i in range(60)})
    assert response.status_code == 400
