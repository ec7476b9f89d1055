"""The CI check: every string translated in the five languages, placeholders kept."""

from __future__ import annotations

import os
import shutil
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.core.management import CommandError
from django.core.management import call_command

from matchmaking.management.commands.check_translations import TARGET_LANGUAGES
from matchmaking.management.commands.check_translations import brace_placeholders
from matchmaking.management.commands.check_translations import check_entry
from matchmaking.management.commands.check_translations import percent_placeholders
from tests.matchmaking.i18n.catalogues import write_catalogue

FIVE = list(TARGET_LANGUAGES)


def entry(msgid: str, msgstr: str = "", **kwargs) -> polib.POEntry:
    return polib.POEntry(msgid=msgid, msgstr=msgstr, **kwargs)


def good_entries() -> list[polib.POEntry]:
    return [
        entry("Programmes", "Programmes traduits"),
        entry(
            "Your need “%(title)s” is published.",
            "Publié : %(title)s.",
            flags=["python-format"],
        ),
        entry("Hello {name}", "Bonjour {name}", flags=["python-brace-format"]),
        polib.POEntry(
            msgid="%(count)s programme",
            msgid_plural="%(count)s programmes",
            msgstr_plural={0: "%(count)s programme", 1: "%(count)s programmes"},
            flags=["python-format"],
        ),
    ]


