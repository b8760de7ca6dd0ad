"""收文 intake: read an incoming 公文 (PDF or Word) and guess the 登记 fields from where GB/T 9704 puts them.

Reading happens in a limited child (pdftotext for PDFs, the .docx paragraph reader of
documents.diffs for Word), never in the web process. `guess` is pure text heuristics:
- 密级 and 紧急程度: the first lines of the 版头 (GB/T 9704-2012 §7.2.2, §7.2.3);
- 来文机关: the 发文机关标志 (a line ending in 文件, §7.2.4), else the 署名 above the 成文日期;
- 来文字号: 机关代字〔年份〕序号号, brackets of any kind normalised to 〔〕 (§7.2.4);
- 标题: the lines after the 文号 up to the 主送 line, joined (titles break over lines, §7.3.1);
- 主送: the first line after the title that ends with a colon (§7.3.2);
- 成文日期: the last date in the text, Arabic or Chinese numerals (§7.3.5).
The clerk confirms every field; nothing is saved from a guess alone.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from core.messages import DomainError, msg
from fileformats import subproc

NUMBER = re.compile(r"([^\s〔〕\[\]［］()（）:：，,。]{1,24})\s*[〔\[［(（]\s*(\d{4})\s*[〕\]］)）]"
                    r"\s*第?\s*(\d{1,5})\s*号")
_YEAR, _DAY = r"(\d{4}|[〇零○一二三四五六七八九]{4})", r"(\d{1,2}|[〇零○一二三四五六七八九十]{1,3})"
DATE = re.compile(_YEAR + r"\s*年\s*" + _DAY + r"\s*月\s*" + _DAY + r"\s*日")
CLASSIFIED = re.compile(r"(绝\s*密|机\s*密|秘\s*密)")
URGENT = re.compile(r"(特\s*急|加\s*急)")
DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
HEAD_LINES = 8  # the 版头 is within the first lines


class IntakeError(DomainError):
    """The file could not be read for intake; the clerk fills the form by hand."""


class NoTextLayer(IntakeError):
    """A PDF without a text layer: a scan, read by OCR in the worker (documents.intake_scan)."""


@dataclass(frozen=True)
class Guess:
    """What the 登记 form is pre-filled with (empty when not found); `classification` 0-4, `urgency` code."""

    source_organ: str = ""
    source_number: str = ""
    title: str = ""
    main_recipients: str = ""
    signed_on: date | None = None
    classification: int | None = None
    urgency: str = ""


def read_lines(path: Path, *, timeout: float = subproc.IN_REQUEST_SECONDS) -> list[str]:
    """Return the text lines of a PDF, OFD or .docx, read in a limited child within `timeout` seconds (a web
    request: 2 s); IntakeError when unreadable or slower (the file is kept, the clerk fills the form)."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        try:
            done = subproc.run_limited(["pdftotext", "-layout", "-l", "6", str(path), "-"], timeout=timeout,
                                       memory_mb=512)
        except (subproc.LimitExceeded, FileNotFoundError):
            raise IntakeError(msg("来文读取超时或服务器缺少 pdftotext，请手工填写。")) from None
        if done.returncode != 0:
            raise IntakeError(msg("来文 PDF 无法读取（可能已损坏或加密），请手工填写。"))
        raw = done.stdout
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        if not text.strip():
            raise NoTextLayer(msg("来文 PDF 没有文字层（可能是扫描件），请手工填写。"))
        return [line.strip() for line in text.splitlines()]
    if suffix == ".docx":
        from documents import diffs

        try:
            return [line.strip() for line in diffs.paragraphs(path, timeout=timeout)]
        except diffs.DiffUnavailable:
            raise IntakeError(msg("来文 Word 文件无法读取，请手工填写。")) from None
    if suffix == ".ofd":  # GB/T 33190, read by fileformats.ofd in the same kind of limited child
        try:
            done = subproc.run_limited([sys.executable, "-m", "fileformats.ofd", str(path)], timeout=timeout,
                                       memory_mb=512)
        except subproc.LimitExceeded:
            raise IntakeError(msg("来文读取超时，请手工填写。")) from None
        try:
            text = str(json.loads(done.stdout)["text"]) if done.returncode == 0 else ""
        except (ValueError, KeyError, TypeError):
            text = ""
        if not text.strip():
            raise IntakeError(msg("来文 OFD 无法读取或没有文字，请手工填写。"))
        return [line.strip() for line in text.splitlines()]
    raise IntakeError(msg("只能识别 PDF、OFD 或 Word（.docx）来文，请手工填写。"))


