"""Runtime-switchable gettext: the app owns one ``Translator``; screens call its ``gettext``
(bound as ``_`` in each build method) and re-render when the language changes."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from pathlib import Path

DOMAIN = "pos"
LANGUAGES: tuple[str, ...] = ("zh_CN", "en")
LANGUAGE_NAMES: dict[str, str] = {"zh_CN": "中文", "en": "English"}


def locale_dir() -> Path:
    return Path(__file__).with_name("locale")


class Translator:
    def __init__(self, language: str = "zh_CN", localedir: Path | None = None) -> None:
        self._dir = localedir or locale_dir()
        self._listeners: list[Callable[[str], None]] = []
        self._lang = ""
        self._t: gettext.NullTranslations = gettext.NullTranslations()
        self.set_language(language)

    @property
    def language(self) -> str:
        return self._lang

    def set_language(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; one of {', '.join(LANGUAGES)}")
        if language == self._lang:
            return
        self._t = gettext.translation(DOMAIN, self._dir, languages=[language], fallback=True)
        self._lang = language
        for fn in list(self._listeners):
            fn(language)

    def on_change(self, fn: Callable[[str], None]) -> None:
        self._listeners.append(fn)

    def gettext(self, message: str) -> str:
        return self._t.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._t.ngettext(singular, plural, n)


def N_(message: str) -> str:  # noqa: N802 -- the gettext convention xgettext looks for
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message
