"""Reading the configuration file: where it is looked for, TOML parsing, checking every value
against the schema, defaults, and a ``ConfigError`` that names the file, the key and its line,
so whoever edits the SD card's config knows what to fix."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from terminal.config import checks
from terminal.config.schema import SCHEMA, Key
from terminal.config.values import Config

CONFIG_ENV = "POS_CONFIG"
CONFIG_FILENAME = "pos-terminal.toml"


class ConfigError(Exception):
    """A configuration problem, located as precisely as the file allows."""

    def __init__(
        self,
        message: str,
        path: Path | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.key = key
        self.line = line
        where = str(path) if path is not None else "configuration"
        if line is not None:
            where += f":{line}"
        super().__init__(f"{where}: {key + ': ' if key else ''}{message}")


_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]")
_KEYLINE = re.compile(
    r"^\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*="
)


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip("\"'") for p in re.split(r"\s*\.\s*", dotted.strip())]


def _key_lines(text: str) -> Iterator[tuple[tuple[str, ...], int]]:
    """(table path + key path, line number) of every header and key line in a TOML text."""
    table: list[str] = []
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header and not line.lstrip().startswith("[["):
            table = _parts(header.group(1))
            yield tuple(table), number
            continue
        keyline = _KEYLINE.match(line)
        if keyline:
            yield tuple(table + _parts(keyline.group(1))), number
            rest = line[keyline.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote


def find_line(text: str, *path: str) -> int | None:
    for found, number in _key_lines(text):
        if found == path:
            return number
    return None


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "pos-terminal"


def default_config_paths() -> list[Path]:
    """Where ``load_config(None)`` looks when $POS_CONFIG is not set, first found wins: the
    user's config, the system's, then the SD card's boot partition (where enrolment drops it)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return [
        Path(base) / "pos-terminal" / CONFIG_FILENAME,
        Path("/etc/pos-terminal") / CONFIG_FILENAME,
        Path("/boot/firmware") / CONFIG_FILENAME,
    ]


def _type_ok(kind: str, value: Any) -> bool:
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == "list[int]":
        return isinstance(value, list) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        )
    raise ValueError(f"unknown schema type {kind!r}")


_TYPE_WORDS = {
    "str": "a string in quotes",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "list[str]": 'a list of strings, like ["a", "b"]',
    "list[int]": "a list of whole numbers, like [1, 2]",
}


def _problem(key: Key, value: Any) -> str | None:
    if not _type_ok(key.type, value):
        return f"expected {_TYPE_WORDS[key.type]}, got {value!r}"
    if key.choices and value not in key.choices:
        return f"must be one of {', '.join(repr(c) for c in key.choices)}, got {value!r}"
    if key.minimum is not None and value < key.minimum:
        return f"must be at least {key.minimum}, got {value}"
    if key.maximum is not None and value > key.maximum:
        return f"must be at most {key.maximum}, got {value}"
    if key.check is not None:
        return key.check(value)
    return None


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_config(text: str, path: Path | None = None) -> Config:
    """Check ``text`` against the schema and fill in defaults."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None)
        if line is None:
            m = re.search(r"line (\d+)", str(exc))
            if m:
                line = int(m.group(1))
            elif "end of document" in str(exc):
                line = max(1, len(text.splitlines()))
        raise ConfigError(f"not valid TOML: {exc}", path, None, line) from exc
    names = [s.name for s in SCHEMA]
    values: dict[str, dict[str, Any]] = {}
    for name, raw in data.items():
        if name not in names:
            raise ConfigError(
                f"unknown section [{name}]{_suggest(name, names)}",
                path,
                name,
                find_line(text, name),
            )
        if not isinstance(raw, dict):
            raise ConfigError(
                f"[{name}] must be a table, got {raw!r}", path, name, find_line(text, name)
            )
    for sec in SCHEMA:
        raw = data.get(sec.name, {})
        known = [k.name for k in sec.keys]
        for key_name in raw:
            if key_name not in known:
                raise ConfigError(
                    f"unknown key in [{sec.name}]{_suggest(key_name, known)}",
                    path,
                    f"{sec.name}.{key_name}",
                    find_line(text, sec.name, key_name),
                )
        resolved: dict[str, Any] = {}
        for key in sec.keys:
            if key.name in raw:
                value = raw[key.name]
                problem = _problem(key, value)
                if problem:
                    raise ConfigError(
                        problem, path, f"{sec.name}.{key.name}", find_line(text, sec.name, key.name)
                    )
                resolved[key.name] = value
            else:
                default = key.default
                resolved[key.name] = list(default) if isinstance(default, list) else default
        values[sec.name] = resolved
    given = {name: set(raw) for name, raw in data.items() if isinstance(raw, dict)}
    for section_name, key_name, message in checks.problems(values, given):
        raise ConfigError(
            message,
            path,
            f"{section_name}.{key_name}",
            find_line(text, section_name, key_name) or find_line(text, section_name),
        )
    values["terminal"]["data_dir"] = str(_resolve_data_dir(values["terminal"]["data_dir"], path))
    return Config(values, path)


def _resolve_data_dir(value: str, path: Path | None) -> Path:
    if not value:
        return default_data_dir()
    resolved = Path(value).expanduser()
    if not resolved.is_absolute():
        base = path.parent if path is not None else Path.cwd()
        resolved = base / resolved
    return resolved


def load_config(path: Path | None = None) -> Config:
    """Load ``path``; when None, $POS_CONFIG, then the first of ``default_config_paths()`` that
    exists, else all defaults. A named file that does not exist is an error."""
    if path is None:
        env = os.environ.get(CONFIG_ENV)
        if env:
            path = Path(env)
        else:
            path = next((p for p in default_config_paths() if p.is_file()), None)
            if path is None:
                return parse_config("", None)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("file not found", path) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text: {exc}", path) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", path) from exc
    return parse_config(text, path)
