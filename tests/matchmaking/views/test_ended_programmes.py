"""A programme whose end date has passed is labelled "Ended" and left out of
the catalogue, the home page count and the API's list unless asked for."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import ProgrammeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def programmes():
    return {
        "running": ProgrammeFactory(title="Running", ends_on=dt.date(2099, 1, 1)),
        "open": ProgrammeFactory(title="Open-ended", ends_on=None),
        "ended": ProgrammeFactory(
            title="CERT twinning pilot",
            starts_on=dt.date(2023, 7, 1),
            ends_on=dt.date(2025, 6, 30),
        ),
    }


def _titles(response) -> list[str]:
    return [p.title for p in response.context["page"].object_list]


def test_catalogue_leaves_ended_programmes_out_unless_asked(client, programmes):
    default = client.get(reverse("programme-list"))
    assert _titles(default) == ["Open-ended", "Running"]
    assert "data-ended" not in default.content.decode()
    ended = next(f for f in default.context["facets"] if f.name == "ended")
    assert ended.options == [
        {
            "id": "f-ended-1",
            "value": "1",
            "label": "Include ended programmes",
            "count": 1,
            "at_least": False,
            "selected": False,
        }
    ]
    shown = client.get(reverse("programme-list"), {"ended": "1"})
    assert _titles(shown) == ["CERT twinning pilot", "Open-ended", "Running"]
    assert shown.content.decode().count("data-ended") == 1


def test_home_page_counts_only_programmes_still_running(client, programmes):
    response = client.get(reverse("home"))
    assert response.context["figures"].published_programmes == 2


def test_programme_page_says_ended(client, programmes):
    page = client.get(reverse("programme-detail", args=[programmes["ended"].ref]))
    assert page.status_code == 200
    assert "data-ended" in page.content.decode()


def test_api_lists_ended_programmes_only_when_asked(programmes):
    client = APIClient()
    default = client.get("/api/v1/programmes/").json()
    assert sorted(p["title"] for p in default["results"]) == ["Open-ended", "Running"]
    asked = client.get("/api/v1/programmes/", {"include_ended": "true"}).json()
    assert sorted(p["title"] for p in asked["results"]) == [
        "CERT twinning pilot",
        "Open-ended",
        "Running",
    ]
    # Its own page still answers (a link to it keeps working).
    ref = programmes["ended"].ref
    assert client.get(f"/api/v1/programmes/{ref}/").status_code == 200
    assert (
        client.get("/api/v1/programmes/", {"include_ended": "maybe"}).status_code == 400
    )
