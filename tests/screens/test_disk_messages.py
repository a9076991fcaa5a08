"""A ledger that cannot be written is said with the data directory and what to do, in the
clerk's language; no banner grows with what was scanned."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.app.data_dir import FULL, READ_ONLY, UNUSABLE, DataDirUnusable
from terminal.core.errors import JournalError
from terminal.screens.errors import describe
from terminal.screens.i18n import Translator


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("code", ["ledger.disk_full", "ledger.read_only", "ledger.write_failed"])
def test_a_failed_save_names_the_data_directory(lang: str, code: str) -> None:
    _ = Translator(lang).gettext
    shown, text = describe(JournalError("could not save the sale", code=code), _,
                           data_dir="/var/lib/pos")
    assert shown == code and "/var/lib/pos" in text
    assert ("Finish" in text) if lang == "en" else ("完成" in text)
    # Without a directory to name, the sentence still reads in the clerk's language.
    plain = describe(JournalError("could not save the sale", code=code), _)[1]
    assert "could not save" not in plain and "{path}" not in plain


@pytest.mark.parametrize("code", [FULL, READ_ONLY, UNUSABLE])
def test_a_start_on_an_unusable_data_directory_says_where(code: str) -> None:
    exc = DataDirUnusable("x", code, Path("/media/sd/pos"), "disk I/O error")
    for lang in ("en", "zh_CN"):
        shown, text = describe(exc, Translator(lang).gettext)
        assert shown == code and "/media/sd/pos" in text
        assert "Error" not in text and "None" not in text


def test_the_banner_text_is_clipped() -> None:
    pytest.importorskip("kivy")
    from terminal.screens.shell import BANNER_MAX_CHARS, clip

    assert clip("x" * 5000) == "x" * (BANNER_MAX_CHARS - 1) + "…"
    assert clip("short") == "short"