def run(locale_dir: Path, *extra: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(
        "check_translations",
        "--locale-dir",
        str(locale_dir),
        "--skip-extract",
        *extra,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def failing(locale_dir: Path, *extra: str) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="translation problems"):
        call_command(
            "check_translations",
            "--locale-dir",
            str(locale_dir),
            "--skip-extract",
            *extra,
            stdout=StringIO(),
            stderr=err,
        )
    return err.getvalue().splitlines()


def test_complete_catalogues_pass(tmp_path):
    for language in FIVE:
        write_catalogue(tmp_path, language, good_entries())
    out, err = run(tmp_path)
    assert err == ""
    assert out.strip() == (
        "5 languages, 20 translations: all present, placeholders kept, "
        "compiled catalogues current."
    )


def test_missing_and_fuzzy_translations_fail(tmp_path):
    for language in FIVE:
        write_catalogue(tmp_path, language, good_entries())
    write_catalogue(
        tmp_path,
        "ar",
        [
            *good_entries()[:3],
            entry("Needs"),
            entry("Sign in", "تسجيل الدخول", flags=["fuzzy"]),
        ],
    )
    problems = failing(tmp_path)
    assert [p.split(": ", 1)[0] for p in problems] == ["ar", "ar"]
    assert problems[0].endswith("'Needs': not translated")
    assert problems[1].endswith("'Sign in': the translation is fuzzy (needs review)")


def test_an_untranslated_plural_form_fails(tmp_path):
    write_catalogue(
        tmp_path,
        "ru",
        [
            polib.POEntry(
                msgid="%(count)s need",
                msgid_plural="%(count)s needs",
                msgstr_plural={0: "%(count)s потребность", 1: "", 2: ""},
                flags=["python-format"],
            )
        ],
    )
    problems = failing(tmp_path, "--languages", "ru")
    assert len(problems) == 1
    assert problems[0].endswith("a plural form is not translated")


@pytest.mark.parametrize(
    ("msgid", "msgstr", "flags", "message"),
    [
        (
            "Token “%(name)s” is revoked.",
            "Le jeton « %(nom)s » est révoqué.",
            ["python-format"],
            "placeholders differ from the msgid (missing: name:s; extra: nom:s)",
        ),
        (
            "%s of %s",
            "%s",
            ["python-format"],
            "placeholders differ from the msgid (missing: :s; extra: none)",
        ),
        (
            "Score %(score)d",
            "Note %(score)s",
            ["python-format"],
            "placeholders differ from the msgid (missing: score:d; extra: score:s)",
        ),
        (
            "Hello {name}",
            "Bonjour {nom}",
            ["python-brace-format"],
            "placeholders differ from the msgid (missing: {name}; extra: {nom})",
        ),
        (
            "{} of {}",
            "{}",
            ["python-brace-format"],
            "placeholders differ from the msgid (missing: {}; extra: none)",
        ),
    ],
)
def test_a_broken_placeholder_fails(tmp_path, msgid, msgstr, flags, message):
    write_catalogue(tmp_path, "fr", [entry(msgid, msgstr, flags=flags)])
    problems = failing(tmp_path, "--languages", "fr")
    assert len(problems) == 1
    assert problems[0].endswith(message)


def test_placeholders_may_move_and_percent_signs_are_literal():
    moved = entry(
        "%(title)s was sent to %(name)s, 100%% done",
        "%(name)s a reçu %(title)s, fait à 100 %%",
        flags=["python-format"],
    )
    assert check_entry(moved) == []
    assert percent_placeholders("%(a)s %s %d %% %(b).2f") == {
        "a:s": 1,
        ":s": 1,
        ":d": 1,
        "b:f": 1,
    }
    assert brace_placeholders("{a} {} {{literal}} {b!r:>3}") == {"a": 1, "": 1, "b": 1}


def test_a_plural_form_may_spell_out_one_but_not_invent_a_placeholder():
    spelled = polib.POEntry(
        msgid="%(count)s programme",
        msgid_plural="%(count)s programmes",
        msgstr_plural={0: "un programme", 1: "%(count)s programmes"},
        flags=["python-format"],
    )
    assert check_entry(spelled) == []
    invented = polib.POEntry(
        msgid="%(count)s programme",
        msgid_plural="%(count)s programmes",
        msgstr_plural={0: "%(n)s programme", 1: "%(count)s programmes"},
        flags=["python-format"],
    )
    assert check_entry(invented) == [
        "plural form 0 has placeholders the msgid does not: n:s"
    ]
    dropped = polib.POEntry(
        msgid="%(count)s programme in %(region)s",
        msgid_plural="%(count)s programmes in %(region)s",
        msgstr_plural={0: "un programme", 1: "%(count)s programmes"},
        flags=["python-format"],
    )
    assert check_entry(dropped) == ["the last plural form lacks region:s"]


def test_a_stale_or_missing_compiled_catalogue_fails(tmp_path):
    for language in FIVE:
        write_catalogue(tmp_path, language, good_entries())
    # es: the .po changed after compiling; zh-hans: never compiled.
    po_path = write_catalogue(tmp_path, "es", good_entries(), compile_mo=True)
    po = polib.pofile(str(po_path))
    po.find("Programmes").msgstr = "Programas"
    po.save(str(po_path))
    (tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.mo").unlink()
    problems = failing(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("es: ")
    assert "is out of date with django.po (1 messages differ" in problems[0]
    assert problems[1].startswith("zh-hans: ")
    assert "the compiled catalogue is missing" in problems[1]


def test_a_missing_catalogue_fails(tmp_path):
    problems = failing(tmp_path, "--languages", "fr")
    assert len(problems) == 1
    assert problems[0].endswith("the catalogue is missing")


# CI installs GNU gettext and sets REQUIRE_GETTEXT: there this test fails
# rather than skips without it.
@pytest.mark.skipif(
    shutil.which("xgettext") is None and not os.environ.get("REQUIRE_GETTEXT"),
    reason="needs GNU gettext",
)
def test_strings_not_extracted_yet_fail(tmp_path):
    """makemessages runs on a temporary copy; a new msgid is reported."""
    project = tmp_path / "project"
    (project / "templates").mkdir(parents=True)
    (project / "templates" / "page.html").write_text(
        '{% load i18n %}{% translate "Known" %} {% translate "Brand new" %}\n',
        encoding="utf-8",
    )
    locale = tmp_path / "locale"
    write_catalogue(locale, "fr", [entry("Known", "Connu")])
    err = StringIO()
    with pytest.raises(CommandError, match="1 translation problems"):
        call_command(
            "check_translations",
            "--locale-dir",
            str(locale),
            "--languages",
            "fr",
            "--project-dir",
            str(project),
            stdout=StringIO(),
            stderr=err,
        )
    assert err.getvalue().splitlines() == [
        "fr: makemessages: new msgid not in the catalogue yet: 'Brand new'"
    ]
    # Only the temporary copy was written to.
    assert sorted(p.name for p in (locale / "fr" / "LC_MESSAGES").iterdir()) == [
        "django.mo",
        "django.po",
    ]
    assert not (project / "locale").exists()
