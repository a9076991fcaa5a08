"""PrintDoc to ESC/POS bytes, through python-escpos's own command builder.

The printer driver owns *how* a document looks: column layout (a Chinese character is two
columns), Row padding, bold, double size, alignment, native QR codes, barcodes, cut, an optional
logo, and Chinese either as GB18030 text (FS & ... FS .) or as raster images.

python-escpos's ``text()`` sends any string holding Chinese as GB18030 without switching the
printer to Chinese mode, which prints mojibake on printers whose Chinese mode is off. So Chinese
never goes through ``text()`` here: it is wrapped in FS & / FS . explicitly, or rasterised.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from escpos.constants import CD_KICK_DEC_SEQUENCE
from escpos.escpos import Escpos
from PIL import Image, ImageFont

from terminal.core.records import QR, Barcode, Feed, PrintDoc, Row, Rule, Text
from terminal.drivers.printer import layout
from terminal.drivers.printer.profile import PrinterProfile
from terminal.drivers.printer.raster import LINE_DOTS, CjkFont, find_cjk_font, render_lines

FS_CHINESE_ON = b"\x1c&"
FS_CHINESE_OFF = b"\x1c."
RESET = b"\x1b@"
CLEAR_BUFFERS = b"\x10\x14\x08\x01\x03\x14\x01\x06\x02\x08"
"""DLE DC4 fn=8: the printer discards what it holds of an interrupted job (Epson and most
clones; others ignore these control bytes)."""


def printable(text: str) -> str:
    """Text with control and format characters removed (tabs become spaces, newlines stay).

    Item names come from the catalog, which comes over the network: an ESC or DLE inside one
    would be a printer command (a drawer kick, a cut) in the middle of a receipt.
    """
    return "".join(
        " " if c == "\t" else c
        for c in text
        if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co")
    )


class RenderError(ValueError):
    """A document cannot be rendered (bad barcode data, unreadable logo...)."""


class CommandBuffer(Escpos):
    """python-escpos's command builder writing into memory (like its ``Dummy``), one per job."""

    def __init__(self, profile: PrinterProfile) -> None:
        super().__init__(profile=None)
        self.profile = profile.escpos_profile()
        self._chunks: list[bytes] = []
        # Text style as the printer holds it after ESC @; only changes are sent.
        self.style: tuple[str, bool, int] = ("left", False, 1)

    def style_to(self, align: str, bold: bool, size: int) -> None:
        old_align, old_bold, old_size = self.style
        if size != old_size:
            # python-escpos's set() resets with ESC ! 0 before a size, so bold is re-sent.
            self.set(double_width=size == 2, double_height=size == 2, normal_textsize=size == 1)
            old_bold = False
        if bold != old_bold:
            self.set(bold=bold)
        if align != old_align:
            self.set(align=align)
        self.style = (align, bold, size)

    def _raw(self, msg: bytes) -> None:
        self._chunks.append(bytes(msg))

    @property
    def output(self) -> bytes:
        return b"".join(self._chunks)

    def close(self) -> None:
        """Nothing to release: the buffer is plain memory."""


@dataclass(slots=True)
class RenderedJob:
    data: bytes
    raster_texts: list[str] = field(default_factory=list)
    """What each raster image in ``data`` says, in order (the preview's side channel)."""


