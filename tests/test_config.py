"""The configuration file: defaults, types, located errors, and the generated documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from terminal.config import (
    SCHEMA,
    ConfigError,
    load_config,
    parse_config,
    render_docs,
)

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pos-terminal.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("POS_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nothing"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    config = parse_config("")
    assert config.path is None
    assert config.terminal.id == "T01"
    assert config.terminal.language == "zh_CN"
    assert config.terminal.timezone == "Asia/Shanghai"
    assert config.data_dir == tmp_path / "share" / "pos-terminal"
    assert config.store.currency == "CNY"
    assert config.store.price_prefixes == ["22", "23", "24", "25"]
    assert config.store.weight_prefixes == ["20", "21"]
    assert config.store.merge_repeat_scans is True
    assert config.hardware.simulated is True
    assert (config.printer.kind, config.printer.port, config.printer.text_mode) == (
        "simulated",
        9100,
        "auto",
    )
    assert (config.drawer.gpio_pin, config.drawer.sensor_pin, config.drawer.kick_pin) == (17, -1, 2)
    assert (config.link.enabled, config.link.port) == (False, 8883)
    assert (config.ui.width, config.ui.height) == (1024, 600)
    assert config.automation.enabled is False
    # Every declared key is present, with its default.
    for section in SCHEMA:
        values = getattr(config, section.name).as_dict()
        assert set(values) == {k.name for k in section.keys}


def test_home_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert parse_config("").data_dir == tmp_path / ".local" / "share" / "pos-terminal"


def test_a_full_file(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
# the shop
[terminal]
id = "T07"
data_dir = "data"          # relative to this file
language = "en"

[store]
name = "Corner Shop"
name_zh = "街角小店"
address = ["1 Nanjing Road", "Shanghai"]
quick_cash = [5000, 10000]
cash_rounding_step = 10

[printer]
kind = "network"
host = "192.168.1.50"
usb_vendor = 0x04b8
""",
    )
    config = load_config(path)
    assert config.path == path
    assert config.terminal.id == "T07"
    assert config.data_dir == tmp_path / "data"
    assert config.store.name_zh == "街角小店"
    assert config.store.address == ["1 Nanjing Road", "Shanghai"]
    assert config.store.quick_cash == [5000, 10000]
    assert config.printer.usb_vendor == 0x04B8
    assert config.printer.port == 9100
    with pytest.raises(AttributeError, match="no key"):
        _ = config.store.nope
    with pytest.raises(AttributeError, match="read-only"):
        config.store.name = "x"


