"""Rank a cbm-dataset/1 file into cbm-ranking/1 JSON without touching the database."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.utils import timezone

from matchmaking.dataset.evaluation import rank_dataset
from matchmaking.dataset.evaluation import ranking_document


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today must be YYYY-MM-DD, got {value!r}") from exc


class Command(BaseCommand):
    help = (
        "Rank every need of a cbm-dataset/1 file against its programmes and print "
        "a cbm-ranking/1 document (no database access)."
    )
    # Pure computation over a file: no system checks, which could touch the DB.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="a cbm-dataset/1 JSON file")
        parser.add_argument(
            "--top", type=int, default=10, help="programmes per need (default 10)"
        )
        parser.add_argument(
            "--today",
            type=_iso_date,
            default=None,
            help="date for the 'programme ended' rule (default: today)",
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            dataset = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        if dataset.get("format") != "cbm-dataset/1":
            raise CommandError(f"{path} is not a cbm-dataset/1 file")
        if options["top"] < 1:
            raise CommandError("--top must be at least 1")
        today = options["today"] or timezone.localdate()
        results = rank_dataset(dataset, today=today, top=options["top"])
        document = ranking_document(results)
        self.stdout.write(json.dumps(document, ensure_ascii=False, indent=1))
