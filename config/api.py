"""The one router of API v1, with the OpenAPI schema and its docs."""

import threading

from django.core.signals import setting_changed
from django.http import JsonResponse
from django.urls import NoReverseMatch
from django.urls import include
from django.urls import path
from django.urls import re_path
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import DefaultRouter
from rest_framework.views import APIView

from matchmaking.api import dataset as mm_dataset
from matchmaking.api import export as mm_export
from matchmaking.api import funding as mm_funding
from matchmaking.api import joining as mm_joining
from matchmaking.api import matches as mm_matches
from matchmaking.api import needs as mm_needs
from matchmaking.api import notifications as mm_notifications
from matchmaking.api import programmes as mm_programmes
from matchmaking.api import providers as mm_providers
from matchmaking.api import reference as mm_reference
from matchmaking.api import savedsearches as mm_savedsearches
from matchmaking.api import stats
from matchmaking.api import tokens as mm_tokens
from matchmaking.api import webhooks as mm_webhooks
from roundtable.api import commitments as rt_commitments
from roundtable.api import events as rt_events
from roundtable.api import meetings as rt_meetings
from roundtable.api import pitches as rt_pitches
from roundtable.api import sessions as rt_sessions


def NOT_FOUND() -> JsonResponse:
    return JsonResponse(
        {"error": {"status": 404, "code": "not_found", "message": "Not found."}},
        status=404,
    )


class ApiRoot(APIView):
    """The API's front door: its docs and schema, and the resources the caller
    may use (anonymous callers: the public ones), never a 401."""

    permission_classes = [AllowAny]
    schema = None  # not an operation of the schema
    api_root_dict: dict[str, str] = {}

    def get(self, request, *args, **kwargs):
        namespace = request.resolver_match.namespace
        signed_in = bool(request.user and request.user.is_authenticated)
        resources = {}
        for prefix, viewset, basename in router.registry:
            if not signed_in and not public_reads(viewset):
                continue
            name = f"{namespace}:{basename}-list"
            try:
                resources[prefix] = reverse(name, request=request)
            except NoReverseMatch:  # a resource without a list (stats)
                resources[prefix] = request.build_absolute_uri(prefix + "/")
        return Response(
            {
                "docs": reverse(f"{namespace}:docs", request=request),
                "schema": reverse(f"{namespace}:schema", request=request),
                "authenticated": signed_in,
                "resources": resources,
            }
        )


def public_reads(viewset) -> bool:
    """Whether anyone may read the resource (no permission needing a user)."""
    classes = viewset.permission_classes
    return not any(issubclass(cls, IsAuthenticated) for cls in classes)


router = DefaultRouter()
router.APIRootView = ApiRoot
router.register("countries", mm_reference.CountryViewSet, basename="country")
router.register("regions", mm_reference.RegionViewSet, basename="region")
router.register("taxonomy", mm_reference.TaxonomyViewSet, basename="taxonomy")
router.register("providers", mm_providers.ProviderViewSet, basename="provider")
router.register("programmes", mm_programmes.ProgrammeViewSet, basename="programme")
router.register("needs", mm_needs.NeedViewSet, basename="need")
router.register("matches", mm_matches.MatchViewSet, basename="match")
router.register("tokens", mm_tokens.ApiTokenViewSet, basename="token")
router.register("join-requests", mm_joining.JoinRequestViewSet, basename="join-request")
router.register("webhooks", mm_webhooks.WebhookEndpointViewSet, basename="webhook")
router.register(
    "saved-searches", mm_savedsearches.SavedSearchViewSet, basename="saved-search"
)
router.register(
    "notifications", mm_notifications.NotificationViewSet, basename="notification"
)
router.register("dataset", mm_dataset.DatasetViewSet, basename="dataset")
router.register("export", mm_export.ExportViewSet, basename="export")
router.register(
    "programme-funding",
    mm_funding.ProgrammeFundingViewSet,
    basename="programme-funding",
)
router.register(
    "iati/activities", mm_funding.IatiActivitiesViewSet, basename="iati-activities"
)
router.register("stats/gaps", stats.GapStatsViewSet, basename="gap-stats")
# One resource per statistic of the dashboard: stats/<name>, named stats-<name>.
for name, viewset in (
    ("heatmap", stats.HeatmapStatsViewSet),
    ("coverage", stats.CoverageStatsViewSet),
    ("unmet-needs", stats.UnmetNeedsStatsViewSet),
    ("timeline", stats.TimelineStatsViewSet),
    ("providers", stats.ProviderStatsViewSet),
    ("map", stats.MapStatsViewSet),
    ("funnel", stats.FunnelStatsViewSet),
):
    router.register(f"stats/{name}", viewset, basename=f"stats-{name}")
router.register("events", rt_events.EventViewSet, basename="event")
router.register("sessions", rt_sessions.SessionViewSet, basename="session")
router.register("pitches", rt_pitches.PitchViewSet, basename="pitch")
router.register("meetings", rt_meetings.MeetingViewSet, basename="meeting")
router.register("commitments", rt_commitments.CommitmentViewSet, basename="commitment")


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated once per language and version in each
    process instead of on every request (a second or more of CPU each).

    It depends on the code alone: it is public (``SERVE_PUBLIC``: the same for
    every caller) and names no server, so what one request generated is what
    the next one would. Renderers only read it. Settings changed at run time
    (tests) drop what was kept.
    """

    _kept: dict[tuple, dict] = {}
    _lock = threading.Lock()

    def _get_schema_response(self, request):
        version = (
            self.api_version or request.version or self._get_version_parameter(request)
        )
        key = (type(self), version, translation.get_language())
        with self._lock:
            schema = self._kept.get(key)
            if schema is None:
                generator = self.generator_class(
                    urlconf=self.urlconf, api_version=version, patterns=self.patterns
                )
                # Without the request, as `manage.py spectacular` generates it:
                # nothing of the first caller's can end up in what every
                # later caller is served.
                schema = generator.get_schema(request=None, public=self.serve_public)
                self._kept[key] = schema
        filename = self._get_filename(request, version)
        disposition = f'inline; filename="{filename}"'
        return Response(data=schema, headers={"Content-Disposition": disposition})


def _forget_schemas(**kwargs) -> None:
    with SchemaView._lock:
        SchemaView._kept.clear()


setting_changed.connect(_forget_schemas, dispatch_uid="api:forget_schemas")


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path(
        "notification-settings/",
        mm_notifications.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
    path("", include(router.urls)),
    # Anything else under /api/v1/ (including ids that fail a lookup pattern)
    # answers in the API's one error shape, not with the HTML 404 page.
    # CSRF-exempt like every API view: a POST there is a 404, not the HTML
    # page of a CSRF failure.
    re_path(
        r"^",
        csrf_exempt(lambda request, *args, **kwargs: NOT_FOUND()),
        name="not-found",
    ),
]
