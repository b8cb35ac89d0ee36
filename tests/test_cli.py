"""The command-line contract: one clear line and exit 2 for what makes a run impossible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scalptui.cli import build_parser, main, parse_symbols, settings_from_args


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scalptui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("scalptui: error:")
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr


def test_symbols_shorthand_expands_to_usdt_perpetuals() -> None:
    assert parse_symbols("btc, ETH/USDT:USDT,,btc") == ("BTC/USDT:USDT", "ETH/USDT:USDT")


def test_options_before_the_subcommand_survive_it() -> None:
    args = build_parser().parse_args(["--demo", "--symbols", "SOL", "alerts", "--json"])
    settings = settings_from_args(args)
    assert settings.demo is True
    assert settings.feed.symbols == ("SOL/USDT:USDT",)
    assert args.json is True and args.speed == 1.0


def test_unknown_exchange(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--exchange", "kraken"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "feed.exchange must be one of binanceusdm, bybit, okx" in err[0]


def test_bad_base_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["alerts", "--base-url", "localhost:8080"]) == 2
    assert "needs a scheme and a host" in capsys.readouterr().err


def test_bad_config_file_names_file_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text("[ui]\ntick_hz = 'fast'\n")
    assert_one_line_error(run_cli("alerts", "--config", str(cfg)), f"{cfg}: ui.tick_hz")


def test_unwritable_recording_path(tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "run.jsonl"
    assert_one_line_error(run_cli("record", str(target), "--demo"), "cannot write recording")


def test_missing_replay_file(tmp_path: Path) -> None:
    proc = run_cli("alerts", "--replay", str(tmp_path / "nope.jsonl.gz"))
    assert_one_line_error(proc, "recording not found")


def test_replay_imports_neither_textual_nor_ccxt(tmp_path: Path) -> None:
    from scalptui.feed.recording import Recorder
    from scalptui.models import Source, TakerSide, Trade

    path = tmp_path / "r.jsonl"
    rec = Recorder(path, exchange="binanceusdm", symbols=("BTC/USDT:USDT",), source=Source.LIVE)
    rec.write(Trade(1, "binanceusdm", "BTC/USDT:USDT", 1.0, 1.0, TakerSide.BUY))
    rec.close()
    code = (
        "import sys; from scalptui.cli import main; "
        f"rc = main(['alerts', '--replay', {str(path)!r}, '--speed', '0']); "
        "print(rc, sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'ccxt'}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.strip() == "0 []", proc.stderr


def test_record_path_that_cannot_be_created_fails_before_connecting() -> None:
    proc = run_cli("record", "/proc/no-such-dir/run.jsonl", "--demo")
    assert_one_line_error(proc, "cannot write recording /proc/no-such-dir/run.jsonl")


def test_record_refuses_a_replay(tmp_path: Path) -> None:
    proc = run_cli("--replay", str(tmp_path / "x.jsonl"), "record", str(tmp_path / "y.jsonl"))
    assert_one_line_error(proc, "not --replay")


def test_sim_port_out_of_range_is_a_usage_error() -> None:
    proc = run_cli("sim", "--port", "70000")
    assert proc.returncode == 2 and "0 to 65535" in proc.stderr


def test_replay_text_says_simulated_and_replay(tmp_path: Path) -> None:
    from scalptui.feed.recording import Recorder
    from scalptui.models import Source, TakerSide, Trade

    path = tmp_path / "r.jsonl"
    rec = Recorder(
        path, exchange="binanceusdm", symbols=("BTC/USDT:USDT",), source=Source.SIMULATED
    )
    for i in range(3):
        rec.write(Trade(i * 1_000, "binanceusdm", "BTC/USDT:USDT", 100.0, 1.0, TakerSide.BUY))
    rec.close()
    # A period below a millisecond is clamped, not a crash.
    proc = run_cli("alerts", "--replay", str(path), "--speed", "0", "--snapshots", "0.0004")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all("[SIMULATED · REPLAY] BTC/USDT:USDT" in line for line in lines)
