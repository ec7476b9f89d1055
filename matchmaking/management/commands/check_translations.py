"""Fail when the interface is not fully translated into the five other UN languages.

Checks, for each of ar, es, fr, ru and zh-hans (``locale/<dir>/LC_MESSAGES``):

1. every msgid of ``django.po`` has a translation that is neither empty nor fuzzy
   (every plural form too);
2. a translation keeps the placeholders of its msgid: ``%(name)s``, ``%s``,
   ``%d`` (python-format, which is also how ``{% blocktranslate %}`` variables
   reach the catalogue) and ``{name}`` / ``{}`` (python-brace-format);
3. the committed ``django.mo`` says exactly what the ``.po`` says (compiled
   catalogues are committed, so the check compares content, not timestamps;
   ``manage.py compilemessages --ignore=.venv`` rebuilds them);
4. ``makemessages`` would add no msgid: it is run on a temporary copy, never
   on ``locale/`` itself (needs GNU gettext; ``--skip-extract`` leaves it out).

Usage::

    .venv/bin/python manage.py check_translations
    .venv/bin/python manage.py check_translations \
        --locale-dir tests/matchmaking/i18n/fixtures --skip-extract

Exits with status 1 and one line per problem when anything fails.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter
from contextlib import chdir
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.test.utils import override_settings
from django.utils.translation import to_locale

TARGET_LANGUAGES = ("ar", "es", "fr", "ru", "zh-hans")
# Where makemessages looks for strings (the same tree the translators extract).
SOURCE_DIRS = ("config", "matchmaking", "roundtable", "templates")

# printf-style conversions as Python's % operator reads them; "%%" is a literal.
PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0 +-]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?"
    r"(?P<type>[diouxXeEfFgGcrsa%])"
)
BRACE = re.compile(r"(?<!\{)\{(?P<field>[^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a catalogue."""

    language: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.language}: {self.where}: {self.message}"


def percent_placeholders(text: str) -> Counter[str]:
    """``%(name)s`` as ``name:s`` and positional ``%s`` as ``:s``, counted."""
    found: Counter[str] = Counter()
    for match in PERCENT.finditer(text):
        if match["type"] == "%":
            continue
        found[f"{match['name'] or ''}:{match['type']}"] += 1
    return found


def brace_placeholders(text: str) -> Counter[str]:
    """``{name}`` and ``{}`` fields of a str.format template, counted."""
    return Counter(match["field"] for match in BRACE.finditer(text))


def placeholders(entry: polib.POEntry, text: str) -> Counter[str]:
    """The placeholders of a text, in the formats the entry's msgid uses."""
    found: Counter[str] = Counter()
    if "python-format" in entry.flags or "%(" in entry.msgid:
        found.update(percent_placeholders(text))
    if "python-brace-format" in entry.flags:
        found.update({f"{{{k}}}": v for k, v in brace_placeholders(text).items()})
    return found


def entry_label(entry: polib.POEntry) -> str:
    text = entry.msgid if len(entry.msgid) <= 60 else entry.msgid[:57] + "..."
    where = f"line {entry.linenum}" if entry.linenum else "entry"
    context = f" [{entry.msgctxt}]" if entry.msgctxt else ""
    return f"{where}{context} {text!r}"


def check_entry(entry: polib.POEntry) -> list[str]:
    """What is wrong with one entry: missing, fuzzy or broken placeholders."""
    if entry.fuzzy:
        return ["the translation is fuzzy (needs review)"]
    if entry.msgid_plural:
        forms = [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
        if not forms or any(not form.strip() for form in forms):
            return ["a plural form is not translated"]
        expected = placeholders(entry, entry.msgid) | placeholders(
            entry, entry.msgid_plural
        )
        errors = []
        for index, form in enumerate(forms):
            got = placeholders(entry, form)
            # A form may leave the count out ("un programme"); it may not
            # invent a placeholder or repeat one more often than the source.
            extra = got - expected
            if extra:
                errors.append(
                    f"plural form {index} has placeholders the msgid does not: "
                    f"{', '.join(sorted(extra))}"
                )
        last = placeholders(entry, forms[-1])
        missing = placeholders(entry, entry.msgid_plural) - last
        # Named placeholders must survive in the general form; a bare count
        # may be spelled out only in the singular forms.
        if any(name.split(":")[0] for name in missing):
            errors.append(f"the last plural form lacks {', '.join(sorted(missing))}")
        return errors
    if not entry.msgstr.strip():
        return ["not translated"]
    expected = placeholders(entry, entry.msgid)
    got = placeholders(entry, entry.msgstr)
    if expected != got:
        missing = ", ".join(sorted(expected - got)) or "none"
        extra = ", ".join(sorted(got - expected)) or "none"
        return [
            f"placeholders differ from the msgid (missing: {missing}; extra: {extra})"
        ]
    return []


def entry_key(entry: Any) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def compiled_messages(catalogue: polib.POFile) -> dict[tuple[str, str], Any]:
    """What a compiled catalogue holds for each translated (context, msgid)."""
    result = {}
    for entry in catalogue:
        if getattr(entry, "obsolete", False) or getattr(entry, "fuzzy", False):
            continue
        if entry.msgid_plural:
            forms = tuple(entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural))
            if forms and all(forms):
                result[entry_key(entry)] = forms
        elif entry.msgstr:
            result[entry_key(entry)] = entry.msgstr
    return result


