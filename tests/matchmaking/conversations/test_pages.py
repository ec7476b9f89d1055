"""The conversation on the match page, the conversations list and the header count."""

import re

import pytest

from matchmaking.conversations.services import hide_message
from matchmaking.conversations.services import post_message
from matchmaking.models import Message
from matchmaking.models import OutboxEvent

pytestmark = pytest.mark.django_db


def _page(client, user, match):
    client.force_login(user)
    return client.get(f"/matches/{match.pk}/").content.decode()


def test_before_the_introduction_the_parties_read_when_they_may_write(world, client):
    page = _page(client, world.focal, world.match)
    assert "data-conversation-closed" in page
    assert "data-message-form" not in page


def test_a_party_writes_without_javascript_and_links_are_safe(introduced, client):
    world = introduced
    client.force_login(world.focal)
    answer = client.post(
        f"/matches/{world.match.pk}/messages/",
        {"body": "See https://example.org/plan <script>alert(1)</script>"},
    )
    assert answer.status_code == 302
    assert answer["Location"] == f"/matches/{world.match.pk}/#conversation"
    message = Message.objects.get()
    assert OutboxEvent.objects.filter(kind="message.new").count() == 1
    page = _page(client, world.manager, world.match)
    assert (
        '<a class="govuk-link" href="https://example.org/plan" '
        'rel="nofollow noopener noreferrer">https://example.org/plan</a>'
        " &lt;script&gt;alert(1)&lt;/script&gt;"
    ) in page
    assert "<script>alert(1)" not in page
    assert f'data-message="{message.pk}" data-new' in page
    # Opening the page read it: the next visit shows nothing new.
    assert "data-new" not in _page(client, world.manager, world.match)


def test_htmx_swaps_the_conversation_and_errors_name_the_field(introduced, client):
    world = introduced
    client.force_login(world.manager)
    url = f"/matches/{world.match.pk}/messages/"
    answer = client.post(url, {"body": "Hello"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    fragment = answer.content.decode()
    assert fragment.lstrip().startswith("<section")
    assert 'id="conversation"' in fragment
    assert "Hello" in fragment
    empty = client.post(url, {"body": "   "}, HTTP_HX_REQUEST="true").content.decode()
    assert "Your message: Write a message." in empty
    assert 'aria-invalid="true"' in empty
    too_long = client.post(url, {"body": "x" * 2001})
    assert too_long.status_code == 400
    assert re.search(r"Your message: Ensure this value has at most 2000", too_long.text)
    assert Message.objects.count() == 1


def test_strangers_get_404_and_nothing_is_written(introduced, client):
    world = introduced
    post_message(user=world.focal, match=world.match, body="Private plan")
    client.force_login(world.outsider)
    assert client.get(f"/matches/{world.match.pk}/").status_code == 404
    answer = client.post(f"/matches/{world.match.pk}/messages/", {"body": "Hi"})
    assert answer.status_code == 404
    assert Message.objects.count() == 1
    assert "Private plan" not in client.get("/messages/").content.decode()


def test_a_curator_reads_and_hides_with_a_reason_the_parties_read(
    introduced, client, curator
):
    world = introduced
    message = post_message(user=world.focal, match=world.match, body="Call 555-0100")
    page = _page(client, curator, world.match)
    assert "Call 555-0100" in page
    assert "data-message-form" not in page  # curators read, they do not write
    url = f"/matches/{world.match.pk}/messages/{message.pk}/hide/"
    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400
    assert "Say why the message is hidden." in missing.text
    assert client.post(url, {"reason": "Personal data"}).status_code == 302
    party = _page(client, world.manager, world.match)
    assert "Hidden by the secretariat: Personal data" in party
    assert "Call 555-0100" not in party
    client.force_login(world.manager)
    other = post_message(user=world.focal, match=world.match, body="Again")
    answer = client.post(
        f"/matches/{world.match.pk}/messages/{other.pk}/hide/", {"reason": "x"}
    )
    assert answer.status_code == 404
    assert Message.objects.get(pk=other.pk).hidden_at is None


def test_the_header_count_and_the_list_of_conversations(introduced, client, curator):
    world = introduced
    post_message(user=world.focal, match=world.match, body="One")
    post_message(user=world.focal, match=world.match, body="Two")
    client.force_login(world.manager)
    badge = client.get("/messages/badge/").content.decode()
    assert 'data-unread-count="2"' in badge
    listing = client.get("/messages/").content.decode()
    assert f'data-conversation="{world.match.pk}" data-unread="2"' in listing
    assert "2 messages" in listing
    assert "data-messages" in client.get("/").content.decode()
    _page(client, world.manager, world.match)
    assert "data-unread-count" not in client.get("/messages/badge/").content.decode()
    hide_message(
        user=curator, message=Message.objects.order_by("id").last(), reason="Dup"
    )
    client.force_login(curator)
    assert "data-messages" not in client.get("/").content.decode()
