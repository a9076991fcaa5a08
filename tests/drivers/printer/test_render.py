"""Real python-escpos bytes for receipts, checked byte for byte and decoded back to text."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from terminal.core.records import QR, Barcode, PrintDoc, Row, Text
from terminal.drivers.printer.decode import decode, raster_widths, tokenize
from terminal.drivers.printer.profile import ProfileError, get_profile
from terminal.drivers.printer.raster import CjkFontMissing
from terminal.drivers.printer.render import Renderer, RenderError

from .helpers import sale_receipt


def test_small_document_bytes_exactly() -> None:
    doc = PrintDoc(
        key="t",
        kind="test",
        blocks=(Text("Hi", bold=True), Row("牛奶", "3.50"), Text("Big", size=2, align="center")),
    )
    data = Renderer(get_profile("58mm", text_mode="gb18030")).render(doc).data
    assert (
        data
        == (
            b"\x1b@"  # ESC @ initialise
            b"\x1bt\x00"  # the profile's code page: 0 (CP437)
            b"\x1bE\x01"  # bold on
            b"Hi\n"
            b"\x1bE\x00"  # bold off
            b"\x1c&\xc5\xa3\xc4\xcc" + b" " * 24 + b"3.50\x1c.\n"  # FS & GB18030 "牛奶" FS .
            b"\x1b!\x00\x1b!\x00\x1b!0"  # python-escpos: reset, then double width and height
            b"\x1ba\x01Big\n"  # centred
            b"\x1b!\x00\x1b!\x00\x1b!\x00\x1ba\x00"  # back to normal, left
            b"\x1bd\x06\x1dV\x00"  # feed 6 lines, full cut
        )
    )


def test_receipt_in_gb18030_mode_decodes_to_the_exact_layout() -> None:
    job = Renderer(get_profile("58mm", text_mode="gb18030")).render(sale_receipt())
    assert job.raster_texts == []
    assert b"\x1dv0" not in job.data
    # Chinese goes out as GB18030 inside FS & ... FS ., never as bare bytes.
    assert "有机牛奶".encode("gb18030") in job.data
    lines = decode(job.data, columns=32).splitlines()
    assert lines[:12] == [
        "  好邻居便利店",
        "      Good Neighbour Store",
        "--------------------------------",
        "有机牛奶 Organic milk 1L   12.50",
        "  2 x 6.25",
        "苹果 Apple 1.250 kg         9.99",
        "--------------------------------",
        "TOTAL 合计                 22.49",
        "Cash 现金                  50.00",
        "Change 找零                27.51",
        "Receipt 42  Clerk Li",
        "[QR:sale:7f3a9c]",
    ]
    assert " " * 12 + "谢谢惠顾" in lines
    assert lines[-1] == "[CUT]"


def test_gb18030_text_is_wrapped_in_chinese_mode_switches() -> None:
    data = Renderer(get_profile("80mm", text_mode="gb18030")).render(sale_receipt()).data
    kinds = [t.kind for t in tokenize(data)]
    # Every switch into Chinese mode is closed again before the next command.
    depth = 0
    for k in kinds:
        if k == "FS &":
            assert depth == 0
            depth = 1
        elif k == "FS .":
            assert depth == 1
            depth = 0
        else:
            assert depth == 0 or k == "text", f"{k} sent while in Chinese mode"
    assert depth == 0
    assert kinds.count("FS &") == 7  # one per line holding Chinese


def test_80mm_rows_are_48_columns() -> None:
    text = decode(Renderer(get_profile("80mm", text_mode="gb18030")).render(sale_receipt()).data)
    assert "TOTAL 合计                                 22.49" in text.splitlines()
    assert "-" * 48 in text.splitlines()


@pytest.mark.parametrize(("profile", "width_dots"), [("58mm", 384), ("80mm", 576)])
def test_raster_mode_sends_chinese_as_gs_v_0_images_of_the_paper_width(
    profile: str, width_dots: int
) -> None:
    job = Renderer(get_profile(profile, text_mode="raster")).render(sale_receipt())
    rasters = raster_widths(job.data)
    # Every block holding Chinese became one image; the Latin-only lines stayed text.
    assert len(rasters) == len(job.raster_texts) == 7
    assert {w for w, _h in rasters} == {width_dots}
    assert rasters[0][1] == 48  # double size: 2 x 24 dots
    assert all(h % 24 == 0 for _w, h in rasters)
    assert b"\x1c&" not in job.data
    assert "有机牛奶".encode("gb18030") not in job.data
    header = job.data.index(b"\x1dv0")
    assert job.data[header + 3 : header + 8] == bytes((0, width_dots // 8, 0, 48, 0))
    text = decode(job.data, job.raster_texts)
    assert "Good Neighbour Store" in text
    assert "[RASTER 48 lines] 好邻居便利店" in text
    assert f"[RASTER 24 lines] TOTAL 合计{' ' * (width_dots // 12 - 15)}22.49" in text
    assert "[QR:sale:7f3a9c]" in text


def test_raster_image_has_ink_where_the_text_is() -> None:
    doc = PrintDoc(key="r", kind="test", blocks=(Text("中"),), cut=False)
    job = Renderer(get_profile("58mm", text_mode="raster")).render(doc)
    (tok,) = [t for t in tokenize(job.data) if t.kind == "GS v 0"]
    bits = tok.raw[8:]
    assert len(bits) == 48 * 24
    # One Chinese character fills the first 24 dots (3 bytes) of each row, nothing beyond.
    rows = [bits[i * 48 : (i + 1) * 48] for i in range(24)]
    assert sum(bin(b).count("1") for r in rows for b in r[:3]) > 40
    assert all(b == 0 for r in rows for b in r[4:])


def test_auto_mode_follows_the_printer_font_setting() -> None:
    doc = PrintDoc(key="a", kind="test", blocks=(Text("中文"),))
    with_font = Renderer(get_profile("58mm", text_mode="auto", chinese_font=True)).render(doc)
    without = Renderer(get_profile("58mm", text_mode="auto", chinese_font=False)).render(doc)
    assert b"\x1c&" in with_font.data and b"\x1dv0" not in with_font.data
    assert b"\x1dv0" in without.data and b"\x1c&" not in without.data


def test_qr_barcode_and_no_cut() -> None:
    doc = PrintDoc(
        key="q",
        kind="test",
        blocks=(QR("sale:1", size=4), Barcode("ABC-123"), Barcode("6901234567892", "EAN13")),
        cut=False,
    )
    data = Renderer(get_profile("58mm")).render(doc).data
    assert b"\x1d(k\x09\x001P0sale:1" in data  # GS ( k store data, native QR
    assert b"\x1d(k\x03\x001C\x04" in data  # module size 4
    assert b"\x1dkI\x09{BABC-123" in data  # CODE128, function B
    assert b"\x1dV" not in data
    assert [line for line in decode(data).splitlines() if line] == [
        "[QR:sale:1]",
        "[BARCODE CODE128:ABC-123]",
        "[BARCODE EAN13:6901234567892]",
    ]


def test_bad_barcode_data_is_a_render_error() -> None:
    doc = PrintDoc(key="b", kind="test", blocks=(Barcode("12AB", "EAN13"),))
    with pytest.raises(RenderError, match="EAN13"):
        Renderer(get_profile("58mm")).render(doc)


def test_logo_is_centred_on_receipts_only(tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    Image.new("L", (100, 40), 0).save(logo)
    r = Renderer(get_profile("80mm", logo=logo))
    job = r.render(PrintDoc(key="l", kind="receipt", blocks=(Text("x"),)))
    assert raster_widths(job.data) == [(576, 40)]
    assert job.raster_texts == ["[LOGO]"]
    assert raster_widths(r.render(PrintDoc(key="z", kind="report", blocks=())).data) == []


def test_missing_cjk_font_is_a_clear_error(tmp_path: Path) -> None:
    r = Renderer(get_profile("58mm", text_mode="raster", font_path=tmp_path / "none.ttf"))
    with pytest.raises(CjkFontMissing, match=r"none\.ttf"):
        r.render(PrintDoc(key="f", kind="test", blocks=(Text("中文"),)))


def test_drawer_kick_bytes() -> None:
    r = Renderer(get_profile("58mm"))
    assert r.kick(2, 100, 200) == b"\x1bp\x00\x32\x64"
    assert r.kick(5, 50, 50) == b"\x1bp\x01\x19\x19"
    with pytest.raises(ValueError, match="pin"):
        r.kick(3, 100, 100)


def test_code_page_comes_from_the_profile() -> None:
    doc = PrintDoc(key="c", kind="test", blocks=(Text("Café 5€"),), cut=False)
    data = Renderer(get_profile("58mm", code_page="CP858")).render(doc).data
    assert data.startswith(b"\x1b@\x1bt\x13")  # ESC t 19: CP858, which has the euro sign
    assert "Café 5€".encode("cp858") in data
    assert decode(data).startswith("Café 5€\n")
    with pytest.raises(RenderError, match="code_page"):
        Renderer(get_profile("58mm", code_page="KLINGON")).render(doc)


def test_control_characters_in_names_cannot_become_commands() -> None:
    doc = PrintDoc(
        key="x",
        kind="receipt",
        blocks=(Row("Milk\x1bp\x00\x19\x19\x1dV\x00", "1.00"), Text("a\tb\u200bc\x10\x04\x01")),
        cut=False,
    )
    data = Renderer(get_profile("58mm")).render(doc).data
    kinds = [t.kind for t in tokenize(data)]
    assert "ESC p" not in kinds and "GS V" not in kinds and "DLE EOT" not in kinds
    assert decode(data).splitlines()[:2] == ["MilkpV" + " " * 22 + "1.00", "a bc"]


def test_unknown_text_mode_is_refused() -> None:
    with pytest.raises(ProfileError, match="text_mode"):
        get_profile("58mm", text_mode="utf8")
    with pytest.raises(ProfileError, match="58mm"):
        get_profile("76mm")
