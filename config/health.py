"""Health endpoint for load balancers and orchestrators: is the database reachable?"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """200 {"status": "ok", "database": "ok"} or 503 when the database is down.

    No authentication and no throttling (it is a plain Django view, outside
    DRF); it reveals nothing but the two words. ``Retry-After`` tells a
    balancer when to look again.
    """
    try:
        # A fresh round trip every time: a connection that died since the last
        # request is replaced (CONN_HEALTH_CHECKS) or raises here.
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        # The broken connection is closed at the end of the request (Django
        # does so after a database error), so the next check reconnects.
        logger.warning("health check: database unreachable", exc_info=True)
        response = JsonResponse({"status": "error", "database": "unavailable"})
        response.status_code = 503
        response["Retry-After"] = "5"
        return response
    return JsonResponse({"status": "ok", "database": "ok"})
