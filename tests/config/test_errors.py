"""T25: error responses with DEBUG off say nothing about the internals."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.config.urls_errors")]

LEAKS = [
    b"Traceback",
    b"secret-internal-detail",
    b"ZeroDivisionError",
    b'File "',
    b"SECRET_KEY",
    b"settings.py",
    b"SELECT ",
]


def assert_no_internals(content: bytes) -> None:
    for leak in LEAKS:
        assert leak not in content, leak


def test_a_crash_in_a_page_shows_the_generic_500_page(settings):
    assert settings.DEBUG is False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content
    assert_no_internals(response.content)


def test_a_crash_in_the_api_answers_a_generic_error(settings):
    client = Client(raise_request_exception=False)
    response = client.get("/boom-api/")
    assert response.status_code == 500
    assert_no_internals(response.content)


def test_a_database_error_is_generic_too():
    client = Client(raise_request_exception=False)
    response = client.get("/boom-db/")
    assert response.status_code == 500
    assert_no_internals(response.content)
    assert b"no_such_table_here" not in response.content


def test_missing_pages_and_objects_are_plain_404s():
    client = Client()
    page = client.get("/needs/no-such-need/")
    assert page.status_code == 404
    assert b"Page not found" in page.content
    assert_no_internals(page.content)
    api = client.get("/api/v1/needs/no-such-need/", HTTP_ACCEPT="application/json")
    assert api.status_code in {401, 404}
    assert_no_internals(api.content)


def test_malformed_json_is_a_400_without_internals(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="ada"))
    response = client.post(
        "/api/v1/tokens/", data=b'{"name": ', content_type="application/json"
    )
    assert response.status_code == 400
    assert_no_internals(response.content)


def test_the_admin_is_not_shown_to_anonymous_visitors():
    response = Client().get("/admin/matchmaking/need/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
