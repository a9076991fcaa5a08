"""Chinese text drawn as a bitmap, for printers without a resident GB18030 font.

Glyphs are placed on the same grid the printer uses for text (12 dots per column, 24 per Chinese
character at normal size) so a rasterised row lines up with the text rows around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from terminal.drivers.printer.layout import align as align_text
from terminal.drivers.printer.layout import char_width

# Monospaced CJK faces first: their Latin glyphs are exactly half a Chinese glyph wide, which is
# the printer's own grid. (path, face index inside the .ttc)
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 7),  # Noto Sans Mono CJK SC
    ("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc", 7),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # WenQuanYi Micro Hei
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)

LINE_DOTS = 24
"""Height of one text line at normal size: the printer's Font A cell is 12 x 24 dots."""


class CjkFontMissing(RuntimeError):
    """No font that can draw Chinese was found; raster mode cannot print Chinese."""


@dataclass(frozen=True, slots=True)
class CjkFont:
    path: Path
    index: int = 0

    def load(self, px: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(self.path), px, index=self.index)


def find_cjk_font(explicit: Path | None = None) -> CjkFont:
    """The configured font if given (it must exist), else the first installed candidate."""
    if explicit is not None:
        if not Path(explicit).is_file():
            raise CjkFontMissing(f"printer font_path {explicit} does not exist")
        return CjkFont(Path(explicit), 0)
    for path, index in FONT_CANDIDATES:
        if Path(path).is_file():
            return CjkFont(Path(path), index)
    raise CjkFontMissing(
        "no CJK font found for raster printing; install fonts-noto-cjk or fonts-wqy-microhei "
        '(scripts/setup.sh does), or set [printer] font_path, or use text_mode = "gb18030" '
        "on a printer with a Chinese font. Looked in: " + ", ".join(p for p, _ in FONT_CANDIDATES)
    )


def render_lines(
    lines: list[str],
    *,
    face: ImageFont.FreeTypeFont,
    dots: int,
    columns: int,
    size: int = 1,
    bold: bool = False,
    align: str = "left",
) -> Image.Image:
    """One full-width image holding ``lines``, each laid out on the printer's column grid.

    ``size`` 2 doubles glyph width and height like ESC ! 0x30 does for text; ``face`` must be
    loaded at ``LINE_DOTS * size`` pixels.
    """
    cell = dots // columns * size
    line_h = LINE_DOTS * size
    img = Image.new("L", (dots, line_h * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    usable = columns // size
    for i, line in enumerate(lines):
        laid = align_text(line, usable, align).rstrip() if align != "left" else line
        x = 0
        top = i * line_h
        for ch in laid:
            w = char_width(ch)
            if w == 0:
                continue
            box = cell * w
            if ch != " ":
                # Centred in its cell like the printer's own font, so text and raster rows agree.
                draw.text(
                    (x + box / 2, top + line_h / 2),
                    ch,
                    font=face,
                    fill=0,
                    anchor="mm",
                    stroke_width=1 if bold else 0,
                    stroke_fill=0,
                )
            x += box
            if x >= dots:
                break
    return img
