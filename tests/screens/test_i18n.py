"""Every string the screens show goes through gettext and has a Chinese translation, the compiled
catalogs match their sources, and placeholders survive translation."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

from terminal.screens.i18n import LANGUAGES, Translator, locale_dir

SCREENS = Path(__file__).resolve().parents[2] / "terminal" / "screens"


def _marked_strings() -> set[str]:
    found: set[str] = set()
    for path in SCREENS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            f = node.func
            name = getattr(f, "id", None) or getattr(f, "attr", "")
            arg = node.args[0]
            if name in {"_", "N_"} and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)
    return found


def _po(lang: str) -> dict[str, str]:
    """A minimal .po reader: msgid/msgstr pairs with continuation lines."""
    text = (locale_dir() / lang / "LC_MESSAGES" / "pos.po").read_text(encoding="utf-8")
    out: dict[str, str] = {}
    key: str | None = None
    field = ""
    buf: dict[str, list[str]] = {}
    for line in [*text.splitlines(), ""]:
        if line.startswith("msgid "):
            if key is not None:
                out[key] = "".join(buf["msgstr"])
            field, buf = "msgid", {"msgid": [ast.literal_eval(line[6:])], "msgstr": []}
            key = None
        elif line.startswith("msgstr "):
            key = "".join(buf["msgid"])
            field = "msgstr"
            buf["msgstr"].append(ast.literal_eval(line[7:]))
        elif line.startswith('"') and field:
            buf[field].append(ast.literal_eval(line))
    if key is not None:
        out[key] = "".join(buf["msgstr"])
    out.pop("", None)
    return out


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_marked_string_is_translated(lang: str) -> None:
    po = _po(lang)
    missing = sorted(s for s in _marked_strings() if not po.get(s))
    assert not missing, f"{lang}: untranslated: {missing}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_compiled_catalog_matches_source(lang: str) -> None:
    mo = gettext.translation("pos", locale_dir(), languages=[lang])
    stale = {k: v for k, v in _po(lang).items() if mo.gettext(k) != v}
    assert not stale, f"{lang}: pos.mo is out of date with pos.po (run msgfmt): {list(stale)[:5]}"


def test_placeholders_survive_translation() -> None:
    names = re.compile(r"\{(\w*)\}")
    bad = [
        k for k, v in _po("zh_CN").items()
        if sorted(names.findall(k)) != sorted(names.findall(v))
    ]
    assert not bad


def test_chinese_is_actually_chinese() -> None:
    po = _po("zh_CN")
    assert po["Pay"] == "收款"
    latin_only = [k for k, v in po.items() if v == k and re.search("[A-Za-z]{3}", k)]
    assert not latin_only, f"copied untranslated: {latin_only}"


def test_switching_language_notifies_and_translates() -> None:
    t = Translator("en")
    seen: list[str] = []
    t.on_change(seen.append)
    assert t.gettext("Pay") == "Pay"
    t.set_language("zh_CN")
    assert t.gettext("Pay") == "收款"
    t.set_language("zh_CN")
    assert seen == ["zh_CN"]
    with pytest.raises(ValueError):
        t.set_language("fr")