def check_compiled(language: str, po_path: Path, po: polib.POFile) -> list[Problem]:
    """The .mo next to the .po must hold exactly the .po's translations."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.is_file():
        return [
            Problem(
                language,
                str(mo_path),
                "the compiled catalogue is missing "
                "(run manage.py compilemessages --ignore=.venv)",
            )
        ]
    try:
        mo = polib.mofile(str(mo_path))
    except (OSError, ValueError) as error:
        return [Problem(language, str(mo_path), f"cannot be read: {error}")]
    expected = compiled_messages(po)
    got = compiled_messages(mo)
    if expected == got:
        return []
    stale = sorted(
        key[1]
        for key in expected.keys() | got.keys()
        if expected.get(key) != got.get(key)
    )
    sample = ", ".join(repr(m[:40]) for m in stale[:3])
    return [
        Problem(
            language,
            str(mo_path),
            f"is out of date with django.po ({len(stale)} messages differ, e.g. "
            f"{sample}); run manage.py compilemessages --ignore=.venv",
        )
    ]


def extracted_messages(project_dir: Path) -> set[tuple[str, str]]:
    """The msgids makemessages finds today, extracted into a throw-away copy."""
    if shutil.which("xgettext") is None:
        raise CommandError(
            "GNU gettext is needed to compare with makemessages "
            "(apt-get install gettext), or pass --skip-extract."
        )
    with tempfile.TemporaryDirectory(prefix="check-translations-") as tmp:
        work = Path(tmp)
        for name in SOURCE_DIRS:
            if (project_dir / name).is_dir():
                (work / name).symlink_to(project_dir / name, target_is_directory=True)
        locale = work / "locale"
        locale.mkdir()
        with (
            chdir(work),
            override_settings(LOCALE_PATHS=[str(locale)]),
            open(os.devnull, "w") as quiet,
        ):
            call_command(
                "makemessages",
                locale=["fr"],
                symlinks=True,
                no_obsolete=True,
                verbosity=0,
                stdout=quiet,
                stderr=quiet,
            )
        extracted = polib.pofile(str(locale / "fr" / "LC_MESSAGES" / "django.po"))
        return {entry_key(entry) for entry in extracted if not entry.obsolete}


class Command(BaseCommand):
    help = (
        "Fail when a string marked for translation lacks a reviewed translation "
        "in ar, es, fr, ru or zh-hans, breaks a placeholder, is missing from the "
        "compiled catalogue or has not been extracted yet."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--locale-dir",
            default=None,
            help="The locale directory to check (default: the first LOCALE_PATHS).",
        )
        parser.add_argument(
            "--languages",
            nargs="+",
            default=list(TARGET_LANGUAGES),
            help="Language codes to check (default: the five besides English).",
        )
        parser.add_argument(
            "--skip-extract",
            action="store_true",
            help="Do not compare with what makemessages would extract.",
        )
        parser.add_argument(
            "--project-dir",
            default=str(settings.BASE_DIR),
            help="Where the sources for makemessages live (default: BASE_DIR).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        locale_dir = Path(options["locale_dir"] or settings.LOCALE_PATHS[0])
        problems: list[Problem] = []
        catalogues: dict[str, polib.POFile] = {}
        for language in options["languages"]:
            po_path = locale_dir / to_locale(language) / "LC_MESSAGES" / "django.po"
            if not po_path.is_file():
                problems.append(
                    Problem(language, str(po_path), "the catalogue is missing")
                )
                continue
            try:
                po = polib.pofile(str(po_path))
            except (OSError, ValueError) as error:
                problems.append(
                    Problem(language, str(po_path), f"cannot be read: {error}")
                )
                continue
            catalogues[language] = po
            for entry in po:
                if entry.obsolete:
                    continue
                problems.extend(
                    Problem(language, entry_label(entry), message)
                    for message in check_entry(entry)
                )
            problems.extend(check_compiled(language, po_path, po))
        if not options["skip_extract"] and catalogues:
            extracted = extracted_messages(Path(options["project_dir"]))
            for language, po in catalogues.items():
                known = {entry_key(entry) for entry in po if not entry.obsolete}
                problems.extend(
                    Problem(
                        language,
                        "makemessages",
                        f"new msgid not in the catalogue yet: {msgid[:60]!r}",
                    )
                    for _context, msgid in sorted(extracted - known)
                )
        total = sum(
            1 for po in catalogues.values() for entry in po if not entry.obsolete
        )
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(problems)} translation problems in "
                f"{len(options['languages'])} languages."
            )
        self.stdout.write(
            f"{len(catalogues)} languages, {total} translations: all present, "
            "placeholders kept, compiled catalogues current."
        )
