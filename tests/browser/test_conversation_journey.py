"""From a need to a conversation, in a real browser (issue 16).

The focal point posts a need; the engine suggests the provider's programme and
the provider hears of it in the notification centre and by mail; interest,
introduction, both sides see each other's contact; a message each way; the
reply reaches the focal point by mail in French (their profile language) and
their webhook receiver gets ``message.new``, signed as Standard Webhooks say.
Mail goes over SMTP to a server the test starts (aiosmtpd), webhooks to a real
HTTP receiver; between steps the test runs what the task worker and cron run
(``run_notifications``, the webhook sweep).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from matchmaking import suggestions
from matchmaking.enums import MatchStatus
from matchmaking.models import Match
from matchmaking.models import Message
from matchmaking.models import Need
from matchmaking.models import OutboxEvent
from matchmaking.webhooks import delivery
from tests.factories.matchmaking import TEST_PASSWORD
from tests.webhook_receiver import running_receiver

pytestmark = pytest.mark.browser


def _deliver() -> None:
    """What the task worker and cron do between two steps."""
    call_command("run_notifications", stdout=io.StringIO())
    delivery.deliver_due()


def _mail_to(inbox, address: str, subject_part: str):
    found = [m for m in inbox if m["To"] == address and subject_part in m["Subject"]]
    assert found, [(m["To"], m["Subject"]) for m in inbox]
    return found[-1]


def _signed(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Standard Webhooks: HMAC-SHA256 over id.timestamp.body, base64, "v1,"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode()
    mac = hmac.new(key, signed + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(
        hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split()
    )


def _clean(*visitors) -> None:
    """No console error or page error so far (axe runs on the key pages)."""
    for visitor in visitors:
        assert visitor.problems == [], (visitor.page.url, visitor.problems)


def _write(visitor, text: str) -> None:
    """Send a message from the match page's conversation form (htmx)."""
    form = visitor.page.locator("[data-message-form]")
    form.get_by_label("Your message").fill(text)
    form.get_by_role("button", name="Send the message").click()
    expect(visitor.page.locator("#conversation")).to_contain_text(text.split(" ")[0])
    visitor.page.wait_for_load_state("networkidle")


