"""Reading the text out of an uploaded file: PDF (pypdf), DOCX (python-docx), PPTX
(python-pptx), plain text and Markdown (SPEC §15).

Uploads are untrusted. Before a DOCX or PPTX is opened, its zip central directory is
checked: too many entries, or more uncompressed bytes than :data:`MAX_UNZIPPED_BYTES` in
all (or :data:`MAX_XML_PART_BYTES` in one XML part), and it is refused unread; Python's
zipfile never inflates an entry past its declared size, so the check holds. python-docx and
python-pptx parse XML without resolving entities. pypdf caps every stream it inflates
(75 MB). The text kept is capped at :data:`MAX_TEXT_CHARS`, and extraction stops there.
Every refusal is a :class:`DocumentError` whose message is the reason shown to the app's
owner.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

log = logging.getLogger("widget_server.knowledge")

MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_XML_PART_BYTES = 25 * 1024 * 1024
MAX_ZIP_ENTRIES = 5000
MAX_TEXT_CHARS = 4_000_000
MAX_PDF_PAGES = 3000
MAX_FILENAME_CHARS = 200

KINDS = ("pdf", "docx", "pptx", "text", "markdown")
_BY_SUFFIX = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".pptx": "pptx",
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
}
_BY_MEDIA_TYPE = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "text/plain": "text",
    "text/markdown": "markdown",
    "text/x-markdown": "markdown",
}
SUPPORTED = "PDF, DOCX, PPTX, plain text (.txt) and Markdown (.md)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class DocumentError(Exception):
    """A file that can't be used, and why (shown to its owner as the reason)."""


@dataclass(frozen=True)
class Extracted:
    text: str
    pages: int | None  # PDF pages or PPTX slides


def clean_filename(raw: str | None) -> str:
    """The file's own name (no folders, no control characters), at most 200 characters."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = " ".join(_CONTROL.sub(" ", name).split())
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, suffix = name.rpartition(".")
        keep = MAX_FILENAME_CHARS - len(suffix) - 1
        name = stem[:keep] + dot + suffix if dot and 0 < len(suffix) < 16 else name[:keep]
    return name or "upload"


def kind_of(filename: str, media_type: str | None, head: bytes) -> str | None:
    """Which reader a file goes to (by its name, else its declared type), or None when it
    is of no supported type. A PDF is known by its signature whatever its name."""
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    return _BY_MEDIA_TYPE.get((media_type or "").split(";")[0].strip().lower())


def extract(kind: str, data: bytes) -> Extracted:
    """The file's text; raises :class:`DocumentError` with the reason it can't be read."""
    readers = {
        "pdf": _pdf,
        "docx": _docx,
        "pptx": _pptx,
        "text": _plain,
        "markdown": _plain,
    }
    extracted = readers[kind](data)
    text = extracted.text.strip()
    if not text:
        hint = " (a scanned PDF needs text recognition, which is not supported)"
        raise DocumentError("No text was found in the file" + (hint if kind == "pdf" else "") + ".")
    return Extracted(text, extracted.pages)


class _Text:
    """Text gathered piece by piece, refused as soon as it passes the cap."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0

    def add(self, piece: str) -> None:
        piece = piece.strip()
        if not piece:
            return
        self.size += len(piece) + 2
        if self.size > MAX_TEXT_CHARS:
            raise DocumentError(
                f"The file holds more than {MAX_TEXT_CHARS:,} characters of text; "
                "split it into smaller files."
            )
        self.parts.append(piece)

    def text(self) -> str:
        return "\n\n".join(self.parts)


# ---------------------------------------------------------------- PDF


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError("The PDF is password-protected.")
        pages = len(reader.pages)
        if pages > MAX_PDF_PAGES:
            raise DocumentError(f"The PDF has {pages} pages; at most {MAX_PDF_PAGES} are read.")
        text = _Text()
        for page in reader.pages:
            text.add(page.extract_text() or "")
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        raise DocumentError("The file is not a readable PDF (it may be damaged).") from None
    return Extracted(text.text(), pages)


# ---------------------------------------------------------------- DOCX and PPTX


def _checked_zip(data: bytes, what: str) -> None:
    """Refuse a zip (DOCX, PPTX) whose central directory promises too much."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise DocumentError(f"The file is not a valid {what} file.") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise DocumentError(f"The {what} file has too many parts ({len(entries)}).")
    total = 0
    for entry in entries:
        total += entry.file_size
        is_xml = entry.filename.endswith((".xml", ".rels"))
        if total > MAX_UNZIPPED_BYTES or (is_xml and entry.file_size > MAX_XML_PART_BYTES):
            raise DocumentError(
                f"The {what} file expands to more than {MAX_UNZIPPED_BYTES // 2**20} MB "
                "when unpacked, or has an oversized part; it was not opened."
            )


@contextlib.contextmanager
def _package(what: str):
    """Reading a DOCX or PPTX: python-docx and python-pptx raise many kinds of error on a
    damaged package, and each means the same to the file's owner."""
    try:
        yield
    except DocumentError:
        raise
    except Exception as error:
        log.info("unreadable %s: %r", what, error)
        raise DocumentError(f"The file is not a valid {what} file.") from None


def _docx(data: bytes) -> Extracted:
    _checked_zip(data, "DOCX")
    import docx
    from docx.table import Table

    text = _Text()
    with _package("DOCX"):
        for block in docx.Document(io.BytesIO(data)).iter_inner_content():
            if isinstance(block, Table):
                _add_rows(block.rows, text)
            else:
                text.add(block.text)
    return Extracted(text.text(), None)


def _pptx(data: bytes) -> Extracted:
    _checked_zip(data, "PPTX")
    import pptx

    text = _Text()
    slides = 0
    with _package("PPTX"):
        for slides, slide in enumerate(pptx.Presentation(io.BytesIO(data)).slides, start=1):
            text.add(f"Slide {slides}")
            for shape in slide.shapes:
                _shape_text(shape, text)
            if slide.has_notes_slide:
                text.add(slide.notes_slide.notes_text_frame.text)
    return Extracted(text.text(), slides)


def _add_rows(rows, text: _Text) -> None:
    """A table, a line per row: its cells' text joined by `` | ``."""
    for row in rows:
        text.add(" | ".join(cell.text.strip() for cell in row.cells))


def _shape_text(shape, text: _Text) -> None:
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        text.add(shape.text_frame.text)
    if getattr(shape, "has_table", False) and shape.has_table:
        _add_rows(shape.table.rows, text)
    for child in getattr(shape, "shapes", ()):  # a group
        _shape_text(child, text)


# ---------------------------------------------------------------- text and Markdown


def _plain(data: bytes) -> Extracted:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        decoded = data.decode("utf-16", "replace")
    else:
        try:
            decoded = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            if b"\x00" in data:
                raise DocumentError("The file is not text (it holds binary data).") from None
            decoded = data.decode("cp1252", "replace")  # older Windows editors' text
    if "\x00" in decoded:
        raise DocumentError("The file is not text (it holds binary data).")
    text = _Text()
    text.add(decoded.replace("\r\n", "\n"))
    return Extracted(text.text(), None)
