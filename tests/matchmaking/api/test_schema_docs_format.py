"""An unknown ``?format=`` is a 400 naming it, documented on every operation."""

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path", ["/api/v1/programmes/", "/api/v1/stats/unmet-needs/", "/api/v1/taxonomy/"]
)
def test_an_unknown_format_is_a_400_naming_it(path):
    response = APIClient().get(path, {"format": "xml"})
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"format": ["Unknown format “xml”."]}
    assert APIClient().get(path, {"format": "json"}).status_code == 200


def test_every_operation_documents_a_400():
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "400" not in operation["responses"]
    ]
    assert missing == []
