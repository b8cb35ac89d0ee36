"""The command-line contract: one clear line and exit 2 for what makes a run impossible."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import fcntl
import io
import json
import logging
import os
import re
import resource
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from scalptui.cli import (
    _run_options,
    build_parser,
    log_formatter,
    main,
    parse_symbols,
    settings_from_args,
)
from scalptui.config import ConfigError, load_settings
from scalptui.detector.snapshot import empty_snapshot
from scalptui.feed.recording import read_header
from scalptui.headless import format_snapshot_text
from scalptui.models import Source


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


def test_symbols_as_traders_type_them_are_read() -> None:
    """A venue's own id, a spot-style pair, lower case, OKX's id: the same perpetual."""
    typed = "BTCUSDT, eth/usdt, sol/usdt:usdt, DOGE-USDT-SWAP, 1000pepeusdt, xrp usdt, BTC"
    assert parse_symbols(typed) == (
        "BTC/USDT:USDT",
        "ETH/USDT:USDT",
        "SOL/USDT:USDT",
        "DOGE/USDT:USDT",
        "1000PEPE/USDT:USDT",
        "XRP/USDT:USDT",
    )


@pytest.mark.parametrize(
    ("typed", "symbol"),
    [
        ("BTC-USDT", "BTC/USDT:USDT"),
        ("btc_usdt", "BTC/USDT:USDT"),
        ("BTCUSDT.P", "BTC/USDT:USDT"),
        ("BTC-PERP", "BTC/USDT:USDT"),
        ("BTC-USD-SWAP", "BTC/USD:BTC"),
        ("btc\u200busdt", "BTC/USDT:USDT"),
        ("ETHUSDC", "ETH/USDC:USDC"),
    ],
)
def test_other_ways_of_writing_a_perpetual_are_read(typed: str, symbol: str) -> None:
    assert parse_symbols(typed) == (symbol,)


def test_a_config_file_reads_symbols_as_the_command_line_does(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[feed]\nsymbols = ["btc", "ETHUSDT", "SOL/USDT"]\n')
    assert load_settings(cfg).feed.symbols == ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")
    cfg.write_text('[feed]\nsymbols = ["btc", " "]\n')
    with pytest.raises(ConfigError, match=r"feed\.symbols entry 2 is empty"):
        load_settings(cfg)


def test_options_before_the_subcommand_survive_it() -> None:
    args = build_parser().parse_args(["--demo", "--symbols", "SOL", "alerts", "--json"])
    settings = settings_from_args(args)
    assert settings.demo is True
    assert settings.feed.symbols == ("SOL/USDT:USDT",)
    assert args.json is True and _run_options(args, settings).speed == 1.0


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
    """The OS said only "No such file or directory": which one was missing went unsaid."""
    target = tmp_path / "no-such-folder" / "run.jsonl"
    assert_one_line_error(
        run_cli("record", str(target), "--demo"),
        f"cannot write recording {target}: the folder {target.parent} does not exist",
    )
    (tmp_path / "a-file").write_text("x")
    target = tmp_path / "a-file" / "run.jsonl"
    assert_one_line_error(
        run_cli("record", str(target), "--demo"),
        f"cannot write recording {target}: the folder {target.parent} is not a folder",
    )


@pytest.mark.parametrize("option", [("--demo-scenario", "cascade"), ("--seed", "5")])
def test_a_simulator_option_without_demo_is_refused_not_ignored(option: tuple[str, ...]) -> None:
    proc = run_cli("alerts", *option, "--base-url", "http://127.0.0.1:9")
    assert_one_line_error(proc, f"{option[0]} applies to --demo only")


@pytest.mark.parametrize("host", ["", " "])
def test_sim_with_an_empty_host_is_refused_not_bound_to_every_interface(host: str) -> None:
    """``--host "$UNSET"`` bound 0.0.0.0 and [::], and printed ``http://:8793``."""
    assert_one_line_error(run_cli("sim", "--port", "0", "--host", host), "--host needs an address")


