"""Rebuild every stored slide deck by today's rules (run once after they change)."""

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from roundtable.services import rebuild_stored_decks


class Command(BaseCommand):
    help = (
        "Pass every stored slide deck through today's deck rules again and replace "
        "it with the rebuilt file; list the decks the rules now refuse."
    )

    def handle(self, *args, **options):
        done = rebuild_stored_decks()
        self.stdout.write(f"Rebuilt {len(done.rebuilt)} slide deck(s).")
        if done.refused:
            for pitch, why in done.refused:
                self.stderr.write(f"Pitch {pitch}: {why}")
            raise CommandError(
                f"{len(done.refused)} slide deck(s) left as stored: "
                "a curator should replace or remove them."
            )
