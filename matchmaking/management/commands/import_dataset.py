"""Import providers, programmes and needs from a ``cbm-dataset/1`` file."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser

from matchmaking.dataset.checks import DatasetInvalid
from matchmaking.dataset.exchange import import_dataset
from matchmaking.management.importing import read_file
from matchmaking.management.importing import refuse


class Command(BaseCommand):
    help = (
        "Import a cbm-dataset/1 JSON file (- for standard input): records are "
        "created or updated by ref; on any problem nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the JSON file, or - for stdin")
        parser.add_argument(
            "--allow-move",
            action="store_true",
            help="let records move: a programme to another provider, a need to "
            "another country (refused otherwise)",
        )
        parser.add_argument(
            "--allow-declassify",
            action="store_true",
            help="let needs' visibility fall (confidential > registered > public; "
            "refused otherwise)",
        )

    def handle(
        self,
        *args: object,
        file: str,
        allow_move: bool = False,
        allow_declassify: bool = False,
        **options: object,
    ) -> None:
        data = self._read(file)
        try:
            result = import_dataset(
                data=data, allow_moves=allow_move, allow_declassify=allow_declassify
            )
        except DatasetInvalid as invalid:
            source = "standard input" if file == "-" else file
            refuse(self.stderr, invalid.problems, source)
        self.stdout.write(result.summary())

    def _read(self, file: str) -> object:
        raw = read_file(file, stdin=True)
        try:
            return json.loads(raw)
        except (ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"{file} is not valid JSON: {error}") from None
        except RecursionError:
            raise CommandError(
                f"{file} is not valid JSON: arrays and objects nested too deeply"
            ) from None
