"""T2: security headers and cookies on an HTML page, a JSON response and downloads.

The production profile's settings (read from a fresh interpreter with the
production environment) are applied, so these are the headers and cookies a
deployment sends.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from roundtable.enums import PitchState
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD
from tests.roundtable.conftest import cast  # noqa: F401
from tests.roundtable.conftest import make_pitch
from tests.roundtable.conftest import media  # noqa: F401

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def assert_security_headers(response) -> None:
    csp = directives(response)
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    # Scripts only from our origin (or a nonce); never inline or eval.
    assert csp["script-src"].startswith("'self'")
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert (
        response["Strict-Transport-Security"]
        == "max-age=31536000; includeSubDomains; preload"
    )


def assert_host_cookie(cookie, *, httponly: bool) -> None:
    """A __Host- cookie: Secure, path /, no Domain, SameSite=Lax."""
    assert cookie.key.startswith("__Host-")
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert cookie["domain"] == ""
    assert cookie["samesite"] == "Lax"
    assert bool(cookie["httponly"]) is httponly


def test_html_pages_send_headers_and_host_prefixed_cookies(production):
    user = UserFactory(username="ada")
    client = Client()
    page = client.get(reverse("login"), secure=True)
    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert_security_headers(page)
    assert_host_cookie(page.cookies["__Host-csrftoken"], httponly=False)
    # No inline script: every <script> element loads a file.
    scripts = re.findall(r"<script\b[^>]*>", page.content.decode())
    assert scripts
    assert all(" src=" in tag for tag in scripts)

    signed_in = client.post(
        reverse("login"),
        {"username": user.username, "password": TEST_PASSWORD},
        secure=True,
    )
    assert signed_in.status_code == 302
    assert_host_cookie(signed_in.cookies["__Host-sessionid"], httponly=True)
    assert "sessionid" not in signed_in.cookies
    profile = client.get(reverse("profile"), secure=True)
    assert profile.status_code == 200
    assert_security_headers(profile)
    # Pages of a signed-in user stay out of shared caches and the back button.
    assert profile["Cache-Control"] == "private, no-store"
    anonymous = Client().get(reverse("home"), secure=True)
    assert anonymous.get("Cache-Control") is None  # public pages may be cached


def test_plain_http_is_redirected_to_https_in_production(production):
    response = Client().get("/needs/?page=2")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/needs/?page=2"


def test_json_responses_send_the_same_headers(production):
    user = UserFactory(username="ada")
    client = Client()
    client.force_login(user)
    response = client.get("/api/v1/programmes/", secure=True)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert_security_headers(response)
    health = client.get("/health/", secure=True)
    assert health.json()["status"] == "ok"
    assert health["Content-Type"] == "application/json"
    assert_security_headers(health)


def test_file_downloads_are_attachments_with_the_same_headers(production, cast):  # noqa: F811
    pitch = make_pitch(cast, state=PitchState.SUBMITTED)
    client = Client()
    client.force_login(cast.curator)
    deck = client.get(reverse("pitch-deck", args=[pitch.pk]), secure=True)
    assert deck.status_code == 200
    assert deck["Content-Type"] == "application/pdf"
    assert deck["Content-Disposition"].startswith("attachment; filename=")
    assert b"".join(deck.streaming_content).startswith(b"%PDF-")
    assert_security_headers(deck)
    agenda = client.get(reverse("event-ics", args=[cast.event.slug]), secure=True)
    assert agenda.status_code == 200
    assert agenda["Content-Type"] == "text/calendar; charset=utf-8"
    assert (
        agenda["Content-Disposition"] == f'attachment; filename="{cast.event.slug}.ics"'
    )
    assert_security_headers(agenda)
