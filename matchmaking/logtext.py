"""Log lines that user-supplied text cannot forge.

A username such as ``"x\\n... event=login_succeeded"`` must not start a new
line, nor smuggle a ``key=value`` pair, in the security log. Every logged
value that a user may have chosen goes through :func:`escape_log_text`
(security events quote it as well, see ``matchmaking/audit.py``), and the
console handler's :class:`SafeFormatter` escapes whatever other loggers
(django-axes, Django) put in a message.
"""

from __future__ import annotations

import logging
import unicodedata

# Line and paragraph separators and bidirectional overrides are not "Cc" but
# still break or disguise a line in a terminal or a log viewer.
_ALSO_ESCAPED = frozenset(
    "\u2028\u2029\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u061c"
)


def _escaped(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def escape_log_text(value: object) -> str:
    """``value`` as one line: control characters and backslashes escaped."""
    text = str(value)
    if text.isprintable() and "\\" not in text:
        return text
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char in _ALSO_ESCAPED or unicodedata.category(char) in {"Cc", "Cs"}:
            out.append(_escaped(char))
        else:
            out.append(char)
    return "".join(out)


def log_value(value: object) -> str:
    """One ``key=value`` value: escaped, and quoted when it holds a space,
    a quote or ``=`` (so it cannot pose as another pair)."""
    text = escape_log_text(value)
    if text and not any(c.isspace() or c in '"=' for c in text):
        return text
    return '"' + text.replace('"', '\\"') + '"'


class SafeFormatter(logging.Formatter):
    """A formatter whose message part never spans lines (tracebacks still do)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_log_text(record.message)
        return super().formatMessage(record)
