"""Top-level routes: the admin, the HTML pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(("config.api", "api"), namespace="api")),
    path("roundtable/", include("roundtable.urls")),
    path("", include("matchmaking.urls")),
]
