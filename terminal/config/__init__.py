"""The terminal's configuration: one TOML file, checked against a declarative schema.

Every section and key is declared in ``schema.SCHEMA`` with its type, default and a one-line
doc; ``docs/configuration.md`` is generated from it (``python -m terminal.config > docs/...``,
and a test fails when the file is stale). ``loading`` reads and checks a file into a
``values.Config``; ``docs`` renders the reference. Everything is importable from here.
"""

from terminal.config.docs import main, render_docs
from terminal.config.loading import (
    CONFIG_ENV,
    CONFIG_FILENAME,
    ConfigError,
    default_config_paths,
    default_data_dir,
    find_line,
    load_config,
    parse_config,
)
from terminal.config.schema import SCHEMA, TYPES, Key, Section, section
from terminal.config.values import Config, SectionValues

__all__ = [
    "CONFIG_ENV",
    "CONFIG_FILENAME",
    "SCHEMA",
    "TYPES",
    "Config",
    "ConfigError",
    "Key",
    "Section",
    "SectionValues",
    "default_config_paths",
    "default_data_dir",
    "find_line",
    "load_config",
    "main",
    "parse_config",
    "render_docs",
    "section",
]
