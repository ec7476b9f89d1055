"""Every free-text field has a maximum length: pages, API and import refuse more."""

import copy

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.exchange import import_dataset
from matchmaking.dataset.records import Problem
from matchmaking.forms import DeclineForm
from matchmaking.forms import NeedForm
from matchmaking.models import LONG_TEXT
from matchmaking.models import NOTE_TEXT
from matchmaking.models import SHORT_TEXT
from matchmaking.models import Country
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from roundtable.forms import ReportForm
from tests.factories import MembershipFactory
from tests.factories import MemberStateFactory
from tests.factories import NeedFactory
from tests.factories import UserFactory
from tests.matchmaking.dataset.test_dataset import small

pytestmark = pytest.mark.django_db


def test_need_form_states_and_enforces_the_limits():
    need = NeedFactory()
    form = NeedForm(
        instance=need,
        data={"title": "t" * 301, "summary": "s" * (SHORT_TEXT + 1)},
    )
    assert form.fields["description"].widget.attrs["maxlength"] == str(LONG_TEXT)
    assert not form.is_valid()
    assert form.errors["title"] == [
        "Ensure this value has at most 300 characters (it has 301)."
    ]
    assert form.errors["summary"] == [
        f"Ensure this value has at most {SHORT_TEXT} characters "
        f"(it has {SHORT_TEXT + 1})."
    ]


def test_need_edit_page_refuses_a_long_description_and_changes_nothing(client):
    state = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    user = UserFactory(username="ms_a")
    MembershipFactory(user=user, member_state=state)
    need = NeedFactory(member_state=state, title="Establish a national CSIRT")
    client.force_login(user)
    response = client.post(
        reverse("need-edit", args=[need.ref]),
        {
            "title": "Renamed",
            "description": "d" * (LONG_TEXT + 1),
            "topics": ["csirt-establishment"],
            "languages": ["fr"],
            "visibility": "public",
        },
    )
    assert response.status_code == 400  # the form again, with the error
    assert (
        f"Ensure this value has at most {LONG_TEXT} characters (it has "
        f"{LONG_TEXT + 1})." in response.content.decode()
    )
    need.refresh_from_db()
    assert (need.title, need.description) == (
        "Establish a national CSIRT",
        "We need help to establish our national CSIRT.",
    )


def test_decline_and_report_forms_refuse_text_over_the_limit():
    decline = DeclineForm(data={"reason": "r" * (NOTE_TEXT + 1)})
    report = ReportForm(data={"summary": "s" * (LONG_TEXT + 1)})
    assert not decline.is_valid()
    assert list(decline.errors) == ["reason"]
    assert not report.is_valid()
    assert list(report.errors) == ["summary"]


def test_model_full_clean_refuses_a_description_over_the_limit():
    need = NeedFactory()
    need.description = "d" * (LONG_TEXT + 1)
    with pytest.raises(ValidationError) as caught:
        need.full_clean()
    assert list(caught.value.message_dict) == ["description"]


def test_api_refuses_a_long_description_naming_the_field_and_writes_nothing():
    state = MemberStateFactory(country=Country.objects.get(iso3="SEN"))
    user = UserFactory(username="ms_a")
    MembershipFactory(user=user, member_state=state)
    client = APIClient()
    client.force_authenticate(user)
    before = Need.objects.count()
    response = client.post(
        "/api/v1/needs/",
        {
            "title": "Cybercrime legislation review",
            "country": "SEN",
            "topics": ["csirt-establishment"],
            "languages": ["en"],
            "description": "word " * (LONG_TEXT // 5) + "x",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "description": [f"Ensure this field has no more than {LONG_TEXT} characters."]
    }
    assert Need.objects.count() == before


def test_import_refuses_a_long_text_naming_record_and_field_and_writes_nothing():
    data = small()
    data["programmes"][0]["description"] = "x" * (LONG_TEXT + 1)
    data["needs"][0]["summary"] = "y" * (SHORT_TEXT + 1)
    counts = (Provider.objects.count(), Programme.objects.count(), Need.objects.count())
    with pytest.raises(DatasetInvalid) as caught:
        import_dataset(data=copy.deepcopy(data))
    need_ref = data["needs"][0]["ref"]
    assert caught.value.problems == [
        Problem(
            "itu-cirt",
            "programmes",
            "description",
            f"longer than {LONG_TEXT} characters",
        ),
        Problem(need_ref, "needs", "summary", f"longer than {SHORT_TEXT} characters"),
    ]
    assert str(caught.value.problems[0]) == (
        f"programmes[itu-cirt].description: longer than {LONG_TEXT} characters"
    )
    assert counts == (
        Provider.objects.count(),
        Programme.objects.count(),
        Need.objects.count(),
    )


def test_import_accepts_texts_at_the_limit():
    data = small()
    data["programmes"][0]["description"] = "x" * LONG_TEXT
    data["programmes"][0]["summary"] = "y" * SHORT_TEXT
    import_dataset(data=data)
    programme = Programme.objects.get(ref="itu-cirt")
    assert (len(programme.description), len(programme.summary)) == (
        LONG_TEXT,
        SHORT_TEXT,
    )
