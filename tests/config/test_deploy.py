"""T1: the production profile passes Django's deployment checklist, strictly."""

from __future__ import annotations

import json

import pytest

from tests.config.conftest import PRODUCTION_ENV
from tests.config.conftest import load_profile
from tests.config.conftest import run_with_env

CHECK = ["manage.py", "check", "--deploy", "--fail-level", "WARNING"]


def test_deploy_check_reports_nothing_in_production_mode():
    result = run_with_env(CHECK, PRODUCTION_ENV)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues (0 silenced)." in result.stdout
    for warning in ("W004", "W008", "W009", "W012", "W016", "W018", "W020", "W021"):
        assert f"security.{warning}" not in output


def test_deploy_check_fails_on_the_development_defaults():
    # The same check run with the developer defaults does fail: the test above
    # passes because of the production settings, not because it checks nothing.
    result = run_with_env(CHECK, {})
    assert result.returncode == 1
    assert "security.W018" in result.stderr  # DEBUG on
    assert "security.W004" in result.stderr  # no HSTS


def test_production_profile_hardens_cookies_transport_and_static_files(
    production_profile,
):
    profile = dict(production_profile)
    middleware = profile.pop("MIDDLEWARE")
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert middleware[-1] == "axes.middleware.AxesMiddleware"
    assert profile == {
        "DEBUG": False,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "STORAGES": {
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "config.storage.StaticFilesStorage"},
        },
    }


def test_proxy_ssl_header_is_trusted_only_when_told():
    behind_proxy = load_profile({**PRODUCTION_ENV, "DJANGO_BEHIND_TLS_PROXY": "true"})
    assert behind_proxy["SECURE_PROXY_SSL_HEADER"] == [
        "HTTP_X_FORWARDED_PROTO",
        "https",
    ]
    # The proxy may do the redirect itself.
    no_redirect = load_profile(
        {**PRODUCTION_ENV, "DJANGO_SECURE_SSL_REDIRECT": "false"}
    )
    assert no_redirect["SECURE_SSL_REDIRECT"] is False


def test_development_profile_keeps_plain_http_cookies():
    # `make run` serves http://127.0.0.1:8000: __Host- cookies need HTTPS.
    development = load_profile({})
    assert (
        development["SESSION_COOKIE_NAME"],
        development["CSRF_COOKIE_NAME"],
        development["SESSION_COOKIE_SECURE"],
        development["SECURE_SSL_REDIRECT"],
        development["STORAGES"]["staticfiles"]["BACKEND"],
        "whitenoise.middleware.WhiteNoiseMiddleware" in development["MIDDLEWARE"],
    ) == (
        "sessionid",
        "csrftoken",
        False,
        False,
        "django.contrib.staticfiles.storage.StaticFilesStorage",
        False,
    )


def test_production_refuses_to_start_without_a_secret_key_or_with_a_bad_flag():
    no_key = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    result = run_with_env(["manage.py", "check"], no_key)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=False" in result.stderr
    result = run_with_env(
        ["manage.py", "check"], {**PRODUCTION_ENV, "DJANGO_BEHIND_TLS_PROXY": "maybe"}
    )
    assert result.returncode != 0
    assert "DJANGO_BEHIND_TLS_PROXY must be true or false, not 'maybe'" in result.stderr


STATIC_SCRIPT = """
import django; django.setup()
from django.test import Client
from django.templatetags.static import static
client = Client(HTTP_HOST="cbm.example.org")
url = static("css/site.css")
asset = client.get(url, secure=True)
page = client.get("/accounts/login/", secure=True)
print(url)
print(asset.status_code, asset["Cache-Control"])
print(url in page.content.decode())
"""


@pytest.mark.slow(37)
def test_production_static_files_have_hashed_names_and_cache_forever(tmp_path):
    env = {**PRODUCTION_ENV, "DJANGO_STATIC_ROOT": str(tmp_path / "static")}
    collected = run_with_env(["manage.py", "collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stderr
    served = run_with_env(
        ["-c", STATIC_SCRIPT], {**env, "DJANGO_SETTINGS_MODULE": "config.settings"}
    )
    assert served.returncode == 0, served.stderr
    url, asset, linked = served.stdout.strip().splitlines()[-3:]
    assert url.startswith("/static/css/site.")
    assert url != "/static/css/site.css"  # a content hash in the name
    assert asset == "200 max-age=315360000, public, immutable"
    assert linked == "True"  # pages link the hashed name


CACHE_SCRIPT = (
    "import json, django; from django.conf import settings; django.setup();"
    "print(json.dumps(settings.CACHES['default']))"
)


@pytest.mark.slow(20)
def test_several_app_server_processes_share_a_redis_cache_when_told():
    # Throttle counters and kept API answers must be shared by the processes
    # of a deployment: CACHE_URL names the Redis server.
    shared = run_with_env(
        ["-c", CACHE_SCRIPT],
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CACHE_URL": "redis://cache.internal:6379/2",
        },
    )
    assert shared.returncode == 0, shared.stderr
    assert json.loads(shared.stdout.strip().splitlines()[-1]) == {
        # Redis down: answers from local memory (config/cache.py), no errors.
        "BACKEND": "config.cache.ResilientRedisCache",
        "LOCATION": "redis://cache.internal:6379/2",
        "KEY_PREFIX": "cbm",
        "OPTIONS": {"FALLBACK_MAX_ENTRIES": 5000},
    }
    local = run_with_env(
        ["-c", CACHE_SCRIPT], {"DJANGO_SETTINGS_MODULE": "config.settings"}
    )
    assert json.loads(local.stdout.strip().splitlines()[-1])["BACKEND"].endswith(
        "LocMemCache"
    )
    wrong = run_with_env(
        ["manage.py", "check"], {**PRODUCTION_ENV, "CACHE_URL": "memcached://x"}
    )
    assert wrong.returncode != 0
    assert "CACHE_URL must be a redis://, rediss:// or unix:// URL" in wrong.stderr
