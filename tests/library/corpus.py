"""Generated Chinese test documents: docx (python-docx), pdf (reportlab, STSong-Light CID font), txt (UTF-8, GBK)."""

from __future__ import annotations

import random
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from demo import DEMO_DATA

pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))

EXTRA = [
    "成林发〔2023〕12号", "川林函〔2024〕7号", "GB/T 9704-2012", "DA/T 22-2015", "Email: office@forestry.gov.cn",
    "森林防火期为每年10月1日至次年5月31日", "野生动植物保护法第二十三条", "政务公开 信息公开", "行政许可事项清单",
]


def source_text() -> str:
    """Return the real seed reports, joined."""
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(DEMO_DATA.glob("*.txt")))


def documents(count: int, *, seed: int = 7, size: int = 1400) -> list[str]:
    """Return `count` texts of about `size` characters (~4 KB UTF-8) cut from the seed reports, with 文号 etc."""
    rng = random.Random(seed)
    src = source_text()
    out = []
    for _ in range(count):
        start = rng.randrange(0, max(1, len(src) - size))
        body = src[start:start + size]
        lines = body.split("\n")
        for extra in rng.sample(EXTRA, 2):
            lines.insert(rng.randrange(0, len(lines) + 1), extra)
        out.append("\n".join(line for line in lines if line.strip()))
    return out


def write_docx(path: Path, text: str) -> None:
    document = docx.Document()
    lines = text.split("\n")
    table_lines = lines[-2:] if len(lines) > 4 else []
    for line in lines[: len(lines) - len(table_lines)]:
        document.add_paragraph(line)
    if table_lines:  # some text in a table, as real forms have
        table = document.add_table(rows=1, cols=len(table_lines))
        for cell, line in zip(table.rows[0].cells, table_lines, strict=True):
            cell.text = line
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))


def write_pdf(path: Path, text: str, *, width: int = 36) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 11)
    y = 800
    for line in text.split("\n"):
        for i in range(0, max(1, len(line)), width):
            c.drawString(40, y, line[i:i + width])
            y -= 16
            if y < 40:
                c.showPage()
                c.setFont("STSong-Light", 11)
                y = 800
    c.save()


def write_txt(path: Path, text: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding, errors="replace" if encoding != "utf-8" else "strict"))


def write_mixed(folder: Path, texts: list[str], *, prefix: str = "doc") -> list[Path]:
    """Write texts as docx, pdf, UTF-8 txt and GBK txt in turn; return the paths."""
    paths = []
    for i, text in enumerate(texts):
        kind = i % 4
        if kind == 0:
            path = folder / f"{prefix}{i:05d}.docx"
            write_docx(path, text)
        elif kind == 1:
            path = folder / f"{prefix}{i:05d}.pdf"
            write_pdf(path, text)
        elif kind == 2:
            path = folder / f"{prefix}{i:05d}.txt"
            write_txt(path, text)
        else:
            path = folder / f"{prefix}{i:05d}-gbk.txt"
            write_txt(path, text, "gb18030")
        paths.append(path)
    return paths