@pytest.mark.parametrize(
    ("text", "key", "line", "words"),
    [
        (
            '[store]\nname = "x"\n\ncash_rounding_step = "10"\n',
            "store.cash_rounding_step",
            4,
            "expected a whole number",
        ),
        ("[terminal]\nid = 'T1'\n[printer]\n  port = 70000\n", "printer.port", 4, "at most 65535"),
        ("[hardware]\nsimulated = 1\n", "hardware.simulated", 2, "true or false"),
        ('[terminal]\nlanguage = "fr"\n', "terminal.language", 2, "one of 'zh_CN', 'en'"),
        ('[terminal]\ntimezone = "Mars/Base"\n', "terminal.timezone", 2, "unknown time zone"),
        ('[store]\nprice_prefixes = ["2", "23"]\n', "store.price_prefixes", 2, "two-digit"),
        ('[store]\nprice_prefixes = ["30"]\n', "store.price_prefixes", 2, "20-29"),
        ('[store]\nprice_prefixes = ["22", "22"]\n', "store.price_prefixes", 2, "twice"),
        # The configuration's default weight prefixes are 20 and 21.
        ('[store]\nname = "x"\nprice_prefixes = ["20","22"]\n', "store.price_prefixes", 3,
         "prefix 20 is in both"),
        ('[store]\nweight_prefixes = ["22"]\n', "store.weight_prefixes", 2, "prefix 22 is in both"),
        ('store.price_prefixes = ["21"]\n', "store.price_prefixes", 1, "prefix 21 is in both"),
        ('[store]\ncurrency = "XYZ"\n', "store.currency", 2, "unknown currency 'XYZ'"),
        ('[printer]\nkind = "escpos"\n', "printer.kind", 2, "one of 'simulated'"),
        ('[scanner]\nlayout = "dvorak"\n', "scanner.layout", 2, "one of 'us'"),
        ('[drawer]\nkind = "serial"\n', "drawer.kind", 2, "one of 'simulated'"),
        ('[payment_codes]\nwechat_lengths = 18\n', "payment_codes.wechat_lengths", 2,
         "list of whole numbers"),
        ('[payment_codes]\nwechat_lengths = [4]\n', "payment_codes.wechat_lengths", 2,
         "not a payment-code length"),
        ('[payment_codes]\nalipay_prefixes = []\n', "payment_codes.alipay_prefixes", 2,
         "at least one"),
        ('[payment_codes]\nalipay_prefixes = ["2a"]\n', "payment_codes.alipay_prefixes", 2,
         "1-6 digits"),
        ('[payment_codes]\nwechat_lengths = [18, 16]\n\nwechat_prefixes = ["2"]\n',
         "payment_codes.wechat_prefixes", 4, "overlap at length 16"),
        ('[store]\nquick_cash = [100, "x"]\n', "store.quick_cash", 2, "list of whole numbers"),
        ('[store]\nname = "a"\nnmae = "b"\n', "store.nmae", 3, "did you mean 'name'"),
        ("[printr]\nport = 1\n", "printr", 1, "unknown section [printr] (did you mean 'printer'"),
        ('[terminal]\n"id" = 5\n', "terminal.id", 2, "expected a string"),
        ('store.currency = "rmb"\n', "store.currency", 1, "ISO 4217"),
        ("[drawer]\nkick_pin = 3\n", "drawer.kick_pin", 2, "one of 2, 5"),
    ],
)
def test_errors_name_file_key_and_line(
    tmp_path: Path, text: str, key: str, line: int, words: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    err = caught.value
    assert (err.path, err.key, err.line) == (path, key, line)
    assert words in str(err)
    assert str(err).startswith(f"{path}:{line}: {key}: ")


@pytest.mark.parametrize(
    ("text", "line"),
    [("[store]\nname = \n", 2), ("[store]\nname = 'x'\n[store]\n", 3), ('a = "unterminated\n', 1)],
)
def test_syntax_errors_carry_the_line(tmp_path: Path, text: str, line: int) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_config(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}:{line}: ")


def test_missing_named_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_env_and_search_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    named = _write(tmp_path, '[terminal]\nid = "ENV"\n')
    monkeypatch.setenv("POS_CONFIG", str(named))
    assert load_config(None).terminal.id == "ENV"
    monkeypatch.delenv("POS_CONFIG")
    user = tmp_path / "xdg" / "pos-terminal" / "pos-terminal.toml"
    user.parent.mkdir(parents=True)
    user.write_text('[terminal]\nid = "USER"\n', encoding="utf-8")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert load_config(None).terminal.id == "USER"


def test_documentation_is_generated_from_the_schema() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert doc == render_docs(), (
        "docs/configuration.md is stale: run `.venv/bin/python -m terminal.config > "
        "docs/configuration.md`"
    )
    for section in SCHEMA:
        assert f"## [{section.name}]" in doc
        for key in section.keys:
            assert f"| `{key.name}` |" in doc


def test_documented_example_parses() -> None:
    doc = render_docs()
    example = doc.split("```toml\n", 1)[1].split("```", 1)[0]
    config = parse_config(example)
    assert config.terminal.id == "T02" and config.hardware.simulated is False


def test_payment_code_patterns_reach_the_core(tmp_path: Path) -> None:
    from terminal.app.settings import store_settings
    from terminal.core.scan import ReadKind, classify

    config = load_config(
        _write(tmp_path, '[payment_codes]\nwechat_lengths = [19]\nwechat_prefixes = ["17"]\n')
    )
    settings = store_settings(config)
    rules, layout = settings.scan_rules, settings.variable_measure
    assert (rules.wechat_lengths, rules.wechat_starts) == ((19,), ("17",))
    assert classify("1734567890123456789", rules, layout).kind is ReadKind.WECHAT_PAY
    assert classify("134567890123456789", rules, layout).kind is ReadKind.UNKNOWN
    assert classify("2834567890123456", rules, layout).kind is ReadKind.ALIPAY


def test_core_and_configuration_share_one_default_layout() -> None:
    from terminal.app.settings import store_settings
    from terminal.core.barcodes import VariableMeasureLayout
    from terminal.core.settings import ScanRules, StoreSettings

    settings = store_settings(parse_config(""))
    assert settings.variable_measure == VariableMeasureLayout() == StoreSettings().variable_measure
    assert settings.scan_rules == ScanRules()


def test_link_reconnect_keys_from_the_docs_are_accepted() -> None:
    from terminal.link.link_config import LinkConfig

    config = parse_config(
        '[link]\nstore = "shop1"\nbackoff_min = 1\nbackoff_max = 5.5\nbatch = 100\n'
        "session_expiry = 3600\n"
    )
    link = LinkConfig.from_section(config.link.as_dict(), terminal_id="t1")
    assert (link.backoff_min, link.backoff_max, link.batch, link.session_expiry) == (
        1.0,
        5.5,
        100,
        3600,
    )
    with pytest.raises(ConfigError, match="backoff_max"):
        parse_config("[link]\nbackoff_max = 0\n")
    doc = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert "backoff_max" in doc