def test_a_base_url_with_demo_is_refused_not_ignored() -> None:
    proc = run_cli("alerts", "--demo", "--base-url", "http://127.0.0.1:9")
    assert_one_line_error(proc, "--base-url does not apply to --demo")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("alerts", "--speed", "-1"), "argument --speed: must be a finite number"),
        (("alerts", "--seed", "abc"), "argument --seed: invalid int value"),
        (("sim", "--time-scale", "1e308"), "must be 0.01 to 1000"),
        (("record", "--demo", ""), "argument FILE: needs a file name"),
        (("record", "--demo", "out/"), "needs a file name, not a directory: 'out/'"),
        (("sim", "--time-scale", "1e-9"), "must be 0.01 to 1000"),
        (("sim", "--time-scale", "0"), "must be 0.01 to 1000"),  # said "greater than 0"
        (("alerts", "--demo", "--speed", "1e-9"), "must be 0 (as fast as possible) or at least"),
        (("alerts", "--demo", "--snapshots", "0.0001"), "must be 1 to 86400 s"),
        (("alerts", "--demo", "--snapshots", "1e306"), "must be 1 to 86400 s"),
        (("--bogus",), "unknown option --bogus (see scalptui --help)"),
        (("alerts", "--bogus"), "unknown option --bogus (see scalptui alerts --help)"),
        (("--demo", "--exchnage", "bybit"), "unknown option --exchnage (did you mean --exchange?)"),
        (("alerts", "--symbls=BTC"), "unknown option --symbls (did you mean --symbols?)"),
        (("--exch", "bybit", "alertz"), "invalid choice: 'alertz'"),  # --exch is a prefix
    ],
)
def test_a_usage_mistake_is_one_line(args: tuple[str, ...], needle: str) -> None:
    proc = run_cli(*args)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert re.match(r"scalptui( \w+)?: error: ", line) and needle in line
    assert line.endswith("--help)")


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"x = \xff\xfe\n", "not UTF-8 text"),
        (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
        (b"[ui]\ntick_hz = 1e9\n", "ui.tick_hz must be greater than 0 and at most 60"),
    ],
)
def test_a_config_file_no_parser_can_take_is_one_line(
    tmp_path: Path, content: bytes, needle: str
) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_bytes(content)
    assert_one_line_error(run_cli("alerts", "--demo", "--config", str(cfg)), needle)


@pytest.mark.parametrize(
    ("option", "needle"),
    [
        ("--symbols", "feed.symbols must name at least one symbol"),
        ("--exchange", "--exchange needs a venue"),
        ("--theme", "--theme needs a theme name"),
    ],
)
def test_an_empty_option_value_is_a_mistake_not_the_default(option: str, needle: str) -> None:
    # --theme is the TUI's: before the command (after it, alerts does not know it)
    args = (
        (option, "", "alerts", "--demo")
        if option == "--theme"
        else ("alerts", "--demo", option, "")
    )
    assert_one_line_error(run_cli(*args), needle)


def test_a_recording_path_that_takes_no_byte_is_one_line_and_closes_the_exchange() -> None:
    """/dev/full opens but answers every write with ENOSPC: not even the header is on
    disk, so the run could not start (exit 2), and the demo exchange opened for it is
    closed (no "unclosed" warnings)."""
    proc = run_cli("record", "/dev/full", "--demo", "--duration", "5")
    assert_one_line_error(proc, "cannot write recording /dev/full: No space left")


def test_a_reader_that_goes_away_ends_the_run_quietly() -> None:
    """``scalptui alerts --json | head -1``: status 0, no BrokenPipeError traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "scalptui", "alerts", "--demo", "--json", "--snapshots", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"{")
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_a_stderr_reader_that_goes_away_leaves_the_alerts_running(tmp_path: Path) -> None:
    """``alerts 2>&1 >out | head -1``: the run ended with status 0 when head exited, its
    own stdout fine all along and still empty. Diagnostics are dropped; the run goes on."""
    out = tmp_path / "out.jsonl"
    with out.open("wb") as sink:
        args = ("alerts", "--demo", "--json", "--snapshots", "1", "--duration", "6")
        proc = subprocess.Popen(
            [sys.executable, "-m", "scalptui", *args],
            stdout=sink,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert proc.stderr is not None
        assert proc.stderr.readline().startswith(b"scalptui: ")
        proc.stderr.close()  # as head does after its line
        assert proc.wait(timeout=60) == 0
    lines = out.read_text().splitlines()
    # snapshots of each of the three symbols for most of the six seconds after the close
    assert len(lines) >= 9 and all(line.startswith("{") for line in lines)


def test_a_stdout_that_fails_to_write_ends_the_run_with_one_line() -> None:
    """A full disk under ``alerts --json > file``: status 1 and one error line naming
    stdout, no OSError traceback (and none from Python's flush at exit)."""
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "scalptui", "alerts", "--demo", "--json", "--snapshots", "1"],
            stdout=full,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        "scalptui: error: cannot write to stdout (No space left on device); stopped"
    )
    assert "Traceback" not in proc.stderr


