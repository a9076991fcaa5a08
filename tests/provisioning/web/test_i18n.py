"""Chinese and English: the page speaks the browser's language (zh-CN gets Simplified Chinese,
Django's zh_Hans), the language switch works, every text of the back office has a Chinese
translation, and the compiled catalog says what the .po says."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

from django.test import Client

from provisioning.collector.db import CentralDB

from .conftest import client_for, till

WEB = Path(__file__).resolve().parents[3] / "provisioning" / "web"
PO = WEB / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _po_entries() -> dict[str, str]:
    entries: dict[str, str] = {}
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        mid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        mstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', block, re.M)
        if mid and mstr:
            key = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', mid.group(1)))
            if key:
                entries[key] = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', mstr.group(1)))
    return entries


def test_every_text_has_a_chinese_translation_and_the_mo_matches_the_po() -> None:
    entries = _po_entries()
    assert entries and all(entries.values()), [k for k, v in entries.items() if not v]
    with (PO.with_suffix(".mo")).open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for msgid, msgstr in entries.items():
        if "%(n)s" not in msgid:
            assert compiled.gettext(msgid) == msgstr, f"django.mo is stale for {msgid!r}"
    texts: set[str] = set()
    for path in WEB.rglob("*.html"):
        texts |= set(re.findall(r'{% translate "([^"]+)" %}', path.read_text(encoding="utf-8")))
    for path in WEB.rglob("*.py"):
        texts |= set(re.findall(r'\b_\("([^"]+)"\)', path.read_text(encoding="utf-8")))
    assert texts and texts <= set(entries), sorted(texts - set(entries))


def test_the_page_speaks_the_browsers_language(owner: Any, central_db: CentralDB) -> None:
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get("/login/").content.decode()
    assert "登录" in zh and 'lang="zh-hans"' in zh
    en = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/login/").content.decode()
    assert "Log in" in en and "登录" not in en
    t = till(central_db, "shopA", "t1")
    t.sale("c1", [("1", "Cola", 1000, 350)], "qr")
    t.status()
    page = client_for(owner, HTTP_ACCEPT_LANGUAGE="zh-CN").get("/monitor/").content.decode()
    assert "门店与终端" in page and "扫码支付 3.50" in page and "在线" in page


def test_the_language_switch_sticks(owner: Any, central_db: CentralDB) -> None:
    c = client_for(owner, HTTP_ACCEPT_LANGUAGE="zh-CN")
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/monitor/"})
    assert r.status_code == 302
    assert "Stores and terminals" in c.get("/monitor/").content.decode()
