"""Parse and rewrite one slide deck in a child process with hard resource limits.

Run as ``python -I _deck_worker.py MAX_PAGES MAX_BYTES`` with the PDF on standard
input. It imports only the standard library and pypdf (no Django), caps its own
address space and CPU time before reading anything, and answers on standard
output with one header line, then (on success) the rewritten PDF:

    ok <pages>\\n<rewritten PDF bytes>
    <rule broken> <pages>\\n

The parent (``roundtable.slides``) turns the rule into a message. A child that
runs out of memory or time dies; the parent reports the file as too costly to
read. Keeping this in a separate process bounds time and memory even for a
malformed file that pypdf's own limits miss.
"""

from __future__ import annotations

import io
import resource
import sys

# Per stream and for the whole document: a 3-slide deck with full-HD images
# decodes to a few tens of MB; a decompression bomb hits these at once.
STREAM_LIMIT = 32 * 1024 * 1024
TOTAL_DECODED_LIMIT = 128 * 1024 * 1024
ADDRESS_SPACE_LIMIT = 768 * 1024 * 1024
CPU_SECONDS = 10

# Actions a slide deck has no business carrying: dropped on the way in.
ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm"}


def _cap(kind: int, wanted: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    value = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(kind, (value, value))


def limit_resources() -> None:
    """Cap memory and CPU of this process (POSIX), never above the hard limits."""
    _cap(resource.RLIMIT_AS, ADDRESS_SPACE_LIMIT)
    _cap(resource.RLIMIT_CPU, CPU_SECONDS)


def _strip_active_content(writer) -> None:
    from pypdf.generic import DictionaryObject, NameObject

    root = writer._root_object
    for key in ("/OpenAction", "/AA", "/AcroForm"):
        root.pop(NameObject(key), None)
    names = root.get("/Names")
    if names is not None:
        names = names.get_object()
        for key in ("/JavaScript", "/EmbeddedFiles"):
            names.pop(NameObject(key), None)
    for page in writer.pages:
        page.pop(NameObject("/AA"), None)
        annots = page.get("/Annots")
        if annots is None:
            continue
        for ref in annots.get_object():
            annot = ref.get_object()
            if not isinstance(annot, DictionaryObject):
                continue
            annot.pop(NameObject("/AA"), None)
            action = annot.get("/A")
            if action is not None:
                action = action.get_object()
                if (
                    isinstance(action, DictionaryObject)
                    and action.get("/S") in ACTIVE_ACTIONS
                ):
                    annot.pop(NameObject("/A"), None)


def _check_streams(writer) -> str | None:
    """Decode every stream that will be stored, within the limits."""
    from pypdf.errors import LimitReachedError
    from pypdf.filters import decode_stream_data
    from pypdf.generic import EncodedStreamObject

    total = 0
    for obj in writer._objects:  # what the rewritten file will contain
        if not isinstance(obj, EncodedStreamObject):
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
    from pypdf import PdfReader, PdfWriter, apply_configuration
    from pypdf.errors import LimitReachedError, PyPdfError

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
            writer = PdfWriter(clone_from=reader)
            _strip_active_content(writer)
            writer.compress_identical_objects(
                remove_duplicates=False, remove_unreferenced=True
            )
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
