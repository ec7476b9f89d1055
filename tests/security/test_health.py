"""The health endpoint: database reachability for load balancers."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection

pytestmark = pytest.mark.django_db


def test_health_reports_the_database_ok(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_health_is_503_when_the_database_is_unreachable(client, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused: password=hunter2 host=db")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable"}
    assert response["Retry-After"] == "5"
    # Nothing about the failure leaks to the caller.
    assert b"hunter2" not in response.content
    assert b"refused" not in response.content


def test_health_needs_no_login_is_not_throttled_and_is_not_language_prefixed(
    client, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "anon": "2/min",
            "user": "2/min",
            "dataset": "1/min",
        },
    }
    statuses = {client.get("/health/").status_code for _ in range(20)}
    assert statuses == {200}
    assert client.get("/fr/health/").status_code == 404


def test_health_answers_get_only(client):
    assert client.post("/health/").status_code == 405