# What Tesseract's chi_sim model gets wrong in a scanned 版头 (measured on the scans of
# tests/documents/test_intake_scan.py): the 六角括号 of a 文号 read as 【 ] [ ( (the closing one sometimes
# twice) with a stray "j" or "?" after it, 号 read as 与; （） as 〈) with spaces; the 主送 line's colon
# as ; or ,; the title's opening 关于 as 天于; the 文件 of the 发文机关标志 as 文人 / 文作; the 分隔线 as a
# stray character or dashes; a stray character inside 特急 / 加急.
_OCR_NUMBER = re.compile(r"[〔\[［(（【{]\s*(\d{4})\s*[〕\]］)）】}]{1,2}\s*[jJlI|?？]?\s*(\d{1,5})\s*[号与]")


def ocr_lines(texts: list[str]) -> list[str]:
    """Return the lines of the pages Tesseract read (fileformats.ocr.Pages.texts), mended where OCR of a
    公文 page errs in ways `guess` depends on (see _OCR_NUMBER's note); other characters are left as read."""
    out: list[str] = []
    for text in texts:
        for raw in text.splitlines():
            line = _squash(raw.strip())
            if len(line.replace(" ", "")) == 1 or re.fullmatch(r"[一—\-_|~.·人\s]+", line or "x"):
                continue  # the red 分隔线 read as a stray character or a row of dashes
            urgent = re.fullmatch(r"([特加])\s*\S?\s*急", line)
            if urgent:
                line = urgent.group(1) + "急"
            line = _OCR_NUMBER.sub(lambda m: f"〔{m.group(1)}〕{m.group(2)}号", line)
            if re.search(r"[\u4e00-\u9fff]", line):  # brackets in Chinese text are full-width: 各市（州）
                line = re.sub(r"\s*[〈(]\s*", "（", re.sub(r"\s*[〉)]\s*", "）", line))
            if line.startswith("天于"):
                line = "关于" + line[2:]
            if len(out) < HEAD_LINES * 2 and re.fullmatch(r"[\u4e00-\u9fff]{4,38}文[人作仁什]", line):
                line = line[:-1] + "件"
            if re.search(r"[;；,，]$", line) and len(line) <= 60 and not re.search(r"[。]", line):
                line = line[:-1] + "："
            out.append(line)
    return out


def guess_scanned(lines: list[str], marks: list[str] | None = None) -> Guess:
    """`guess` for the lines of a scan (`ocr_lines`): the 来文机关 of the large red 发文机关标志 is read
    worse by OCR than the same name in the 署名 (3号 type, black): when the two differ by a character or
    two, the 署名's reading is taken. `marks`: the lines of a second, sparse-text reading of the first page
    (Tesseract's page layout skips a lone 特急 or 秘密★1年 at the top left now and then); a line that is just
    such a mark gives the 紧急程度 or 密级 the first reading missed."""
    found = guess(lines)
    for line in (marks or [])[:HEAD_LINES * 3]:
        bare = re.sub(r"\s+", "", line)
        if not found.urgency and re.fullmatch(r"[特加]急", bare):
            found = replace(found, urgency="very_urgent" if bare.startswith("特") else "urgent")
        level = CLASSIFIED.match(bare)
        if found.classification is None and level and len(bare) <= 12:
            found = replace(found, classification={"绝密": 4, "机密": 3, "秘密": 2}[level.group(1)])
    kept = [line for line in lines if line]
    dated = [i for i, line in enumerate(kept) if "印发" not in line and DATE.search(line)]
    if found.source_organ and dated and dated[-1] > 0:
        signature = re.sub(r"\s+", "", kept[dated[-1] - 1])
        if signature != found.source_organ and _close(signature, found.source_organ):
            return replace(found, source_organ=signature)
    return found


