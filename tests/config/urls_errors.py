"""The project's routes plus views that fail on purpose (for the error tests)."""

from django.db import connection
from django.urls import path
from rest_framework.decorators import api_view
from rest_framework.decorators import permission_classes
from rest_framework.permissions import AllowAny

from config.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise ZeroDivisionError("secret-internal-detail")


@api_view(["GET"])
@permission_classes([AllowAny])
def boom_api(request):
    raise ZeroDivisionError("secret-internal-detail")


def boom_db(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM no_such_table_here")


urlpatterns = [
    path("boom/", boom),
    path("boom-api/", boom_api),
    path("boom-db/", boom_db),
    *project_urlpatterns,
]