def test_a_closed_stdout_is_one_line_before_anything_opens() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", "alerts", "--demo", "--json"],
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )
    assert_one_line_error(proc, "stdout is closed")


def test_an_error_line_never_shows_the_password_of_a_base_url() -> None:
    proc = run_cli("alerts", "--base-url", "http://trader:s3cret@127.0.0.1:9", "--duration", "3")
    assert_one_line_error(proc, "markets unreachable")
    assert "s3cret" not in proc.stderr and "http://…@127.0.0.1:9" in proc.stderr


def test_a_base_url_that_is_no_exchange_api_is_named_as_such() -> None:
    """A server answering ``{}`` to everything (a wrong port, a web page): the error
    says the server listed no perpetual, not that BTC/USDT:USDT is an unknown symbol."""
    import http.server
    import threading

    class Empty(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Empty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        proc = run_cli("alerts", "--base-url", url, "--duration", "3")
    finally:
        server.shutdown()
    assert_one_line_error(proc, "listed no Binance USDⓈ-M perpetual at all")


def test_missing_replay_file(tmp_path: Path) -> None:
    proc = run_cli("alerts", "--replay", str(tmp_path / "nope.jsonl.gz"))
    assert_one_line_error(proc, "recording not found")


@pytest.mark.parametrize(
    "args",
    [("record", "{long}", "--demo"), ("alerts", "--replay", "{long}"), ("--replay", "{long}")],
    ids=["record", "alerts-replay", "tui-replay"],
)
def test_a_file_name_too_long_is_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    long = str(tmp_path / ("a" * 300 + ".jsonl"))  # ENAMETOOLONG was a traceback
    proc = run_cli(*(a.format(long=long) for a in args))
    assert_one_line_error(proc, "File name too long")


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


def three_simulated_trades(path: Path) -> Path:
    """A recording of the simulated exchange: three BTC trades a second apart."""
    from scalptui.feed.recording import Recorder
    from scalptui.models import Source, TakerSide, Trade

    rec = Recorder(
        path, exchange="binanceusdm", symbols=("BTC/USDT:USDT",), source=Source.SIMULATED
    )
    for i in range(3):
        rec.write(Trade(i * 1_000, "binanceusdm", "BTC/USDT:USDT", 100.0, 1.0, TakerSide.BUY))
    rec.close()
    return path


def test_replay_text_says_simulated_and_replay(tmp_path: Path) -> None:
    path = three_simulated_trades(tmp_path / "r.jsonl")
    proc = run_cli("alerts", "--replay", str(path), "--speed", "0", "--snapshots", "1")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and all("[SIMULATED · REPLAY] BTC/USDT:USDT" in line for line in lines)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_headless_output_a_locale_cannot_encode_is_written_not_a_traceback(
    tmp_path: Path, encoding: str
) -> None:
    """Under a Latin-1 or ASCII locale a headless run died on its first line (an alert's
    dash, a snapshot's middle dot) with nothing written and a traceback."""
    path = three_simulated_trades(tmp_path / "r.jsonl")
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0"}
    outputs = []
    for fmt in ([], ["--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "scalptui", "alerts", "--replay", str(path), "--speed", "0",
             "--snapshots", "1", *fmt],
            capture_output=True, env=env, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr.decode(encoding)
        assert b"Traceback" not in proc.stderr
        outputs.append(proc.stdout.decode(encoding).splitlines())
    text, records = outputs
    assert len(text) == 2 and all("REPLAY] BTC/USDT:USDT" in line for line in text)
    assert [json.loads(line)["recorded_source"] for line in records] == ["simulated"] * 2


def test_help_under_an_ascii_locale_is_written_not_a_traceback() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONUTF8": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", "--help"], capture_output=True, env=env, timeout=60
    )
    assert proc.returncode == 0 and b"Traceback" not in proc.stderr
    assert b"USD\\u24c8-M" in proc.stdout


