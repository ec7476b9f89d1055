"""Posting, hiding and reading messages: who may, when, and what goes out."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError
from django.db import transaction

from matchmaking import services
from matchmaking.conversations import selectors as conversations
from matchmaking.conversations.services import hide_message
from matchmaking.conversations.services import mark_read
from matchmaking.conversations.services import post_message
from matchmaking.enums import MembershipRole
from matchmaking.models import EventKind
from matchmaking.models import MailMessage
from matchmaking.models import Message
from matchmaking.models import Notification
from matchmaking.models import NotificationPreference
from matchmaking.models import OutboxEvent
from matchmaking.notifications import dispatch
from matchmaking.notifications.mail import send_pending
from tests.factories import MembershipFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _deliver():
    dispatch.deliver(
        OutboxEvent.objects.filter(delivered_at__isnull=True).values_list(
            "pk", flat=True
        )
    )


def test_no_conversation_before_the_introduction(world):
    with pytest.raises(ValidationError) as error:
        post_message(user=world.focal, match=world.match, body="Hello")
    assert list(error.value.message_dict) == ["body"]
    services.transition_match(
        user=world.focal, match=world.match, action="express_interest"
    )
    with pytest.raises(ValidationError):
        post_message(user=world.manager, match=world.match, body="Hello")
    assert not Message.objects.exists()
    assert not OutboxEvent.objects.filter(kind=EventKind.MESSAGE_NEW).exists()


def test_each_side_writes_and_the_other_side_hears(introduced):
    world = introduced
    OutboxEvent.objects.all().delete()
    message = post_message(
        user=world.focal, match=world.match, body="  Hello!\r\nCan we meet?  \n"
    )
    assert (message.side, message.body, message.author) == (
        "state",
        "Hello!\nCan we meet?",
        world.focal,
    )
    event = OutboxEvent.objects.get()
    assert (event.kind, event.subject_type, event.subject_id, event.payload) == (
        "message.new",
        "message",
        message.pk,
        {"match": world.match.pk},
    )
    _deliver()
    # The other side only: the provider's manager (not the colleague, not
    # the writer, not another provider).
    assert list(Notification.objects.values_list("user__username", flat=True)) == [
        "manager"
    ]
    assert send_pending() == 1
    sent = mail.outbox[0]
    assert sent.to == ["manager@example.org"]
    assert sent.subject == f"New message from Awa Diop: {world.match.programme.title}"
    assert "Awa Diop (" in sent.body
    assert "Hello!\nCan we meet?" in sent.body
    assert f"/matches/{world.match.pk}/#conversation" in sent.body
    reply = post_message(user=world.manager, match=world.match, body="Yes, Monday.")
    assert reply.side == "provider"
    _deliver()
    assert sorted(
        Notification.objects.filter(event__subject_id=reply.pk).values_list(
            "user__username", flat=True
        )
    ) == ["colleague", "focal"]


def test_the_reply_mail_is_in_the_recipients_language(introduced):
    world = introduced
    world.focal.language = "fr"
    world.focal.save(update_fields=["language"])
    post_message(user=world.manager, match=world.match, body="On commence lundi ?")
    _deliver()
    send_pending()
    sent = {m.to[0]: m for m in mail.outbox}["focal@example.org"]
    assert sent.subject == (
        f"Nouveau message de Hanna de Vries : {world.match.programme.title}"
    )
    assert "Hanna de Vries (" in sent.body
    assert "a écrit" in sent.body
    assert "Répondre sur la page de la mise en relation" in sent.body


def test_mail_settings_are_respected(introduced):
    world = introduced
    NotificationPreference.objects.create(
        user=world.manager, category="messages", mode="never"
    )
    post_message(user=world.focal, match=world.match, body="Hello")
    _deliver()
    assert Notification.objects.filter(user=world.manager).count() == 1
    assert not MailMessage.objects.filter(user=world.manager).exists()


def test_outsiders_and_curators_cannot_write(introduced, curator):
    world = introduced
    for user in (world.outsider, curator):
        with pytest.raises(PermissionDenied):
            post_message(user=user, match=world.match, body="Hi")
    assert not Message.objects.exists()


def test_limits_and_empty_text_name_the_field(introduced):
    world = introduced
    for body in ("", " \n\t ", "x" * 2001):
        with pytest.raises(ValidationError) as error:
            post_message(user=world.focal, match=world.match, body=body)
        assert list(error.value.message_dict) == ["body"]
    assert post_message(user=world.focal, match=world.match, body="x" * 2000)
    # Invisible control characters are dropped, tabs and line breaks kept.
    message = post_message(user=world.focal, match=world.match, body="a\x00b\x1b\tc")
    assert message.body == "ab\tc"


def test_a_rollback_takes_the_message_and_its_event(introduced):
    world = introduced
    before = OutboxEvent.objects.count()
    with transaction.atomic():
        post_message(user=world.focal, match=world.match, body="Draft")
        transaction.set_rollback(True)
    assert not Message.objects.exists()
    assert OutboxEvent.objects.count() == before


def test_a_curator_hides_a_message_with_a_reason_in_the_audit_trail(
    introduced, curator
):
    world = introduced
    message = post_message(user=world.focal, match=world.match, body="Rude words")
    with pytest.raises(PermissionDenied):
        hide_message(user=world.manager, message=message, reason="No")
    with pytest.raises(ValidationError) as error:
        hide_message(user=curator, message=message, reason="  ")
    assert list(error.value.message_dict) == ["reason"]
    hidden = hide_message(user=curator, message=message, reason="Insults")
    assert (hidden.hidden_by, hidden.hidden_reason) == (curator, "Insults")
    record = hidden.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (
        curator,
        "hidden by the secretariat",
    )
    assert record.hidden_reason == "Insults"
    with pytest.raises(ValidationError):
        hide_message(user=curator, message=message, reason="Again")


def test_a_message_hidden_before_its_mail_leaves_is_not_sent(introduced, curator):
    world = introduced
    message = post_message(user=world.focal, match=world.match, body="Oops")
    _deliver()
    hide_message(user=curator, message=message, reason="Sent by mistake")
    assert send_pending() == 0
    assert mail.outbox == []
    assert MailMessage.objects.get().status == "skipped"


def test_unread_counts_follow_each_persons_read_marker(introduced):
    world = introduced
    first = post_message(user=world.focal, match=world.match, body="One")
    post_message(user=world.focal, match=world.match, body="Two")
    assert conversations.unread_count(user=world.manager) == 2
    assert conversations.unread_count(user=world.focal) == 0  # their own
    assert conversations.unread_count(user=world.colleague) == 2  # a colleague's
    assert conversations.unread_count(user=world.outsider) == 0
    newest = Message.objects.latest("id").pk
    assert first.pk < newest
    assert mark_read(user=world.manager, match=world.match) == newest
    assert conversations.unread_count(user=world.manager) == 0
    post_message(user=world.manager, match=world.match, body="Three")
    assert conversations.unread_count(user=world.focal) == 1
    assert conversations.unread_count(user=world.manager) == 0


def test_a_provider_that_may_no_longer_see_the_need_hears_nothing(introduced):
    world = introduced
    other = UserFactory(username="other-manager")
    MembershipFactory(
        user=other,
        member_state=None,
        provider=world.match.programme.provider,
        role=MembershipRole.MANAGER,
    )
    need = world.match.need
    need.visibility = "confidential"
    need.save(update_fields=["visibility"])
    post_message(user=world.focal, match=world.match, body="Still there?")
    _deliver()
    assert not Notification.objects.filter(event__kind="message.new").exists()
    assert conversations.unread_count(user=world.manager) == 0
