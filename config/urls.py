"""Top-level routes: the admin, the HTML pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("matchmaking.urls")),
]
