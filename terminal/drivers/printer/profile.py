"""Printer profiles: paper geometry, code page and how Chinese text reaches the paper.

A profile is the driver's view of one printer model class. It also builds the python-escpos
capability profile the command builder needs, with the paper width filled in (the stock
"default" profile leaves it "Unknown", which makes image centring silently do nothing).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from escpos.capabilities import CAPABILITIES, BaseProfile

TEXT_MODES = ("gb18030", "raster", "auto")


class ProfileError(ValueError):
    """A printer profile setting is invalid; the message names the setting."""


@dataclass(frozen=True, slots=True)
class PrinterProfile:
    name: str
    columns: int
    """Font A characters per line (a Chinese character takes two)."""
    dots: int
    """Printable width in dots at 203 dpi."""
    code_page: str = "CP437"
    """Single-byte code page for Latin text (a python-escpos code page name)."""
    text_mode: str = "auto"
    """"gb18030": Chinese through the printer's own font (FS &); "raster": Chinese drawn as an
    image, works on any printer; "auto": gb18030 when ``chinese_font`` is set, else raster."""
    chinese_font: bool = True
    """The printer has a resident GB18030 font (nearly every printer sold in China does)."""
    qr_native: bool = True
    """Print QR codes with GS ( k; when False the code is sent as an image."""
    cutter: bool = True
    logo: Path | None = None
    """Image printed at the top of receipts, scaled down to the paper width."""
    font_path: Path | None = None
    """CJK font for raster mode; found on the system when None."""

    def __post_init__(self) -> None:
        if self.text_mode not in TEXT_MODES:
            raise ProfileError(
                f"printer text_mode must be one of {', '.join(TEXT_MODES)}, got {self.text_mode!r}"
            )
        if self.columns < 8 or self.dots < 96 or self.dots % 8:
            raise ProfileError(
                f"printer profile {self.name}: bad geometry {self.columns}/{self.dots}"
            )

    @property
    def chinese_as_text(self) -> bool:
        """True when Chinese goes out as GB18030 text, False when it is rasterised."""
        if self.text_mode == "auto":
            return self.chinese_font
        return self.text_mode == "gb18030"

    @property
    def dots_per_column(self) -> int:
        return self.dots // self.columns

    def escpos_profile(self) -> BaseProfile:
        """A python-escpos capability profile for this paper, built per call (the library caches
        profile classes and shares their data dict, so it is copied, never edited in place)."""
        data: dict[str, Any] = copy.deepcopy(CAPABILITIES["profiles"]["default"])
        data["name"] = f"pos-terminal {self.name}"
        data["media"] = {"dpi": 203, "width": {"mm": 0, "pixels": self.dots}}
        data["fonts"]["0"]["columns"] = self.columns
        data["fonts"]["1"]["columns"] = self.columns * 4 // 3
        cls = type("PosTerminalProfile", (BaseProfile,), {"profile_data": data})
        return cls()


PROFILES = {
    "58mm": PrinterProfile(name="58mm", columns=32, dots=384),
    "80mm": PrinterProfile(name="80mm", columns=48, dots=576),
}


def get_profile(name: str, **overrides: Any) -> PrinterProfile:
    """The named base profile with settings from configuration applied on top."""
    try:
        base = PROFILES[name]
    except KeyError:
        raise ProfileError(
            f"printer profile must be one of {', '.join(PROFILES)}, got {name!r}"
        ) from None
    clean = {k: v for k, v in overrides.items() if v is not None}
    return replace(base, **clean) if clean else base
