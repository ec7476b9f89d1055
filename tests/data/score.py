#!/usr/bin/env python3
"""Score a matching engine's rankings against the graded judgments of a cbm-dataset/1 file.

Usage:
    python score.py DATASET.json RANKING.json [--json]

RANKING.json is what the engine produced for DATASET.json, format cbm-ranking/1:
    {"format": "cbm-ranking/1",
     "rankings": {"<need ref>": [{"programme": "<programme ref>", "score": 0.91}, ...]},
     "unmet": ["<need ref>", ...]}
Rankings are best first; "unmet" lists the needs the engine judges to have no adequate programme.

Metrics (means over the judged needs):
    ndcg@5, ndcg@10  graded gain 2^rel - 1, log2 discount; needs with at least one relevant programme
    p@3              share of the top 3 with relevance >= 1
    mrr              1 / rank of the first programme with relevance 2
    recall@10        share of the relevance-2 programmes found in the top 10
    violations       ranked programmes (top 10) that break the eligibility or language rule: must be 0
    unmet_recall     share of the needs with no adequate programme that are listed as unmet
    unmet_false      needs listed as unmet although a relevance-2 programme exists
Standard library only.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

M49 = Path(__file__).resolve().parent.parent / "data" / "m49" / "unsd-m49-en.csv"


def load_countries() -> dict[str, dict]:
    countries = {}
    with M49.open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            codes = {
                row["Region Code"],
                row["Sub-region Code"],
                row["Intermediate Region Code"],
            } - {""}
            countries[row["ISO-alpha3 Code"]] = {
                "regions": codes,
                "ldc": bool(row["Least Developed Countries (LDC)"]),
                "sids": bool(row["Small Island Developing States (SIDS)"]),
            }
    return countries


def eligible(need: dict, programme: dict, countries: dict[str, dict]) -> bool:
    country = countries[need["country"]]
    rule = programme.get("eligibility") or {}
    regions, listed = set(rule.get("regions") or []), set(rule.get("countries") or [])
    place = (
        (not regions and not listed)
        or need["country"] in listed
        or bool(country["regions"] & regions)
    )
    if rule.get("ldc_only") and not country["ldc"]:
        return False
    if rule.get("sids_only") and not country["sids"]:
        return False
    return place and bool(set(need["languages"]) & set(programme["languages"]))


def dcg(gains: list[int]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def score(dataset: dict, ranking: dict) -> dict:
    countries = load_countries()
    needs = {n["ref"]: n for n in dataset["needs"]}
    programmes = {p["ref"]: p for p in dataset["programmes"]}
    judged = dataset.get("judgments", {})
    unmet = set(ranking.get("unmet") or [])
    ndcg5, ndcg10, p3, mrr, recall, per_need = [], [], [], [], [], {}
    violations, unmet_hits, unmet_total, unmet_false = 0, 0, 0, 0
    for ref, rels in judged.items():
        ranked = [r["programme"] for r in ranking.get("rankings", {}).get(ref, [])][:10]
        unknown = [p for p in ranked if p not in programmes]
        if unknown:
            raise SystemExit(f"ranking for {ref} names unknown programmes: {unknown}")
        violations += sum(
            not eligible(needs[ref], programmes[p], countries) for p in ranked
        )
        gains = [rels.get(p, 0) for p in ranked]
        best = sorted(rels.values(), reverse=True)
        if not any(v >= 2 for v in best):
            unmet_total += 1
            unmet_hits += ref in unmet
        elif ref in unmet:
            unmet_false += 1
        if not best or best[0] == 0:
            continue
        n5, n10 = dcg(gains[:5]) / dcg(best[:5]), dcg(gains) / dcg(best[:10])
        ndcg5.append(n5)
        ndcg10.append(n10)
        p3.append(sum(g >= 1 for g in gains[:3]) / 3)
        first = next((i for i, g in enumerate(gains) if g >= 2), None)
        mrr.append(0.0 if first is None else 1 / (first + 1))
        top = [p for p, v in rels.items() if v >= 2]
        if top:
            recall.append(sum(p in ranked for p in top) / len(top))
        per_need[ref] = round(n5, 3)

    def mean(xs: list[float]) -> float:
        return round(sum(xs) / len(xs), 4) if xs else 0.0

    return {
        "needs_scored": len(ndcg5),
        "ndcg@5": mean(ndcg5),
        "ndcg@10": mean(ndcg10),
        "p@3": mean(p3),
        "mrr": mean(mrr),
        "recall@10": mean(recall),
        "violations": violations,
        "unmet_recall": round(unmet_hits / unmet_total, 4) if unmet_total else None,
        "unmet_false": unmet_false,
        "ndcg@5_by_need": per_need,
    }


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    dataset = json.loads(Path(args[0]).read_text(encoding="utf-8"))
    ranking = json.loads(Path(args[1]).read_text(encoding="utf-8"))
    result = score(dataset, ranking)
    if "--json" in argv:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            if key != "ndcg@5_by_need":
                print(f"{key:>14}  {value}")
        worst = sorted(result["ndcg@5_by_need"].items(), key=lambda kv: kv[1])[:5]
        print("  worst ndcg@5  " + ", ".join(f"{k}={v}" for k, v in worst))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
