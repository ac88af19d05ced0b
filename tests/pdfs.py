"""Small real PDFs for tests, written with pypdf (one text line per page)."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject


def write_pdf(path: Path, pages: list[str], password: str | None = None) -> Path:
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for text in pages:
        page = writer.add_blank_page(width=612, height=792)
        safe = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = DecodedStreamObject()
        stream.set_data(f"BT /F1 12 Tf 72 720 Td ({safe}) Tj ET".encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if password:
        writer.encrypt(password)
    with path.open("wb") as fh:
        writer.write(fh)
    return path


def write_paper_pdf(path: Path, title: str, pages: list[list[str]], header: str = "Preprint. Under review.") -> Path:
    """A paper-like PDF (fpdf2): a running header, a page-number footer, wrapped paragraphs.

    Each page is a list of blocks; a block starting with a section number ("2 Method") is set
    in bold on its own line, as papers do."""
    from fpdf import FPDF

    class Paper(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, header, new_x="LMARGIN", new_y="NEXT")

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, str(self.page_no()), align="C")

    pdf = Paper(format="Letter")
    for number, blocks in enumerate(pages):
        pdf.add_page()
        if number == 0:
            pdf.set_font("Helvetica", style="B", size=14)
            pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        for block in blocks:
            heading = (block[:1].isdigit() and len(block) < 60) or block in ("Abstract", "References")
            pdf.set_font("Helvetica", style="B" if heading else "", size=12 if heading else 10)
            pdf.multi_cell(0, 6, block, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    pdf.output(str(path))
    return path


def write_flate_bomb(path: Path, inflated_bytes: int, text: str = "Bomb text") -> Path:
    """A one-page PDF whose content stream is ``text`` followed by blank lines, Flate-compressed to about
    1/1000 of ``inflated_bytes``. Written a block at a time: the inflated stream is never held in memory."""
    import zlib

    deflater, block = zlib.compressobj(9), b"\n" * (1 << 20)
    parts = [deflater.compress(f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET\n".encode("latin-1"))]
    for _ in range(inflated_bytes // len(block)):
        parts.append(deflater.compress(block))
    parts.append(deflater.flush())
    content = b"".join(parts)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    path.write_bytes(bytes(out))
    return path
