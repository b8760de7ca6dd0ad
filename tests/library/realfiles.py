"""Makers of files as other programs write them: Word's XML corners, WPS, LibreOffice's binaries, OFD, RTF,
HTML in GBK, a PDF whose text holds lone surrogates. Each writes raw parts by hand (or converts through
a real LibreOffice), so the archive is tested on the structures those programs produce, not on what
python-docx writes.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import docx

from fileformats.office import convert

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W_STRICT = "http://purl.oclc.org/ooxml/wordprocessingml/main"


def docx_bytes(text: str) -> bytes:
    """Return a one-paragraph .docx as python-docx writes it."""
    document = docx.Document()
    document.add_paragraph(text)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def rewrite_zip(data: bytes, change: dict[str, bytes | None] | None = None, *,
                replace: tuple[bytes, bytes] | None = None) -> bytes:
    """Return a copy of a zip with parts replaced (None removes), or a byte string replaced in every XML part."""
    change = change or {}
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist() + [n for n in change if n not in src.namelist()]
        for name in names:
            if name in change:
                if change[name] is not None:
                    dst.writestr(name, change[name])
                continue
            part = src.read(name)
            if replace and (name.endswith(".xml") or name.endswith(".rels")):
                part = part.replace(*replace)
            dst.writestr(name, part)
    return out.getvalue()


def body_docx(path: Path, body_xml: str, *, extra: dict[str, bytes] | None = None,
              rels: str = "", content_types: str = "") -> None:
    """Write a .docx whose document.xml body is `body_xml` (w: namespace bound), plus extra parts."""
    base = docx_bytes("x")
    src = zipfile.ZipFile(io.BytesIO(base))
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<w:document xmlns:w="{W}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
                f' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
                f' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
                f' xmlns:v="urn:schemas-microsoft-com:vml"><w:body>{body_xml}</w:body></w:document>')
    change: dict[str, bytes | None] = {"word/document.xml": document.encode()}
    if rels:
        old = src.read("word/_rels/document.xml.rels").decode()
        change["word/_rels/document.xml.rels"] = old.replace("</Relationships>", rels + "</Relationships>").encode()
    if content_types:
        old = src.read("[Content_Types].xml").decode()
        change["[Content_Types].xml"] = old.replace("</Types>", content_types + "</Types>").encode()
    change.update(extra or {})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rewrite_zip(base, change))


def rich_docx(path: Path) -> None:
    """A .docx with a content control, a field result, a footnote and a comment (Word's structures)."""
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    body = ('<w:p><w:r><w:t>正文开头</w:t></w:r></w:p>'
            '<w:sdt><w:sdtPr><w:alias w:val="标题"/></w:sdtPr><w:sdtContent><w:p><w:r>'
            '<w:t>内容控件里的湿地公园名录</w:t></w:r></w:p></w:sdtContent></w:sdt>'
            '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> DATE \\@ "yyyy" </w:instrText></w:r>'
            '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>域结果二〇二五</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
            '<w:p><w:r><w:t>见脚注</w:t></w:r><w:r><w:footnoteReference w:id="1"/></w:r>'
            '<w:commentRangeStart w:id="0"/><w:r><w:t>批注所在</w:t></w:r><w:commentRangeEnd w:id="0"/></w:p>')
    footnotes = (f'<?xml version="1.0" encoding="UTF-8"?><w:footnotes xmlns:w="{W}"><w:footnote w:id="1"><w:p><w:r>'
                 '<w:t>脚注说明松材线虫病疫区</w:t></w:r></w:p></w:footnote></w:footnotes>')
    comments = (f'<?xml version="1.0" encoding="UTF-8"?><w:comments xmlns:w="{W}">'
                '<w:comment w:id="0" w:author="审核人"><w:p><w:r><w:t>请核实退耕还林面积</w:t></w:r></w:p>'
                '</w:comment></w:comments>')
    body_docx(path, body, extra={"word/footnotes.xml": footnotes.encode(), "word/comments.xml": comments.encode()},
              rels=(f'<Relationship Id="rIdF" Type="{rel}/footnotes" Target="footnotes.xml"/>'
                    f'<Relationship Id="rIdC" Type="{rel}/comments" Target="comments.xml"/>'),
              content_types=(
                  '<Override PartName="/word/footnotes.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  'wordprocessingml.footnotes+xml"/><Override PartName="/word/comments.xml" ContentType="application/'
                  'vnd.openxmlformats-officedocument.wordprocessingml.comments+xml"/>'))


def strict_docx(path: Path, text: str) -> None:
    """A Strict Open XML .docx (Word's "Strict Open XML Document"): other namespace URIs."""
    data = docx_bytes(text)
    data = rewrite_zip(data, replace=(W.encode(), W_STRICT.encode()))
    data = rewrite_zip(data, replace=(b"http://schemas.openxmlformats.org/officeDocument/2006/relationships",
                                      b"http://purl.oclc.org/ooxml/officeDocument/relationships"))
    path.write_bytes(data)


def macro_docx(path: Path, text: str) -> None:
    """A macro-enabled .docm (content type python-docx refuses)."""
    data = docx_bytes(text)
    path.write_bytes(rewrite_zip(data, replace=(
        b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b"application/vnd.ms-word.document.macroEnabled.main+xml")))


def via_libreoffice(source: Path, fmt: str, target: Path) -> None:
    """Write `target` by a real LibreOffice conversion of `source` to `fmt` (doc, xls, ppt, odt, rtf ...)."""
    convert(source, fmt, target, input_suffix=source.suffix, timeout=120)


def odp(path: Path, lines: list[str]) -> None:
    """A hand-made OpenDocument presentation, one slide per line (input for .ppt/.pptx/.dps via LibreOffice)."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
          'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"')
    pages = "".join(f'<draw:page draw:name="p{i}"><draw:frame svg:x="1cm" svg:y="1cm" svg:width="20cm" '
                    f'svg:height="3cm"><draw:text-box><text:p>{line}</text:p></draw:text-box></draw:frame></draw:page>'
                    for i, line in enumerate(lines))
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:presentation>{pages}</office:presentation></office:body>'
               '</office:document-content>')
    _odf(path, "application/vnd.oasis.opendocument.presentation", content)


def odt(path: Path, paragraphs: list[str], *, deleted: str = "") -> None:
    """A hand-made OpenDocument text, optionally with a tracked deletion (left out of the final view)."""
    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
          'xmlns:dc="http://purl.org/dc/elements/1.1/"')
    tracked = ""
    if deleted:
        tracked = ('<text:tracked-changes><text:changed-region text:id="c1"><text:deletion><text:p>'
                   f'{deleted}</text:p></text:deletion></text:changed-region></text:tracked-changes>')
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.2">'
               f'<office:body><office:text>{tracked}{body}</office:text></office:body></office:document-content>')
    _odf(path, "application/vnd.oasis.opendocument.text", content)


def _odf(path: Path, mime: str, content: str) -> None:
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
                f'manifest:media-type="{mime}"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml"/></manifest:manifest>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mime)  # stored first and uncompressed, as ODF requires
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)


def ofd(path: Path, title: str, pages: list[list[str]]) -> None:
    """A minimal OFD document (GB/T 33190): OFD.xml → Doc_0/Document.xml → Pages/Page_N/Content.xml."""
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    entry = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.1" DocType="OFD"><ofd:DocBody>'
             f'<ofd:DocInfo><ofd:DocID>x</ofd:DocID><ofd:Title>{title}</ofd:Title>'
             '<ofd:CreationDate>2025-06-01</ofd:CreationDate></ofd:DocInfo>'
             '<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>')
    page_refs = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages)))
    document = (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}><ofd:CommonData><ofd:MaxUnitID>99'
                '</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
                f'</ofd:CommonData><ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>')
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", entry)
        z.writestr("Doc_0/Document.xml", document)
        for i, lines in enumerate(pages):
            objs = "".join(f'<ofd:TextObject ID="{i * 100 + j + 1}" Boundary="25 {40 + j * 8} 160 8" Font="3" '
                           f'Size="5.6"><ofd:TextCode X="0" Y="5">{line}</ofd:TextCode></ofd:TextObject>'
                           for j, line in enumerate(lines))
            z.writestr(f"Doc_0/Pages/Page_{i}/Content.xml",
                       f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content><ofd:Layer ID="{i + 50}">'
                       f'{objs}</ofd:Layer></ofd:Content></ofd:Page>')


def rtf(path: Path, text: str) -> None:
    """An RTF file with Chinese as \\uN? escapes, as Word and WordPad write it."""
    body = "".join(ch if ord(ch) < 128 else f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?" for ch in text)
    path.write_text("{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0 SimSun;}}\\f0\\fs24 " + body + "\\par}",
                    encoding="ascii")


def gbk_html(path: Path, title: str, text: str) -> None:
    """An HTML page in GBK with a <meta charset>, a script and a style block (neither is text a reader sees)."""
    page = (f'<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>{title}</title>'
            '<style>p {color: red}</style><script>var secret = "脚本内容不应被索引";</script></head>'
            f'<body><p>{text}</p></body></html>')
    path.write_bytes(page.encode("gbk"))


def surrogate_pdf(path: Path, text_after: str) -> None:
    """A PDF whose ToUnicode map sends one glyph to a lone UTF-16 surrogate (D800), then `text_after`.

    pypdf returns that surrogate in the extracted text, which UTF-8 cannot encode: the file that once
    stopped `eoffice index rebuild`. Each character of `text_after` is one code of a simple font.
    """
    chars = ["\ud800", *text_after]
    codes = "".join(f"<{i + 1:02X}>" for i in range(len(chars)))
    bfchar = "".join(f"<{i + 1:02X}> <{ord(ch):04X}>\n" for i, ch in enumerate(chars))
    cmap = ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /X def "
            "1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"{len(chars)} beginbfchar\n{bfchar}endbfchar endcmap "
            "CMapName currentdict /CMap defineresource pop end end")
    content = f"BT /F1 12 Tf 72 720 Td [{codes}] TJ ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        "/Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 1 /LastChar 64 "
        "/Widths [" + " ".join(["500"] * 64) + "] /ToUnicode 6 0 R >>",
        f"<< /Length {len(content.encode())} >>\nstream\n{content}\nendstream",
        f"<< /Length {len(cmap.encode())} >>\nstream\n{cmap}\nendstream",
    ]
    write_raw_pdf(path, [o.encode("latin-1") for o in objects], version="1.4")


def scan_image(text_lines: list[str], *, dpi: int = 200, angle: float = 0.8):
    """Return a PIL image of an A4 page with `text_lines` in 3号 type, turned a little, as a scanner gives."""
    from PIL import Image, ImageDraw, ImageFont

    scale = dpi / 25.4
    image = Image.new("L", (int(210 * scale), int(297 * scale)), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(CJK_FONT, int(5.6 * scale))
    y = int(37 * scale)
    for line in text_lines:
        draw.text((int(28 * scale), y), line, font=font, fill=0)
        y += int(5.6 * scale * 1.6)
    return image.rotate(angle, fillcolor=255)


CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def scan_pdf(path: Path, pages: list[list[str]], *, dpi: int = 150) -> None:
    """An image-only PDF (no text layer), one scanned page image per page, as a copier's scan-to-PDF writes."""
    images = [scan_image(lines, dpi=dpi).convert("RGB") for lines in pages]
    images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])


