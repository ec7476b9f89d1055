"""A message's plain text as safe HTML: escaped, http(s) links clickable, line breaks.

Nothing a writer types becomes markup: every character is escaped, and only
``http://`` and ``https://`` addresses turn into links (no ``javascript:``,
``data:`` or bare domains), followed without a referrer.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

# An address runs to the next space or a character that cannot be in one.
_URL = re.compile(r"https?://[^\s<>\"'`\x00-\x1f\x7f]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address.
_TRAILING = ".,;:!?)]}"


def _split_trailing(url: str) -> tuple[str, str]:
    end = len(url)
    while end > 0 and url[end - 1] in _TRAILING:
        # A closing bracket that closes one opened in the address stays.
        if url[end - 1] == ")" and url[:end].count("(") >= url[:end].count(")"):
            break
        end -= 1
    return url[:end], url[end:]


def _link(url: str) -> str:
    href = escape(url)
    return (
        f'<a class="govuk-link" href="{href}" rel="nofollow noopener noreferrer">'
        f"{href}</a>"
    )


def message_html(text: str) -> SafeString:
    """Escaped text with its http(s) links as anchors and its line breaks kept."""
    parts: list[str] = []
    last = 0
    for found in _URL.finditer(text):
        url, rest = _split_trailing(found.group(0))
        scheme_only = url.lower() in {"http://", "https://"}
        parts.append(escape(text[last : found.start()]))
        parts.append(
            escape(found.group(0)) if scheme_only else _link(url) + escape(rest)
        )
        last = found.end()
    parts.append(escape(text[last:]))
    html = "".join(parts).replace("\r\n", "\n").replace("\n", "<br>")
    # Every part above is escaped: only the anchors and <br> are markup.
    return mark_safe(html)  # noqa: S308  # nosec B308 B703
