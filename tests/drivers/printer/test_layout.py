from __future__ import annotations

import pytest

from terminal.drivers.printer.layout import align, display_width, row, wrap


def test_chinese_characters_take_two_columns() -> None:
    assert display_width("Milk") == 4
    assert display_width("牛奶") == 4
    assert display_width("牛奶 1L") == 7
    assert display_width("ＡＢ") == 4  # full-width Latin


def test_wrap_breaks_latin_at_spaces_and_chinese_anywhere() -> None:
    assert wrap("one two three", 8) == ["one two", "three"]
    assert wrap("一二三四五六", 8) == ["一二三四", "五六"]
    # A wide character never straddles the edge: 7 columns hold three of them.
    assert wrap("一二三四", 7) == ["一二三", "四"]
    assert all(display_width(line) <= 7 for line in wrap("ab一二三四五cd efg", 7))


def test_row_pads_value_flush_right_by_columns_not_characters() -> None:
    (line,) = row("牛奶", "3.50", 16)
    assert line == "牛奶        3.50"
    assert display_width(line) == 16


def test_row_value_moves_to_its_own_line_when_label_is_long() -> None:
    lines = row("有机全脂牛奶一升装", "12.50", 20)
    assert lines == ["有机全脂牛奶一升装", "               12.50"]
    assert all(display_width(x) == 20 for x in lines[1:])


def test_align_center_and_right() -> None:
    assert align("中", 6, "center") == "  中  "
    assert align("ab", 5, "right") == "   ab"
    with pytest.raises(ValueError, match="alignment"):
        align("x", 4, "middle")
