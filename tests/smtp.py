"""A real SMTP server for tests (aiosmtpd): what it received, and where it listens."""

from __future__ import annotations

import email
import email.policy
import socket


class Inbox:
    """What a real SMTP server received (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd names it
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A local TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_mailers(port: int, **options: object) -> dict:
    """The MAILERS setting that sends to the test's server on ``port``."""
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "use_tls": False, **options},
        }
    }
