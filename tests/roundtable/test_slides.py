"""Slide-deck rules: a corpus of bad files, each refused with its message and
nothing stored; good decks re-written; downloads with the right headers."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from roundtable import services
from roundtable.models import Pitch
from roundtable.slides import WORKER
from roundtable.slides import SlideDeckError
from roundtable.slides import check_slide_deck
from roundtable.slides import download_name
from roundtable.slides import slide_deck_response
from tests.roundtable import pdfs
from tests.roundtable.conftest import make_pitch

TEN_MB = 10 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

MESSAGES = {
    "pages4": "The slide deck has 4 pages: at most 3 are allowed.",
    "pages0": "The slide deck has no pages.",
    "type": "The slide deck is not a PDF file (checked by its content, "
    "whatever its name says).",
    "malformed": "The slide deck is damaged or not a readable PDF.",
    "encrypted": "The slide deck is encrypted or password-protected: upload it "
    "without protection.",
    "size": "The slide deck is larger than 10 MB.",
    "bomb": "The slide deck expands to too much data when opened "
    "(a compressed stream is far too large).",
    "empty": "The slide deck is empty.",
}


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return pdfs.flate_bomb_pdf(300)


def upload(data: bytes, name: str = "deck.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def bad_files(bomb: bytes) -> dict[str, tuple[bytes, str, str]]:
    """case -> (bytes, rule code, message)"""
    return {
        "4 pages": (pdfs.pdf(4), "pages", MESSAGES["pages4"]),
        "0 pages": (pdfs.pdf(0), "pages", MESSAGES["pages0"]),
        "PNG named .pdf": (PNG, "type", MESSAGES["type"]),
        "%PDF- then HTML": (
            b"%PDF-1.7\n<html><script>alert(1)</script></html>",
            "malformed",
            MESSAGES["malformed"],
        ),
        "encrypted": (pdfs.encrypted_pdf(), "encrypted", MESSAGES["encrypted"]),
        "1 byte over 10 MB": (
            b"%PDF-" + b"0" * (TEN_MB - 4),
            "size",
            MESSAGES["size"],
        ),
        "flate bomb (300 MB)": (bomb, "bomb", MESSAGES["bomb"]),
        "empty": (b"", "empty", MESSAGES["empty"]),
    }


CASES = [
    "4 pages",
    "0 pages",
    "PNG named .pdf",
    "%PDF- then HTML",
    "encrypted",
    "1 byte over 10 MB",
    "flate bomb (300 MB)",
    "empty",
]


@pytest.mark.parametrize("case", CASES)
def test_check_slide_deck_rejects_each_bad_file_with_its_rule(case, bomb):
    data, code, message = bad_files(bomb)[case]
    with pytest.raises(SlideDeckError) as refused:
        check_slide_deck(upload(data))
    assert refused.value.code == code
    assert refused.value.messages == [message]


def test_the_bomb_is_refused_in_bounded_memory(bomb):
    with pytest.raises(SlideDeckError):
        check_slide_deck(upload(bomb))
    # The parse runs in a child process capped in address space. Measure that
    # worker alone, started from a small fresh interpreter: a child forked from
    # this (large) test process would report the parent's pages as its own peak.
    probe = (
        "import os, subprocess, sys\n"
        "data = sys.stdin.buffer.read()\n"
        "w = subprocess.Popen([sys.executable, '-I', sys.argv[1], '3', str(len(data))],"
        " stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,"
        " stderr=subprocess.DEVNULL)\n"
        "w.stdin.write(data); w.stdin.close()\n"
        "print(os.wait4(w.pid, 0)[2].ru_maxrss)\n"
    )
    done = subprocess.run(  # noqa: S603 - our own worker script
        [sys.executable, "-I", "-c", probe, str(WORKER)],
        input=bomb,
        capture_output=True,
        check=True,
    )
    assert int(done.stdout) / 1024 < 300


@pytest.mark.parametrize("pages", [1, 2, 3])
def test_check_slide_deck_accepts_1_to_3_pages_and_rewrites_them(pages):
    checked = check_slide_deck(upload(pdfs.pdf(pages)))
    assert checked.pages == pages
    assert len(PdfReader(io.BytesIO(checked.content)).pages) == pages


def test_a_declared_html_type_is_ignored_the_content_decides():
    checked = check_slide_deck(upload(pdfs.pdf(2), content_type="text/html"))
    assert checked.pages == 2


def test_the_call_can_allow_fewer_slides():
    with pytest.raises(SlideDeckError) as refused:
        check_slide_deck(upload(pdfs.pdf(2)), max_pages=1)
    assert refused.value.messages == [
        "The slide deck has 2 pages: at most 1 are allowed."
    ]


def test_an_appended_zip_is_dropped_by_the_rewrite():
    original = pdfs.pdf(3) + pdfs.zip_payload()
    assert zipfile.is_zipfile(io.BytesIO(original))  # a true polyglot
    assert len(PdfReader(io.BytesIO(original)).pages) == 3
    checked = check_slide_deck(upload(original))
    assert checked.pages == 3
    assert not zipfile.is_zipfile(io.BytesIO(checked.content))
    assert b"<script" not in checked.content
    assert b"index.html" not in checked.content


def test_javascript_is_stripped_on_the_way_in():
    original = pdfs.javascript_pdf()
    assert b"/JavaScript" in original
    checked = check_slide_deck(upload(original))
    assert checked.pages == 1
    assert b"/JavaScript" not in checked.content
    assert b"/OpenAction" not in checked.content


class _Unreadable:
    """An upload that declares its size and must not be read."""

    size = TEN_MB + 1

    def read(self, *args):
        raise AssertionError("read before the size check")

    def chunks(self):
        raise AssertionError("read before the size check")


def test_the_size_is_checked_before_reading():
    with pytest.raises(SlideDeckError) as refused:
        check_slide_deck(_Unreadable())
    assert refused.value.code == "size"


def _stored_files(media) -> list[str]:
    folder = media / "decks"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("case", CASES)
def test_a_bad_deck_is_refused_by_the_service_and_nothing_is_stored(
    case, bomb, cast, media
):
    pitch = make_pitch(cast, deck=False)
    data, _code, message = bad_files(bomb)[case]
    with pytest.raises(ValidationError) as refused:
        services.update_pitch(
            user=cast.presenter,
            pitch=pitch,
            data={"title": "Changed"},
            slide_deck=upload(data, name="../../evil.pdf"),
        )
    assert refused.value.messages == [message]
    pitch.refresh_from_db()
    assert (pitch.title, pitch.slide_deck.name, pitch.slide_count) == (
        "From a decree to a working CSIRT",
        "",
        None,
    )
    assert _stored_files(media) == []


def test_a_good_deck_is_stored_rewritten_under_a_generated_name(cast, media):
    pitch = services.create_pitch(
        user=cast.presenter,
        event=cast.event,
        provider=cast.provider,
        data={
            "title": "CSIRT in 18 months",
            "abstract": "How.",
            "presenter": cast.presenter,
            "programmes": [cast.programme],
        },
        slide_deck=upload(pdfs.pdf(3) + pdfs.zip_payload(), name="../../evil.pdf"),
    )
    pitch.refresh_from_db()
    assert re.fullmatch(r"decks/[0-9a-f]{32}\.pdf", pitch.slide_deck.name)
    assert "evil" not in pitch.slide_deck.name
    assert pitch.slide_count == 3
    assert pitch.presenter_name == "Ingrid Solberg"
    assert _stored_files(media) == [pitch.slide_deck.name.removeprefix("decks/")]
    stored = (media / pitch.slide_deck.name).read_bytes()
    assert not zipfile.is_zipfile(io.BytesIO(stored))
    assert len(PdfReader(io.BytesIO(stored)).pages) == 3
    assert not (media.parent / "evil.pdf").exists()


def test_replacing_a_deck_removes_the_old_file_after_commit(
    cast, media, django_capture_on_commit_callbacks
):
    pitch = make_pitch(cast)
    old = pitch.slide_deck.name
    with django_capture_on_commit_callbacks(execute=True):
        services.update_pitch(
            user=cast.presenter,
            pitch=pitch,
            data={},
            slide_deck=upload(pdfs.pdf(1)),
        )
    pitch.refresh_from_db()
    assert pitch.slide_count == 1
    assert pitch.slide_deck.name != old
    assert _stored_files(media) == [pitch.slide_deck.name.removeprefix("decks/")]


def test_the_download_is_an_attachment_of_type_pdf_with_nosniff(cast):
    pitch = make_pitch(cast, title="Un CSIRT national : 18 mois")
    response = slide_deck_response(pitch)
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == (
        'attachment; filename="un-csirt-national-18-mois-slides.pdf"; '
        "filename*=UTF-8''un-csirt-national-18-mois-slides.pdf"
    )
    body = b"".join(response.streaming_content)
    assert len(PdfReader(io.BytesIO(body)).pages) == 3
    assert download_name(Pitch(title="///")) == "pitch-slides.pdf"
