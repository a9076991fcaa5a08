"""Finds a font that has Chinese glyphs and makes it Kivy's default, so every label renders
both languages without per-widget font settings."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

# Smallest first: WenQuanYi Micro Hei is a quarter of Noto CJK's size, which matters for
# start-up time and memory on a Pi.
CANDIDATES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def find_cjk_font(configured: str | None = None) -> Path | None:
    if configured:
        p = Path(configured).expanduser()
        if p.is_file():
            return p
        log.warning("configured [ui] font %s not found; looking for another", p)
    for c in CANDIDATES:
        if Path(c).is_file():
            return Path(c)
    fc = shutil.which("fc-match")
    if fc:
        out = subprocess.run(
            [fc, "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=5
        )
        if out.returncode == 0 and out.stdout and Path(out.stdout).is_file():
            return Path(out.stdout)
    return None


def install_default_font(configured: str | None = None) -> Path | None:
    """Register the CJK font under Kivy's default font name; returns the file used, or None
    when the system has none (Chinese text then shows as boxes, and a warning says why)."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_cjk_font(configured)
    if path is None:
        log.warning("no CJK font found; install fonts-wqy-microhei or set [ui] font")
        return None
    LabelBase.register(DEFAULT_FONT, str(path))
    return path