class Renderer:
    """Renders documents for one printer profile. Thread-confined to the printer's owner."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self._font: CjkFont | None = None
        # Loading a CJK .ttc costs tens of milliseconds; faces are kept per size.
        self._faces: dict[int, ImageFont.FreeTypeFont] = {}

    def _face(self, size: int) -> ImageFont.FreeTypeFont:
        face = self._faces.get(size)
        if face is None:
            if self._font is None:
                self._font = find_cjk_font(self.profile.font_path)
            face = self._faces[size] = self._font.load(LINE_DOTS * size)
        return face

    def render(self, doc: PrintDoc) -> RenderedJob:
        p = CommandBuffer(self.profile)
        job = RenderedJob(b"")
        p._raw(RESET)
        # Start on the profile's code page (ESC t); python-escpos still switches for a
        # character that page lacks.
        p.magic.write_with_encoding(self._code_page(p), None)
        if doc.kind == "receipt" and self.profile.logo is not None:
            self._logo(p, job)
        for block in doc.blocks:
            if isinstance(block, Text):
                self._text(p, job, block.text, block.align, block.bold, block.size)
            elif isinstance(block, Row):
                self._row(p, job, block)
            elif isinstance(block, Rule):
                self._text(p, job, (block.char or "-")[0] * self.profile.columns, "left", False, 1)
            elif isinstance(block, QR):
                self._qr(p, block)
            elif isinstance(block, Barcode):
                self._barcode(p, block)
            elif isinstance(block, Feed):
                p.ln(max(0, block.lines))
            else:
                raise RenderError(f"unknown print block {type(block).__name__}")
        p.style_to("left", False, 1)
        if doc.cut and self.profile.cutter:
            p.cut()
        else:
            p.print_and_feed(4)
        job.data = p.output
        return job

    def _code_page(self, p: CommandBuffer) -> str:
        try:
            return str(p.magic.encoder.get_encoding_name(self.profile.code_page))
        except ValueError as e:
            raise RenderError(f"printer code_page: {e}") from e

    def kick(self, pin: int, on_ms: int, off_ms: int) -> bytes:
        """ESC p for the drawer kick port: pin 2 or 5, pulse times in milliseconds."""
        if pin not in (2, 5):
            raise ValueError(f"drawer kick pin must be 2 or 5, got {pin}")
        p = CommandBuffer(self.profile)
        t1 = min(255, max(1, round(on_ms / 2)))
        t2 = min(255, max(1, round(off_ms / 2)))
        p._raw(CD_KICK_DEC_SEQUENCE(27, 112, 0 if pin == 2 else 1, t1, t2))
        return p.output

    @staticmethod
    def realtime_kick(pin: int, on_ms: int) -> bytes:
        """DLE DC4 1 m t: the real-time pulse, which printers carry out even while offline
        (paper out, cover open), when they ignore ESC p. Pulse length in 100 ms steps, 1-8."""
        if pin not in (2, 5):
            raise ValueError(f"drawer kick pin must be 2 or 5, got {pin}")
        return b"\x10\x14\x01" + bytes((0 if pin == 2 else 1, min(8, max(1, round(on_ms / 100)))))

    # -- blocks -------------------------------------------------------------------------------

    def _text(
        self, p: CommandBuffer, job: RenderedJob, text: str, align: str, bold: bool, size: int
    ) -> None:
        size = 2 if size >= 2 else 1
        width = self.profile.columns // size
        lines = layout.wrap(printable(text), width)
        self._lines(p, job, lines, align=align, bold=bold, size=size)

    def _row(self, p: CommandBuffer, job: RenderedJob, block: Row) -> None:
        lines = layout.row(printable(block.left), printable(block.right), self.profile.columns)
        self._lines(p, job, lines, align="left", bold=block.bold, size=1)

    def _lines(
        self,
        p: CommandBuffer,
        job: RenderedJob,
        lines: list[str],
        *,
        align: str,
        bold: bool,
        size: int,
    ) -> None:
        if align not in ("left", "center", "right"):
            raise RenderError(f"unknown alignment {align!r}")
        wide = any(layout.is_wide_text(line) for line in lines)
        if wide and not self.profile.chinese_as_text:
            img = render_lines(
                lines,
                face=self._face(size),
                dots=self.profile.dots,
                columns=self.profile.columns,
                size=size,
                bold=bold,
                align=align,
            )
            p.style_to("left", False, 1)
            p.image(img, impl="bitImageRaster")
            job.raster_texts.append("\n".join(line.rstrip() for line in lines))
            return
        p.style_to(align, bold, size)
        for line in lines:
            if layout.is_wide_text(line):
                # Whole line in Chinese mode: ASCII is single-byte there too, and one mode switch
                # per line keeps the printer's state simple if a job is cut short.
                p._raw(FS_CHINESE_ON + line.encode("gb18030", errors="replace") + FS_CHINESE_OFF)
                p._raw(b"\n")
            else:
                p.text(line + "\n")

    def _qr(self, p: CommandBuffer, block: QR) -> None:
        if not block.data:
            return
        size = min(16, max(1, block.size))
        if self.profile.qr_native:
            # Native QR codes follow ESC a like text does.
            p.style_to("center", False, 1)
            p.qr(block.data, size=size, native=True)
        else:
            p.style_to("left", False, 1)
            p.qr(block.data, size=size, native=False, center=True)

    def _barcode(self, p: CommandBuffer, block: Barcode) -> None:
        kind = block.kind.upper().replace("_", "").replace("-", "")
        names = {
            "CODE128": "CODE128",
            "EAN13": "EAN13",
            "EAN8": "EAN8",
            "UPCA": "UPC-A",
            "CODE39": "CODE39",
            "ITF": "ITF",
        }
        bc = names.get(kind)
        if bc is None:
            raise RenderError(f"unsupported barcode kind {block.kind!r}")
        data = block.data
        if bc == "CODE128" and not data.startswith(("{A", "{B", "{C")):
            data = "{B" + data
        if not Escpos.check_barcode(bc, data):
            raise RenderError(f"{block.data!r} is not valid {bc} data")
        # _hw_barcode, not barcode(): the public method prints its renderer choice to stdout.
        p.style_to("left", False, 1)
        p._hw_barcode(
            data,
            bc,
            height=80,
            width=2,
            pos="BELOW",
            font="A",
            align_ct=True,
            function_type="B",
            check=False,
        )
        p._raw(b"\n")
        # _hw_barcode centred with ESC a 1 behind the tracker's back.
        p.style = ("center", False, 1)

    def _logo(self, p: CommandBuffer, job: RenderedJob) -> None:
        assert self.profile.logo is not None
        try:
            with Image.open(self.profile.logo) as src:
                img = src.convert("RGBA")
        except OSError as e:
            raise RenderError(f"cannot read printer logo {self.profile.logo}: {e}") from e
        dots = self.profile.dots
        if img.width > dots:
            img = img.resize((dots, max(1, round(img.height * dots / img.width))))
        # Centred by padding to the full width: works on printers that ignore ESC a for images.
        canvas = Image.new("RGBA", (dots, img.height), (255, 255, 255, 255))
        canvas.paste(img, ((dots - img.width) // 2, 0), img)
        p.style_to("left", False, 1)
        p.image(canvas, impl="bitImageRaster")
        job.raster_texts.append("[LOGO]")
