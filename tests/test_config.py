"""Config loading: defaults, overrides, and one-line errors naming file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalptui.config import ConfigError, Settings, discover_config_path, load_settings
from scalptui.detector.params import ALT_DEFAULTS


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_defaults() -> None:
    assert load_settings(None) == Settings()


def test_overrides_are_typed_and_keep_class_defaults(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[feed]
exchange = "bybit"
symbols = ["BTC/USDT:USDT"]

[ui]
theme = "scalptui-light"
tick_hz = 4

[detector]
major_bases = ["BTC"]

[detector.alts]
window_s = 30

[detector.ladder]
leverage_mix = [{leverage = 10, share = 0.5}, {leverage = 20, share = 0.5}]
mmr_table = {BTC = 0.004, SOL = 0.01}
""",
    )
    s = load_settings(path)
    assert s.feed.exchange == "bybit"
    assert s.feed.symbols == ("BTC/USDT:USDT",)
    assert s.ui.tick_hz == 4.0 and isinstance(s.ui.tick_hz, float)
    assert s.detector.major_bases == ("BTC",)
    # A partial [detector.alts] keeps the alt defaults for the keys it does not name.
    assert s.detector.alts.window_s == 30.0
    assert s.detector.alts.floor_usd == ALT_DEFAULTS.floor_usd
    assert [b.leverage for b in s.detector.ladder.leverage_mix] == [10.0, 20.0]
    # A partial table merges over the shipped one: ETH keeps its 0.4 %.
    assert s.detector.ladder.mmr_table == {"BTC": 0.004, "ETH": 0.004, "SOL": 0.01}
    assert s.config_path == path


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[feed]\nexchange = 'kraken'\n", "feed.exchange"),
        ("[feed]\nsymbols = 'BTC'\n", "feed.symbols"),
        ("[feed]\nsymbols = ['BTC', '']\n", "feed.symbols entry 2 is empty"),
        ("[ui]\nbell = 'yes'\n", "ui.bell"),
        (
            "[ui]\nladder_span_pct = 150\n",
            "ui.ladder_span_pct must be greater than 0 and at most 50",
        ),
        ("[detector.ladder]\nbin_pct = 5\n", "bin_pct is a fraction of price"),
        ("[detector.ladder]\nbin_pct = 1e-12\n", "bin_pct is a fraction of price"),
        ("[detector.ladder]\nprune_pct = 5\n", "prune_pct is a fraction of price"),
        ("[detector.ladder]\nprune_pct = 0\n", "prune_pct is a fraction of price"),
        ("[detector.majors]\nwindow_s = 1e12\n", "detector.majors.window_s must be at most"),
        ("[detector.alts]\ncooldown_s = 1e9\n", "detector.alts.cooldown_s must be at most"),
        ("[feed]\nstale_after_s = 0.01\n", "feed.stale_after_s must be within 2..3600 s"),
        ("[feed]\noi_poll_s = 0.1\n", "feed.oi_poll_s must be within 1..3600 s"),
        ("[feed]\noi_poll_s = 86400\n", "feed.oi_poll_s must be within 1..3600 s"),
        ("[ui]\ncolour = 'red'\n", "ui.colour"),
        ("[feed]\nsymbol = ['BTC']\n", "unknown key feed.symbol (did you mean feed.symbols?)"),
        ("[ui]\nTheme = 'x'\n", "unknown key ui.Theme (did you mean ui.theme?)"),
        ("[fed]\nsymbols = ['BTC']\n", "unknown section or key 'fed' (did you mean feed?)"),
        ("[detector.majors]\nwindow_s = -1\n", "detector.majors.window_s"),
        ("[detector.ladder]\nleverage_mix = [{leverage = 10, share = 0.4}]\n", "leverage_mix"),
        ("[detector.ladder]\nleverage_mix = [{leverage = 10}]\n", "leverage_mix[0]"),
        ("[feed\n", "not valid TOML"),
        ("colour = 1\n", "colour"),
        ("[detector.majors]\nz = nan\n", "detector.majors.z"),
        ("[detector.majors]\nfloor_usd = inf\n", "detector.majors.floor_usd"),
        ("[detector.ladder]\ndefault_mmr = 1\n", "detector.ladder.default_mmr"),
        ("[detector.ladder.mmr_table]\nSOL = 1.5\n", "mmr_table.SOL"),
        ("[detector.alts]\nmin_prints = 0\n", "detector.alts.min_prints"),
        ("[detector.alts]\nbaseline_mult = -2\n", "detector.alts.baseline_mult"),
        ("[detector.majors]\nexhaustion_ratio = 1.5\n", "exhaustion_ratio"),
        ("[detector.alts]\nsaturation_share = 1.2\n", "detector.alts.saturation_share"),
        ("[detector.majors]\nescalation_move = 1\n", "detector.majors.escalation_move"),
        ("[detector.majors]\nsaturation_s = 0\n", "detector.majors.saturation_s"),
    ],
)
def test_bad_config_names_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    message = str(info.value)
    assert str(path) in message
    assert needle in message
    assert "\n" not in message


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")


def test_discovery_prefers_explicit_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = tmp_path / "a.toml"
    monkeypatch.setenv("SCALPTUI_CONFIG", str(tmp_path / "b.toml"))
    assert discover_config_path(explicit) == explicit
    assert discover_config_path(None) == tmp_path / "b.toml"


def test_a_directory_where_the_config_file_goes_is_refused_not_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SCALPTUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "scalptui" / "config.toml").mkdir(parents=True)
    found = discover_config_path(None)
    assert found == tmp_path / "scalptui" / "config.toml"
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(found)


def test_base_currencies_in_the_file_are_read_as_the_symbols_spell_them(tmp_path: Path) -> None:
    """``major_bases = ["btc"]`` gave BTC the alts' thresholds, silently."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[detector]\nmajor_bases = ["btc", "eth", "sol"]\n'
        "[detector.ladder]\nmmr_table = { sol = 0.01 }\n"
    )
    detector = load_settings(cfg).detector
    assert detector.thresholds_for("SOL/USDT:USDT") is detector.majors
    assert detector.ladder.mmr_table["SOL"] == 0.01 and "sol" not in detector.ladder.mmr_table
