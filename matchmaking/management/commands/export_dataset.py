"""Export every provider, programme and need as a ``cbm-dataset/1`` file."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser

from matchmaking.dataset.exchange import export_dataset
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider


class Command(BaseCommand):
    help = (
        "Export all providers, programmes and needs as cbm-dataset/1 JSON "
        "(an operator command: it ignores visibility)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output", "-o", help="file to write (default: standard output)"
        )
        parser.add_argument("--about", default="", help="text for the 'about' field")

    def handle(
        self, *args: object, output: str | None, about: str, **options: object
    ) -> None:
        data = export_dataset(
            providers=Provider.objects.all(),
            programmes=Programme.objects.all(),
            needs=Need.objects.all(),
            about=about,
        )
        text = json.dumps(data, ensure_ascii=False, indent=1)
        if output is None:
            self.stdout.write(text)
            return
        try:
            Path(output).write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