class _Terminal(io.StringIO):
    def __init__(self, encoding: str) -> None:
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._encoding

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("env", "encoding", "remedy"),
    [
        ({"PYTHONIOENCODING": "latin-1", "LANG": "C.UTF-8"}, "latin-1", "PYTHONIOENCODING"),
        ({"LC_ALL": "en_US.ISO-8859-1"}, "iso8859-1", "LC_ALL=C.UTF-8"),
        ({"LANG": "en_US.ISO-8859-1"}, "iso8859-1", "LANG=C.UTF-8"),
        ({}, "cp65001", None),  # Windows' name for UTF-8: fine
    ],
)
def test_a_locale_that_is_not_utf8_names_what_to_change(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], encoding: str, remedy: str | None
) -> None:
    """With LANG=C.UTF-8 and PYTHONIOENCODING=latin-1 it said to set LANG=C.UTF-8."""
    from scalptui.cli import terminal_unusable

    for name in ("PYTHONIOENCODING", "LC_ALL", "LC_CTYPE", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for stream in ("__stdin__", "__stdout__", "__stderr__"):
        monkeypatch.setattr(sys, stream, _Terminal(encoding))
    why = terminal_unusable("xterm-256color")
    if remedy is None:
        assert why is None
    else:
        assert why is not None and encoding in why and remedy in why, why


def run_tui_in_a_terminal(
    *args: str,
    timeout: float = 60,
    term: str = "xterm-256color",
    signal_on: tuple[bytes, int] | None = None,
    hang_up: bool = False,
) -> tuple[int, str]:
    """The TUI on a real pseudo-terminal (Textual's Linux driver); (status, what it wrote).

    Textual draws on stderr, so the terminal holds the screen and, after the
    screen is restored, the error line. The terminal is the process's controlling
    terminal, in a session of its own, as in a tmux pane. ``signal_on`` = (text,
    signal): the signal is sent once the text has been drawn; with ``hang_up`` the
    terminal is closed first (its tmux pane or SSH session gone: the kernel sends
    SIGHUP).
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "scalptui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**os.environ, "TERM": term},
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    written = bytearray()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if master < 0:  # hung up: only the process's end is awaited
                if proc.poll() is not None:
                    break
                time.sleep(0.1)
                continue
            ready, _, _ = select.select([master], [], [], 0.2)
            chunk = b""
            if ready:
                with contextlib.suppress(OSError):  # EIO once the child has gone
                    chunk = os.read(master, 65536)
                written += chunk
            if signal_on is not None and signal_on[0] in written:
                if hang_up:
                    os.close(master)
                    master = -1
                proc.send_signal(signal_on[1])
                signal_on = None
            if not chunk and proc.poll() is not None:
                break
    finally:
        if proc.poll() is None:
            proc.kill()
        if master >= 0:
            os.close(master)
    return proc.wait(), written.decode("utf-8", "replace")


LEAVE_ALT_SCREEN = "\x1b[?1049l"


def test_tui_replay_of_a_missing_file_fails_before_taking_the_terminal(tmp_path: Path) -> None:
    proc = run_cli("--replay", str(tmp_path / "nonexistent.jsonl"))
    assert_one_line_error(proc, "recording not found")
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("content", "needle"),
    [("", "is not a readable recording"), (None, "holds no events")],
    ids=["empty-file", "header-only"],
)
def test_tui_replay_of_an_empty_recording_fails_before_taking_the_terminal(
    tmp_path: Path, content: str | None, needle: str
) -> None:
    from scalptui.feed.recording import Recorder
    from scalptui.models import Source

    path = tmp_path / "empty.jsonl"
    if content is None:
        Recorder(
            path, exchange="binanceusdm", symbols=("BTC/USDT:USDT",), source=Source.LIVE
        ).close()
    else:
        path.write_text(content)
    assert_one_line_error(run_cli("--replay", str(path), "--speed", "0"), needle)


def test_tui_on_an_unreachable_exchange_restores_the_terminal_then_exits_2() -> None:
    status, written = run_tui_in_a_terminal("--base-url", "http://127.0.0.1:9")
    assert status == 2, written[-500:]
    assert LEAVE_ALT_SCREEN in written  # the app did take the screen, and gave it back
    after = written.rsplit(LEAVE_ALT_SCREEN, 1)[1]
    text = re.sub(r"\x1b\[[0-9;?<>]*[a-zA-Z]", "", after)  # the terminal-reset sequences
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("scalptui: error: binanceusdm: markets unreachable")
    assert "Traceback" not in written


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_tui_stopped_by_kill_restores_the_terminal_and_exits_0(sig: int) -> None:
    """``kill`` from another window (or a hang-up) killed the process with the terminal
    left on the alternate screen, mouse reporting on and the cursor hidden."""
    status, written = run_tui_in_a_terminal("--demo", signal_on=(b"clusters", sig))
    assert status == 0, written[-500:]
    assert LEAVE_ALT_SCREEN in written
    assert "Traceback" not in written


@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGTERM])
def test_tui_whose_terminal_is_gone_saves_and_ends_at_once(sig: int) -> None:
    """Its tmux session killed, the TUI's graceful quit waited for ever on writes to the
    dead terminal: the process lived on with no screen and ignored ``kill``."""
    state = Path(os.environ["XDG_DATA_HOME"]) / "scalptui" / "state-simulated.json"
    started = time.monotonic()
    status, _ = run_tui_in_a_terminal(
        "--demo", signal_on=(b"clusters", sig), hang_up=True, timeout=40
    )
    assert status == 0
    assert time.monotonic() - started < 35  # ended, not killed by the timeout
    assert state.exists()


@pytest.mark.parametrize(
    ("how", "needle"),
    [
        ("pipes", "the monitor needs a terminal, and its stdin is not one"),
        ("dumb", "TERM=dumb: the monitor needs a terminal that can draw"),
    ],
)
def test_tui_without_a_terminal_it_can_draw_on_is_one_line(how: str, needle: str) -> None:
    """On an empty stdin the app spun at half a core; under nohup it filled nohup.out
    with escape codes, then a traceback; TERM=dumb got 24-bit colour."""
    if how == "pipes":
        proc = run_cli("--demo")
        assert_one_line_error(proc, needle)
        assert "scalptui alerts" in proc.stderr and proc.stdout == ""
        return
    status, written = run_tui_in_a_terminal("--demo", term="dumb", timeout=30)
    assert status == 2
    assert written.strip().startswith(f"scalptui: error: {needle}"), written[:300]
    assert "\x1b[?1049h" not in written  # never took the screen


def test_unknown_theme_names_the_themes_there_are() -> None:
    proc = run_cli("--theme", "nosuch", "--demo")
    assert_one_line_error(proc, "--theme: unknown theme 'nosuch'; themes: ")
    assert "scalptui-dark" in proc.stderr and "scalptui-light" in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize("command", ["alerts", "record"])
def test_a_theme_for_a_headless_run_is_refused_not_ignored(command: str) -> None:
    args = ("out.jsonl",) if command == "record" else ()
    proc = run_cli("--theme", "scalptui-light", command, "--demo", *args)
    assert_one_line_error(proc, f"--theme applies to the TUI only, not to {command}")


@pytest.mark.parametrize("command", ["alerts", "record"])
def test_a_headless_command_does_not_offer_a_theme(command: str) -> None:
    assert "--theme" not in run_cli(command, "--help").stdout
    args = ("out.jsonl",) if command == "record" else ()
    proc = run_cli(command, "--demo", "--theme", "scalptui-light", *args)
    assert_one_line_error(proc, "--theme")


@pytest.mark.parametrize(
    ("option", "says"),
    [
        (("--demo-scenario", "cascade"), "--demo-scenario does not apply to sim (sim --scenario"),
        (("--exchange", "okx"), "--exchange does not apply to sim"),
        (("--demo",), "--demo does not apply to sim"),
        (("--speed", "3"), "--speed does not apply to sim"),
    ],
)
def test_a_monitor_option_before_sim_is_refused_not_ignored(
    option: tuple[str, ...], says: str
) -> None:
    """``scalptui --demo-scenario cascade sim`` served the auto market without a word."""
    assert_one_line_error(run_cli(*option, "sim", "--port", "0"), says)


def test_a_seed_or_symbols_before_sim_are_the_sims() -> None:
    parser = build_parser()
    assert parser.parse_args(["--seed", "5", "sim"]).seed == 5  # it served seed 0
    assert parser.parse_args(["sim", "--seed", "3"]).seed == 3
    assert parser.parse_args(["--symbols", "ETH", "sim"]).symbols == "ETH"


def test_a_mistake_on_the_command_line_is_not_blamed_on_the_config_file(tmp_path: Path) -> None:
    """The file is fine; ``--exchange foo`` is the mistake. A theme the file names is
    the file's mistake, and says so with its key."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[feed]\nsymbols = ["BTC"]\n')
    proc = run_cli("alerts", "--demo", "--config", str(cfg), "--exchange", "foo")
    assert_one_line_error(proc, "command line: feed.exchange must be one of")
    assert str(cfg) not in proc.stderr
    cfg.write_text('[ui]\ntheme = "nosuch"\n')
    proc = run_cli("alerts", "--demo", "--config", str(cfg))
    assert_one_line_error(proc, f"{cfg}: ui.theme: unknown theme 'nosuch'")


