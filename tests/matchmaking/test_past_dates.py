"""A deadline or end date in the past is refused where it is written (form,
API), naming the field; a record whose date has since passed still saves."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from matchmaking.models import Need
from tests.factories import MembershipFactory
from tests.factories import NeedFactory
from tests.factories import ProgrammeFactory
from tests.factories import ProviderFactory


@pytest.fixture
def focal(db):
    return MembershipFactory().user


def test_api_refuses_a_need_needed_by_a_past_date(focal):
    client = APIClient()
    client.force_authenticate(focal)
    state = focal.memberships.get().member_state
    response = client.post(
        "/api/v1/needs/",
        {
            "country": state.country_id,
            "title": "Old deadline",
            "topics": ["incident-response"],
            "languages": ["en"],
            "needed_by": "2001-01-01",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "needed_by": ["Needed by cannot be in the past."]
    }
    assert not Need.objects.filter(title="Old deadline").exists()


def test_form_refuses_moving_a_need_deadline_into_the_past(focal, client):
    need = NeedFactory(member_state=focal.memberships.get().member_state)
    client.force_login(focal)
    url = reverse("need-edit", args=[need.ref])
    form = client.get(url).context["form"]
    data = {
        name: [str(getattr(v, "pk", v)) for v in value]
        if isinstance(value := form[name].value(), list)
        else ("" if value is None else str(getattr(value, "pk", value)))
        for name in form.fields
    }
    data["needed_by"] = "2001-01-01"
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "needed_by": ["Needed by cannot be in the past."]
    }
    need.refresh_from_db()
    assert need.needed_by is None


def test_programme_that_has_ended_still_saves_but_no_new_past_end(db):
    provider = ProviderFactory()
    manager = MembershipFactory(member_state=None, provider=provider).user
    programme = ProgrammeFactory(
        provider=provider,
        starts_on=dt.date(2023, 7, 1),
        ends_on=dt.date(2025, 6, 30),
    )
    client = APIClient()
    client.force_authenticate(manager)
    url = f"/api/v1/programmes/{programme.ref}/"
    unchanged = client.patch(url, {"title": "Renamed"}, format="json")
    assert unchanged.status_code == 200
    moved = client.patch(url, {"ends_on": "2024-01-01"}, format="json")
    assert moved.status_code == 400
    assert moved.json()["error"]["fields"] == {
        "ends_on": ["Ends on cannot be in the past."]
    }
    programme.refresh_from_db()
    assert (programme.title, programme.ends_on) == ("Renamed", dt.date(2025, 6, 30))


def test_form_saves_an_edited_field(focal, client):
    """The form's validation sets the new values on the record in memory:
    the service must still see (and save) them as changes."""
    need = NeedFactory(member_state=focal.memberships.get().member_state)
    client.force_login(focal)
    response = client.post(
        reverse("need-edit", args=[need.ref]),
        {
            "title": "New title",
            "topics": ["awareness"],
            "languages": ["en"],
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.title == "New title"
