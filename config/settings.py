"""Settings for the matchmaking platform: one module, every value from the environment.

Defaults are safe for a developer's machine (SQLite, debug on, local hosts).
Production sets DJANGO_DEBUG=False, DJANGO_SECRET_KEY, DJANGO_ALLOWED_HOSTS and
DATABASE_URL (PostgreSQL); see README.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str) -> str:
    """Read a string setting; an empty value means the default."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean setting; anything but a clear yes/no is a configuration error."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Read an integer setting."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    """Read a decimal setting."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated list setting."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", True)
# Only ever used with DEBUG on, on a developer's machine.
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEV_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG=False")
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Form widgets render through TEMPLATES (FORM_RENDERER below): the
    # project's templates/django/forms/ override some of Django's.
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "simple_history",
    "matchmaking",
    "roundtable",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Production only (below): hashed, compressed static files from the app server.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware that keeps English unprefixed and honours the profile,
    # the language cookie and Accept-Language (see matchmaking/i18n.py).
    "matchmaking.i18n.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Curators, staff and superusers reach nothing until two-factor is on.
    "matchmaking.accounts.two_factor.TwoFactorRequiredMiddleware",
    "config.security.PrivatePagesMiddleware",
    # A read asks who the user acts for once (see the class).
    "matchmaking.accounts.middleware.MembershipsOnceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication: history records name the user who made a change.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout into its 429 response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "matchmaking.views.common.navigation",
                "matchmaking.i18n.languages",
            ],
        },
    },
]

