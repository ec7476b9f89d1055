"""T9: every unsafe request made with a session cookie needs the CSRF token.

Walks every route of the project (HTML pages, the admin, the API) and sends
POST, PUT, PATCH and DELETE as a signed-in curator without a token: each is
refused with 403 before any view code runs. API calls with a token header
(not an ambient credential) are not subject to CSRF, by design.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import get_resolver
from django.urls import resolve
from django.urls import reverse
from django.urls.resolvers import LocalePrefixPattern
from django.urls.resolvers import RegexPattern
from django.urls.resolvers import RoutePattern

from matchmaking.models import ApiToken
from tests.factories import UserFactory
from tests.factories.matchmaking import TEST_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.one_database_pass]

UNSAFE = ("post", "put", "patch", "delete")
SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x", "uuid": "0" * 32}


def _route_sample(route: str) -> str:
    return re.sub(
        r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "x"), route
    )


def _regex_sample(regex: str) -> str | None:
    if "format" in regex:
        return None  # DRF's ".json" suffix variants duplicate the plain routes
    sample = re.sub(r"\(\?P<\w+>[^)]*\)", "1", regex)
    sample = sample.replace("^", "").replace("$", "").replace("\\", "")
    return None if re.search(r"[()\[\]*+?|]", sample) else sample


def all_paths(patterns=None, prefix: str = "") -> set[str]:
    """A concrete path for every route, with sample values for its parameters."""
    paths: set[str] = set()
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        pattern = entry.pattern
        if isinstance(pattern, LocalePrefixPattern):
            part = ""
        elif isinstance(pattern, RoutePattern):
            part = _route_sample(str(pattern))
        elif isinstance(pattern, RegexPattern):
            part = _regex_sample(pattern.regex.pattern)
            if part is None:
                continue
        else:  # pragma: no cover - no other pattern kinds in Django
            raise TypeError(pattern)
        if isinstance(entry, URLResolver):
            paths |= all_paths(entry.url_patterns, prefix + part)
        elif isinstance(entry, URLPattern):
            paths.add("/" + prefix + part)
    return paths


def is_csrf_refusal(response) -> bool:
    """Django's CSRF failure page, or DRF's (its data says so even in HTML)."""
    return b"CSRF" in response.content or "CSRF" in str(getattr(response, "data", ""))


@pytest.fixture
def curator_client():
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="cur", is_curator=True, is_staff=True))
    return client


def test_the_walk_covers_the_routes_that_matter():
    paths = all_paths()
    for expected in (
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/password/change/",
        "/needs/new/",
        "/needs/x/status/",
        "/matches/1/act/",
        "/roundtable/pitches/1/action/",
        "/api/v1/needs/",
        "/api/v1/needs/1/",
        "/api/v1/tokens/",
        "/admin/matchmaking/need/x/change/",
    ):
        assert expected in paths
    assert len(paths) > 100


# One-click unsubscribe (RFC 8058): the mail client POSTs with no session and
# no token, so the view is exempt; its signed token is what it trusts.
CSRF_EXEMPT = {"/notifications/unsubscribe/x/"}


@pytest.mark.slow(55)
def test_every_unsafe_session_request_without_a_token_is_refused(curator_client):
    refused, let_through = 0, []
    paths = sorted(all_paths() - CSRF_EXEMPT)
    # An API path that names no resource (an id outside its lookup pattern)
    # reaches the API's catch-all: nothing behind it to protect, and every
    # method answers the API's JSON 404, not an HTML CSRF page.
    nothing_there = [p for p in paths if resolve(p).url_name == "not-found"]
    for path in nothing_there:
        for method in UNSAFE:
            response = getattr(curator_client, method)(
                path, data="{}", content_type="application/json"
            )
            assert response.status_code == 404, (method, path)
            assert response.json()["error"]["code"] == "not_found", (method, path)
    paths = [p for p in paths if p not in nothing_there]
    for path in paths:
        for method in UNSAFE:
            # A JSON body, as the API takes; a multipart one where an upload
            # is the only body taken (JSON there is a 415 before any check).
            response = getattr(curator_client, method)(
                path, data="{}", content_type="application/json", follow=False
            )
            if response.status_code == 415:
                response = getattr(curator_client, method)(path, follow=False)
            if response.status_code == 403 and is_csrf_refusal(response):
                refused += 1
            else:
                let_through.append((method.upper(), path, response.status_code))
    assert let_through == []
    assert refused == len(paths) * len(UNSAFE)


def test_the_login_form_needs_the_token_too():
    UserFactory(username="ada")
    client = Client(enforce_csrf_checks=True)
    data = {"username": "ada", "password": TEST_PASSWORD}
    refused = client.post(reverse("login"), data)
    assert refused.status_code == 403
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("login"))
    token = page.cookies["csrftoken"].value
    accepted = client.post(reverse("login"), {**data, "csrfmiddlewaretoken": token})
    assert accepted.status_code == 302


def test_unsafe_requests_with_the_token_go_through(curator_client):
    curator_client.get(reverse("profile"))
    token = curator_client.cookies["csrftoken"].value
    page = curator_client.post(
        reverse("profile"),
        {"first_name": "Cur", "last_name": "Ator", "email": "cur@example.org",
         "csrfmiddlewaretoken": token},
    )  # fmt: skip
    assert page.status_code == 302
    api = curator_client.post(
        "/api/v1/tokens/",
        {"name": "script", "scope": "read"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert api.status_code == 201
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["script"]
