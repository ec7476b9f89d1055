"""Parse and rebuild one uploaded PDF in a child process with hard resource limits.

Run as ``python -I _pdf_worker.py MAX_PAGES MAX_BYTES`` with the PDF on standard
input. It imports only the standard library and pypdf (no Django), caps its own
address space and CPU time before reading anything, and answers on standard
output with one header line, then (on success) the rebuilt PDF:

    ok <pages>\\n<rebuilt PDF bytes>
    <rule broken> <pages>\\n

The parent (``matchmaking.uploads``) turns the rule into a message. A child that
runs out of memory or time dies; the parent reports the file as too costly to
read. Keeping this in a separate process bounds time and memory even for a
malformed file that pypdf's own limits miss.
"""

from __future__ import annotations

import io
import re
import resource
import sys
from urllib.parse import urlsplit

from pypdf import PdfReader
from pypdf import PdfWriter
from pypdf import apply_configuration
from pypdf.errors import LimitReachedError
from pypdf.errors import PyPdfError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject
from pypdf.generic import BooleanObject
from pypdf.generic import ByteStringObject
from pypdf.generic import DecodedStreamObject
from pypdf.generic import DictionaryObject
from pypdf.generic import FloatObject
from pypdf.generic import IndirectObject
from pypdf.generic import NameObject
from pypdf.generic import NullObject
from pypdf.generic import NumberObject
from pypdf.generic import PdfObject
from pypdf.generic import StreamObject
from pypdf.generic import TextStringObject
from pypdf.generic import create_string_object

# Per stream and for the whole document: a 3-slide deck with full-HD images
# decodes to a few tens of MB; a decompression bomb hits these at once.
STREAM_LIMIT = 32 * 1024 * 1024
TOTAL_DECODED_LIMIT = 128 * 1024 * 1024
ADDRESS_SPACE_LIMIT = 768 * 1024 * 1024
CPU_SECONDS = 10

# The stored deck is rebuilt from nothing: a catalog, a page tree and, for each
# page, only what draws it (boxes, rotation, content streams and the resources
# they name). Everything else (document and page actions, outlines, forms,
# embedded files, annotations but plain web links, metadata ...) is never
# copied, so a construction nobody thought of is dropped too.
PAGE_BOXES = ("/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox")
RESOURCE_CATEGORIES = frozenset(
    {"/Font", "/XObject", "/ExtGState", "/ColorSpace", "/Pattern", "/Shading"}
)
PROCSETS = frozenset({"/PDF", "/Text", "/ImageB", "/ImageC", "/ImageI"})
# Dictionaries whose keys are names chosen by the author (resource names, glyph
# names, colorants): every key is kept, every value copied through the rules.
NAME_MAPS = RESOURCE_CATEGORIES | {"/CharProcs", "/Colorants"}
# Every key a dictionary reachable from a page's contents and resources may
# keep: fonts, encodings, CMaps, font descriptors and files, images, forms,
# transparency groups and soft masks, graphics states, halftones, colour
# spaces, patterns, shadings, functions, stream filters and their parameters.
# Action, annotation, file, metadata and structure keys are not in it.
ALLOWED_KEYS = frozenset(
    f"/{key}"
    for key in """
    Type Subtype Filter DecodeParms DL
    Predictor Colors BitsPerComponent Columns EarlyChange K EndOfLine
    EncodedByteAlign Rows EndOfBlock BlackIs1 DamagedRowsBeforeError
    JBIG2Globals ColorTransform
    BaseFont FirstChar LastChar Widths FontDescriptor Encoding ToUnicode
    DescendantFonts CIDSystemInfo Registry Ordering Supplement DW W DW2 W2
    CIDToGIDMap FontBBox FontMatrix CharProcs Resources Name
    BaseEncoding Differences CMapName WMode UseCMap
    FontName FontFamily FontStretch FontWeight Flags ItalicAngle Ascent Descent
    Leading CapHeight XHeight StemV StemH AvgWidth MaxWidth MissingWidth
    FontFile FontFile2 FontFile3 CharSet Style Panose Lang FD CIDSet
    Length1 Length2 Length3
    Width Height ColorSpace Intent ImageMask Mask Decode Interpolate SMask
    SMaskInData Matte
    FormType BBox Matrix Group S CS I G BC TR
    LW LC LJ ML D RI OP op OPM Font BG BG2 UCR UCR2 TR2 HT FL SM SA BM CA ca AIS TK
    HalftoneType HalftoneName Frequency Angle SpotFunction AccurateScreens
    TransferFunction Width2 Height2 Xsquare Ysquare
    N Alternate Range WhitePoint BlackPoint Gamma
    PatternType PaintType TilingType XStep YStep Shading
    ShadingType Background AntiAlias Domain Function Coords Extend
    BitsPerCoordinate BitsPerFlag VerticesPerRow
    FunctionType Size BitsPerSample Order Encode C0 C1 Functions Bounds
    Process MixingHints Components
    """.split()  # noqa: SIM905 - a word list reads better than 180 quoted names
)
ALLOWED_TYPES = frozenset(
    {
        "/Font", "/FontDescriptor", "/Encoding", "/CMap", "/XObject",
        "/ExtGState", "/Pattern", "/Group", "/Mask", "/Halftone",
    }
)  # fmt: skip
ALLOWED_SUBTYPES = frozenset(
    {
        "/Type0", "/Type1", "/MMType1", "/Type3", "/TrueType", "/CIDFontType0",
        "/CIDFontType2", "/Type1C", "/CIDFontType0C", "/OpenType", "/Image",
        "/Form", "/DeviceN", "/NChannel",
    }
)  # fmt: skip
ALLOWED_S = frozenset({"/Transparency", "/Luminosity", "/Alpha"})
ALLOWED_FILTERS = frozenset(
    {
        "/FlateDecode", "/LZWDecode", "/ASCIIHexDecode", "/ASCII85Decode",
        "/RunLengthDecode", "/CCITTFaxDecode", "/JBIG2Decode", "/DCTDecode",
        "/JPXDecode", "/Fl", "/LZW", "/AHx", "/A85", "/RL", "/CCF", "/DCT",
    }
)  # fmt: skip
MAX_DEPTH = 64
MAX_OBJECTS = 50_000
MAX_NODES = 1_000_000
MAX_LINKS_PER_PAGE = 100
MAX_URI_LENGTH = 2048
URI_CHARACTERS = re.compile(r"[!#-;=?-\[\]_a-z~A-Z]+")  # printable ASCII, no quotes


