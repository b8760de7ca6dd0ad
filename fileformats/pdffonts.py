"""The one place PDFs made by eoffice get their Chinese font (reportlab).

`cjk_font()` registers a TrueType CJK font found on the server and returns its reportlab name; the
font is embedded (subset) in every PDF that uses it, so characters such as the `·` of a 档号 render the
same on any machine. Only when no CJK font is installed does it fall back to the standard CID font
STSong-Light, which is *not* embedded (the reader's PDF viewer must supply it); `embedded()` says which.
`make run` / `make test` install fonts-wqy-microhei (scripts/debian-packages.sh).
"""

from __future__ import annotations

import threading
from pathlib import Path

# Searched in order; the first one present is used (TTC: its first face).
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
EMBEDDED_NAME = "EofficeCJK"
FALLBACK_NAME = "STSong-Light"
_LOCK = threading.Lock()


def cjk_font() -> str:
    """Register (once) and return the name of the Chinese font to draw with (see the module note)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    with _LOCK:
        names = pdfmetrics.getRegisteredFontNames()
        if EMBEDDED_NAME in names:
            return EMBEDDED_NAME
        for candidate in CANDIDATES:
            if Path(candidate).exists():
                pdfmetrics.registerFont(TTFont(EMBEDDED_NAME, candidate, subfontIndex=0))
                return EMBEDDED_NAME
        if FALLBACK_NAME not in names:
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_NAME))
        return FALLBACK_NAME


def embedded() -> bool:
    """Return True when PDFs carry their Chinese font (a TrueType CJK font is installed)."""
    return cjk_font() == EMBEDDED_NAME
