"""Slide decks: what a pitch may upload, checked by content, and how it is served.

The rules (the call for pitches can tighten them): a PDF (recognised by its
bytes, never by its name or declared type), 1 to 3 pages, at most 10 MB, not
encrypted, readable by pypdf within fixed limits on memory, time and
decompressed size. An accepted deck is rebuilt from an allow-list: a new PDF
holding each page's boxes, rotation, content streams and the drawing resources
they use (fonts, images, forms, colour spaces, patterns, shadings, graphics
states), plus plain http(s) links. Nothing else of the upload is copied: not
what is appended after the PDF (a ZIP or HTML polyglot), nor actions, scripts,
outlines, forms, attachments, multimedia or metadata. Only the rebuilt bytes
are stored, under a generated name.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from roundtable.models import MAX_DECK_BYTES, MAX_PITCH_SLIDES, Pitch

PDF_MAGIC = b"%PDF-"
WORKER = Path(__file__).with_name("_deck_worker.py")
WORKER_TIMEOUT_SECONDS = 15


class SlideDeckError(ValidationError):
    """A slide deck broke a rule; ``code`` names the rule, the message explains."""


@dataclass(frozen=True)
class CheckedDeck:
    """A deck that passed every rule: the re-written PDF and its page count."""

    content: bytes
    pages: int


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def _reject(rule: str, *, pages: int = 0, max_pages: int = 0, max_bytes: int = 0):
    messages = {
        "empty": _("The slide deck is empty."),
        "size": _("The slide deck is larger than %(limit)s.")
        % {"limit": _megabytes(max_bytes)},
        "type": _(
            "The slide deck is not a PDF file (checked by its content, "
            "whatever its name says)."
        ),
        "encrypted": _(
            "The slide deck is encrypted or password-protected: upload it "
            "without protection."
        ),
        "malformed": _("The slide deck is damaged or not a readable PDF."),
        "bomb": _(
            "The slide deck expands to too much data when opened "
            "(a compressed stream is far too large)."
        ),
        "resources": _(
            "The slide deck takes too much memory or time to read: simplify it "
            "(fewer or smaller images)."
        ),
    }
    if rule == "pages":
        if pages == 0:
            message = _("The slide deck has no pages.")
        else:
            message = ngettext(
                "The slide deck has %(pages)d page: at most %(limit)d are allowed.",
                "The slide deck has %(pages)d pages: at most %(limit)d are allowed.",
                pages,
            ) % {"pages": pages, "limit": max_pages}
    else:
        message = messages.get(rule, messages["malformed"])
        rule = rule if rule in messages else "malformed"
    return SlideDeckError(message, code=rule)


def _read_capped(upload: IO[bytes], max_bytes: int) -> bytes:
    """Read at most max_bytes + 1 bytes, from the start."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    if hasattr(upload, "chunks"):  # Django's UploadedFile: stream, never slurp
        buffer = bytearray()
        for chunk in upload.chunks():
            buffer += chunk
            if len(buffer) > max_bytes:
                break
        return bytes(buffer[: max_bytes + 1])
    return upload.read(max_bytes + 1)


def check_slide_deck(
    upload: IO[bytes],
    *,
    max_pages: int = MAX_PITCH_SLIDES,
    max_bytes: int = MAX_DECK_BYTES,
) -> CheckedDeck:
    """Check an uploaded deck against the rules; raise SlideDeckError if one fails."""
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise _reject("size", max_bytes=max_bytes)  # before reading anything
    data = _read_capped(upload, max_bytes)
    if len(data) > max_bytes:
        raise _reject("size", max_bytes=max_bytes)
    if not data:
        raise _reject("empty")
    if not data.startswith(PDF_MAGIC):
        raise _reject("type")
    verdict, pages, content = _inspect_isolated(data, max_pages=max_pages)
    if verdict != "ok":
        raise _reject(verdict, pages=pages, max_pages=max_pages, max_bytes=max_bytes)
    return CheckedDeck(content=content, pages=pages)


def _inspect_isolated(data: bytes, *, max_pages: int) -> tuple[str, int, bytes]:
    """Run pypdf in a child process capped in memory and CPU time."""
    try:
        done = subprocess.run(  # noqa: S603  (fixed interpreter and script)
            [sys.executable, "-I", str(WORKER), str(max_pages), str(len(data))],
            input=data,
            capture_output=True,
            timeout=WORKER_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "resources", 0, b""
    head, _sep, content = done.stdout.partition(b"\n")
    if done.returncode != 0 or not head:
        # Killed by its memory or CPU limit (or crashed on the file).
        return "resources", 0, b""
    verdict, _sep, pages = head.decode("ascii", "replace").partition(" ")
    try:
        count = int(pages)
    except ValueError:
        return "malformed", 0, b""
    return verdict, count, content


def download_name(pitch: Pitch) -> str:
    """The file name offered on download: from the title, never the upload's."""
    stem = slugify(pitch.title)[:80].strip("-") or "pitch"
    return f"{stem}-slides.pdf"


def slide_deck_response(pitch: Pitch) -> FileResponse:
    """The stored deck as an attachment (the caller has checked permission)."""
    name = download_name(pitch)
    response = FileResponse(pitch.slide_deck.open("rb"), content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