def test_a_need_becomes_a_conversation_with_mail_and_webhooks(
    visit, world, smtp_inbox, settings
):
    settings.WEBHOOK_ALLOW_LOOPBACK = True
    # Any suggestion is news here: how well this small world scores is not
    # what the journey is about.
    settings.NOTIFICATIONS_SUGGESTION_MIN_SCORE = 0.0
    world.provider_p.is_verified = True
    world.provider_p.verified_at = timezone.now()
    world.provider_p.save(update_fields=["is_verified", "verified_at"])
    with running_receiver() as receiver:
        # The focal point's integration listens for new messages.
        endpoint, secret = delivery.create_endpoint(
            user=world.ms_a, url=receiver.url, event_types=["message.new"]
        )

        # The provider wants new suggestions at once, not in the daily digest.
        provider = visit()
        provider.sign_in("prov_p", TEST_PASSWORD)
        provider.goto("/notifications/settings/")
        provider.page.get_by_label("New suggestions").select_option("immediately")
        provider.page.get_by_role("button", name="Save").click()
        provider.page.wait_for_load_state("networkidle")

        # The focal point posts a need.
        state = visit()
        state.sign_in("ms_a", TEST_PASSWORD)
        state.goto("/my/needs/")
        page = state.page
        page.get_by_role("button", name="Post a need").click()
        page.wait_for_load_state("networkidle")
        page.get_by_label("Title").fill("Train our CSIRT analysts")
        page.locator("summary", has_text="Incident Management").click()
        page.get_by_label("Establishing and maturing national CSIRTs/CERTs").check()
        page.get_by_label("French").check()
        page.get_by_role("button", name="Publish need").click()
        page.wait_for_load_state("networkidle")
        need = Need.objects.get(title="Train our CSIRT analysts")
        # The engine's refresh (a background task, not run behind these pages).
        suggestions.refresh_need_suggestions(need_id=need.pk)
        match = Match.objects.get(need=need, programme=world.programme_p)
        assert OutboxEvent.objects.filter(
            kind="suggestion.new", subject_id=match.pk
        ).exists(), (match.score, match.rank)
        _deliver()

        # The provider's notification centre and mailbox show the suggestion.
        provider.goto("/notifications/")
        expect(provider.page.locator(".notification-list")).to_contain_text(
            "New suggestion: Train our CSIRT analysts ↔ CSIRT launch programme"
        )
        _mail_to(smtp_inbox, "prov_p@example.org", "Train our CSIRT analysts")
        _clean(provider, state)

        # Interest, then the provider accepts and introduces.
        state.goto(f"/needs/{need.ref}/")
        card = page.locator(f"#match-{match.pk}")
        card.get_by_role("button", name=re.compile("Express interest")).click()
        expect(card.locator("[data-match-status]")).to_have_text("Interest expressed")
        _deliver()
        provider.goto(f"/matches/{match.pk}/")
        expect(provider.page.locator("[data-conversation-closed]")).to_be_visible()
        provider.page.get_by_role(
            "button", name=re.compile("Accept and introduce")
        ).click()
        expect(
            provider.page.locator(f"#match-{match.pk} [data-match-status]")
        ).to_have_text("Introduced")
        match.refresh_from_db()
        assert match.status == MatchStatus.INTRODUCED
        _deliver()

        # Both see each other's contact.
        state.goto(f"/matches/{match.pk}/")
        expect(page.locator("[data-contacts]")).to_contain_text("prov_p@example.org")
        provider.goto(f"/matches/{match.pk}/")
        expect(provider.page.locator("[data-contacts]")).to_contain_text(
            "ms_a@example.org"
        )
        _clean(provider, state)

        # A message each way.
        _write(state, "Could we start in March? Our plan: https://example.org/plan")
        expect(
            page.locator("#conversation a[href='https://example.org/plan']")
        ).to_be_visible()
        _clean(state)
        _deliver()
        mail = _mail_to(smtp_inbox, "prov_p@example.org", "New message from Awa Diop")
        assert "Could we start in March?" in mail.get_body(("plain",)).get_content()
        provider.goto("/")
        expect(
            provider.page.locator("[data-messages] [data-unread-count]")
        ).to_have_text(re.compile("1"))
        _clean(provider)
        # The focal point reads French from now on (their profile language).
        world.ms_a.language = "fr"
        world.ms_a.save(update_fields=["language"])
        provider.goto(f"/matches/{match.pk}/")
        expect(provider.page.locator("#conversation [data-new]")).to_contain_text(
            "Could we start in March?"
        )
        _clean(provider)
        _write(provider, "Yes, March works. Agenda: https://example.org/agenda")
        provider.check("match-conversation")  # axe, console; 1280 and 390 px
        _deliver()

        # The reply reaches the focal point by mail, in French.
        reply = Message.objects.get(side="provider")
        mail = _mail_to(smtp_inbox, "ms_a@example.org", "Nouveau message de prov_p")
        assert mail["Subject"] == "Nouveau message de prov_p : CSIRT launch programme"
        text = mail.get_body(("plain",)).get_content()
        assert "prov_p (Provider P) a écrit :" in text
        assert "Yes, March works." in text
        assert "Répondre sur la page de la mise en relation" in text
        assert f"/matches/{match.pk}/#conversation" in text
        html = mail.get_body(("html",)).get_content()
        assert '<a class="govuk-link" href="https://example.org/agenda"' in html

        # ... and its webhook receiver, signed.
        hooks = [
            r for r in receiver.requests if json.loads(r.body)["type"] == "message.new"
        ]
        assert len(hooks) == 1
        hook = hooks[0]
        assert _signed(secret, hook.headers, hook.body)
        data = json.loads(hook.body)["data"]
        assert (data["object"], data["id"], data["match"], data["side"]) == (
            "message",
            reply.pk,
            match.pk,
            "provider",
        )
        assert data["text"] == reply.body
        assert endpoint.deliveries.get().state == "succeeded"

        # The focal point, now in French, reads the reply on the match page.
        state.goto(f"/matches/{match.pk}/")
        expect(page.locator("#conversation [data-new]")).to_contain_text(
            "Yes, March works."
        )
        expect(page.locator("#conversation-heading")).to_have_text("Conversation")
        state.check("match-conversation-fr")