def _close(a: str, b: str) -> bool:
    """Same length (±1) and at most a quarter of the characters different (Levenshtein)."""
    if abs(len(a) - len(b)) > 1 or not a or not b:
        return False
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1] <= max(1, len(b) // 4)


def _number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if "十" in text:  # 十, 十二, 二十, 二十一
        tens, _, ones = text.partition("十")
        return (DIGITS.get(tens, 1) if tens else 1) * 10 + (DIGITS.get(ones, 0) if ones else 0)
    return int("".join(str(DIGITS.get(ch, 0)) for ch in text))


def _date(match: re.Match[str]) -> date | None:
    try:
        return date(_number(match.group(1)), _number(match.group(2)), _number(match.group(3)))
    except ValueError:
        return None


def _squash(line: str) -> str:
    """Remove the spaces layout tools put between the characters of a spaced-out heading."""
    return re.sub(r"(?<=[\u4e00-\u9fff〔〕])\s+(?=[\u4e00-\u9fff〔〕])", "", line)


def guess(lines: list[str]) -> Guess:
    """Guess the 登记 fields from the text lines of an incoming 公文 (see the module note)."""
    lines = [_squash(line) for line in lines if line and line.strip()]
    if not lines:
        return Guess()
    head = lines[:HEAD_LINES]
    classification = None
    for line in head:
        found = CLASSIFIED.search(line)
        if found and len(line) <= 20:
            classification = {"绝密": 4, "机密": 3, "秘密": 2}[found.group(1).replace(" ", "")]
            break
    urgency = ""
    for line in head:
        found = URGENT.search(line)
        if found and len(line) <= 12:
            urgency = "very_urgent" if "特" in found.group(1) else "urgent"
            break
    organ, organ_index = "", -1
    for i, line in enumerate(head):
        bare = re.sub(r"\s+", "", line)
        if bare.endswith("文件") and 3 < len(bare) <= 40:
            organ, organ_index = bare[: -len("文件")], i
            break
    number, number_index = "", -1
    for i, line in enumerate(lines[:HEAD_LINES + 6]):
        found = NUMBER.search(line)
        if found:
            number = f"{found.group(1)}〔{found.group(2)}〕{int(found.group(3))}号"
            number_index = i
            break
    start = max(number_index, organ_index) + 1
    title_lines: list[str] = []
    recipients = ""
    for line in lines[start:start + 10]:
        if "签发人" in line:
            continue
        if re.search(r"[：:]$", line) and len(line) <= 80:
            recipients = re.sub(r"[：:]$", "", line).strip()
            break
        title_lines.append(line)
        if len("".join(title_lines)) > 120:
            break
    title = "".join(title_lines).strip() if recipients else ""
    # The 成文日期: the last date outside the 版记 (whose 印发日期 comes after it).
    dates = [(i, _date(m)) for i, line in enumerate(lines) if "印发" not in line for m in DATE.finditer(line)]
    signed_on, signed_index = None, -1
    for i, day in reversed(dates):
        if day is not None:
            signed_on, signed_index = day, i
            break
    if not organ and signed_index > 0:
        above = re.sub(r"\s+", "", lines[signed_index - 1])
        if 2 < len(above) <= 30 and not re.search(r"[。，；：]", above):
            organ = above
    return Guess(source_organ=organ, source_number=number, title=title, main_recipients=recipients,
                 signed_on=signed_on, classification=classification, urgency=urgency)


def _main(argv: list[str]) -> int:  # pragma: no cover - a debugging aid: python -m documents.intake FILE
    print(guess(read_lines(Path(argv[0]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
