"""Recompute the engine's suggestions for every active need."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from matchmaking.suggestions import rematch_all
from matchmaking.tasks import derived_task


class Command(BaseCommand):
    help = (
        "Rank programmes for every open need and store the suggestions, then "
        "queue the near misses and the gap advisor's changes. Matches somebody "
        "acted on and curators' proposals are left alone."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = rematch_all()
        self.stdout.write(
            f"{report.needs} needs x {report.programmes} programmes: "
            f"{report.suggestions} suggestions, {report.unmet} unmet "
            f"(load {report.seconds_load:.1f} s, rank {report.seconds_rank:.1f} s, "
            f"store {report.seconds_store:.1f} s)"
        )
        # The task worker computes them (in this process with the default
        # in-process backend); pages say they are being updated until then.
        derived_task.enqueue()
        self.stdout.write("near misses and advice queued")
