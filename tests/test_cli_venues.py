"""Several venues on the command line and in the config: typed settings, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from scalptui.cli import build_parser, main, settings_from_args, split_venue_url
from scalptui.config import ConfigError, load_settings
from scalptui.feed.venues import with_article

URL = "http://127.0.0.1:8765"


def one_error_line(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(["alerts", *argv, "--duration", "1"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scalptui: error:"), lines
    return lines[0]


def test_a_comma_list_of_venues_and_one_url_per_venue() -> None:
    settings = settings_from_args(
        build_parser().parse_args(
            ["alerts", "--exchange", "binanceusdm, Bybit,okx", "--base-url", f"okx={URL}/p",
             "--base-url", f"bybit={URL}"]
        )
    )  # fmt: skip
    feed = settings.feed
    assert feed.venues == ("binanceusdm", "bybit", "okx")
    assert feed.exchange == "binanceusdm"  # the first venue: code reading one venue stays right
    assert feed.base_urls == {"okx": f"{URL}/p", "bybit": URL}
    assert feed.base_url_of("okx") == f"{URL}/p" and feed.base_url_of("binanceusdm") is None


def test_one_venue_stays_as_it_was() -> None:
    settings = settings_from_args(
        build_parser().parse_args(["alerts", "--exchange", "bybit", "--base-url", URL])
    )
    assert settings.feed.exchange == "bybit" and settings.feed.exchanges == ()
    assert settings.feed.venues == ("bybit",) and settings.feed.base_url_of("bybit") == URL


def test_a_url_is_never_split_as_a_venue() -> None:
    assert split_venue_url(f"bybit={URL}") == ("bybit", URL)
    assert split_venue_url(URL) == (None, URL)
    assert split_venue_url("http://h:1/p=q") == (None, "http://h:1/p=q")


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (
            ("--exchange", "binanceusdm,kraken"),
            "must be one of binanceusdm, bybit, okx, got 'kraken'",
        ),
        (  # ccxt's "binance" is the spot venue
            ("--exchange", "binance"),
            "got 'binance'; did you mean binanceusdm?",
        ),
        (("--exchange", "bybit,OKEx"), "got 'okex'; did you mean okx?"),
        (("--exchange", "bybit-linear"), "got 'bybit-linear'; did you mean bybit?"),
        (
            ("--exchange", "bybit,okx,bybit"),
            "names bybit twice (supported: binanceusdm, bybit, okx",
        ),
        (("--exchange", ","), "--exchange needs a venue: one of binanceusdm, bybit, okx"),
        (
            ("--exchange", "binanceusdm,bybit", "--base-url", URL),
            "a bare base URL serves one venue",
        ),
        (
            ("--exchange", "binanceusdm,bybit", "--base-url", f"okx={URL}"),
            "for 'okx', which is not watched",
        ),
        (
            ("--exchange", "bybit", "--base-url", f"bybit={URL}", "--base-url", f"bybit={URL}"),
            "names bybit twice",
        ),
        (("--base-url", URL, "--base-url", URL), "a second bare URL"),
        (
            ("--exchange", "binanceusdm,bybit", "--base-url", "bybit=localhost:1"),
            "base_urls.bybit: --base-url 'localhost:1' needs a scheme",
        ),
    ],
)
def test_impossible_venue_options_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], needle: str
) -> None:
    assert needle in one_error_line(capsys, *argv)


def test_demo_on_several_venues_checks_symbols_against_the_simulator(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = one_error_line(capsys, "--demo", "--exchange", "bybit,okx", "--symbols", "BTCC")
    assert "bybit,okx: unknown symbol 'BTCC/USDT:USDT'" in line and "did you mean BTC" in line
    assert "(not a simulated perpetual)" in line  # no one venue's kind of contract named


def test_config_exchanges_list(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[feed]\nexchanges = ["bybit", "okx"]\n[feed.base_urls]\nbybit = "http://h:1"\n'
    )
    feed = load_settings(path).feed
    assert feed.venues == ("bybit", "okx") and feed.exchange == "bybit"
    assert feed.base_urls == {"bybit": "http://h:1"}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('exchange = "bybit"\nexchanges = ["okx"]', "feed.exchange or feed.exchanges, not both"),
        ('exchanges = ["okx", "okx"]', "feed.exchanges names okx twice"),
        ('exchanges = ["okx", "ftx"]', "feed.exchanges must be one of"),
        ('exchanges = "okx"', "feed.exchanges must be a list"),
        (
            'exchanges = ["okx", "bybit"]\nbase_url = "http://h:1"',
            "a bare base URL serves one venue",
        ),
    ],
)
def test_bad_venues_in_the_config_name_file_and_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[feed]\n{text}\n")
    with pytest.raises(ConfigError, match=r"config\.toml: ") as caught:
        load_settings(path)
    assert needle in str(caught.value) and "\n" not in str(caught.value)


def _two_venue_config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        '[feed]\nexchanges = ["binanceusdm", "bybit"]\n'
        '[feed.base_urls]\nbinanceusdm = "http://h:1"\nbybit = "http://h:2"\n'
    )
    return path


def test_a_venue_url_on_the_command_line_goes_over_the_files_others_kept(
    tmp_path: Path,
) -> None:
    """``--base-url bybit=URL`` replaces the file's Bybit URL only: Binance keeps the file's
    rather than silently going to the real host."""
    path = _two_venue_config(tmp_path)
    args = build_parser().parse_args(
        ["alerts", "--config", str(path), "--base-url", f"bybit={URL}"]
    )
    feed = settings_from_args(args).feed
    assert feed.base_url_of("binanceusdm") == "http://h:1"
    assert feed.base_url_of("bybit") == URL


def test_exchange_narrows_a_multi_venue_file_with_base_urls(tmp_path: Path) -> None:
    path = _two_venue_config(tmp_path)
    args = build_parser().parse_args(["alerts", "--config", str(path), "--exchange", "bybit"])
    feed = settings_from_args(args).feed
    assert feed.venues == ("bybit",) and feed.base_urls == {"bybit": "http://h:2"}
    assert feed.base_url_of("bybit") == "http://h:2"


def test_a_url_for_a_venue_the_command_line_dropped_is_still_an_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _two_venue_config(tmp_path)
    line = one_error_line(
        capsys, "--config", str(path), "--exchange", "bybit", "--base-url", f"binanceusdm={URL}"
    )
    assert "a base URL is given for 'binanceusdm', which is not watched" in line


def test_a_venue_name_is_read_with_its_article() -> None:
    assert with_article("OKX swap") == "an OKX swap"
    assert with_article("Binance USDⓈ-M") == "a Binance USDⓈ-M"
    assert with_article("simulated") == "a simulated"
