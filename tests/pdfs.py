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
