"""Stored decks hold only what a slide needs: an adversarial corpus of PDF
constructions goes through the real upload paths, and the stored file, parsed
again, has no active content anywhere while its pages and text remain."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError
from django.core.management import call_command
from pypdf import PdfReader
from pypdf.generic import ArrayObject
from pypdf.generic import DictionaryObject
from pypdf.generic import IndirectObject
from pypdf.generic import PdfObject
from pypdf.generic import TextStringObject
from rest_framework.test import APIClient

from roundtable import services
from tests.roundtable import pdfs
from tests.roundtable.conftest import make_pitch

HOSTILE = pdfs.hostile_decks()

# Keys that only ever carry actions, scripts, forms, files or multimedia.
ACTIVE_KEYS = {
    "/JS",
    "/JavaScript",
    "/AA",
    "/OpenAction",
    "/Next",
    "/Launch",
    "/Win",
    "/Mac",
    "/Unix",
    "/EmbeddedFile",
    "/EmbeddedFiles",
    "/EF",
    "/FS",
    "/AF",
    "/AcroForm",
    "/XFA",
    "/Names",
    "/Outlines",
    "/RichMediaContent",
    "/RichMediaSettings",
    "/Rendition",
    "/Sound",
    "/Movie",
    "/3DD",
    "/Ref",
    "/Metadata",
    "/Perms",
    "/Collection",
    "/PieceInfo",
    "/Thumb",
    "/PresSteps",
    "/Trans",
    "/Requirements",
    "/OCProperties",
}
# Values of /S a drawing resource may have; a link may also say /URI.
DRAWING_S = {"/Transparency", "/Luminosity", "/Alpha"}
WEB_SCHEMES = ("http://", "https://")
ANNOTATION_OR_FILE = {"/Annot", "/Filespec", "/EmbeddedFile", "/Action"}
PLAIN_LINK_KEYS = {"/Type", "/Subtype", "/Rect", "/Border", "/A"}


def _kids(value: PdfObject):
    if isinstance(value, DictionaryObject):
        return value.values()
    if isinstance(value, ArrayObject):
        return value
    return []


def _problems_in(obj: PdfObject, where: str) -> list[str]:
    """What is active in one dictionary (not its children)."""
    if not isinstance(obj, DictionaryObject):
        return []
    found = [f"{where} {key}" for key in obj if key in ACTIVE_KEYS]
    kind = obj.get("/S")
    action = obj.get("/Type") == "/Action" or "/URI" in obj
    if kind is not None and kind not in DRAWING_S:
        uri = obj.get("/URI")
        web = (
            kind == "/URI"
            and isinstance(uri, (str, bytes))
            and _text(uri).startswith(WEB_SCHEMES)
        )
        if not web:
            found.append(f"{where} /S {kind}")
    elif action:
        found.append(f"{where} action without /S")
    annotation_or_file = obj.get("/Type") in ANNOTATION_OR_FILE or (
        "/Subtype" in obj and "/Rect" in obj
    )
    plain_link = obj.get("/Subtype") == "/Link" and set(obj) <= PLAIN_LINK_KEYS
    if annotation_or_file and not plain_link:
        found.append(f"{where} annotation or file {obj.get('/Subtype')}")
    return found


def _text(value) -> str:
    if isinstance(value, TextStringObject):
        return value.original_bytes.decode("latin-1")
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def active_content(data: bytes) -> list[str]:
    """Every active construction in a PDF: from the trailer down, and in every
    object the cross-reference data lists (referenced or not)."""
    reader = PdfReader(io.BytesIO(data))
    found: list[str] = []
    seen: set[tuple[int, int]] = set()
    pending: list[tuple[PdfObject, str]] = [(reader.trailer, "trailer")]
    for generation, numbers in reader.xref.items():
        pending += [
            (IndirectObject(number, generation, reader), f"obj {number}")
            for number in numbers
        ]
    pending += [
        (IndirectObject(number, 0, reader), f"obj {number}")
        for number in reader.xref_objStm
    ]
    while pending:
        value, where = pending.pop()
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key in seen:
                continue
            seen.add(key)
            where = f"obj {value.idnum}"
            value = value.get_object()
        found += _problems_in(value, where)
        pending += [(kid, where) for kid in _kids(value)]
    return sorted(set(found))


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("deck.pdf", data, content_type="application/pdf")


def _stored(pitch) -> bytes:
    pitch.refresh_from_db()
    with pitch.slide_deck.open("rb") as stored:
        return stored.read()


def _assert_clean_slide(stored: bytes, *, text: str = pdfs.SLIDE_TEXT) -> None:
    assert active_content(stored) == []
    reader = PdfReader(io.BytesIO(stored))
    assert len(reader.pages) == 1
    assert text in reader.pages[0].extract_text()
    assert b"JavaScript" not in stored
    assert b"invoice.exe" not in stored


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_no_active_content_survives_in_the_stored_deck(case, cast, media):
    original = HOSTILE[case]
    # The corpus is hostile: the checker finds what each case smuggles.
    assert active_content(original) != []
    assert len(PdfReader(io.BytesIO(original)).pages) == 1
    pitch = make_pitch(cast, deck=False)
    services.update_pitch(
        user=cast.presenter, pitch=pitch, data={}, slide_deck=_upload(original)
    )
    stored = _stored(pitch)
    assert pitch.slide_count == 1
    _assert_clean_slide(stored)


def test_drawing_through_a_form_xobject_survives_without_its_actions(cast, media):
    pitch = make_pitch(cast, deck=False)
    services.update_pitch(
        user=cast.presenter,
        pitch=pitch,
        data={},
        slide_deck=_upload(HOSTILE["JavaScript hidden in a form XObject's resources"]),
    )
    page = PdfReader(io.BytesIO(_stored(pitch))).pages[0]
    assert "Form text" in page.extract_text()
    form = page["/Resources"]["/XObject"]["/Fm1"].get_object()
    assert sorted(form) == ["/BBox", "/Resources", "/Subtype", "/Type"]
    assert sorted(form["/Resources"]["/Font"]) == ["/F2"]  # the "font" that was JS
    inner = form["/Resources"]["/XObject"]["/Fm2"].get_object()
    assert sorted(inner["/Resources"]["/XObject"]) == []  # JS and a PostScript form


def test_plain_web_links_are_kept_and_nothing_else_of_them(cast, media):
    pitch = make_pitch(cast, deck=False)
    services.update_pitch(
        user=cast.presenter,
        pitch=pitch,
        data={},
        slide_deck=_upload(pdfs.web_link_deck()),
    )
    stored = _stored(pitch)
    assert active_content(stored) == []
    page = PdfReader(io.BytesIO(stored)).pages[0]
    links = [annot.get_object() for annot in page["/Annots"]]
    assert [(sorted(link), sorted(link["/A"])) for link in links] == [
        (["/A", "/Border", "/Rect", "/Subtype", "/Type"], ["/S", "/URI"])
    ] * 2
    assert [_text(link["/A"]["/URI"]) for link in links] == [
        "https://example.org/programme?id=7",
        "http://example.org/",
    ]


def test_the_api_upload_stores_a_clean_deck(cast, media):
    pitch = make_pitch(cast, deck=False)
    client = APIClient()
    client.force_authenticate(cast.presenter)
    response = client.put(
        f"/api/v1/pitches/{pitch.pk}/slides/",
        {"slide_deck": _upload(HOSTILE["JavaScript in outline items"])},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["slide_count"] == 1
    _assert_clean_slide(_stored(pitch))


def test_the_stored_deck_keeps_every_page_its_boxes_and_rotation(cast, media):
    original = pdfs.raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R"
            b" /OpenAction << /S /JavaScript /JS (x) >> >>",
            b"<< /Type /Pages /Kids [3 0 R 6 0 R 7 0 R] /Count 3"
            b" /Resources << /Font << /F1 5 0 R >> >> /MediaBox [0 0 960 540] >>",
            b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Rotate 90"
            b" /CropBox [10 10 950 530] >>",
            pdfs.stream(pdfs.DRAW_TEXT),
            pdfs.FONT,
            b"<< /Type /Page /Parent 2 0 R /Contents [4 0 R 8 0 R] >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>",
            pdfs.stream(b"BT /F1 12 Tf 72 100 Td (Second part) Tj ET"),
        ]
    )
    pitch = make_pitch(cast, deck=False)
    services.update_pitch(
        user=cast.presenter, pitch=pitch, data={}, slide_deck=_upload(original)
    )
    stored = _stored(pitch)
    assert active_content(stored) == []
    pages = PdfReader(io.BytesIO(stored)).pages
    assert [
        (list(p.mediabox), list(p.cropbox), p.rotation, p.extract_text()) for p in pages
    ] == [
        ([0, 0, 960, 540], [10, 10, 950, 530], 90, pdfs.SLIDE_TEXT),
        ([0, 0, 960, 540], [0, 0, 960, 540], 0, f"{pdfs.SLIDE_TEXT}\nSecond part"),
        ([0, 0, 612, 792], [0, 0, 612, 792], 0, ""),
    ]


def _store_unchecked(pitch, data: bytes) -> None:
    """A deck stored by older rules: written as it came, no check."""
    pitch.slide_deck.save("deck.pdf", ContentFile(data), save=False)
    pitch.slide_count = 1
    pitch.save(update_fields=["slide_deck", "slide_count"])


def test_rebuild_slide_decks_cleans_decks_stored_under_older_rules(
    cast, media, django_capture_on_commit_callbacks
):
    hostile = make_pitch(cast, deck=False)
    _store_unchecked(hostile, HOSTILE["JavaScript in outline items"])
    broken = make_pitch(cast, deck=False, provider=cast.other_provider)
    _store_unchecked(broken, b"%PDF-1.7\n<html><script>alert(1)</script></html>")
    missing = make_pitch(cast, programmes=[], title="Deck lost")
    (media / missing.slide_deck.name).unlink()
    old_name, old_updated = hostile.slide_deck.name, hostile.updated_at
    out, err = io.StringIO(), io.StringIO()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(CommandError) as failed,
    ):
        call_command("rebuild_slide_decks", stdout=out, stderr=err)
    assert out.getvalue() == "Rebuilt 1 slide deck(s).\n"
    assert err.getvalue() == (
        f"Pitch {broken.pk}: The slide deck is damaged or not a readable PDF.\n"
        f"Pitch {missing.pk}: The stored file is missing.\n"
    )
    assert str(failed.value) == (
        "2 slide deck(s) left as stored: a curator should replace or remove them."
    )
    stored = _stored(hostile)
    _assert_clean_slide(stored)
    assert hostile.slide_deck.name != old_name
    assert not (media / old_name).exists()
    assert hostile.updated_at == old_updated
    assert hostile.history.latest().history_change_reason == "slide deck rebuilt"
    assert (media / broken.slide_deck.name).exists()  # left for a curator
