"""Which reader recovers the text of PDFs that pypdf rejects or reads badly (issue 11, §2).

python -m bench.pdf_fallback [--json]

Standalone (not part of `make bench`): pypdfium2 is measured when it is importable (it is not a
dependency; install it into a scratch venv to compare). Clean 公文 PDFs are made by real programs
(reportlab with its CID font and with the embedded TrueType font, LibreOffice from a .docx, Ghostscript
rewriting with object streams and CFF/Type 1C fonts), then broken the ways damaged files arrive
(startxref off, xref table gone, truncated, junk before the header, wrong stream lengths, broken object
streams, a block of zeros). Each reader gets every file; the figure is the share of the expected
characters recovered in order (whitespace ignored), and what each reader does (text, empty, raises).
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEXT = ("示范市林业局关于加强森林资源保护的通知\n第一章\n总则\n为进一步加强森林资源保护管理工作，根据本局2023年度工作"
        "安排，现将有关事项通知如下，请各单位结合实际认真贯彻执行，确保各项措施落到实处。按照成林发〔2025〕12号文件"
        "要求，各区县要建立健全森林资源保护责任制度，加强古树名木保护管理工作的监督检查。\n示范市林业局\n2025年6月1日")
CJK_CFF_FONT = "Noto Sans CJK SC"  # Debian fonts-noto-cjk: OpenType with CFF outlines


def _reportlab(path: Path, font: str) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if font == "STSong-Light":
        pdfmetrics.registerFont(UnicodeCIDFont(font))
    else:
        from fileformats.pdffonts import cjk_font

        font = cjk_font()
    c = canvas.Canvas(str(path), pagesize=A4)
    y = 780.0
    for para in TEXT.split("\n"):
        for i in range(0, len(para), 26):
            c.setFont(font, 15)
            c.drawString(60, y, para[i:i + 26])
            y -= 24
    c.save()


def _libreoffice(path: Path, font: str) -> bool:
    import docx
    from docx.oxml.ns import qn

    from fileformats.office import convert

    with tempfile.TemporaryDirectory() as tmp:
        document = docx.Document()
        for para in TEXT.split("\n"):
            run = document.add_paragraph().add_run(para)
            run.font.name = font
            run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        source = Path(tmp) / "src.docx"
        document.save(str(source))
        try:
            convert(source, "pdf", path, input_suffix=".docx", timeout=120)
        except Exception as exc:
            print(f"LibreOffice failed: {exc}", file=sys.stderr)
            return False
    return True


def _ghostscript(source: Path, path: Path) -> bool:
    exe = shutil.which("gs")
    if exe is None:
        return False
    done = subprocess.run([exe, "-q", "-sDEVICE=pdfwrite", "-dCompatibilityLevel=1.7", "-dWriteObjStms=true",
                           "-dWriteXRefStm=true", "-o", str(path), str(source)], capture_output=True, timeout=120)
    return done.returncode == 0 and path.exists()


def _qpdf(source: Path, path: Path) -> bool:
    exe = shutil.which("qpdf")
    if exe is None:
        return False
    done = subprocess.run([exe, "--object-streams=generate", str(source), str(path)], capture_output=True, timeout=120)
    return done.returncode in (0, 3) and path.exists()


def fonts_of(path: Path) -> str:
    exe = shutil.which("pdffonts")
    if exe is None:
        return "?"
    out = subprocess.run([exe, str(path)], capture_output=True, text=True).stdout.splitlines()[2:]
    return "; ".join(line[37:55].strip() for line in out)  # pdffonts' "type" column


def base_pdfs(folder: Path) -> dict[str, Path]:
    """Write the clean PDFs; return name -> path."""
    made: dict[str, Path] = {}
    for name, font in (("reportlab-cid", "STSong-Light"), ("reportlab-ttf", "ttf")):
        _reportlab(folder / f"{name}.pdf", font)
        made[name] = folder / f"{name}.pdf"
    if _libreoffice(folder / "lo-ttf.pdf", "WenQuanYi Micro Hei"):
        made["libreoffice-ttf"] = folder / "lo-ttf.pdf"
    installed = subprocess.run(["fc-list"], capture_output=True, text=True).stdout if shutil.which("fc-list") else ""
    if CJK_CFF_FONT in installed and _libreoffice(folder / "lo-cff.pdf", CJK_CFF_FONT):
        made["libreoffice-cff"] = folder / "lo-cff.pdf"
    for name in list(made):
        if _ghostscript(made[name], folder / f"gs-{name}.pdf"):  # fonts re-embedded (Type 1C / CFF)
            made[f"gs-{name}"] = folder / f"gs-{name}.pdf"
        if _qpdf(made[name], folder / f"objstm-{name}.pdf"):  # object streams and a cross-reference stream
            made[f"objstm-{name}"] = folder / f"objstm-{name}.pdf"
    return made


def _startxref_off(data: bytes) -> bytes:
    return re.sub(rb"startxref\s+(\d+)", lambda m: b"startxref\n" + str(int(m.group(1)) + 37).encode(), data)


def _no_xref(data: bytes) -> bytes:
    start = data.rfind(b"\nxref")
    if start >= 0:  # a classic table: drop it, keep the trailer
        end = data.find(b"trailer", start)
        return data[:start + 1] + data[end:]
    # an xref stream: blank it out
    m = list(re.finditer(rb"\d+ 0 obj\s*<<[^>]*/Type\s*/XRef", data))
    if not m:
        return data
    s = m[-1].start()
    e = data.find(b"endobj", s) + 6
    return data[:s] + b" " * (e - s) + data[e:]


def _truncate(share: float) -> Callable[[bytes], bytes]:
    return lambda data: data[: int(len(data) * share)]


def _cut_tail(data: bytes) -> bytes:
    """A download cut off before the cross-reference section (the last 1-2 % of a file)."""
    at = max(data.rfind(b"\nxref"), data.rfind(b"/Type /XRef") - 40, data.rfind(b"/Type/XRef") - 40)
    return data[:at] if at > 0 else data[: int(len(data) * 0.98)]


def _junk_prefix(data: bytes) -> bytes:
    return b"Content-Type: application/pdf\r\n\r\n" + bytes(range(256)) * 4 + data


def _bad_lengths(data: bytes) -> bytes:
    return re.sub(rb"/Length (\d+)", lambda m: b"/Length " + str(int(m.group(1)) + 5).encode(), data)


def _broken_objstm(data: bytes) -> bytes:
    """Corrupt the header (object numbers and offsets) of every object stream."""
    out = bytearray(data)
    for m in re.finditer(rb"/Type\s*/ObjStm", data):
        s = data.find(b"stream", m.end())
        s += 6 + (2 if data[s + 6:s + 8] == b"\r\n" else 1)
        e = data.find(b"endstream", s)
        try:
            plain = zlib.decompress(bytes(data[s:e]))
        except zlib.error:
            continue
        found = re.search(rb"/First\s*(\d+)", data[max(0, m.start() - 200):m.end() + 200])
        if found is None:
            continue
        first = int(found.group(1))
        header = re.sub(rb"\d+", lambda x: str(int(x.group()) + 3).encode(), plain[:first])
        packed = zlib.compress(header[:first].ljust(first) + plain[first:])
        if len(packed) <= e - s:
            out[s:e] = packed.ljust(e - s, b"\n")
    return bytes(out)


def _zero_block(data: bytes) -> bytes:
    mid = len(data) // 2
    return data[:mid] + b"\0" * 512 + data[mid + 512:]


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "intact": lambda d: d,
    "startxref_off": _startxref_off,
    "no_xref": _no_xref,
    "cut_before_xref": _cut_tail,
    "truncated_90": _truncate(0.9),
    "truncated_60": _truncate(0.6),
    "junk_prefix": _junk_prefix,
    "bad_lengths": _bad_lengths,
    "broken_objstm": _broken_objstm,
    "zero_block": _zero_block,
}


def read_pypdf(path: Path) -> str:
    import warnings

    from pypdf import PdfReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = PdfReader(str(path))
        return "\n".join(page.extract_text() or "" for page in reader.pages)


def read_pdftotext(path: Path) -> str:
    done = subprocess.run(["pdftotext", "-q", "-enc", "UTF-8", str(path), "-"], capture_output=True, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"exit {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


def read_pdfium(path: Path) -> str:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def recall(expected: str, got: str) -> float:
    """Share of the expected characters found in order in `got` (whitespace ignored)."""
    a = re.sub(r"\s+", "", expected)
    b = re.sub(r"\s+", "", got)
    if not a:
        return 1.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(a)


def run(quick: bool = False) -> dict[str, Any]:
    readers: dict[str, Callable[[Path], str]] = {"pypdf": read_pypdf}
    if shutil.which("pdftotext"):
        readers["pdftotext"] = read_pdftotext
    try:
        import pypdfium2  # type: ignore[import-not-found]  # noqa: F401

        readers["pypdfium2"] = read_pdfium
    except ImportError:
        pass
    rows: list[dict[str, Any]] = []
    lost: list[str] = []
    with tempfile.TemporaryDirectory(prefix="pdf-fallback-") as tmp:
        folder = Path(tmp)
        bases = base_pdfs(folder)
        fonts = {name: fonts_of(path) for name, path in bases.items()}
        for base, path in bases.items():
            data = path.read_bytes()
            if max(recall(TEXT, _try(reader, path)) for reader in readers.values()) < 0.9:
                lost.append(base)  # the writer itself lost the text (gs over a font that was not embedded)
                continue
            for damage, hurt in DAMAGE.items():
                broken = hurt(data)
                if damage != "intact" and broken == data:
                    continue
                target = folder / f"{base}-{damage}.pdf"
                target.write_bytes(broken)
                row: dict[str, Any] = {"base": base, "damage": damage}
                for name, reader in readers.items():
                    started = time.perf_counter()
                    try:
                        text = reader(target)
                        status = "text" if text.strip() else "empty"
                    except Exception as exc:
                        text, status = "", f"raises {type(exc).__name__}"
                    row[name] = {"status": status, "recall": round(recall(TEXT, text), 3),
                                 "ms": round((time.perf_counter() - started) * 1000, 1)}
                rows.append(row)
    return {"fonts": fonts, "text_lost_by_writer": lost, "readers": list(readers), "rows": rows,
            "summary": summarize(rows, list(readers))}


def _try(reader: Callable[[Path], str], path: Path) -> str:
    try:
        return reader(path)
    except Exception:
        return ""


def summarize(rows: list[dict[str, Any]], readers: list[str]) -> dict[str, Any]:
    """Counts over the damaged files: where pypdf fails (raises, or recovers < 90 %), what each other gets."""
    damaged = [r for r in rows if r["damage"] != "intact"]
    out: dict[str, Any] = {"damaged_files": len(damaged)}
    for name in readers:
        good = [r for r in damaged if r[name]["recall"] >= 0.9]
        out[f"{name}_recovers"] = len(good)
        out[f"{name}_raises"] = sum(r[name]["status"].startswith("raises") for r in damaged)
        out[f"{name}_ms_median"] = sorted(r[name]["ms"] for r in rows)[len(rows) // 2]
    bad = [r for r in damaged if r["pypdf"]["recall"] < 0.9]
    out["pypdf_fails"] = len(bad)
    out["pypdf_fails_and_raises"] = sum(r["pypdf"]["status"].startswith("raises") for r in bad)
    out["pypdf_fails_silently"] = len(bad) - out["pypdf_fails_and_raises"]
    for name in readers[1:]:
        out[f"{name}_recovers_where_pypdf_fails"] = sum(r[name]["recall"] >= 0.9 for r in bad)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.pdf_fallback")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print("fonts:", json.dumps(result["fonts"], ensure_ascii=False))
    readers = result["readers"]
    print(f"{'file':44} " + " ".join(f"{n:>22}" for n in readers))
    for row in result["rows"]:
        cells = " ".join(f"{row[n]['status'][:14]:>14} {row[n]['recall']:>7.3f}" for n in readers)
        print(f"{row['base'] + ' / ' + row['damage']:44} {cells}")
    print(json.dumps(result["summary"], indent=1))


if __name__ == "__main__":
    main()
