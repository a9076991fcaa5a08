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


CORE = SCREENS.parent / "core"
CJK = re.compile("[\u4e00-\u9fff]")


def _core_error_codes() -> set[str]:
    """Every error code the core can raise: ``code="..."`` / ``error_code="..."`` arguments and
    the ``code = "..."`` defaults of the error classes."""
    codes: set[str] = set()
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            argument = isinstance(node, ast.keyword) and node.arg in {"code", "error_code"}
            default = (isinstance(node, ast.Assign) and len(node.targets) == 1
                       and getattr(node.targets[0], "id", None) == "code")
            if not (argument or default):
                continue
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                codes.add(value.value)
    return codes


def test_every_core_error_code_has_its_own_sentence() -> None:
    from terminal.screens.errors import CODE_MESSAGES, DETAIL_MESSAGES

    codes = _core_error_codes()
    assert {"shift.not_open", "refund.other_terminal", "barcode.zero_weight"} <= codes
    # Login, PIN and approval failures have their own texts (screens/login.py);
    # "pos.error" is the base class that every real error overrides.
    own = {c for c in codes if c.startswith("login.")} | {"pin.weak", "approval.refused",
                                                         "pos.error"}
    missing = sorted(codes - own - set(CODE_MESSAGES) - set(DETAIL_MESSAGES))
    assert not missing, f"core error codes the screens cannot say: {missing}"


@pytest.mark.parametrize("code", sorted(_core_error_codes()))
def test_core_errors_read_in_chinese(code: str) -> None:
    from terminal.core.errors import PosError
    from terminal.screens.errors import describe

    zh = Translator("zh_CN").gettext
    shown_code, text = describe(PosError("an English sentence from the core", code=code), zh)
    assert shown_code == code
    if code != "pos.error":
        assert CJK.search(text), f"{code}: {text}"
    # Only a family's generic code (and the weak-PIN and refused-approval reasons, said in
    # their own module) carries the core's words along.
    from terminal.screens.errors import DETAIL_MESSAGES

    carries = code in DETAIL_MESSAGES or code in {"pos.error", "pin.weak", "approval.refused"}
    assert ("an English sentence" in text) == carries, text


def test_refusals_read_in_the_clerks_language_with_the_limit() -> None:
    from terminal.core.rights import (
        ApprovalRequired,
        Decision,
        PermissionDenied,
        Right,
        Verdict,
    )
    from terminal.screens.errors import RIGHT_ACTIONS, describe

    assert set(RIGHT_ACTIONS) == set(Right)
    zh, en = Translator("zh_CN").gettext, Translator("en").gettext
    staff = PermissionDenied(Decision(Verdict.DENY, Right.STAFF_MANAGE, "you may not manage staff"))
    assert describe(staff, zh) == ("permission.denied", "您无权管理员工。")
    assert describe(staff, en) == ("permission.denied", "You may not manage staff.")
    for right in Right:
        code, text = describe(PermissionDenied(Decision(Verdict.DENY, right, "x")), zh)
        assert code == "permission.denied" and CJK.search(text)
        assert not re.search("[A-Za-z]{3}", text), text

    refund = ApprovalRequired(Decision(Verdict.APPROVAL, Right.REFUND_WITH_RECEIPT,
                                       "over your refund with receipt of ¥200.00", 20000, "max"))
    code, text = describe(refund, zh, "CNY")
    assert code == "approval.required" and "¥200.00" in text and "凭小票退款" in text
    assert "over your" not in text
    old = ApprovalRequired(Decision(Verdict.APPROVAL, Right.REFUND_WITH_RECEIPT,
                                    "over your refund with receipt max_age_days of 7", 7,
                                    "max_age_days"))
    assert "7 天" in describe(old, zh)[1]
    discount = ApprovalRequired(Decision(Verdict.APPROVAL, Right.DISCOUNT, "...", 1000,
                                         "max_bp"))
    assert "10 %" in describe(discount, en)[1]
    plain = ApprovalRequired(Decision(Verdict.APPROVAL, Right.VOID_SALE, "void needs a supervisor"))
    assert describe(plain, zh)[1] == "需要主管批准：作废整单"


def test_a_refused_approval_says_which_right_in_chinese() -> None:
    from terminal.core.approval import ApprovalRefused
    from terminal.core.rights import Right
    from terminal.screens.errors import describe

    zh = Translator("zh_CN").gettext
    refused = ApprovalRefused("Li Na may not approve refund with receipt for this amount",
                              right=Right.REFUND_WITH_RECEIPT)
    assert describe(refused, zh) == ("approval.refused", "批准被拒绝：审批人无权凭小票退款")
    own = ApprovalRefused("a clerk cannot approve their own action", right=Right.VOID_SALE,
                          own=True)
    assert describe(own, zh)[1] == "批准被拒绝：不能批准自己的操作"


def test_the_approval_dialog_names_every_right_and_shows_days_as_days() -> None:
    from terminal.core.rights import Decision, Right, Verdict
    from terminal.screens.approval import RIGHT_LABELS
    from terminal.screens.errors import limit_text

    assert set(RIGHT_LABELS) == {r.value for r in Right}
    en = Translator("en").gettext
    age = Decision(Verdict.APPROVAL, Right.REFUND_WITH_RECEIPT, "", 7, "max_age_days")
    cap = Decision(Verdict.APPROVAL, Right.REFUND_WITH_RECEIPT, "", 20000, "max")
    assert limit_text(age, "CNY", en) == "7 days"
    assert limit_text(cap, "CNY", en) == "¥200.00"
