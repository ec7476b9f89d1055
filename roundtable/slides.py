"""Slide decks: what a pitch may upload, and how it is served.

The rules (the call for pitches can tighten them): a PDF of 1 to 3 pages, at
most 10 MB, checked and rebuilt by the platform's one safe-upload path
(``matchmaking.uploads``: recognised by its bytes, not encrypted, parsed within
fixed limits in a child process, rebuilt from an allow-list). This module words
the refusals for a slide deck and names the file on download.
"""

from __future__ import annotations

import functools
from typing import IO

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext_lazy

from matchmaking import uploads
from matchmaking.uploads import PDF_MAGIC
from matchmaking.uploads import WORKER
from roundtable.models import MAX_DECK_BYTES
from roundtable.models import MAX_PITCH_SLIDES
from roundtable.models import Pitch

__all__ = [
    "PDF_MAGIC",
    "WORKER",
    "CheckedDeck",
    "SlideDeckError",
    "check_slide_deck",
    "download_name",
    "slide_deck_response",
]

CheckedDeck = uploads.CheckedPdf


class SlideDeckError(ValidationError):
    """A slide deck broke a rule; ``code`` names the rule, the message explains."""


DECK_WORDING: uploads.Wording = {
    "empty": gettext_lazy("The slide deck is empty."),
    "size": gettext_lazy("The slide deck is larger than %(limit)s."),
    "type": gettext_lazy(
        "The slide deck is not a PDF file (checked by its content, "
        "whatever its name says)."
    ),
    "encrypted": gettext_lazy(
        "The slide deck is encrypted or password-protected: upload it "
        "without protection."
    ),
    "malformed": gettext_lazy("The slide deck is damaged or not a readable PDF."),
    "bomb": gettext_lazy(
        "The slide deck expands to too much data when opened "
        "(a compressed stream is far too large)."
    ),
    "resources": gettext_lazy(
        "The slide deck takes too much memory or time to read: simplify it "
        "(fewer or smaller images)."
    ),
    "no pages": gettext_lazy("The slide deck has no pages."),
    "pages": ngettext_lazy(
        "The slide deck has %(pages)d page: at most %(limit)d are allowed.",
        "The slide deck has %(pages)d pages: at most %(limit)d are allowed.",
        "pages",
    ),
}


_reject = functools.partial(uploads.refusal, DECK_WORDING, error=SlideDeckError)


def check_slide_deck(
    upload: IO[bytes],
    *,
    max_pages: int = MAX_PITCH_SLIDES,
    max_bytes: int = MAX_DECK_BYTES,
) -> CheckedDeck:
    """Check an uploaded deck against the rules; raise SlideDeckError if one fails."""
    return uploads.check_pdf(
        upload, max_pages=max_pages, max_bytes=max_bytes, reject=_reject
    )


def download_name(pitch: Pitch) -> str:
    """The file name offered on download: from the title, never the upload's."""
    stem = slugify(pitch.title)[:80].strip("-") or "pitch"
    return f"{stem}-slides.pdf"


def slide_deck_response(pitch: Pitch) -> FileResponse:
    """The stored deck as an attachment (the caller has checked permission)."""
    return uploads.pdf_response(pitch.slide_deck.open("rb"), name=download_name(pitch))
