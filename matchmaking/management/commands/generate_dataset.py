"""Write a synthetic cbm-dataset/1 file of any size, deterministic for a seed."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser

from matchmaking.dataset.synthetic import write_dataset


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Write a synthetic but plausible cbm-dataset/1 file: only valid codes and "
        "slugs, text in several languages. The same seed gives the same bytes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--needs", type=_count, required=True)
        parser.add_argument("--programmes", type=_count, required=True)
        parser.add_argument("--seed", type=int, required=True)
        parser.add_argument(
            "--providers",
            type=_count,
            default=None,
            help="how many providers (default: one per three programmes)",
        )
        parser.add_argument(
            "--output", "-o", default="-", help="file to write (default: stdout)"
        )

    def handle(
        self,
        *args: object,
        needs: int,
        programmes: int,
        seed: int,
        providers: int | None,
        output: str,
        **options: object,
    ) -> None:
        if programmes and providers == 0:
            raise CommandError("programmes need at least one provider")
        sizes = {
            "needs": needs,
            "programmes": programmes,
            "seed": seed,
            "providers": providers,
        }
        if output == "-":
            self.stdout.ending = ""
            write_dataset(self.stdout, **sizes)
            return
        try:
            with Path(output).open("w", encoding="utf-8", newline="\n") as out:
                write_dataset(out, **sizes)
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
