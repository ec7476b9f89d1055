"""What the import commands share: reading the file they are given, and
refusing it with every problem listed."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from django.core.management.base import CommandError
from django.core.management.base import OutputWrapper


def read_file(file: str, *, stdin: bool = False) -> bytes:
    """The bytes of ``file`` (with ``stdin``, ``-`` is standard input); a
    CommandError saying why it cannot be read."""
    try:
        if stdin and file == "-":
            return getattr(sys.stdin, "buffer", sys.stdin).read()
        return Path(file).read_bytes()
    except OSError as error:
        raise CommandError(f"cannot read {file}: {error.strerror}") from None


def refuse(stderr: OutputWrapper, problems: Sequence[object], source: str) -> NoReturn:
    """Write every problem to ``stderr`` and fail: nothing was imported."""
    for problem in problems:
        stderr.write(str(problem))
    count = len(problems)
    raise CommandError(
        f"{count} problem{'s' if count != 1 else ''} in {source}; nothing was imported."
    ) from None
