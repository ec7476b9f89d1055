"""Uploaded PDF files, checked by content and rebuilt from an allow-list.

The one safe path for a PDF someone uploads (a roundtable slide deck, a
focal-point nomination letter): recognised by its bytes, never by its name or
declared type; within a page and size limit; not encrypted; readable by pypdf
within fixed limits on memory, time and decompressed size. An accepted file is
rebuilt in a child process (``_pdf_worker.py``, capped in memory and CPU): a
new PDF holding each page's boxes, rotation, content streams and the drawing
resources they use, plus plain http(s) links. Nothing else of the upload is
copied: not what is appended after the PDF (a ZIP or HTML polyglot), nor
actions, scripts, outlines, forms, attachments, multimedia or metadata. Only
the rebuilt bytes are stored, under a generated name.

Callers word the refusals for what the file is (``reject``); the default
speaks of "the file".
"""

from __future__ import annotations

import functools
import subprocess
import sys
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import quote

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext_lazy

PDF_MAGIC = b"%PDF-"
WORKER = Path(__file__).with_name("_pdf_worker.py")
WORKER_TIMEOUT_SECONDS = 15
# The rules a file can break (``ValidationError.code``).
RULES = (
    "empty",
    "size",
    "type",
    "encrypted",
    "malformed",
    "bomb",
    "resources",
    "pages",
)


@dataclass(frozen=True)
class CheckedPdf:
    """A PDF that passed every rule: the re-written bytes and the page count."""

    content: bytes
    pages: int


type Reject = Callable[..., ValidationError]


def megabytes(size: int) -> str:
    """A byte limit as people read it ("10 MB")."""
    return f"{size / (1024 * 1024):.0f} MB"


# What a refusal says, by rule, for one kind of file: "size" is formatted with
# %(limit)s, "pages" (a plural on "pages") with %(pages)d and %(limit)d, and
# "no pages" is what the "pages" rule says of a file without any.
type Wording = Mapping[str, str | Promise]

FILE_WORDING: Wording = {
    "empty": gettext_lazy("The file is empty."),
    "size": gettext_lazy("The file is larger than %(limit)s."),
    "type": gettext_lazy(
        "The file is not a PDF (checked by its content, whatever its name says)."
    ),
    "encrypted": gettext_lazy(
        "The file is encrypted or password-protected: upload it without protection."
    ),
    "malformed": gettext_lazy("The file is damaged or not a readable PDF."),
    "bomb": gettext_lazy(
        "The file expands to too much data when opened (a compressed stream "
        "is far too large)."
    ),
    "resources": gettext_lazy(
        "The file takes too much memory or time to read: simplify it "
        "(fewer or smaller images)."
    ),
    "no pages": gettext_lazy("The file has no pages."),
    "pages": ngettext_lazy(
        "The file has %(pages)d page: at most %(limit)d are allowed.",
        "The file has %(pages)d pages: at most %(limit)d are allowed.",
        "pages",
    ),
}


def refusal(
    wording: Wording,
    rule: str,
    *,
    pages: int = 0,
    max_pages: int = 0,
    max_bytes: int = 0,
    error: type[ValidationError] = ValidationError,
) -> ValidationError:
    """The refusal of an uploaded PDF in the caller's wording, naming the rule
    it broke (``code``; an unknown rule is "malformed")."""
    if rule == "pages":
        message = (
            wording["no pages"]
            if pages == 0
            else wording["pages"] % {"pages": pages, "limit": max_pages}
        )
    elif rule == "size":
        message = wording["size"] % {"limit": megabytes(max_bytes)}
    else:
        rule = rule if rule in RULES else "malformed"
        message = wording[rule]
    return error(str(message), code=rule)


# The refusal of any uploaded PDF, speaking of "the file".
reject_file = functools.partial(refusal, FILE_WORDING)


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


def check_pdf(
    upload: IO[bytes],
    *,
    max_pages: int,
    max_bytes: int,
    reject: Reject = reject_file,
) -> CheckedPdf:
    """Check an uploaded PDF against the rules and rebuild it.

    Raises what ``reject(rule, pages=, max_pages=, max_bytes=)`` builds when a
    rule fails.
    """
    declared = getattr(upload, "size", None)
    if declared is not None and declared > max_bytes:
        raise reject("size", max_bytes=max_bytes)  # before reading anything
    data = _read_capped(upload, max_bytes)
    if len(data) > max_bytes:
        raise reject("size", max_bytes=max_bytes)
    if not data:
        raise reject("empty")
    if not data.startswith(PDF_MAGIC):
        raise reject("type")
    verdict, pages, content = _inspect_isolated(data, max_pages=max_pages)
    if verdict != "ok":
        raise reject(verdict, pages=pages, max_pages=max_pages, max_bytes=max_bytes)
    return CheckedPdf(content=content, pages=pages)


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


def pdf_response(file: IO[bytes], *, name: str) -> FileResponse:
    """A stored PDF as an attachment (the caller has checked permission)."""
    response = FileResponse(file, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
