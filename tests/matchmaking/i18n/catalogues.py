"""Build small gettext catalogues for the i18n tests (never touches locale/)."""

from __future__ import annotations

from pathlib import Path

import polib

from matchmaking.i18n import LOCALE_DIRS
from tests.paths import ROOT

PLURAL_FORMS = {
    "ar": "nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : "
    "n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5);",
    "es": "nplurals=2; plural=(n != 1);",
    "fr": "nplurals=2; plural=(n > 1);",
    "ru": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
    "(n%100<10 || n%100>=20) ? 1 : 2);",
    "zh-hans": "nplurals=1; plural=0;",
}


def write_catalogue(
    locale_dir: Path,
    language: str,
    entries: list[polib.POEntry],
    *,
    compile_mo: bool = True,
) -> Path:
    """Write django.po (and django.mo) for a language; return the .po path."""
    folder = locale_dir / LOCALE_DIRS[language] / "LC_MESSAGES"
    folder.mkdir(parents=True, exist_ok=True)
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Language": language,
        "Plural-Forms": PLURAL_FORMS[language],
    }
    po.extend(entries)
    path = folder / "django.po"
    po.save(str(path))
    if compile_mo:
        po.save_as_mofile(str(folder / "django.mo"))
    return path


def compile_project_catalogues(target: Path) -> Path:
    """Compile the translators' current locale/*.po into ``target`` (a temp dir).

    Unfinished entries are simply left out, as msgfmt does, so tests can offer
    every language before the translations are complete.
    """
    source = ROOT / "locale"
    for folder in LOCALE_DIRS.values():
        out = target / folder / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        po_path = source / folder / "LC_MESSAGES" / "django.po"
        po = polib.pofile(str(po_path)) if po_path.is_file() else polib.POFile()
        if not po.metadata:
            po.metadata = {"Content-Type": "text/plain; charset=UTF-8"}
        po.save_as_mofile(str(out / "django.mo"))
    return target