# A 公文 page (GB/T 9704): A4, text area 156 mm wide, 3号 (16 pt) type, 28 pt leading, first lines indented
# by two characters. Lines are filled greedily by the font's real glyph widths and justified, as Word,
# WPS and LibreOffice lay text out; headings, 署名 and date stand on short lines of their own.
PAGE_TEXT_WIDTH = 156 * 72 / 25.4
PAGE_FONT_SIZE = 16.0


def wrap_lines(text: str, font: str, *, size: float = PAGE_FONT_SIZE, width: float = PAGE_TEXT_WIDTH,
               indent: int = 2) -> list[str]:
    """Return the lines a layout engine makes of a paragraph: filled greedily, the first one indented."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    lines, line, room = [], "", width - indent * size
    for ch in text:
        if line and stringWidth(line + ch, font, size) > room:
            lines.append(line)
            line, room = "", width
        line += ch
    return [*lines, line] if line else lines


def break_after(head: str, tail: str, rest: str, font: str, *, filler: str = "各区县林业主管部门要认真组织学习") -> str:
    """Return a paragraph whose first wrap falls exactly between `head` and `tail` (filler before `head`)."""
    for n in range(len(filler) * 4):
        text = (filler * 4)[:n] + head + tail + rest
        if wrap_lines(text, font)[0].endswith(head):
            return text
    raise AssertionError(f"no filler puts a wrap after {head!r}")


def gongwen_pdf(path: Path, blocks: list[tuple[str, str]], *, font: str = "STSong-Light") -> None:
    """A 公文-like PDF: blocks of ("p", paragraph) wrapped and justified, ("c", centred), ("l", left) and
    ("r", right-aligned) single lines; a new page when the page is full. `font` must be registered."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    mm = 72 / 25.4
    left, top, bottom, size, leading = 28 * mm, A4[1] - 37 * mm, 35 * mm, PAGE_FONT_SIZE, 28.0
    c = canvas.Canvas(str(path), pagesize=A4)
    y = top

    def draw(x: float, text: str, char_space: float = 0.0) -> None:
        nonlocal y
        if y < bottom:
            c.showPage()
            y = top
        t = c.beginText(x, y)
        t.setFont(font, size)
        t.setCharSpace(char_space)
        t.textOut(text)
        c.drawText(t)
        y -= leading

    for kind, text in blocks:
        if kind == "p":
            lines = wrap_lines(text, font)
            for i, line in enumerate(lines):
                x = left + (2 * size if i == 0 else 0)
                room = PAGE_TEXT_WIDTH - (x - left)
                spare = room - stringWidth(line, font, size)
                last = i == len(lines) - 1
                draw(x, line, 0.0 if last or len(line) < 2 else spare / (len(line) - 1))
        else:
            w = stringWidth(text, font, size)
            x = {"c": left + (PAGE_TEXT_WIDTH - w) / 2, "r": left + PAGE_TEXT_WIDTH - w - 4 * size, "l": left}[kind]
            draw(x, text)
    c.save()


