"""Tesseract against RapidOCR on generated scans of 公文 text: character error rate and seconds per page
(the measurement behind the OCR engine choice in docs/library.md, issue 11 §2).

Standalone, not part of `make bench`: RapidOCR is not a dependency. To compare, install it into a scratch
venv (its ONNX models come inside the wheel, nothing is downloaded at run time) and put that venv's
site-packages on PYTHONPATH:

    python3 -m venv /tmp/ocrvenv && /tmp/ocrvenv/bin/pip install rapidocr-onnxruntime==1.4.4
    PYTHONPATH=.:/tmp/ocrvenv/lib/python3.11/site-packages .venv/bin/python -m bench.ocr_compare [--pages 4]

Scans: lines of the seed reports (demo/data) in 3号 type (WenQuanYi Micro Hei), 28 characters a
line, turned up to 1.5°, with salt noise and a slight blur, at 200 and 300 dpi. Tesseract runs as the
product runs it (`tesseract -l chi_sim+eng --psm 3`, one OpenMP thread); RapidOCR with its default
models on the same image, both one page at a time. CER: Levenshtein distance between the recognised
and the true text, whitespace removed, over the true text's length.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter

from tests.library import corpus, realfiles


def _distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(truth: str, got: str) -> float:
    """Return the character error rate of `got` against `truth`, whitespace ignored."""
    t, g = "".join(truth.split()), "".join(got.split())
    return _distance(t, g) / max(1, len(t))


def scan(lines: list[str], dpi: int, rng: random.Random) -> Image.Image:
    """A scanned page: the lines in 3号 type, turned a little, salt noise, a slight blur."""
    page = realfiles.scan_image(lines, dpi=dpi, angle=rng.uniform(-1.5, 1.5))
    pixels = page.load()
    width, height = page.size
    for _ in range(width * height // 400):  # 0.25 % salt and pepper
        pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 255))
    return page.filter(ImageFilter.GaussianBlur(0.6))


def pages(count: int) -> list[list[str]]:
    """Return `count` pages of 12 lines of 28 characters cut from the seed reports."""
    text = "".join(corpus.source_text().split())
    rng = random.Random(17)
    out = []
    for _ in range(count):
        start = rng.randrange(0, len(text) - 28 * 12)
        out.append([text[start + 28 * i:start + 28 * (i + 1)] for i in range(12)])
    return out


def tesseract(image: Path) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(["tesseract", str(image), "stdout", "-l", "chi_sim+eng", "--psm", "3"],
                          capture_output=True, env=env, timeout=120, check=True)
    return done.stdout.decode("utf-8", "replace")


def run(count: int = 4) -> dict[str, Any]:
    engines: dict[str, Any] = {}
    if shutil.which("tesseract"):
        engines["tesseract"] = tesseract
    try:
        from rapidocr_onnxruntime import RapidOCR

        reader = RapidOCR()

        def rapid(image: Path) -> str:
            result, _ = reader(str(image))
            return "\n".join(item[1] for item in result or [])

        engines["rapidocr"] = rapid
    except ImportError:
        pass
    out: dict[str, Any] = {"pages": count, "engines": list(engines)}
    with tempfile.TemporaryDirectory(prefix="eoffice-ocr-compare-") as tmp:
        for dpi in (200, 300):
            rng = random.Random(dpi)
            made = []
            for i, lines in enumerate(pages(count)):
                path = Path(tmp) / f"p{dpi}-{i}.png"
                scan(lines, dpi, rng).save(path, dpi=(dpi, dpi))
                made.append((path, "".join(lines)))
            for name, engine in engines.items():
                engine(made[0][0])  # warm-up (model loading) not counted
                errors, seconds = [], []
                for path, truth in made:
                    started = time.perf_counter()
                    got = engine(path)
                    seconds.append(time.perf_counter() - started)
                    errors.append(cer(truth, got))
                out[f"{name}_{dpi}dpi"] = {"cer_percent": round(100 * sum(errors) / len(errors), 2),
                                           "seconds_per_page": round(sum(seconds) / len(seconds), 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ocr_compare")
    parser.add_argument("--pages", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(run(args.pages), indent=1))


if __name__ == "__main__":
    main()