def user_themes_dir() -> Path:
    """The test's own config dir's ``themes/`` (conftest points XDG_CONFIG_HOME at it)."""
    themes = Path(os.environ["XDG_CONFIG_HOME"]) / "scalptui" / "themes"
    themes.mkdir(parents=True)
    return themes


def test_a_user_theme_is_listed_and_accepted(tmp_path: Path) -> None:
    themes = user_themes_dir()
    builtin = (Path(__file__).resolve().parents[1] / "themes" / "scalptui-dark.toml").read_text()
    (themes / "mine.toml").write_text(builtin.replace('"scalptui-dark"', '"my-night"'))
    assert "my-night" in run_cli("--theme", "nope", "--demo").stderr
    args = build_parser().parse_args(["--theme", "my-night", "--demo"])
    assert settings_from_args(args).ui.theme == "my-night"


def test_a_broken_theme_file_is_refused_by_name_and_not_offered(tmp_path: Path) -> None:
    """A theme file whose colours do not parse started the TUI on the default theme
    without a word, and unknown-theme errors listed it among the themes there are."""
    themes = user_themes_dir()
    builtin = (Path(__file__).resolve().parents[1] / "themes" / "scalptui-dark.toml").read_text()
    broken = builtin.replace('"scalptui-dark"', '"mygood"')
    broken = re.sub(r'(?m)^primary = ".*"$', 'primary = "notacolor"', broken, count=1)
    assert broken.count("notacolor") == 1
    (themes / "mygood.toml").write_text(broken)
    proc = run_cli("--theme", "mygood", "--demo")
    assert_one_line_error(proc, "--theme: theme 'mygood': ")
    assert "mygood.toml" in proc.stderr and "notacolor" in proc.stderr
    assert "themes: scalptui-" in proc.stderr
    proc = run_cli("--theme", "nosuch", "--demo")
    assert_one_line_error(proc, "--theme: unknown theme 'nosuch'; themes: ")
    assert "mygood" not in proc.stderr.split("; themes: ", 1)[1].split(" (own themes", 1)[0]