def wrapped_gongwen(path: Path, font: str = "STSong-Light") -> None:
    """A 公文 whose paragraphs wrap exactly at `2023`/`年度`, `〔2025〕12`/`号` and `天然林`/`保护修复`,
    between headings (第一章 / 总则), a 署名 and a date on short lines of their own.

    `font` "STSong-Light" (a CID font, not embedded) or "ttf" (the TrueType CJK font eoffice embeds).
    """
    if font == "ttf":
        from fileformats.pdffonts import cjk_font

        font = cjk_font()
    else:
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.cidfonts import UnicodeCIDFont

        if font not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(font))
    gongwen_pdf(path, [
        ("c", "示范市林业局关于加强森林资源保护的通知"),
        ("l", "第一章"), ("l", "总则"),
        ("p", break_after("2023", "年度", "工作安排，现将有关事项通知如下，请各单位结合实际认真贯彻执行，确保各项"
                                         "措施落到实处。", font, filler="为进一步加强森林资源保护管理工作，根据本局")),
        ("l", "第二章"), ("l", "监督检查"),
        ("p", break_after("〔2025〕12", "号", "文件要求，各区县要建立健全森林资源保护责任制度，加强古树名木保护"
                                           "管理工作的监督检查。", font, filler="按照市人民政府办公室印发的成林发")),
        ("p", break_after("天然林", "保护修复", "制度方案的落实情况，由局办公室汇总后报送市人民政府。", font,
                          filler="各区县林业主管部门应当于每年十二月底前书面报告本辖区")),
        ("r", "示范市林业局"), ("r", "2025年6月1日"),
    ], font=font)


