"""Fixtures of the security tests: the production settings profile, fast hashing."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.paths import ROOT

# The environment a production deployment sets (deploy/production.env.example).
PRODUCTION_ENV = {
    "DJANGO_DEBUG": "False",
    "DJANGO_SECRET_KEY": "test-only-production-profile-key-" + "x" * 40,
    "DJANGO_ALLOWED_HOSTS": "cbm.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://cbm.example.org",
    "DATABASE_URL": "postgres://cbm:cbm@127.0.0.1:5432/cbm",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "DJANGO_EMAIL_HOST": "smtp.example.org",
}

# Settings that decide headers and cookies, read from the production profile.
_PROFILE_KEYS = [
    "DEBUG",
    "SESSION_COOKIE_NAME",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "SESSION_COOKIE_SAMESITE",
    "CSRF_COOKIE_NAME",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "X_FRAME_OPTIONS",
    "STORAGES",
    "MIDDLEWARE",
]


def run_with_env(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the project's Python with the given settings environment."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    return subprocess.run(  # noqa: S603 (fixed argv, our own interpreter)
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def load_profile(env: dict[str, str]) -> dict:
    """The header- and cookie-related settings a given environment produces."""
    script = (
        "import json, django; from django.conf import settings; django.setup();"
        f"print(json.dumps({{k: getattr(settings, k) for k in {_PROFILE_KEYS!r}}}))"
    )
    result = run_with_env(
        ["-c", script], {"DJANGO_SETTINGS_MODULE": "config.settings", **env}
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def production_profile() -> dict:
    """Settings of the production profile, computed in a fresh interpreter."""
    return load_profile(PRODUCTION_ENV)


@pytest.fixture
def production(settings, production_profile):
    """Apply the production profile's header and cookie settings to this test."""
    for key, value in production_profile.items():
        if key in {"DEBUG", "STORAGES", "MIDDLEWARE"}:
            continue  # tests keep the plain static storage (no collectstatic)
        if key == "SECURE_PROXY_SSL_HEADER" and value is not None:
            value = tuple(value)
        setattr(settings, key, value)
    settings.ALLOWED_HOSTS = ["testserver"]
    return settings
