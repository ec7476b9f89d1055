"""manage.py rank_dataset: ranks a dataset file without touching the database."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from matchmaking.dataset.evaluation import dataset_profiles
from matchmaking.engine import eligibility
from tests.paths import DATA

# The project's copy of ../shared/eval/dev.json.
DEV = DATA / "dev.json"
DEV_TODAY = date(2026, 6, 1)


def run(*args: str) -> dict:
    out = StringIO()
    call_command("rank_dataset", *args, stdout=out)
    return json.loads(out.getvalue())


def test_rank_dataset_on_dev_set_ranks_every_need_without_the_database():
    # Not marked django_db: any database access would fail this test.
    document = run(str(DEV), "--top", "10", "--today", "2026-06-01")
    dataset = json.loads(DEV.read_text(encoding="utf-8"))
    assert document["format"] == "cbm-ranking/1"
    assert sorted(document["rankings"]) == sorted(n["ref"] for n in dataset["needs"])
    needs, programmes = dataset_profiles(dataset)
    need_by_ref = {n.key: n for n in needs}
    programme_by_ref = {p.key: p for p in programmes}
    for ref, ranked in document["rankings"].items():
        assert len(ranked) <= 10
        for entry in ranked:
            p = programme_by_ref[entry["programme"]]
            assert eligibility(need_by_ref[ref], p, today=DEV_TODAY).eligible
            assert 0 <= entry["score"] <= 1
        scores = [e["score"] for e in ranked]
        assert scores == sorted(scores, reverse=True)
    no_adequate = sorted(
        ref
        for ref, judged in dataset["judgments"].items()
        if not any(v >= 2 for v in judged.values())
    )
    assert sorted(document["unmet"]) == no_adequate


def test_rank_dataset_respects_top(tmp_path):
    dataset = {
        "format": "cbm-dataset/1",
        "programmes": [
            {
                "ref": f"p{i}",
                "title": "CSIRT training",
                "topics": ["incident-response"],
                "languages": ["en"],
                "eligibility": {},
            }
            for i in range(4)
        ],
        "needs": [
            {
                "ref": "n",
                "country": "KEN",
                "title": "Incident response training",
                "topics": ["incident-response"],
                "languages": ["en"],
            }
        ],
    }
    path = tmp_path / "d.json"
    path.write_text(json.dumps(dataset), encoding="utf-8")
    document = run(str(path), "--top", "2")
    assert [e["programme"] for e in document["rankings"]["n"]] == ["p0", "p1"]


def test_rank_dataset_rejects_other_files(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(CommandError, match="not a cbm-dataset/1 file"):
        run(str(path))
    with pytest.raises(CommandError, match="--today must be YYYY-MM-DD"):
        run(str(path), "--today", "tomorrow")
