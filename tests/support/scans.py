"""Scanned 来文 for the OCR tests: a 公文 page laid out as GB/T 9704-2012 puts it, drawn with Pillow at a
scanner's resolution, saved as an image or an image-only PDF (no text layer), as a copier's scan gives.

The page (A4, millimetres from the top-left): 份号 / 密级 / 紧急程度 at the top left of the 版心 (37 mm);
the red 发文机关标志 centred below them; the 发文字号 centred under it and the red 分隔线; the title centred
in 2号 type over one or two lines; the 主送 line, the body in 3号 type indented by two characters; the
署名 and 成文日期 to the right. Faces are the Debian fonts the project installs (scripts/debian-packages.sh):
AR PL UMing (a 宋体 stand-in) for the text, WenQuanYi Micro Hei for the 红头. A scan may be turned a
little (`angle`, degrees) and salted with specks (`noise`, the share of pixels flipped).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

SERIF = ("/usr/share/fonts/truetype/arphic/uming.ttc", 0)  # AR PL UMing CN
HEAVY = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0)
RED = (210, 20, 30)
PT_MM = 25.4 / 72


@dataclass
class Laid:
    """A 来文 to draw: the register's truth (what intake must read back) and how it is written."""

    organ: str
    number: str
    title_lines: list[str]
    recipients: str
    signed_on: date
    classification: str = ""  # "秘密★1年"
    urgency: str = ""  # "特急"
    body: list[str] = field(default_factory=lambda: [
        "根据上级有关工作部署，结合本地实际，现将有关事项通知如下。",
        "一、提高思想认识，切实加强组织领导，明确责任分工。",
        "二、突出工作重点，认真排查各类隐患，做到早发现早处置。",
        "三、请于规定时间前将工作开展情况书面报送我单位。"])

    @property
    def title(self) -> str:
        return "".join(self.title_lines)


def page(laid: Laid, *, dpi: int = 200, angle: float = 0.0, noise: float = 0.0, seed: int = 0) -> Any:
    """Return the scanned page as an RGB PIL image (A4 at `dpi`)."""
    from PIL import Image, ImageDraw, ImageFont

    px = dpi / 25.4

    def font(face: tuple[str, int], size_pt: float) -> Any:
        return ImageFont.truetype(face[0], round(size_pt * PT_MM * px), index=face[1])

    image = Image.new("RGB", (round(210 * px), round(297 * px)), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    body = font(SERIF, 16)  # 3号
    left, right, centre = 28 * px, 182 * px, 105 * px

    def text(y_mm: float, line: str, face: Any, *, align: str = "left", fill: Any = (0, 0, 0),
             x_mm: float | None = None) -> None:
        width = draw.textlength(line, font=face)
        x = {"left": left, "centre": centre - width / 2, "right": right - width}[align]
        if x_mm is not None:
            x = x_mm * px
        draw.text((x, y_mm * px), line, font=face, fill=fill)

    y = 37.0
    if laid.classification:
        text(y, "000123", body)
        y += 9
        text(y, laid.classification, font(HEAVY, 16))
        y += 9
    if laid.urgency:
        text(y, laid.urgency, font(HEAVY, 16))
        y += 9
    mark = f"{laid.organ}文件"
    size = 42.0
    while draw.textlength(mark, font=font(HEAVY, size)) > 150 * px:  # the 红头 stays within the 版心
        size -= 2
    y = max(y, 50.0)
    text(y, mark, font(HEAVY, size), align="centre", fill=RED)
    y += size * PT_MM + 14
    text(y, laid.number, body, align="centre")
    y += 9
    draw.rectangle((left, y * px, right, (y + 0.6) * px), fill=RED)  # the 分隔线
    y += 12
    for line in laid.title_lines:  # 2号
        text(y, line, font(SERIF, 22), align="centre")
        y += 12
    y += 5
    text(y, f"{laid.recipients}：", body)
    y += 10
    indent = 28 + 2 * 16 * PT_MM
    for paragraph in laid.body:
        line, lines = "", []
        for ch in paragraph:
            room = (182 - (indent if not lines else 28)) * px
            if draw.textlength(line + ch, font=body) > room:
                lines.append(line)
                line = ""
            line += ch
        lines.append(line)
        for n, one in enumerate(lines):
            text(y, one, body, x_mm=indent if n == 0 else 28)
            y += 10
    y += 14
    text(y, laid.organ, body, align="right", x_mm=None)
    y += 10
    text(y, f"{laid.signed_on.year}年{laid.signed_on.month}月{laid.signed_on.day}日", body, align="right")
    if angle:
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=(255, 255, 255))
    if noise:
        rnd = random.Random(seed)
        pixels = image.load()
        width, height = image.size
        for _ in range(int(width * height * noise)):
            x, y_px = rnd.randrange(width), rnd.randrange(height)
            pixels[x, y_px] = (0, 0, 0) if rnd.random() < 0.5 else (255, 255, 255)
    return image


def save(laid: Laid, path: Path, *, dpi: int = 200, angle: float = 0.0, noise: float = 0.0, seed: int = 0) -> Path:
    """Write the scan to `path`: .png, .jpg or .tif as an image with its dpi, .pdf as an image-only PDF."""
    image = page(laid, dpi=dpi, angle=angle, noise=noise, seed=seed)
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        image.save(path, "PDF", resolution=float(dpi))
    elif suffix in (".jpg", ".jpeg"):
        image.save(path, "JPEG", quality=85, dpi=(dpi, dpi))
    else:
        image.save(path, dpi=(dpi, dpi))
    return path
