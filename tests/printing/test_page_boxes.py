"""Paper from the CropBox (issue 11 §3): what is printed is the page's CropBox, not its MediaBox.

PDFs made by reportlab and re-boxed by pypdf, as imposition and scan software writes them (an A3 sheet
cropped to A4, a crop box off the origin, a crop box larger than its sheet); read through printing's
public page-facts functions (printing.documents.pdf_info, printing.service.pdf_facts) and `print route`.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import RectangleObject
from reportlab.lib.pagesizes import A3, A4
from reportlab.pdfgen import canvas

from printing import documents
from printing import service as printing
from printing.routing import media_of_pages
from tests.support.app import settings_env


def _reboxed(path: Path, pages: list[tuple[tuple[float, float], list[float] | None]]) -> None:
    """Write a PDF with one page per (MediaBox size, CropBox or None)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    for size, _ in pages:
        c.setPageSize(size)
        c.drawString(72, 400, "cropbox")
        c.showPage()
    c.save()
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(buf.getvalue())))
    for page, (_, crop) in zip(writer.pages, pages, strict=True):
        if crop is not None:
            page.cropbox = RectangleObject(crop)
    with path.open("wb") as fh:
        writer.write(fh)


def test_paper_comes_from_the_cropbox(settings, tmp_path):
    pdf = tmp_path / "裁切.pdf"
    _reboxed(pdf, [(A3, [0, 0, A4[0], A4[1]]),                    # an A3 sheet cropped to A4
                   (A3, [100, 200, 100 + A4[0], 200 + A4[1]]),    # the same, off the origin
                   (A4, None)])                                   # an ordinary A4 page
    assert PdfReader(pdf).pages[0].mediabox.height > 1000  # the sheet really is A3
    info = documents.pdf_info(pdf)
    assert info.pages == 3 and info.media == "A4"
    assert [tuple(round(v) for v in s) for s in info.sizes_mm] == [(210, 297)] * 3
    facts = printing.pdf_facts(settings, pdf)  # the same, read in the limited child
    assert facts.sizes_mm == info.sizes_mm and media_of_pages(facts.sizes_mm, [1, 2]) == "A4"


def test_print_route_takes_the_cropbox(settings, tmp_path):
    from click.testing import CliRunner

    from intranet.cli import cli

    pdf = tmp_path / "a3-cropped.pdf"
    _reboxed(pdf, [(A3, [0, 0, A4[0], A4[1]])])
    result = CliRunner().invoke(cli, ["print", "route", str(pdf), "--as", "lz_staff", "--json"],
                                env=settings_env(settings))
    answer = json.loads(result.output)
    assert (answer["tier"], answer["media"]) == ("department", "A4"), answer
    uncropped = tmp_path / "a3.pdf"
    _reboxed(uncropped, [(A3, None)])
    result = CliRunner().invoke(cli, ["print", "route", str(uncropped), "--as", "lz_staff", "--json"],
                                env=settings_env(settings))
    assert json.loads(result.output)["media"] == "A3"


def test_a_cropbox_larger_than_its_sheet_is_clipped_to_it(tmp_path):
    """PDF 32000-1 §14.11.2: the CropBox is intersected with the MediaBox; a page is never larger than its sheet."""
    pdf = tmp_path / "oversized-crop.pdf"
    _reboxed(pdf, [(A4, [0, 0, A3[0], A3[1]])])
    info = documents.pdf_info(pdf)
    assert info.media == "A4", info
