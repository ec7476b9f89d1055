"""How the engine's ranking agrees with what people answered about its suggestions."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand

from matchmaking.enums import DeclineCode
from matchmaking.enums import MatchOrigin
from matchmaking.enums import MatchStatus
from matchmaking.models import Match

# Suggestions somebody took up: the engine was right to put them forward.
TAKEN_UP = (
    MatchStatus.INTEREST,
    MatchStatus.INTRODUCED,
    MatchStatus.AGREED,
    MatchStatus.IN_DELIVERY,
    MatchStatus.COMPLETED,
)


def labelled_answers() -> list[dict[str, Any]]:
    """Engine suggestions that were answered: taken up, or declined with a reason."""
    rows = (
        Match.objects.filter(origin=MatchOrigin.ENGINE)
        .filter(status__in=[*TAKEN_UP, MatchStatus.DECLINED])
        .select_related("need", "programme")
        .order_by("need__ref", "programme__ref")
    )
    answers = []
    for match in rows:
        if match.status == MatchStatus.DECLINED:
            label = match.decline_code or "declined"
        else:
            label = "taken_up"
        answers.append(
            {
                "need": match.need.ref,
                "programme": match.programme.ref,
                "label": label,
                "score": match.score,
                "rank": match.rank,
            }
        )
    return answers


def agreement(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """Pairwise agreement: for one need, a taken-up suggestion scored above one
    declined as not relevant (ties count half); and each label's mean score."""
    by_need: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    by_label: dict[str, list[float]] = defaultdict(list)
    for a in answers:
        by_need[a["need"]][a["label"]].append(a["score"])
        by_label[a["label"]].append(a["score"])
    pairs = agreeing = 0.0
    for labels in by_need.values():
        for good in labels.get("taken_up", []):
            for bad in labels.get(DeclineCode.NOT_RELEVANT, []):
                pairs += 1
                agreeing += 1.0 if good > bad else 0.5 if good == bad else 0.0
    return {
        "answers": len(answers),
        "pairs": int(pairs),
        "agreement": round(agreeing / pairs, 4) if pairs else None,
        "by_label": {
            label: {"count": len(s), "mean_score": round(sum(s) / len(s), 4)}
            for label, s in sorted(by_label.items())
        },
    }


class Command(BaseCommand):
    help = (
        "Report how the engine's ranking agrees with the answers to its "
        "suggestions (taken up, or declined as not relevant, not eligible in "
        "practice, already covered); --labels prints the labelled data as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--labels", action="store_true", help="print the labelled answers"
        )

    def handle(self, *args, **options):
        answers = labelled_answers()
        if options["labels"]:
            self.stdout.write(json.dumps(answers, indent=1))
            return
        report = agreement(answers)
        self.stdout.write(
            f"{report['answers']} answered suggestions; {report['pairs']} pairs "
            "(taken up vs declined as not relevant, same need); agreement "
            f"{report['agreement'] if report['agreement'] is not None else 'n/a'}"
        )
        for label, figures in report["by_label"].items():
            self.stdout.write(
                f"  {label:<16} {figures['count']:>6}  mean score "
                f"{figures['mean_score']:.4f}"
            )
