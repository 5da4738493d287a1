"""Real files for the knowledge base's tests, made here: a PDF written by hand (text in
Helvetica, one content stream per page, a correct cross-reference table), DOCX and PPTX
by python-docx and python-pptx, and hostile ones (a damaged PDF, a zip bomb named .docx).
"""

from __future__ import annotations

import io
import textwrap
import zipfile


def make_pdf(pages: list[str]) -> bytes:
    """A PDF with one page per string, its text laid out in lines."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below, once the pages object's number is known
    pages_ref = add(b"")
    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for text in pages:
        lines = []
        for paragraph in text.split("\n"):
            lines.extend(textwrap.wrap(paragraph, 90) or [""])
        commands = [b"BT", b"/F1 10 Tf", b"12 TL", b"50 780 Td"]
        for line in lines[:60]:
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            commands.append(b"(" + escaped.encode("latin-1", "replace") + b") Tj T*")
        commands.append(b"ET")
        stream = b"\n".join(commands)
        content = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        kids.append(
            add(
                b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 842] "
                b"/Resources << /Font << /F1 %d 0 R >> >> /Contents %d 0 R >>"
                % (pages_ref, font, content)
            )
        )
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_ref
    objects[pages_ref - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
        % (len(objects) + 1, catalog, xref)
    )
    return out.getvalue()


def make_docx(paragraphs: list[str], table: list[list[str]] | None = None) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pptx(slides: list[tuple[str, str]]) -> bytes:
    """One slide per (title, body)."""
    import pptx

    presentation = pptx.Presentation()
    for title, body in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    out = io.BytesIO()
    presentation.save(out)
    return out.getvalue()


def damaged_pdf() -> bytes:
    whole = make_pdf(["This text will never be read by anyone at all."])
    return whole[: len(whole) // 3] + b"\x00garbage\xff" * 20


def zip_bomb_docx(unpacked_mb: int = 200) -> bytes:
    """A zip named like a DOCX whose document part inflates to ``unpacked_mb`` MB of zeros
    (it packs to a few hundred KB)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as part:
            block = b"\x00" * (1 << 20)
            for _ in range(unpacked_mb):
                part.write(block)
    return out.getvalue()


FILLER_TOPICS = (
    "lighthouse keepers and the maintenance of coastal lamps",
    "the migration of arctic terns across the oceans",
    "baking sourdough bread with a long cold fermentation",
    "the construction of medieval stone cathedrals",
    "volcanic eruptions and the formation of basalt columns",
    "the rules of competitive chess tournaments",
    "growing tomatoes in greenhouses during winter",
    "the orbital mechanics of communication satellites",
    "restoring antique wooden sailing boats",
    "the history of printing presses in Europe",
)


def filler(topic: str, chars: int = 4300) -> str:
    """About ``chars`` characters on one topic: a chunk that answers nothing else."""
    sentences, number = [], 0
    while sum(len(s) + 1 for s in sentences) < chars:
        number += 1
        sentences.append(f"Note {number} on {topic}: practitioners of {topic} keep records.")
    return " ".join(sentences)
