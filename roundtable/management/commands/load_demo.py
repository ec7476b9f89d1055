"""Load the demo: dataset, users of every role and the Global Roundtable agenda.

The command lives in roundtable because the demo spans both apps and
roundtable is the one allowed to depend on matchmaking.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import transaction

from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.demo import DEMO_CURATOR_TOTP_KEY
from matchmaking.dataset.demo import load_demo
from roundtable.demo import load_roundtable_demo


class Command(BaseCommand):
    help = (
        "Load the demo data (matchmaking/data/demo.json), demo users and the "
        "Global Roundtable agenda. Safe to run again: nothing changes."
    )

    def handle(self, *args: object, **options: object) -> None:
        try:
            with transaction.atomic():
                result = load_demo()
                event = load_roundtable_demo(users=result.users)
        except DatasetInvalid as invalid:
            for problem in invalid.problems:
                self.stderr.write(str(problem))
            raise CommandError("demo.json is invalid; nothing was loaded.") from None
        self.stdout.write(result.imported.summary())
        self.stdout.write(f"Event: {event.slug}")
        self.stdout.write("Demo logins (local only; password as first created):")
        width = max(len(user.username) for user in result.logins)
        for user in result.logins:
            self.stdout.write(
                f"  {user.username:<{width}}  {user.password:<20}  {user.description}"
            )
        self.stdout.write(
            "The curator signs in with a code from an authenticator app holding "
            f"the key {DEMO_CURATOR_TOTP_KEY} (or: oathtool --totp -b "
            f"{DEMO_CURATOR_TOTP_KEY})."
        )
