"""``manage.py generate_dataset``: synthetic cbm-dataset/1 files."""

import hashlib
import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError
from django.core.management import call_command

from matchmaking.dataset.checks import validate_dataset
from matchmaking.dataset.exchange import import_dataset
from matchmaking.dataset.synthetic import TOPIC_TEXT
from matchmaking.dataset.synthetic import default_provider_count
from matchmaking.dataset.synthetic import write_dataset
from matchmaking.reference import load_countries
from matchmaking.reference import load_taxonomy


def generate(*args: str) -> str:
    out = io.StringIO()
    call_command("generate_dataset", *args, stdout=out)
    return out.getvalue()


def generated(needs: int, programmes: int, seed: int, **more: str) -> dict:
    args = ["--needs", str(needs), "--programmes", str(programmes), "--seed", str(seed)]
    for name, value in more.items():
        args += [f"--{name}", value]
    return json.loads(generate(*args))


def test_same_seed_gives_byte_identical_output():
    args = ("--needs", "200", "--programmes", "150", "--seed", "42")
    assert generate(*args) == generate(*args)


def test_output_file_holds_the_same_bytes_as_stdout(tmp_path):
    target = tmp_path / "synthetic.json"
    args = ("--needs", "30", "--programmes", "20", "--seed", "5")
    assert generate(*args, "--output", str(target)) == ""
    assert target.read_bytes() == generate(*args).encode()


def test_output_does_not_depend_on_hash_randomisation():
    program = (
        "import hashlib, io; from matchmaking.dataset.synthetic import write_dataset; "
        "out = io.StringIO(); "
        "write_dataset(out, needs=120, programmes=90, seed=3); "
        "print(hashlib.sha256(out.getvalue().encode()).hexdigest())"
    )
    digests = {
        subprocess.run(  # noqa: S603 - our own interpreter and code
            [sys.executable, "-c", program],
            cwd=Path(settings.BASE_DIR),
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    here = io.StringIO()
    write_dataset(here, needs=120, programmes=90, seed=3)
    assert digests == {hashlib.sha256(here.getvalue().encode()).hexdigest() + "\n"}


def test_different_seeds_give_different_datasets():
    one = generated(50, 40, seed=1)
    two = generated(50, 40, seed=2)
    assert one["needs"] != two["needs"]
    assert one["programmes"] != two["programmes"]


def test_sizes_are_exact():
    data = generated(123, 45, seed=9)
    assert (len(data["providers"]), len(data["programmes"]), len(data["needs"])) == (
        15,
        45,
        123,
    )
    assert [n["ref"] for n in data["needs"][:2]] == [
        "syn-need-000001",
        "syn-need-000002",
    ]
    assert len({p["ref"] for p in data["programmes"]}) == 45


def test_providers_can_be_given():
    data = generated(10, 40, seed=9, providers="7")
    assert len(data["providers"]) == 7
    assert {p["provider"] for p in data["programmes"]} <= {
        p["ref"] for p in data["providers"]
    }


def test_default_provider_count():
    assert [default_provider_count(m) for m in (0, 1, 2, 3, 10, 10_000)] == [
        0,
        1,
        1,
        1,
        3,
        3333,
    ]


def test_empty_dataset_is_valid_json():
    assert generated(0, 0, seed=1) == {
        "format": "cbm-dataset/1",
        "about": (
            "Synthetic dataset: 0 providers, 0 programmes, 0 needs, seed 1. Made by "
            "manage.py generate_dataset; the organisations and texts are generated, "
            "the codes and slugs are real."
        ),
        "providers": [],
        "programmes": [],
        "needs": [],
    }


def test_programmes_need_a_provider():
    with pytest.raises(CommandError, match="at least one provider"):
        generate("--needs", "1", "--programmes", "1", "--seed", "1", "--providers", "0")


def test_negative_sizes_are_refused():
    with pytest.raises(CommandError):
        generate("--needs", "-1", "--programmes", "1", "--seed", "1")


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_dataset_uses_only_valid_codes_and_slugs(seed):
    assert validate_dataset(data=generated(400, 300, seed=seed)) == []


def test_needs_come_from_un_member_states_in_every_region():
    countries = load_countries()
    needs = generated(1000, 10, seed=4)["needs"]
    assert all(countries[n["country"]].is_un_member for n in needs)
    assert sorted({countries[n["country"]].region for n in needs}) == [
        "002",
        "009",
        "019",
        "142",
        "150",
    ]


def test_programmes_mix_eligibility_costs_and_dates():
    programmes = generated(0, 1000, seed=4)["programmes"]
    kinds = Counter()
    for p in programmes:
        e = p["eligibility"]
        kinds["worldwide"] += not e["regions"] and not e["countries"]
        kinds["regions"] += bool(e["regions"])
        kinds["countries"] += bool(e["countries"])
        kinds["ldc_only"] += e["ldc_only"]
        kinds["sids_only"] += e["sids_only"]
    assert all(count >= 30 for count in kinds.values()), kinds
    assert {p["cost_model"] for p in programmes} == {"free", "cost-shared", "fee"}
    ended = [p for p in programmes if p["ends_on"] < "2026-01-01"]
    assert 40 <= len(ended) <= 200
    assert all(p["starts_on"] <= p["ends_on"] for p in programmes)
    topics = {t for p in programmes for t in p["topics"]}
    assert len(topics) == sum(len(t["topics"]) for t in load_taxonomy()["themes"])


def test_text_is_written_in_several_languages():
    data = generated(600, 300, seed=6)
    need_text = " ".join(n["description"] for n in data["needs"])
    for marker in (
        "is seeking support",  # en
        "le gouvernement sollicite",  # fr
        "el gobierno solicita",  # es
        "o governo solicita",  # pt
        "تطلب الحكومة",  # ar
        "требуется поддержка",  # ru
    ):
        assert marker in need_text
    languages = Counter(lang for n in data["needs"] for lang in n["languages"])
    assert {"en", "fr", "es", "ar", "ru", "pt"} <= set(languages)


def test_a_need_reads_like_a_focal_points_request():
    need = generated(5, 5, seed=11)["needs"][0]
    assert need == {
        "ref": "syn-need-000001",
        "country": "MUS",
        "title": "Cybersecurity governance and coordination for policymakers",
        "description": (
            "Our national authorities need help with coordination between "
            "ministries and agencies and setting up a national cybersecurity "
            "agency. A recent incident exposed gaps that need to be closed quickly. "
            "The support should include expert mentoring and reach policymakers; "
            "we prefer it in person and online."
        ),
        "topics": ["governance-structures"],
        "assistance_types": ["mentoring"],
        "audiences": ["policymakers"],
        "languages": ["en"],
        "delivery_modes": ["in-person", "online"],
        "priority": "high",
        "visibility": "public",
        "needed_by": "2028-08-23",
    }


def test_text_mentions_the_first_topic_of_every_record():
    data = generated(300, 300, seed=12)
    for record in [*data["needs"], *data["programmes"]]:
        phrases = {
            phrase
            for texts in TOPIC_TEXT[record["topics"][0]].values()
            for phrase in texts
        }
        text = f"{record['title']} {record['description']}"
        assert any(phrase in text for phrase in phrases), record["ref"]


@pytest.mark.django_db
def test_a_generated_dataset_imports():
    result = import_dataset(data=generated(60, 45, seed=8))
    assert (result.created, result.updated) == (
        {"providers": 15, "programmes": 45, "needs": 60},
        {"providers": 0, "programmes": 0, "needs": 0},
    )