def test_a_theme_file_that_is_not_toml_is_named_and_stops_no_headless_run(tmp_path: Path) -> None:
    """The TUI said "unknown theme" for it, and a headless run, which draws nothing,
    was refused over it (while a bad colour let it run)."""
    themes = user_themes_dir()
    (themes / "broken.toml").write_text("this is not toml\n")
    proc = run_cli("--theme", "broken", "--demo")
    assert_one_line_error(proc, "--theme: theme 'broken': ")
    assert "broken.toml" in proc.stderr
    cfg = tmp_path / "config.toml"
    cfg.write_text('[ui]\ntheme = "broken"\n')
    args = build_parser().parse_args(["alerts", "--demo", "--config", str(cfg)])
    assert settings_from_args(args).ui.theme == "broken"


def test_a_theme_file_giving_its_theme_another_name_is_named_for_its_stem() -> None:
    """shadow.toml with name = "scalptui-dark": --theme shadow said "unknown theme"."""
    themes = user_themes_dir()
    (themes / "shadow.toml").write_text('name = "scalptui-dark"\n[colors]\nprimary = "red"\n')
    proc = run_cli("--theme", "shadow", "--demo")
    assert_one_line_error(proc, "--theme: no theme is named 'shadow': ")
    assert "shadow.toml gives its theme another name" in proc.stderr


