"""The SSRF guard: only http(s) to public addresses, checked when sending."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from matchmaking.models import WebhookDelivery
from matchmaking.webhooks import checks
from matchmaking.webhooks import delivery
from matchmaking.webhooks import network
from matchmaking.webhooks.events import SAVED_SEARCH_MATCH
from tests.factories import UserFactory

REFUSED = [
    "127.0.0.1",
    "::1",
    "10.1.2.3",
    "172.16.0.9",
    "192.168.1.1",
    "100.64.0.1",  # shared (carrier-grade NAT)
    "169.254.169.254",  # link-local: cloud metadata
    "fe80::1",
    "fc00::1",
    "::ffff:10.0.0.1",  # IPv4-mapped
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "0.0.0.0",  # noqa: S104 (an address refused, nothing binds to it)
    "224.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address):
    assert network.refusal(ipaddress.ip_address(address), allow_loopback=False)


def test_loopback_only_is_let_through_by_the_setting():
    allowed = {
        a
        for a in REFUSED
        if not network.refusal(ipaddress.ip_address(a), allow_loopback=True)
    }
    assert allowed == {"127.0.0.1", "::1"}
    assert not network.refusal(
        ipaddress.ip_address("93.184.216.34"), allow_loopback=False
    )


def _resolving_to(monkeypatch, *addresses):
    def fake(host, port, *args, **kwargs):
        family = socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch):
    _resolving_to(monkeypatch, "93.184.216.34", "10.0.0.7")
    sent = network.post("https://hooks.example.com/x", body=b"{}", headers={})
    assert (sent.status, sent.error) == (
        None,
        "Refused: the host resolves to a private address.",
    )


@pytest.mark.django_db
def test_loopback_receiver_is_not_called_unless_allowed(
    settings, receiver, monkeypatch
):
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    owner = UserFactory()
    # The URL is refused when subscribing (its host is a loopback address) ...
    with pytest.raises(ValidationError) as refused:
        delivery.create_endpoint(
            user=owner, url=receiver.url, event_types=[SAVED_SEARCH_MATCH]
        )
    assert "loopback" in str(refused.value.message_dict["url"])
    with pytest.raises(ValidationError):
        delivery.create_endpoint(
            user=owner, url="ftp://example.org/", event_types=[SAVED_SEARCH_MATCH]
        )
    # ... and when sending, whatever the name resolves to by then.
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    endpoint, _secret = delivery.create_endpoint(
        user=owner,
        url=receiver.url.replace("127.0.0.1", "receiver.test"),
        event_types=[SAVED_SEARCH_MATCH],
    )
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    _resolving_to(monkeypatch, "127.0.0.1")
    sent = delivery.send_test_event(user=owner, endpoint=endpoint)
    delivery.attempt(delivery_id=sent.pk)
    row = WebhookDelivery.objects.get()
    assert (row.state, row.last_error) == (
        "pending",
        "Refused: the host resolves to a loopback address.",
    )
    assert receiver.requests == []


def test_deploy_check_warns_when_loopback_is_allowed_in_production(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    assert [w.id for w in checks.loopback_webhooks()] == ["cbm.W001"]
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    assert checks.loopback_webhooks() == []
