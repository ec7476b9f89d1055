"""Recompute the coordination view's kept cells from the records (the repair
tool), or with ``--check`` say how the kept ones differ from a rebuild."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from matchmaking.coordination_cells import coordination_cells_problems
from matchmaking.coordination_cells import rebuild_coordination_cells


class Command(BaseCommand):
    help = (
        "Rebuild the coordination view's cells from the records, or compare "
        "them with a rebuild (--check: exit status 1 when they differ)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="compare the kept cells with a rebuild and change nothing",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            problems = coordination_cells_problems()
            for problem in problems[:50]:
                self.stdout.write(problem)
            if problems:
                raise CommandError(f"{len(problems)} differences from a rebuild")
            self.stdout.write("The coordination cells equal a rebuild.")
            return
        rebuild_coordination_cells()
        self.stdout.write("Coordination cells rebuilt.")