def test_record_to_a_dash_is_refused_and_writes_no_file_named_dash(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", "record", "-", "--demo", "--duration", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    assert_one_line_error(proc, "record writes a file, not standard output")
    assert list(tmp_path.iterdir()) == []


def test_theme_names_read_without_textual_match_the_themes_the_app_loads() -> None:
    from scalptui.runtime import theme_names
    from scalptui.ui.themes import load_themes

    assert set(theme_names(None)) == set(load_themes(None).names)


@pytest.mark.parametrize("mode", [(), ("alerts",)], ids=["tui", "headless"])
@pytest.mark.parametrize("typed", ["PEPEUSDT", "pepe/usdt"])
def test_a_symbol_the_demo_does_not_list_is_exit_2_with_a_suggestion(
    mode: tuple[str, ...], typed: str
) -> None:
    proc = run_cli("--demo", "--symbols", typed, *mode)
    assert_one_line_error(proc, "did you mean 1000PEPE/USDT:USDT?")
    assert "unknown symbol" in proc.stderr and proc.stdout == ""


def test_sim_refuses_an_empty_symbol_list() -> None:
    assert_one_line_error(run_cli("sim", "--symbols", ""), "--symbols needs at least one symbol")


def test_sim_refuses_a_symbol_it_does_not_list() -> None:
    assert_one_line_error(run_cli("sim", "--symbols", "PEPE"), "did you mean 1000PEPE/USDT:USDT?")


def test_the_text_snapshot_line_shows_prices_to_the_market_tick() -> None:
    snap = empty_snapshot("XRP/USDT:USDT", "binanceusdm", Source.LIVE)
    line = format_snapshot_text(dataclasses.replace(snap, last=2.3124, mark=2.3125))
    assert "last 2.312 " in line  # no tick known: by magnitude
    ticked = dataclasses.replace(snap, last=2.3124, mark=2.3125, tick_size=0.0001)
    assert "last 2.3124 · mark 2.3125" in format_snapshot_text(ticked)


def test_the_first_module_finds_the_command_word_as_the_parser_does() -> None:
    import argparse

    from scalptui.cli import build_parser
    from scalptui.entry import VALUED_OPTIONS, subcommand

    parser = build_parser()
    valued = {
        option
        for action in parser._actions
        if action.nargs != 0 and not isinstance(action, argparse._SubParsersAction)
        for option in action.option_strings
        if option.startswith("--")
    }
    assert valued == VALUED_OPTIONS
    # ``--theme sim`` names a theme; it is no headless run.
    assert subcommand(["--theme", "sim", "--demo"]) is None
    assert subcommand(["--theme=sim"]) is None
    assert subcommand(["--exchange", "bybit", "alerts", "--json"]) == "alerts"
    assert subcommand(["--demo", "sim", "--port", "1"]) == "sim"
    for args in (["--theme", "sim"], ["--exchange", "okx", "record", "x.jsonl"], ["--demo"]):
        assert subcommand(args) == parser.parse_known_args(args)[0].command


def test_record_refuses_to_replace_a_recording_unless_told(tmp_path: Path) -> None:
    kept = tmp_path / "monday.jsonl"
    kept.write_text('{"format": "scalptui-recording"}\n' * 100)
    before = kept.read_bytes()
    proc = run_cli("record", str(kept), "--demo", "--duration", "1")
    assert_one_line_error(proc, f"holds {len(before):,} bytes already")
    assert "--overwrite" in proc.stderr
    assert kept.read_bytes() == before


def test_a_disk_that_fills_while_recording_is_an_error_counting_what_reached_it(
    tmp_path: Path,
) -> None:
    """A file-size limit stands in for a full disk: the run ended "recorded 109 events",
    exit 0, with 94 on disk, when the last flush failed; mid-run it overstated them."""
    from scalptui.feed.recording import BadLine, iter_recording

    path = tmp_path / "run.jsonl"

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (225_000, 225_000))

    proc = subprocess.run(
        [sys.executable, "-m", "scalptui", "record", str(path), "--demo", "--duration", "4"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        preexec_fn=small_disk,
    )
    assert proc.returncode == 1, proc.stderr
    last = proc.stderr.strip().splitlines()[-1]
    assert "File too large" in last and "Traceback" not in proc.stderr
    found = re.search(r"at least (\d+) events", last)
    assert found is not None, last
    on_disk = [i for i in iter_recording(path) if not isinstance(i, BadLine)]
    assert 0 < int(found.group(1)) <= len(on_disk)


def test_a_record_that_cannot_start_leaves_an_existing_file_as_it_was(tmp_path: Path) -> None:
    """A failed start used to truncate the file at once and then delete it: a day's
    recording lost to a mistyped URL."""
    kept = tmp_path / "monday.jsonl"
    kept.write_text("a day of events\n")
    proc = run_cli(
        "record", str(kept), "--overwrite", "--symbols", "NOPE", "--demo", "--duration", "5"
    )
    assert_one_line_error(proc, "NOPE")
    assert kept.read_text() == "a day of events\n"


def test_an_unreachable_live_exchange_points_to_the_demo() -> None:
    from scalptui.cli import _with_demo_hint
    from scalptui.config import FeedSettings, Settings

    said = "binanceusdm: markets unreachable after 4 attempts"
    live = Settings()
    plain = argparse.Namespace(replay=None, symbols=None)
    assert _with_demo_hint(said, live, plain).endswith(
        "scalptui --demo runs on the built-in simulator)"
    )
    local = dataclasses.replace(live, feed=FeedSettings(base_url="http://127.0.0.1:9"))
    for settings, replay in (
        (local, None),
        (live, Path("r.jsonl")),
        (dataclasses.replace(live, demo=True), None),
    ):
        assert _with_demo_hint(said, settings, argparse.Namespace(replay=replay)) == said
    assert _with_demo_hint("unknown symbol 'FOO'", live, plain) == "unknown symbol 'FOO'"


@pytest.mark.parametrize("mode", [(), ("alerts",)], ids=["tui", "headless"])
def test_an_unknown_symbol_the_config_file_named_says_it_is_there(
    tmp_path: Path, mode: tuple[str, ...]
) -> None:
    """It named the venue alone, and the trader looked for it on the command line."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('[feed]\nsymbols = ["BTC", "XYZ"]\n')
    proc = run_cli(*mode, "--demo", "--config", str(cfg))
    assert_one_line_error(proc, "unknown symbol 'XYZ/USDT:USDT'")
    assert proc.stderr.rstrip().endswith(f"[{cfg}: feed.symbols]")
    typed = run_cli(*mode, "--demo", "--config", str(cfg), "--symbols", "BTC,XYZ")
    assert_one_line_error(typed, "unknown symbol 'XYZ/USDT:USDT'")
    assert "feed.symbols" not in typed.stderr


def test_sim_says_when_a_scenario_s_shock_lands() -> None:
    """At ``--time-scale 10`` the cascade came 6-10 s after start, before a client had
    finished connecting: a run against it saw nothing, and nothing said why."""
    args = ("sim", "--port", "0", "--scenario", "cascade", "--time-scale", "10")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scalptui", *args],
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    found = re.search(r"the cascade shock lands in (\d+) s \(connect before it\)$", line.strip())
    assert found is not None, line
    assert 5 <= int(found.group(1)) <= 10


def test_a_replay_of_a_pipe_is_refused_in_one_line(tmp_path: Path) -> None:
    """A pipe is read once: the header check took its first lines and the replay then
    failed mid-stream ("Expecting value: line 1 column 1")."""
    fifo = tmp_path / "recording.fifo"
    os.mkfifo(fifo)
    proc = run_cli("alerts", "--replay", str(fifo))
    assert_one_line_error(proc, "is not a regular file (a pipe is read only once)")


def test_a_venue_error_nobody_awaited_is_one_line_not_a_traceback() -> None:
    """ccxt hands an OKX refusal to every waiting future, some its own that nobody awaits:
    asyncio logged each with a traceback on the headless run's stderr."""
    import ccxt

    from scalptui.cli import one_line_venue_error

    try:
        raise ccxt.BadRequest('okx {"code":"60018"}')
    except ccxt.BadRequest as exc:
        record = logging.LogRecord(
            "asyncio", logging.ERROR, __file__, 1, "Future exception was never retrieved\n"
            "future: <Future finished>", None, (type(exc), exc, exc.__traceback__),
        )  # fmt: skip
    assert one_line_venue_error(record)
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logging.Formatter("scalptui: %(levelname)s %(name)s: %(message)s"))
    line = handler.format(record)
    assert "\n" not in line and "Traceback" not in line
    assert line.startswith("scalptui: WARNING asyncio: a venue error no subscription was waiting")
    assert 'BadRequest: okx {"code":"60018"}' in line