# Widgets render with the project's templates first (templates/django/forms/):
# a faster select widget, same HTML.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# SQLite by default (IMMEDIATE transactions and a busy timeout so concurrent
# writers wait instead of failing with "database is locked"); PostgreSQL in
# production through DATABASE_URL.
_SQLITE_URL = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", _SQLITE_URL),
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Several checkouts testing against one PostgreSQL server each name their own
# test database (pytest-xdist adds _gw0, _gw1, ... to it).
if _test_database_name := env_str("TEST_DATABASE_NAME", ""):
    DATABASES["default"]["TEST"] = {"NAME": _test_database_name}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compiling: it costs about 0.4 s for a statement whose estimate
    # passes jit_above_cost (the searched catalogue's counts at 100,000
    # programmes, docs/benchmarks.md), more than it saves on any query here.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")
    # The API's hottest reads (matchmaking/prepared.py, the tag keys and the
    # translations of a page) have the server prepare their statements once
    # per connection: planning them took most of the database's time for
    # them. Nothing else is prepared: Django's own queries bind client-side,
    # and this threshold only lets a cursor ask for it. Off for a pooler that
    # cannot keep prepared statements (PgBouncer in transaction mode).
    if env_bool("DJANGO_DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2**31 - 1)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "matchmaking.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses any attempt while the client is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "matchmaking.accounts.backends.CuratorBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The six official UN languages; English is the source. A language shows in the
# switcher once locale/<dir>/LC_MESSAGES/django.mo exists (matchmaking/i18n.py).
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ar", "العربية"),
    ("es", "Español"),
    ("fr", "Français"),
    ("ru", "Русский"),
    ("zh-hans", "中文"),
]
LANGUAGE_COOKIE_NAME = "language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
# Named formats per language (templates use date:"SHORT_DATE_FORMAT" ...).
FORMAT_MODULE_PATH = ["config.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Production serves `collectstatic` output with hashed, compressed names
# (WhiteNoise, long cache headers); tests and runserver keep the plain storage
# so they need no collectstatic.
STATIC_MANIFEST = env_bool("DJANGO_STATIC_MANIFEST", not DEBUG)

# Full-text search on PostgreSQL (per-language vectors, relevance ranking,
# misspellings: docs/search.md), on by default; SQLite always uses the
# substring search. The vectors are kept up to date either way, so turning it
# back on needs no backfill.
SEARCH_FULL_TEXT = env_bool("CBM_SEARCH_FULL_TEXT", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "config.storage.StaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if STATIC_MANIFEST:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(BASE_DIR / "media")))

# Background work (matching refresh) goes through django.tasks. The immediate
# backend runs a task in-process; production sets DJANGO_TASKS_BACKEND to
# django_tasks_db.DatabaseBackend and runs `manage.py task_worker` (db_worker
# with a lease: matchmaking/taskqueue.py).
TASKS = {
    "default": {
        "BACKEND": env_str(
            "DJANGO_TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# The task worker (`manage.py task_worker`) beats while it lives; a task still
# running whose worker has been silent this long goes back to the queue (a
# worker killed mid-task). Longer than any pause of a live worker.
TASKS_LEASE_SECONDS = env_int("TASKS_LEASE_SECONDS", 60)

# /health/ calls the task queue "delayed" (still 200) when a ready task has
# waited longer than this: no worker is taking them.
HEALTH_TASK_WAIT_SECONDS = env_int("HEALTH_TASK_WAIT_SECONDS", 300)

# Notifications (docs/notifications.md): the worker re-delivers an event left
# undelivered this long (a crash, a failed channel); the engine announces a
# new suggestion at or above this score and rank.
NOTIFICATIONS_SWEEP_AFTER_SECONDS = env_int("NOTIFICATIONS_SWEEP_AFTER_SECONDS", 30)
NOTIFICATIONS_SUGGESTION_MIN_SCORE = env_float(
    "NOTIFICATIONS_SUGGESTION_MIN_SCORE", 0.5
)
NOTIFICATIONS_SUGGESTION_MAX_RANK = env_int("NOTIFICATIONS_SUGGESTION_MAX_RANK", 5)
# Mail: links in mails start with SITE_URL; at most this many mails an hour to
# one person (the rest wait for the next hour); a failed send is retried
# after NOTIFICATIONS_MAIL_RETRY_SECONDS, twice as long each time, at most hourly.
SITE_URL = env_str("DJANGO_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
NOTIFICATIONS_MAIL_HOURLY_CAP = env_int("NOTIFICATIONS_MAIL_HOURLY_CAP", 20)
NOTIFICATIONS_MAIL_MAX_ATTEMPTS = env_int("NOTIFICATIONS_MAIL_MAX_ATTEMPTS", 50)
NOTIFICATIONS_MAIL_RETRY_SECONDS = env_float("NOTIFICATIONS_MAIL_RETRY_SECONDS", 30.0)

# Mail goes to the console in development; production names an SMTP backend
# (and its options through the backend's own settings).
MAILERS = {
    "default": {
        "BACKEND": env_str(
            "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        )
    }
}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "matchmaking@localhost")
if MAILERS["default"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    MAILERS["default"]["OPTIONS"] = {
        "host": env_str("DJANGO_EMAIL_HOST", "localhost"),
        "port": env_int("DJANGO_EMAIL_PORT", 587),
        "username": env_str("DJANGO_EMAIL_HOST_USER", ""),
        "password": env_str("DJANGO_EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", True),
        "timeout": env_int("DJANGO_EMAIL_TIMEOUT", 10),
    }
SERVER_EMAIL = env_str("DJANGO_SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Security headers. Everything else hardened for production follows DEBUG.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
if not DEBUG:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 5_242_880)

# Sessions: a working day at most; logout, a password change and deactivation
# end them (Django's session auth hash and ModelBackend.user_can_authenticate).
SESSION_COOKIE_AGE = env_int("DJANGO_SESSION_COOKIE_AGE", 12 * 60 * 60)

# Login lockout (django-axes): after AXES_FAILURE_LIMIT failed attempts for one
# username from one client address, that pair is refused (429) for the
# cool-off period, even with the right password. The client address is
# REMOTE_ADDR, or the proxy-appended X-Forwarded-For entry when
# DJANGO_NUM_PROXIES says how many proxies to trust, the same rule as the API
# throttles, so a forged header cannot buy fresh attempts.
AXES_FAILURE_LIMIT = env_int("DJANGO_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("DJANGO_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "matchmaking.audit.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
# A failure while locked out must not extend the lock forever.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Per account, from all addresses together (matchmaking/accounts/throttle.py):
# after this many failures each attempt waits 1 s, 2 s, 4 s ... up to the cap
# since the last failure, unless the browser signed in to the account before.
LOGIN_ACCOUNT_FREE_FAILURES = env_int("DJANGO_LOGIN_ACCOUNT_FREE_FAILURES", 10)
LOGIN_ACCOUNT_MAX_DELAY_SECONDS = env_int(
    "DJANGO_LOGIN_ACCOUNT_MAX_DELAY_SECONDS", 15 * 60
)
# Password-reset mail, per hour: per address asked for, and per client address.
# Past either, the page answers the same but no mail goes out.
PASSWORD_RESET_MAILS_PER_ADDRESS = env_int("DJANGO_PASSWORD_RESET_PER_ADDRESS", 3)
PASSWORD_RESET_REQUESTS_PER_CLIENT = env_int("DJANGO_PASSWORD_RESET_PER_CLIENT", 10)

# Two-factor authentication (TOTP, django-otp): required for curators, staff and
# superusers (matchmaking/accounts/two_factor.py).
OTP_TOTP_ISSUER = env_str("DJANGO_OTP_ISSUER", "CBM matchmaking")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so an unauthenticated request gets 401 + WWW-Authenticate.
        "matchmaking.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "matchmaking.api.permissions.TokenScopeAllows",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("DJANGO_API_ANON_RATE", "120/min"),
        "user": env_str("DJANGO_API_USER_RATE", "600/min"),
        "dataset": env_str("DJANGO_API_DATASET_RATE", "10/min"),
    },
    "EXCEPTION_HANDLER": "matchmaking.api.base.api_exception_handler",
    # JSON only (it can say null; generated clients want one body type), with
    # a parser that refuses what no database can store. Operations that take a
    # file name MultiPartParser themselves; anything else is a 415.
    "DEFAULT_PARSER_CLASSES": ["matchmaking.api.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": (
        "matchmaking.api.negotiation.FormatNegotiation"
    ),
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    # Throttles key on REMOTE_ADDR unless a proxy count is given: a forged
    # X-Forwarded-For must not buy a fresh budget.
    "NUM_PROXIES": env_int("DJANGO_NUM_PROXIES", 0),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Cyber capacity-building matchmaking API",
    "DESCRIPTION": "Needs of UN member states, programmes of providers, "
    "explainable matches, the Global Roundtable and gap statistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "matchmaking.api.base.document_bad_parameters",
        "matchmaking.api.schema.finish_operations",
        "matchmaking.api.schema.add_links",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "NeedStatusEnum": "matchmaking.enums.NeedStatus",
        "ProgrammeStatusEnum": "matchmaking.enums.ProgrammeStatus",
        "MatchStatusEnum": "matchmaking.enums.MatchStatus",
        "SessionKindEnum": "roundtable.enums.SessionKind",
        "SlotKindEnum": "roundtable.enums.SlotKind",
        "PitchStateEnum": "roundtable.enums.PitchState",
        "TokenScopeEnum": "matchmaking.models.TokenScope",
        "SavedSearchScopeEnum": "matchmaking.models.webhooks.SearchScope",
        "EventKindEnum": "matchmaking.models.notifications.EventKind",
    },
    # Swagger UI from static/vendor (no CDN: the CSP allows 'self' only).
    "SWAGGER_UI_DIST": f"/{STATIC_URL}vendor/swagger-ui-dist-5.35.0",
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL}vendor/swagger-ui-dist-5.35.0/"
    "favicon-32x32.png",
}

# How many suggestions the engine keeps per need.
MATCHING_TOP_K = env_int("MATCHING_TOP_K", 10)
# Gap statistics are cached this many seconds per scope and filters (0: off).
STATS_CACHE_SECONDS = env_int("STATS_CACHE_SECONDS", 60)
# API GET answers are kept this long at most (0: off); a change to the data
# they read retires them at once (see matchmaking/api_cache.py).
API_CACHE_SECONDS = env_int("API_CACHE_SECONDS", 60)
# Reference data read on every catalogue page (facet options, the names a
# search looks up) is kept this long at most (0: off); an edit shows at once
# (see matchmaking/reference_cache.py).
REFERENCE_CACHE_SECONDS = env_int("REFERENCE_CACHE_SECONDS", 300)
# The default cache (API throttles, statistics, API answers). Without
# CACHE_URL: local memory in each process (at most CACHE_MAX_ENTRIES entries),
# right for one process; with several app-server processes set CACHE_URL to a
# Redis server so that they share throttle counters and kept answers. Redis is
# an accelerator, not a dependency: while it is unreachable the cache serves
# from local memory (config/cache.py) and /health/ says "degraded", still 200.
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"CACHE_URL must be a redis://, rediss:// or unix:// URL, not {CACHE_URL!r}"
        )
    CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "cbm"),
            "OPTIONS": {"FALLBACK_MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 5000)},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": env_int("CACHE_MAX_ENTRIES", 5000)},
        }
    }

# Webhooks (matchmaking/webhooks/): never to loopback, link-local or private
# addresses; WEBHOOK_ALLOW_LOOPBACK lets loopback through for tests and local
# development only. An endpoint is disabled after this many failed attempts in
# a row (its owner is mailed); each attempt waits at most the timeout.
WEBHOOK_ALLOW_LOOPBACK = env_bool("WEBHOOK_ALLOW_LOOPBACK", False)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", 20)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10)

# Roundtable: how long a presenter has to answer a follow-up meeting request.
ROUNDTABLE_MEETING_REQUEST_TTL_HOURS = env_int(
    "ROUNDTABLE_MEETING_REQUEST_TTL_HOURS", 72
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # SafeFormatter: a message never spans lines, whatever text a user chose
        # (a username with a line break cannot forge a log line).
        "plain": {
            "()": "matchmaking.logtext.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task start and end is noise at INFO.
        "django.tasks": {"level": "WARNING"},
        # django-axes logs every login at INFO with masked fields; its lockout
        # warnings stay, and the "security" logger records the events.
        "axes": {"level": "WARNING"},
        # Denied object access, failed logins, lockouts (matchmaking/audit.py):
        # always kept at INFO, whatever the root level, for the security trail.
        "security": {"level": "INFO"},
    },
}

# Audit trail (django-simple-history): the admin shows each object's history
# but offers no "revert", which would bypass the services' workflow checks.
SIMPLE_HISTORY_REVERT_DISABLED = True
