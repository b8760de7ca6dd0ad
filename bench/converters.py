"""LibreOffice conversions: one soffice per file (fileformats.office, the product's way) against a resident
converter (issue 11 §2: "measure a resident converter against one process per file").

Standalone, not part of `make bench`: the resident ways need LibreOffice's Python bridge (`uno`, Debian
python3-uno), which is the system Python's, not the project venv's. Run with the system Python (or a
venv made with --system-site-packages where `pip install unoserver` went):

    /usr/bin/python3 bench/converters.py [--files 20] [--json]

Ways measured on the same generated files (.doc, .rtf, .xls of Chinese 公文 text, → .docx/.xlsx as the
archive's legacy reader converts them):
1. per_file: fileformats.office.convert, a fresh soffice (own profile) per file;
2. unoserver: a resident soffice behind unoserver's XML-RPC server (when the package is importable);
3. uno_listener: a plain ``soffice --accept=...`` listener driven through the ``uno`` module.
Figures: conversions per second, start-up seconds (spawn to first conversion done), the resident
soffice's RSS after all conversions (MB, the whole process tree), and the per-file way's peak RSS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fileformats.office import FONTS_CONF, convert  # noqa: E402 - the repo root is put on the path first

IMPORT_FILTER = {".doc": "MS Word 97", ".rtf": "Rich Text Format", ".xls": "MS Excel 97"}
TARGET = {".doc": ("docx", "MS Word 2007 XML"), ".rtf": ("docx", "MS Word 2007 XML"),
          ".xls": ("xlsx", "Calc MS Excel 2007 XML")}


def _paragraphs() -> list[str]:
    seeds = sorted((ROOT / "demo" / "data").glob("*.txt"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in seeds)
    lines = [line.strip() for line in text.splitlines() if len(line.strip()) > 20]
    return lines or ["示范市林业局关于加强森林资源保护的通知"]


def _rtf(text: str) -> str:
    body = "".join(ch if ord(ch) < 128 else f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?" for ch in text)
    head = "{\\rtf1\\ansi\\ansicpg936\\deff0{\\fonttbl{\\f0 SimSun;}}\\f0\\fs24 "
    return head + body.replace("\n", "\\par ") + "\\par}"


def make_inputs(folder: Path, count: int) -> list[Path]:
    """Write `count` files, a third each .rtf, .doc and .xls (the .doc and .xls made by LibreOffice)."""
    paras = _paragraphs()
    src = folder / "src"
    src.mkdir(parents=True)
    files: list[Path] = []
    for i in range(count):
        chunk = "\n".join(paras[(i * 7 + j) % len(paras)] for j in range(12))
        kind = (".rtf", ".doc", ".xls")[i % 3]
        if kind == ".xls":
            rows = [f"{j},{line[:30]},{(i + 1) * (j + 3)}" for j, line in enumerate(chunk.splitlines())]
            (src / f"f{i:03d}.csv").write_text("序号,内容,数量\n" + "\n".join(rows), encoding="utf-8")
        else:
            (src / f"f{i:03d}.rtf").write_text(_rtf(chunk), encoding="ascii")
        files.append(folder / f"f{i:03d}{kind}")
    for fmt, pattern, extra in (("doc", "*.rtf", []), ("xls", "*.csv", ["--infilter=CSV:44,34,76,1"])):
        wanted = [p for p in sorted(src.glob(pattern)) if (folder / (p.stem + "." + fmt)) in files]
        if wanted:
            subprocess.run(["soffice", f"-env:UserInstallation={(folder / 'mkprofile').as_uri()}", "--headless",
                            "--convert-to", fmt, *extra, "--outdir", str(folder), *map(str, wanted)],
                           check=True, capture_output=True, timeout=600)
    for path in files:
        if path.suffix == ".rtf":
            shutil.copy(src / path.name, path)
    missing = [p.name for p in files if not p.exists()]
    if missing:
        raise RuntimeError(f"inputs not made: {missing}")
    return files


def _tree_rss_mb(pid: int) -> float:
    """Return the summed VmRSS of a process and its descendants, in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return round(total / 1024, 1)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def per_file(files: list[Path], out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    seconds = []
    for path in files:
        t = time.perf_counter()
        fmt = TARGET[path.suffix][0]
        convert(path, fmt, out / f"{path.stem}.{fmt}", input_suffix=path.suffix, timeout=120)
        seconds.append(time.perf_counter() - t)
    total = time.perf_counter() - started
    return {"conversions": len(files), "seconds": round(total, 2), "conversions_per_s": round(len(files) / total, 2),
            "median_s": round(sorted(seconds)[len(seconds) // 2], 2),
            "peak_rss_mb_one_conversion": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)}


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "HOME": str(home), "SAL_USE_VCLPLUGIN": "svp", "FONTCONFIG_FILE": str(FONTS_CONF)}


def with_unoserver(files: list[Path], out: Path, work: Path) -> dict[str, Any]:
    from unoserver.client import UnoClient

    port, uno_port = _free_port(), _free_port()
    t0 = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "unoserver.server", "--interface", "127.0.0.1",
                               "--port", str(port), "--uno-port", str(uno_port),
                               "--user-installation", str(work / "uprofile"), "--quiet"],
                              env=_env(work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        client = UnoClient("127.0.0.1", str(port))
        first = next(p for p in files if p.suffix != ".xls")
        while True:  # start-up: until the first conversion is done
            try:
                client.convert(inpath=str(first), outpath=str(out / "warm.docx"), convert_to=TARGET[first.suffix][0])
                break
            except Exception:
                if time.perf_counter() - t0 > 120:
                    raise
                time.sleep(0.1)
        startup = time.perf_counter() - t0
        started = time.perf_counter()
        failed: list[str] = []
        for path in files:
            fmt = TARGET[path.suffix][0]
            try:
                client.convert(inpath=str(path), outpath=str(out / f"u-{path.stem}.{fmt}"), convert_to=fmt,
                               infiltername=IMPORT_FILTER[path.suffix])
            except Exception as exc:  # measured: which files the resident converter refuses
                failed.append(f"{path.name}: {str(exc)[:80]}")
                if server.poll() is not None:
                    failed.append("server exited")
                    break
        total = time.perf_counter() - started
        rss = _tree_rss_mb(server.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, 9)
        server.wait()
    done = len(files) - len([f for f in failed if ":" in f])
    return {"conversions": done, "failed": failed, "seconds": round(total, 2),
            "conversions_per_s": round(done / total, 2), "startup_s": round(startup, 2), "rss_mb_after": rss}


def with_listener(files: list[Path], out: Path, work: Path) -> dict[str, Any]:
    import uno
    from com.sun.star.beans import PropertyValue

    def props(**kw: Any) -> tuple[Any, ...]:
        values = []
        for k, v in kw.items():
            p = PropertyValue()
            p.Name, p.Value = k, v
            values.append(p)
        return tuple(values)

    port = _free_port()
    t0 = time.perf_counter()
    office = subprocess.Popen(["soffice", f"-env:UserInstallation={(work / 'lprofile').as_uri()}", "--headless",
                               "--invisible", "--norestore", "--nologo", "--nolockcheck",
                               f"--accept=socket,host=127.0.0.1,port={port};urp;"],
                              env=_env(work), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        while True:
            try:
                ctx = resolver.resolve(f"uno:socket,host=127.0.0.1,port={port};urp;StarOffice.ComponentContext")
                break
            except Exception:
                if time.perf_counter() - t0 > 120:
                    raise
                time.sleep(0.1)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)

        def one(path: Path, target: Path) -> None:
            doc = desktop.loadComponentFromURL(path.as_uri(), "_blank", 0, props(Hidden=True, ReadOnly=True))
            try:
                doc.storeToURL(target.as_uri(), props(FilterName=TARGET[path.suffix][1]))
            finally:
                doc.close(True)

        one(files[0], out / "warm-l.docx")
        startup = time.perf_counter() - t0
        started = time.perf_counter()
        for path in files:
            one(path, out / f"l-{path.stem}.{TARGET[path.suffix][0]}")
        total = time.perf_counter() - started
        rss = _tree_rss_mb(office.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(office.pid, 9)
        office.wait()
    return {"conversions": len(files), "seconds": round(total, 2), "conversions_per_s": round(len(files) / total, 2),
            "startup_s": round(startup, 2), "rss_mb_after": rss}


def run(count: int = 20) -> dict[str, Any]:
    results: dict[str, Any] = {"cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="eoffice-bench-conv-") as tmp:
        work = Path(tmp)
        files = make_inputs(work / "in", count)
        results["inputs"] = {s: sum(p.suffix == s for p in files) for s in TARGET}
        out = work / "out"
        out.mkdir()
        results["per_file"] = per_file(files, out)
        try:
            results["unoserver"] = with_unoserver(files, out, work)
        except ImportError as exc:
            results["unoserver"] = {"skipped": str(exc)}
        try:
            results["uno_listener"] = with_listener(files, out, work)
        except ImportError as exc:
            results["uno_listener"] = {"skipped": str(exc)}
        made = sorted(p.name for p in out.iterdir())
        results["outputs"] = len(made)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench/converters.py")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.files)
    print(json.dumps(result, ensure_ascii=False, indent=None if args.json else 1))


if __name__ == "__main__":
    main()