def test_the_log_file_is_stamped_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    """The screen and the alerts read UTC; the log read the machine's local time."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        record = logging.LogRecord(
            "scalptui.feed", logging.WARNING, "", 0, "reconnecting", (), None
        )
        record.created, record.msecs = 1_796_144_678.25, 250.0
        line = log_formatter().format(record)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert line == "2026-12-01T17:04:38.250Z WARNING scalptui.feed: reconnecting"


@pytest.mark.parametrize("interval", ["10s", "1.5h", "hourly", "0m"])
def test_a_rotation_interval_that_cannot_be_read_is_one_line(tmp_path: Path, interval: str) -> None:
    proc = run_cli("record", str(tmp_path / "rec.jsonl"), "--demo", "--rotate", interval)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert line.startswith("scalptui record: error: argument --rotate:") and interval in line
    assert list(tmp_path.iterdir()) == []


def test_a_rotating_record_writes_its_first_file_by_its_start_and_says_so(
    tmp_path: Path,
) -> None:
    proc = run_cli(
        "record", str(tmp_path / "rec.jsonl.gz"), "--demo", "--rotate", "1h", "--duration", "3"
    )
    assert proc.returncode == 0, proc.stderr
    (written,) = tmp_path.iterdir()
    assert re.fullmatch(r"rec\.\d{8}T\d{6}Z\.jsonl\.gz", written.name)
    assert f"events to {written}" in proc.stderr.splitlines()[-1]
    assert read_header(written).source == "simulated"
