"""Ranking quality and unmet detection of the engine in every condition and language.

Run from the project root::

    .venv/bin/python bench/quality.py [--data tests/data] [--today 2026-12-06]

Scores, with the shared scorer (``tests/data/score.py``), the development set
(``dev.json``) as posted, with one topic and untagged (what
``../shared/eval/variant.py`` makes), then its needs written in each of the six
UN languages (``dev_needs_<lang>.json``) in the same three conditions and
rewritten tersely with thin tags (``dev_needs_terse.json``), tagged and
untagged. One line per condition: nDCG@5, nDCG@10, P@3, MRR, violations,
unmet needs found (of those without an adequate programme) and needs flagged
unmet wrongly, then the totals. Takes a few seconds; no database.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaking.dataset.evaluation import rank_dataset
from matchmaking.dataset.evaluation import ranking_document
from matchmaking.reference import DATA_DIR

LANGUAGES = ("en", "fr", "es", "ar", "ru", "zh")
MODES = ("posted", "onetopic", "untagged", "terse", "terse-untagged")


def _scorer(data: Path) -> Any:
    spec = importlib.util.spec_from_file_location("cbm_score", data / "score.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no scorer in {data}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.M49 = DATA_DIR / "m49" / "unsd-m49-en.csv"
    return module


def condition(
    dev: dict[str, Any], data: Path, lang: str | None, mode: str
) -> dict[str, Any]:
    """The development set with its needs in ``lang`` (None: as posted), in ``mode``."""
    dataset = copy.deepcopy(dev)
    texts = terse = None
    if lang is not None:
        texts = json.loads((data / f"dev_needs_{lang}.json").read_text("utf-8"))
    if mode.startswith("terse"):
        terse = json.loads((data / "dev_needs_terse.json").read_text("utf-8"))
    for need in dataset["needs"]:
        ref = need["ref"]
        if texts is not None:
            need["title"] = texts["needs"][ref]["title"]
            need["description"] = texts["needs"][ref]["description"]
        if terse is not None:
            need.update(terse["tags"][ref])
            need.update(terse["needs"][lang or "en"][ref])
        if mode in ("untagged", "terse-untagged"):
            need["topics"], need["assistance_types"], need["audiences"] = [], [], []
        elif mode == "onetopic":
            need["topics"] = need["topics"][:1]
            need["assistance_types"], need["audiences"] = [], []
    return dataset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("tests/data"))
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 12, 6))
    args = parser.parse_args()
    dev = json.loads((args.data / "dev.json").read_text("utf-8"))
    scorer = _scorer(args.data)
    header = "needs     mode            nDCG@5 nDCG@10   P@3   MRR viol unmet false"
    print(header)
    found = total = wrong = 0
    conditions = [(None, m) for m in MODES[:3]]
    conditions += [(lang, m) for lang in LANGUAGES for m in MODES]
    for lang, mode in conditions:
        dataset = condition(dev, args.data, lang, mode)
        results = rank_dataset(dataset, today=args.today, top=10)
        r = scorer.score(dataset, ranking_document(results))
        judged = dataset["judgments"].values()
        unmet_total = sum(1 for rels in judged if 2 not in rels.values())
        hits = round(r["unmet_recall"] * unmet_total)
        found, total = found + hits, total + unmet_total
        wrong += r["unmet_false"]
        print(
            f"{lang or 'dev':<9} {mode:<15} {r['ndcg@5']:.3f}  {r['ndcg@10']:.3f} "
            f"{r['p@3']:.3f} {r['mrr']:.3f} {r['violations']:>4} "
            f"{hits:>2}/{unmet_total:<2} {r['unmet_false']:>5}"
        )
    print(f"unmet found {found} of {total}, flagged wrongly {wrong}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
