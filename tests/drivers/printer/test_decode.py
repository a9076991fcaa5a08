from __future__ import annotations

from terminal.core.records import QR, Barcode, PrintDoc, Row, Text
from terminal.drivers.printer.decode import decode, next_token, tokenize
from terminal.drivers.printer.profile import get_profile
from terminal.drivers.printer.render import Renderer


def test_incremental_tokenizer_agrees_with_whole_stream_at_every_split() -> None:
    doc = PrintDoc(
        key="d",
        kind="test",
        blocks=(Text("中文 raster"), Row("a", "1"), QR("q" * 40), Barcode("X1")),
    )
    data = Renderer(get_profile("58mm", text_mode="raster")).render(doc).data
    whole = [t for t in tokenize(data) if t.kind != "text"]
    for split in range(0, len(data), 7):
        buf = bytearray(data[:split])
        got = []
        pos = 0
        for chunk in (data[split:],):
            while (step := next_token(buf, pos)) is not None:
                tok, pos = step
                if tok.kind != "text":
                    got.append(tok)
            buf += chunk
        while (step := next_token(buf, pos)) is not None:
            tok, pos = step
            if tok.kind != "text":
                got.append(tok)
        assert got == whole, split


def test_status_query_bytes_inside_image_data_are_not_commands() -> None:
    # A raster image whose pixels happen to spell DLE EOT 1.
    img = b"\x1dv0\x00\x03\x00\x01\x00" + b"\x10\x04\x01"
    kinds = [t.kind for t in tokenize(img + b"\x10\x04\x01")]
    assert kinds == ["GS v 0", "DLE EOT"]


def test_truncated_stream_is_reported() -> None:
    assert decode(b"\x1b@abc\n\x1d(k\x10\x00") == "abc\n[TRUNCATED 5 bytes]\n"


def test_code_page_and_markers() -> None:
    data = b"\x1bt\x10caf\xe9\n\x1bp\x00\x32\x32\x1dV\x00"
    assert decode(data) == "café\n[DRAWER pin 2]\n[CUT]\n"
