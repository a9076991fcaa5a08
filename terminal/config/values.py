"""The loaded configuration as read-only attributes: ``config.printer.port``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


class SectionValues:
    """One section's values, read as attributes (``config.store.currency``)."""

    __slots__ = ("_name", "_values")

    def __init__(self, name: str, values: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_values", dict(values))

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"[{self._name}] has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("configuration values are read-only")

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def __repr__(self) -> str:
        return f"SectionValues({self._name!r}, {self._values!r})"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SectionValues)
            and other._name == self._name
            and other._values == self._values
        )

    __hash__ = None  # type: ignore[assignment]


class Config:
    """The loaded configuration: one attribute per section (``config.printer.port``)."""

    def __init__(self, sections: Mapping[str, Mapping[str, Any]], path: Path | None) -> None:
        self.path = path
        self._sections = {name: SectionValues(name, values) for name, values in sections.items()}

    def __getattr__(self, name: str) -> SectionValues:
        try:
            return self.__dict__["_sections"][name]
        except KeyError:
            raise AttributeError(f"no configuration section [{name}]") from None

    @property
    def data_dir(self) -> Path:
        return Path(self._sections["terminal"].data_dir)

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return {name: s.as_dict() for name, s in self._sections.items()}