def _cap(kind: int, wanted: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(kind, (value, value))


def limit_resources() -> None:
    """Cap memory and CPU of this process (POSIX), never above the hard limits."""
    _cap(resource.RLIMIT_AS, ADDRESS_SPACE_LIMIT)
    _cap(resource.RLIMIT_CPU, CPU_SECONDS)


class Rejected(Exception):
    """The deck's object graph is beyond what a slide needs (too deep, too big)."""


class _Copier:
    """Copy the drawing resources of pages into a fresh writer, by allow-list."""

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.copied: dict[tuple[int, int], IndirectObject | NullObject] = {}
        self.nodes = 0

    def value(self, source: PdfObject, depth: int = 0) -> PdfObject:
        """A copy of ``source`` (resolved); NullObject for what is not allowed."""
        self.nodes += 1
        if depth > MAX_DEPTH or self.nodes > MAX_NODES:
            raise Rejected("nested too deep or too many objects")
        if isinstance(source, IndirectObject):
            return self._indirect(source, depth)
        return self._direct(source, depth)

    def _indirect(self, ref: IndirectObject, depth: int) -> PdfObject:
        key = (ref.idnum, ref.generation)
        if key in self.copied:
            return self.copied[key]
        if len(self.copied) >= MAX_OBJECTS:
            raise Rejected("too many objects")
        # Reserve the number first: resources may refer back to themselves.
        placeholder = self.writer._add_object(NullObject())
        self.copied[key] = placeholder
        copy = self._direct(ref.get_object(), depth)
        if isinstance(copy, NullObject):
            self.copied[key] = copy  # the reserved slot stays an unused null
            return copy
        self.writer._replace_object(placeholder, copy)
        return placeholder

    def _direct(self, source: PdfObject, depth: int) -> PdfObject:
        if isinstance(source, StreamObject):
            return self._stream(source, depth)
        if isinstance(source, DictionaryObject):
            return self._dictionary(source, depth)
        if isinstance(source, ArrayObject):
            return ArrayObject(self.value(item, depth + 1) for item in source)
        return _scalar(source)

    def _dictionary(self, source: DictionaryObject, depth: int) -> PdfObject:
        if not self._allowed(source):
            return NullObject()
        copy = DictionaryObject()
        self._fill(copy, source, depth)
        return copy

    def _stream(self, source: StreamObject, depth: int) -> PdfObject:
        if not self._allowed(source) or not _filters_allowed(source):
            return NullObject()
        copy = DecodedStreamObject()  # raw bytes as read, filters named below
        copy.set_data(source._data)
        self._fill(copy, source, depth)
        return copy

    def _fill(
        self, copy: DictionaryObject, source: DictionaryObject, depth: int
    ) -> None:
        for key, item in source.items():
            if key == "/Resources":
                copy[NameObject(key)] = self.resources(item, depth + 1)
            elif key not in ALLOWED_KEYS:
                continue
            elif key in NAME_MAPS and isinstance(item.get_object(), DictionaryObject):
                copy[NameObject(key)] = self.name_map(item, depth + 1)
            else:
                copy[NameObject(key)] = self.value(item, depth + 1)

    def name_map(self, source: PdfObject, depth: int) -> DictionaryObject:
        """Author-named entries (resources of one kind, glyphs): each value copied."""
        mapping = source.get_object()
        copy = DictionaryObject()
        if isinstance(mapping, DictionaryObject) and not isinstance(
            mapping, StreamObject
        ):
            for name, item in mapping.items():
                value = self.value(item, depth + 1)
                if not isinstance(value, NullObject):
                    copy[NameObject(name)] = value
        return copy

    def resources(self, source: PdfObject | None, depth: int = 0) -> DictionaryObject:
        """A page's or form's resources: only the categories that draw."""
        copy = DictionaryObject()
        resolved = source.get_object() if source is not None else None
        if not isinstance(resolved, DictionaryObject):
            return copy
        for key, item in resolved.items():
            if key in RESOURCE_CATEGORIES:
                copy[NameObject(key)] = self.name_map(item, depth + 1)
            elif key == "/ProcSet" and isinstance(item.get_object(), ArrayObject):
                copy[NameObject(key)] = ArrayObject(
                    NameObject(name)
                    for name in item.get_object()
                    if isinstance(name, NameObject) and name in PROCSETS
                )
        return copy

    @staticmethod
    def _allowed(source: DictionaryObject) -> bool:
        kind = source.get("/Type")
        subtype = source.get("/Subtype")
        group = source.get("/S")
        return (
            (kind is None or kind in ALLOWED_TYPES)
            and (subtype is None or subtype in ALLOWED_SUBTYPES)
            and (group is None or group in ALLOWED_S)
        )


def _scalar(source: PdfObject) -> PdfObject:
    """A fresh copy of a number, name, string, boolean or null."""
    if isinstance(source, BooleanObject):
        return BooleanObject(bool(source))
    if isinstance(source, NumberObject):
        return NumberObject(int(source))
    if isinstance(source, FloatObject):
        return FloatObject(float(source))
    if isinstance(source, NameObject):
        return NameObject(str(source))
    if isinstance(source, TextStringObject):
        return create_string_object(source.original_bytes)
    if isinstance(source, ByteStringObject):
        return ByteStringObject(bytes(source))
    return NullObject()


def _filters_allowed(stream: StreamObject) -> bool:
    filters = stream.get("/Filter")
    if filters is None:
        return True
    filters = filters.get_object()
    names = filters if isinstance(filters, ArrayObject) else [filters]
    return all(name in ALLOWED_FILTERS for name in names)


def _box(value: PdfObject | None) -> ArrayObject | None:
    """Four numbers, or None."""
    resolved = value.get_object() if value is not None else None
    if not isinstance(resolved, ArrayObject) or len(resolved) != 4:
        return None
    numbers = [item.get_object() for item in resolved]
    if not all(isinstance(n, (NumberObject, FloatObject)) for n in numbers):
        return None
    return ArrayObject(FloatObject(float(n)) for n in numbers)


def _web_link(annotation: PdfObject) -> DictionaryObject | None:
    """A plain link to an http(s) address, rebuilt; None for anything else."""
    annotation = annotation.get_object()
    if not isinstance(annotation, DictionaryObject):
        return None
    if annotation.get("/Subtype") != "/Link":
        return None
    rect = _box(annotation.get("/Rect"))
    action = annotation.get("/A")
    action = action.get_object() if action is not None else None
    if rect is None or not isinstance(action, DictionaryObject):
        return None
    if action.get("/S") != "/URI":
        return None
    uri = action.get("/URI")
    uri = uri.get_object() if uri is not None else None
    if not isinstance(uri, (TextStringObject, ByteStringObject)):
        return None
    raw = uri.original_bytes if isinstance(uri, TextStringObject) else bytes(uri)
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return None
    if len(text) > MAX_URI_LENGTH or not URI_CHARACTERS.fullmatch(text):
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    link = DictionaryObject()
    link[NameObject("/Type")] = NameObject("/Annot")
    link[NameObject("/Subtype")] = NameObject("/Link")
    link[NameObject("/Rect")] = rect
    link[NameObject("/Border")] = ArrayObject([NumberObject(0)] * 3)
    target = DictionaryObject()
    target[NameObject("/S")] = NameObject("/URI")
    target[NameObject("/URI")] = ByteStringObject(text.encode("ascii"))
    link[NameObject("/A")] = target
    return link


def rebuild(reader: PdfReader) -> PdfWriter:
    """A new document holding only what each page of ``reader`` needs to draw."""
    writer = PdfWriter()
    copier = _Copier(writer)
    for source in reader.pages:
        box = _box(source.get("/MediaBox")) or ArrayObject(
            FloatObject(n) for n in (0, 0, 612, 792)
        )
        page = writer.add_blank_page(width=1, height=1)
        page[NameObject("/MediaBox")] = box
        for name in PAGE_BOXES[1:]:
            other = _box(source.get(name))
            if other is not None:
                page[NameObject(name)] = other
        rotate = source.get("/Rotate")
        rotate = rotate.get_object() if rotate is not None else None
        if isinstance(rotate, NumberObject) and int(rotate) % 90 == 0:
            page[NameObject("/Rotate")] = NumberObject(int(rotate) % 360)
        page[NameObject("/Resources")] = copier.resources(source.get("/Resources"))
        group = source.get("/Group")
        if group is not None:
            page[NameObject("/Group")] = copier.value(group)
        contents = source.get("/Contents")
        resolved = contents.get_object() if contents is not None else None
        parts = resolved if isinstance(resolved, ArrayObject) else [contents]
        streams = ArrayObject()
        for part in parts:
            if part is not None and isinstance(part.get_object(), StreamObject):
                stream = copier.value(part)
                if not isinstance(stream, NullObject):
                    streams.append(stream)
        if streams:
            page[NameObject("/Contents")] = streams
        links = ArrayObject()
        annotations = source.get("/Annots")
        annotations = annotations.get_object() if annotations is not None else None
        if isinstance(annotations, ArrayObject):
            for annotation in annotations[: 4 * MAX_LINKS_PER_PAGE]:
                link = _web_link(annotation)
                if link is not None and len(links) < MAX_LINKS_PER_PAGE:
                    links.append(writer._add_object(link))
        if links:
            page[NameObject("/Annots")] = links
    return writer


def _check_streams(writer) -> str | None:
    """Decode every stream that will be stored, within the limits."""
    total = 0
    for obj in writer._objects:  # what the rewritten file will contain
        if not isinstance(obj, StreamObject) or "/Filter" not in obj:
            continue
        try:
            size = len(decode_stream_data(obj))
        except LimitReachedError:
            return "bomb"
        except (NotImplementedError, ImportError):
            # A filter pypdf does not decode (JBIG2 without jbig2dec, JPX ...):
            # nothing on the server inflates it either.
            continue
        total += size
        if total > TOTAL_DECODED_LIMIT:
            return "bomb"
    return None


def inspect(data: bytes, max_pages: int) -> tuple[str, int, bytes]:
    """(verdict, pages, rewritten): verdict is "ok" or the rule broken."""
    limits = {
        "zlib_maximum_output_length": STREAM_LIMIT,
        "lzw_maximum_output_length": STREAM_LIMIT,
        "run_length_maximum_output_length": STREAM_LIMIT,
        "jbig2_maximum_output_length": STREAM_LIMIT,
        "brotli_maximum_output_length": STREAM_LIMIT,
        "array_based_stream_maximum_output_length": STREAM_LIMIT,
        "image_maximum_buffer_size": STREAM_LIMIT,
        "maximum_declared_stream_length": STREAM_LIMIT,
        "stream_decoding_work_maximum_length": 4 * STREAM_LIMIT,
        "page_tree_maximum_entries": 1_000,
        "jbig2dec_binary": None,  # never run an outside program on uploads
        "disable_legacy_handling": True,
    }
    pages = 0
    try:
        with apply_configuration(**limits):
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                return "encrypted", 0, b""
            pages = len(reader.pages)
            if pages == 0 or pages > max_pages:
                return "pages", pages, b""
            writer = rebuild(reader)
            problem = _check_streams(writer)
            if problem:
                return problem, pages, b""
            out = io.BytesIO()
            writer.write(out)
            # The rewritten file must read back as the same deck.
            again = PdfReader(io.BytesIO(out.getvalue()), strict=False)
            if len(again.pages) != pages:
                return "malformed", pages, b""
            return "ok", pages, out.getvalue()
    except LimitReachedError:
        return "bomb", pages, b""
    except Rejected:
        return "resources", pages, b""
    except MemoryError:
        return "resources", pages, b""
    except (
        PyPdfError,
        ValueError,
        TypeError,
        KeyError,
        AttributeError,
        IndexError,
        AssertionError,
        RecursionError,
        OSError,
        NotImplementedError,
        UnicodeError,
        ArithmeticError,
    ):
        return "malformed", pages, b""


def main() -> int:
    limit_resources()
    max_pages = int(sys.argv[1])
    max_bytes = int(sys.argv[2])
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        verdict, pages, out = "size", 0, b""
    else:
        verdict, pages, out = inspect(data, max_pages)
    sys.stdout.buffer.write(f"{verdict} {pages}\n".encode("ascii"))
    if verdict == "ok":
        sys.stdout.buffer.write(out)
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
