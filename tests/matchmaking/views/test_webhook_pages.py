"""The account's webhook and saved-search pages."""

from __future__ import annotations

import pytest
from django.test import Client

from matchmaking.models import SavedSearch
from matchmaking.models import WebhookEndpoint
from matchmaking.webhooks import delivery
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in():
    user = UserFactory(username="owner")
    client = Client()
    client.force_login(user)
    return user, client


def test_webhook_created_on_the_page_shows_its_secret_once(signed_in):
    user, client = signed_in
    response = client.post(
        "/accounts/webhooks/",
        {"url": "https://hooks.example.org/cbm", "event_types": ["saved_search.match"]},
    )
    endpoint = WebhookEndpoint.objects.get(user=user)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert endpoint.secret in response.content.decode()
    again = client.get("/accounts/webhooks/").content.decode()
    assert "https://hooks.example.org/cbm" in again
    assert endpoint.secret not in again
    assert (
        endpoint.secret
        not in client.get(f"/accounts/webhooks/{endpoint.pk}/").content.decode()
    )


def test_refused_url_is_named_and_nothing_saved(signed_in):
    _user, client = signed_in
    response = client.post(
        "/accounts/webhooks/",
        {"url": "http://192.168.0.10/hook", "event_types": ["saved_search.match"]},
    )
    assert response.status_code == 400
    assert "This URL cannot receive webhooks: the host is a private address." in (
        response.content.decode()
    )
    assert not WebhookEndpoint.objects.exists()


def test_someone_elses_webhook_is_a_404(signed_in):
    endpoint, _secret = delivery.create_endpoint(
        user=UserFactory(),
        url="https://hooks.example.org/x",
        event_types=["saved_search.match"],
    )
    _user, client = signed_in
    assert client.get(f"/accounts/webhooks/{endpoint.pk}/").status_code == 404
    assert client.post(f"/accounts/webhooks/{endpoint.pk}/delete/").status_code == 404
    assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_save_this_search_from_the_catalogue(signed_in):
    user, client = signed_in
    catalogue = client.get("/programmes/?topic=csirt-establishment&mode=online")
    assert (
        'href="/accounts/saved-searches/new/?scope=programmes&amp;'
        'topic=csirt-establishment&amp;mode=online"' in catalogue.content.decode()
    )
    form = client.get(
        "/accounts/saved-searches/new/?scope=programmes&topic=csirt-establishment"
        "&mode=online"
    )
    assert form.status_code == 200
    response = client.post(
        "/accounts/saved-searches/new/",
        {
            "name": "Online CSIRT",
            "scope": "programmes",
            "page_query": "topic=csirt-establishment&mode=online",
        },
    )
    assert response.status_code == 302
    search = SavedSearch.objects.get(user=user)
    assert (search.name, search.query) == (
        "Online CSIRT",
        "delivery_mode=online&topic=csirt-establishment",
    )
    listing = client.get("/accounts/saved-searches/").content.decode()
    assert '/programmes/?mode=online&amp;topic=csirt-establishment"' in listing
    client.post(f"/accounts/saved-searches/{search.pk}/delete/")
    assert not SavedSearch.objects.exists()
