"""The one router of API v1, with the OpenAPI schema and its docs."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from matchmaking import api as mm
from matchmaking import api_stats as stats
from roundtable import api as rt


def NOT_FOUND() -> JsonResponse:
    return JsonResponse(
        {"error": {"status": 404, "code": "not_found", "message": "Not found."}},
        status=404,
    )


router = DefaultRouter()
router.register("countries", mm.CountryViewSet, basename="country")
router.register("regions", mm.RegionViewSet, basename="region")
router.register("taxonomy", mm.TaxonomyViewSet, basename="taxonomy")
router.register("providers", mm.ProviderViewSet, basename="provider")
router.register("programmes", mm.ProgrammeViewSet, basename="programme")
router.register("needs", mm.NeedViewSet, basename="need")
router.register("matches", mm.MatchViewSet, basename="match")
router.register("tokens", mm.ApiTokenViewSet, basename="token")
router.register("dataset", mm.DatasetViewSet, basename="dataset")
router.register("stats/gaps", mm.GapStatsViewSet, basename="gap-stats")
router.register("stats/heatmap", stats.HeatmapStatsViewSet, basename="stats-heatmap")
router.register("stats/coverage", stats.CoverageStatsViewSet, basename="stats-coverage")
router.register(
    "stats/unmet-needs", stats.UnmetNeedsStatsViewSet, basename="stats-unmet-needs"
)
router.register("stats/timeline", stats.TimelineStatsViewSet, basename="stats-timeline")
router.register(
    "stats/providers", stats.ProviderStatsViewSet, basename="stats-providers"
)
router.register("stats/map", stats.MapStatsViewSet, basename="stats-map")
router.register("events", rt.EventViewSet, basename="event")
router.register("sessions", rt.SessionViewSet, basename="session")
router.register("pitches", rt.PitchViewSet, basename="pitch")
router.register("meetings", rt.MeetingViewSet, basename="meeting")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
    # Anything else under /api/v1/ (including ids that fail a lookup pattern)
    # answers in the API's one error shape, not with the HTML 404 page.
    re_path(r"^", lambda request, *args, **kwargs: NOT_FOUND()),
]
