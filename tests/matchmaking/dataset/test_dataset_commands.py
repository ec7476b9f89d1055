"""The import_dataset and export_dataset management commands."""

import io
import json
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from matchmaking.dataset.exchange import export_dataset
from matchmaking.dataset.exchange import import_dataset
from matchmaking.models import MemberState
from matchmaking.models import Need
from matchmaking.models import Programme
from matchmaking.models import Provider
from tests.paths import DATA

pytestmark = pytest.mark.django_db

DEV_JSON = DATA / "dev.json"


def dataset() -> dict:
    return {
        "format": "cbm-dataset/1",
        "providers": [
            {"ref": "itu", "name": "ITU", "stakeholder_group": "intergovernmental"}
        ],
        "programmes": [
            {
                "ref": "itu-cirt",
                "provider": "itu",
                "title": "CIRT",
                "topics": ["csirt-establishment"],
                "languages": ["fr"],
            }
        ],
        "needs": [
            {
                "ref": "sen-csirt",
                "country": "SEN",
                "title": "Établir le CSIRT",
                "languages": ["fr"],
            }
        ],
    }


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts() -> tuple[int, int, int, int]:
    return (
        Provider.objects.count(),
        Programme.objects.count(),
        Need.objects.count(),
        MemberState.objects.count(),
    )


def test_import_command_prints_a_summary_per_section():
    out, err = run("import_dataset", str(DEV_JSON))

    assert out == (
        "providers: 32 created, 0 updated, 0 unchanged; "
        "programmes: 40 created, 0 updated, 0 unchanged; "
        "needs: 24 created, 0 updated, 0 unchanged\n"
    )
    assert err == ""
    assert counts()[:3] == (32, 40, 24)

    again, _ = run("import_dataset", str(DEV_JSON))

    assert again == (
        "providers: 0 created, 0 updated, 32 unchanged; "
        "programmes: 0 created, 0 updated, 40 unchanged; "
        "needs: 0 created, 0 updated, 24 unchanged\n"
    )


def test_import_command_reads_standard_input(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(dataset())))

    out, _ = run("import_dataset", "-")

    assert out == (
        "providers: 1 created, 0 updated, 0 unchanged; "
        "programmes: 1 created, 0 updated, 0 unchanged; "
        "needs: 1 created, 0 updated, 0 unchanged\n"
    )
    assert list(Need.objects.values_list("ref", flat=True)) == ["sen-csirt"]


def test_import_command_lists_every_problem_and_writes_nothing(tmp_path):
    data = dataset()
    data["needs"][0]["topics"] = ["x"]
    data["needs"][0]["country"] = "XYZ"
    data["programmes"][0]["provider"] = "unesco"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import_dataset", str(path), stdout=out, stderr=err)

    # manage.py turns a CommandError into exit status 1.
    assert raised.value.returncode == 1
    assert str(raised.value) == f"3 problems in {path}; nothing was imported."
    assert err.getvalue() == (
        "programmes[itu-cirt].provider: unknown provider 'unesco'\n"
        "needs[sen-csirt].country: unknown country 'XYZ'\n"
        "needs[sen-csirt].topics: unknown topic 'x'\n"
    )
    assert out.getvalue() == ""
    assert counts() == (0, 0, 0, 0)


def test_import_command_rejects_a_missing_file(tmp_path):
    with pytest.raises(CommandError) as raised:
        run("import_dataset", str(tmp_path / "none.json"))

    assert str(raised.value) == (
        f"cannot read {tmp_path / 'none.json'}: No such file or directory"
    )


def test_import_command_rejects_invalid_json(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"format": ', encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        run("import_dataset", str(path))

    assert str(raised.value) == (
        f"{path} is not valid JSON: Expecting value: line 1 column 12 (char 11)"
    )
    assert counts() == (0, 0, 0, 0)


def everything() -> dict:
    return export_dataset(
        providers=Provider.objects.all(),
        programmes=Programme.objects.all(),
        needs=Need.objects.all(),
    )


def test_export_command_writes_utf8_json_to_standard_output():
    import_dataset(data=dataset())

    out, err = run("export_dataset")

    assert err == ""
    assert out.startswith('{\n "format": "cbm-dataset/1",\n "about": "",\n')
    assert '"title": "Établir le CSIRT"' in out
    assert json.loads(out) == everything()
    assert out == json.dumps(everything(), ensure_ascii=False, indent=1) + "\n"


def test_export_command_writes_a_file_that_imports_back(tmp_path):
    import_dataset(data=dataset())
    path = tmp_path / "export.json"

    out, _ = run("export_dataset", "--output", str(path), "--about", "Snapshot")

    assert out == ""
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == {**everything(), "about": "Snapshot"}
    assert "Établir" in text

    again, _ = run("import_dataset", str(path))

    assert again == (
        "providers: 0 created, 0 updated, 1 unchanged; "
        "programmes: 0 created, 0 updated, 1 unchanged; "
        "needs: 0 created, 0 updated, 1 unchanged\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"format": "cbm-dataset/1", "about": ' + "[" * 100_000 + "]" * 100_000,
            "nested too deeply",
        ),
        (
            '{"format": "cbm-dataset/1", "about": "a\\u0000b"}',
            "1 problem",
        ),
        (
            '{"format": "cbm-dataset/1", "about": "a\\ud800b"}',
            "1 problem",
        ),
    ],
)
def test_import_command_refuses_deep_nesting_nul_and_surrogates(
    tmp_path, text, message
):
    path = tmp_path / "hostile.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(CommandError) as raised:
        run("import_dataset", str(path))

    assert message in str(raised.value)
    assert counts() == (0, 0, 0, 0)


def test_import_command_moves_and_declassifies_only_with_its_options(tmp_path):
    data = dataset()
    data["needs"][0]["visibility"] = "confidential"
    import_dataset(data=data)
    data["needs"][0].update(visibility="public", country="MLI")
    path = tmp_path / "moved.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_dataset", str(path), stdout=out, stderr=err)

    assert str(raised.value) == f"2 problems in {path}; nothing was imported."
    assert err.getvalue() == (
        "needs[sen-csirt].country: would move the need from SEN to MLI; an "
        "import moves records only when told to (--allow-move)\n"
        "needs[sen-csirt].visibility: would lower the visibility from "
        "confidential to public; an import declassifies only when told to "
        "(--allow-declassify)\n"
    )
    need = Need.objects.select_related("member_state").get()
    assert (need.visibility, need.member_state.country_id) == ("confidential", "SEN")

    run("import_dataset", str(path), "--allow-move", "--allow-declassify")

    need = Need.objects.select_related("member_state").get()
    assert (need.visibility, need.member_state.country_id) == ("public", "MLI")