def wrong_lengths_pdf(path: Path, text: str) -> None:
    """A reportlab PDF whose every stream /Length is 5 bytes too long, as badly patched PDFs carry them.

    pypdf raises on it (ValueError or TypeError while reading the streams); poppler's pdftotext reads it."""
    import re

    from tests.library import corpus

    corpus.write_pdf(path, text)
    data = path.read_bytes()
    path.write_bytes(re.sub(rb"/Length (\d+)", lambda m: b"/Length " + str(int(m.group(1)) + 5).encode(), data))


def multipage_tiff(path: Path, pages: list[list[str]], *, dpi: int = 150) -> None:
    """A multi-page TIFF (a fax or a scanner's batch): one scanned page per frame, Group 4 compressed."""
    images = [scan_image(lines, dpi=dpi).convert("1") for lines in pages]
    images[0].save(path, "TIFF", save_all=True, append_images=images[1:], compression="group4", dpi=(dpi, dpi))


def mixed_pdf(path: Path, pages: list[tuple[str, list[str]]], *, dpi: int = 150) -> None:
    """A PDF whose pages are ("text", lines) drawn as text or ("scan", lines) as a scanned image without a text
    layer (a report with a signed page scanned in), written by reportlab."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    for kind, lines in pages:
        if kind == "scan":
            c.drawImage(ImageReader(scan_image(lines, dpi=dpi)), 0, 0, width=A4[0], height=A4[1])
        else:
            c.setFont("STSong-Light", 16)
            for i, line in enumerate(lines):
                c.drawString(80, 760 - 28 * i, line)
        c.showPage()
    c.save()


def jbig2_pdf(path: Path, lines: list[str], *, dpi: int = 150) -> None:
    """An image-only PDF whose page is a JBIG2 image, as scanners and copiers write black-and-white scans.

    No JBIG2 encoder is packaged for Debian, so the stream is assembled here: a page information segment
    and an immediate lossless generic region coded with MMR (ITU-T T.6, JBIG2's MMR mode), whose bits
    are libtiff's Group 4 coding of the page (Pillow writes it; one strip, 1 = ink as JBIG2 wants).
    """
    import struct

    from PIL import Image, ImageOps

    page = scan_image(lines, dpi=dpi)
    width, height = page.size
    ink = ImageOps.invert(page).convert("1")  # JBIG2: 1 is black
    buf = io.BytesIO()
    ink.save(buf, "TIFF", compression="group4", tiffinfo={278: height})  # RowsPerStrip: one strip
    with Image.open(io.BytesIO(buf.getvalue())) as tiff:
        offset, count = tiff.tag_v2[273][0], tiff.tag_v2[279][0]
    mmr = buf.getvalue()[offset:offset + count]

    def segment(number: int, kind: int, data: bytes) -> bytes:  # header: number, type, no referrals, page 1, length
        return struct.pack(">IBBBI", number, kind, 0, 1, len(data)) + data

    stream = (segment(0, 48, struct.pack(">IIIIBH", width, height, 0, 0, 0, 0))  # page information
              + segment(1, 39, struct.pack(">IIIIB", width, height, 0, 0, 0) + b"\x01" + mmr))  # MMR region
    w_pt, h_pt = width * 72 / dpi, height * 72 / dpi
    content = f"q {w_pt:.2f} 0 0 {h_pt:.2f} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {w_pt:.2f} {h_pt:.2f}] "
        "/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode(),
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
        f"/BitsPerComponent 1 /Filter /JBIG2Decode /Length {len(stream)} >>\nstream\n".encode()
        + stream + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ]
    write_raw_pdf(path, objects, version="1.5")


def write_raw_pdf(path: Path, objects: list[bytes], *, version: str) -> None:
    """Write a PDF by hand from its numbered `objects` (object 1 the catalog) with a correct xref table:
    for files no PDF library would make (a lone surrogate in a ToUnicode map, a JBIG2 image)."""
    out = io.BytesIO()
    out.write(f"%PDF-{version}\n".encode())
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    path.write_bytes(out.getvalue())
