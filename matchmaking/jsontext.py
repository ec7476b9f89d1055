"""What parsed JSON from outside may not hold before it reaches the database.

PostgreSQL text cannot store a NUL character, and a lone surrogate (``"\\ud800"``
is valid JSON) cannot be encoded as UTF-8: either would fail deep in a write.
Deep nesting exhausts the recursion of the parser and of anything that walks
the value afterwards. The walk here is iterative, so it cannot overflow itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

# No document of the API or the dataset format comes near this.
MAX_DEPTH = 64

Flaw = Literal["nul", "surrogate"]


@dataclass(frozen=True)
class Unsafe:
    """A string that cannot be stored, at a path of keys and list indexes."""

    path: tuple[str | int, ...]
    flaw: Flaw
    code_point: int  # of the first offending character


class TooDeep(ValueError):
    """Arrays and objects nested more than MAX_DEPTH levels."""


def text_flaw(text: str) -> tuple[Flaw, int] | None:
    """Why a string cannot be stored as text and the first culprit, or None."""
    if "\x00" in text:
        return "nul", 0
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        return "surrogate", ord(text[error.start])
    return None


def printable_key(key: str) -> str:
    """A key safe to show in a message (and to store in a log)."""
    return key.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()


def unsafe_strings(value: object, *, max_depth: int = MAX_DEPTH) -> Iterator[Unsafe]:
    """Each string (key or value) that cannot be stored, in document order.

    Raises TooDeep, before yielding anything from deeper, when arrays and
    objects are nested more than ``max_depth`` levels.
    """
    stack: list[tuple[object, tuple[str | int, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            flaw = text_flaw(item)
            if flaw:
                yield Unsafe(path, *flaw)
            continue
        if isinstance(item, dict):
            children: list[tuple[object, tuple[str | int, ...]]] = []
            for key, child in item.items():
                flaw = text_flaw(key) if isinstance(key, str) else None
                if flaw:
                    yield Unsafe((*path, printable_key(key)), *flaw)
                    continue
                children.append((child, (*path, key)))
        elif isinstance(item, list):
            children = [(child, (*path, index)) for index, child in enumerate(item)]
        else:
            continue
        if len(path) >= max_depth:
            raise TooDeep(f"nested more than {max_depth} levels deep")
        stack.extend(reversed(children))
