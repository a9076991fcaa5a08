"""Staff badges: a card code that a scanner reads, drawn as a QR code or a Code 128 barcode on a
credit-card sized PNG with the clerk's name and the store's name.

The code is the credential: it is generated here, shown once, written into the PNG, and sent to
the terminal in a ``card.assign`` command, which stores only a keyed hash of it. posctl keeps no
copy.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: a clerk who has to type the code by hand cannot confuse them."""
CODE_LENGTH = 12
CARD_SIZE = (1011, 638)
"""ID-1 card (85.6 x 54 mm) at 300 dpi."""

_FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def new_card_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_CANDIDATES:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def _qr_image(code: str, box: int) -> Image.Image:
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=10)
    qr.add_data(code)
    qr.make(fit=True)
    img = qr.make_image(fill_color="black", back_color="white").get_image().convert("RGB")
    return img.resize((box, box), Image.Resampling.NEAREST)


def _code128_image(code: str, width: int, height: int) -> Image.Image:
    from barcode import Code128
    from barcode.writer import ImageWriter

    writer = ImageWriter()
    img = Code128(code, writer=writer).render(
        {
            "module_width": 0.4,
            "module_height": 15.0,
            "quiet_zone": 2.0,
            "font_size": 0,
            "write_text": False,
            "dpi": 300,
        }
    )
    img = img.convert("RGB")
    # Scale by whole factors only: a fractional resample blurs bar edges a scanner needs sharp.
    factor = max(1, min(width // img.width, height // img.height))
    if factor > 1:
        img = img.resize((img.width * factor, img.height * factor), Image.Resampling.NEAREST)
    if img.width > width:
        img = img.resize((width, img.height), Image.Resampling.NEAREST)
    return img


def render_badge(
    path: Path,
    *,
    code: str,
    staff_name: str,
    staff_id: str,
    store_name: str,
    kind: str = "qr",
) -> Path:
    """Write the badge PNG. ``kind`` is "qr" or "code128"."""
    if kind not in ("qr", "code128"):
        raise ValueError(f"badge kind {kind!r}: choose qr or code128")
    card = Image.new("RGB", CARD_SIZE, "white")
    draw = ImageDraw.Draw(card)
    w = CARD_SIZE[0]
    draw.rectangle([0, 0, w - 1, 90], fill=(30, 60, 110))
    draw.text((30, 20), store_name, font=_font(46), fill="white")
    if kind == "qr":
        box = 420
        card.paste(_qr_image(code, box), (w - box - 40, 140))
        draw.text((40, 170), staff_name, font=_font(64), fill="black")
        draw.text((40, 260), staff_id, font=_font(40), fill=(80, 80, 80))
        draw.text((40, 500), code, font=_font(34), fill=(80, 80, 80))
    else:
        draw.text((40, 120), staff_name, font=_font(64), fill="black")
        draw.text((40, 205), staff_id, font=_font(40), fill=(80, 80, 80))
        bar = _code128_image(code, w - 80, 260)
        card.paste(bar, ((w - bar.width) // 2, 280))
        draw.text((40, 570), code, font=_font(34), fill=(80, 80, 80))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    card.save(path, "PNG", dpi=(300, 300))
    return path
