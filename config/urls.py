"""Top-level routes: the admin, the API, the language switcher, the HTML pages.

The HTML pages exist in every language: English at the unprefixed URLs, the
others under their language code (``/fr/needs/``); see matchmaking/i18n.py.
"""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include
from django.urls import path
from django.views.generic import RedirectView

from config.health import health
from matchmaking.views import site as matchmaking_site

urlpatterns = [
    # Health for load balancers: no auth, no throttle, no language prefix.
    path("health/", health, name="health"),
    # The admin signs in through the site's sign-in, which enforces lockout
    # and two-factor authentication; its own login form would bypass the latter.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin-login-redirect",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api", "api"), namespace="api")),
    path("i18n/setlang/", matchmaking_site.set_language, name="set_language"),
    *i18n_patterns(
        path("roundtable/", include("roundtable.urls")),
        path("", include("matchmaking.urls")),
        prefix_default_language=False,
    ),
]
