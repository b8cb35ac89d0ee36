"""Command line: ``scalptui`` (the TUI), ``alerts``, ``record`` and ``sim``.

Whatever makes a run impossible (a bad config, an unknown exchange or symbol,
an unreachable endpoint, an unwritable recording path) is one line on stderr
and exit status 2. SIGINT and SIGTERM end every mode with status 0. Heavy
modules (textual, ccxt) are imported only by the mode that needs them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import difflib
import io
import logging
import math
import os
import signal
import sys
import time
import typing
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from scalptui import __version__
from scalptui.config import (
    DEFAULT_SYMBOLS,
    SUPPORTED_EXCHANGES,
    ConfigError,
    FeedSettings,
    Settings,
    discover_config_path,
    load_settings,
    unified_symbols,
    validate,
)
from scalptui.numfmt import encodable, writes_utf8
from scalptui.runtime import RunOptions, check_theme, user_config_dir

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2


def _common_options(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """Options every mode takes, before or after the subcommand (``--theme``: the TUI's
    only, so a subcommand's help does not offer it).

    On a subcommand their defaults are suppressed: argparse would otherwise let
    the subcommand's defaults overwrite what was given before it
    (``scalptui --demo alerts``).
    """
    d = _defaults(sub)
    group = parser.add_argument_group("market")
    group.add_argument(
        "--exchange",
        metavar="VENUE[,VENUE...]",
        help="ccxt id: binanceusdm (default), bybit or okx; several, comma-separated"
        " (binanceusdm,bybit,okx), watch one asset on each at once",
        **d(),
    )
    group.add_argument(
        "--symbols",
        help=(
            "comma-separated symbols to watch, e.g. BTC,ETHUSDT (a bare base means"
            " BASE/USDT:USDT); the monitor adds them to its saved watchlist"
            if not sub
            else "comma-separated symbols to watch, e.g. BTC,ETHUSDT (a bare base means"
            " BASE/USDT:USDT; default: the config's, else BTC,ETH,SOL)"
        ),
        **d(),
    )
    group.add_argument(
        "--base-url",
        metavar="[VENUE=]URL",
        action="append",
        help="send every REST request to URL and every WebSocket to ws(s):// + URL's host"
        " (testnets, proxies, the simulator); with several venues once per venue as"
        " VENUE=URL (repeatable)",
        **d(),
    )
    group.add_argument("--config", type=Path, metavar="FILE", help="settings file (TOML)", **d())
    group.add_argument(
        "--demo", action="store_true", help="run on the built-in simulated exchange", **d(False)
    )
    group.add_argument(
        "--demo-scenario",
        choices=("auto", "calm", "cascade", "squeeze"),
        help="what the simulated market does (default: auto)",
        **d(),
    )
    group.add_argument("--seed", type=int, help="seed of the simulated market", **d())
    if not sub:
        group.add_argument("--theme", help="theme name (built-in or from the config dir)", **d())


def _replay_options(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    d = _defaults(sub)
    parser.add_argument(
        "--replay", type=Path, metavar="FILE", help="play a recording instead", **d()
    )
    parser.add_argument(
        "--speed",
        type=_speed,
        help="replay speed in event time per wall time (0 = as fast as possible; default 1)",
        **d(),
    )


def _defaults(sub: bool) -> Callable[..., dict[str, Any]]:
    def default(value: Any = None) -> dict[str, Any]:
        return {"default": argparse.SUPPRESS if sub else value}

    return default


class _OneLineParser(argparse.ArgumentParser):
    """A usage mistake is one line and exit 2, like every other run that cannot start
    (argparse prints the whole usage block before it)."""

    _argv: tuple[str, ...] = ()

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self._argv = tuple(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)

    def error(self, message: str) -> typing.NoReturn:
        mistaken = "invalid choice" in message or "unrecognized arguments" in message
        unknown = self._mistyped_option() if mistaken else None
        if unknown is not None:
            # ``--exchnage bybit``: argparse took "bybit" for the command and blamed it
            message = unknown
        # ``alerts --bogus`` is caught by this parser, whose help lacks alerts' options
        helps = f"{self.prog} {command}" if mistaken and (command := self._command()) else self.prog
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {helps} --help)\n")

    def _command(self) -> str | None:
        """The subcommand named on the command line, if any."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                return next((t for t in self._argv if t in action.choices), None)
        return None

    def _mistyped_option(self) -> str | None:
        """ "unknown option --exchnage (did you mean --exchange?)" for the first option on
        the command line that no parser knows, if there is one."""
        known = set(self._option_string_actions)
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    known.update(sub._option_string_actions)
        for token in self._argv:
            if token == "--":
                break  # what follows is no option
            option = token.split("=", 1)[0]
            # argparse takes a prefix of one option (--exch for --exchange): not unknown
            if option.startswith("--") and not any(k.startswith(option) for k in known):
                close = difflib.get_close_matches(option, sorted(known), n=1, cutoff=0.8)
                hint = f" (did you mean {close[0]}?)" if close else ""
                return f"unknown option {option}{hint}"
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="scalptui",
        description="Terminal monitor for crypto perpetual futures: estimated liquidation "
        "clusters and informational cascade / squeeze alerts. Never a trade plan.",
    )
    parser.add_argument("--version", action="version", version=f"scalptui {__version__}")
    _common_options(parser)
    _replay_options(parser)
    sub = parser.add_subparsers(dest="command", metavar="{alerts,record,sim}")

    alerts = sub.add_parser("alerts", help="headless: alerts on stdout, one per line")
    _common_options(alerts, sub=True)
    _replay_options(alerts, sub=True)
    alerts.add_argument("--json", action="store_true", help="JSON records instead of text")
    alerts.add_argument(
        "--snapshots",
        type=_snapshot_every,
        metavar="SECONDS",
        help="also print a snapshot of every watched symbol each SECONDS of event time",
    )
    alerts.add_argument(
        "--duration", type=_positive_float, metavar="SECONDS", help="stop after SECONDS (wall)"
    )

    record = sub.add_parser("record", help="record normalised events to FILE (.gz: gzip)")
    record.add_argument("file", type=_recording_path, metavar="FILE")
    _common_options(record, sub=True)
    record.add_argument(
        "--duration", type=_positive_float, metavar="SECONDS", help="stop after SECONDS (wall)"
    )
    record.add_argument(
        "--overwrite",
        action="store_true",
        help="replace FILE if it holds something already (by default that is refused)",
    )
    record.add_argument(
        "--rotate",
        type=_rotate_interval,
        metavar="INTERVAL",
        help="a new file every INTERVAL of UTC time (30m, 1h, 1d), its start in its name "
        "(rec.jsonl.gz: rec.20261201T220000Z.jsonl.gz, ...); each replays on its own",
    )

    sim_help = (
        "serve the simulated exchange on its own (Binance USDⓈ-M, Bybit v5 and OKX v5"
        " wire formats on one port)"
    )
    sim = sub.add_parser("sim", help=sim_help, description=sim_help)
    sim.add_argument("--port", type=_port, default=8765, help="TCP port (0: any free port)")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    # no defaults of their own: a --seed or --symbols before "sim" is taken, not overwritten
    sim.add_argument(
        "--seed", type=int, default=argparse.SUPPRESS, help="seed of the simulated market"
    )
    sim.add_argument(
        "--symbols", default=argparse.SUPPRESS, help="comma-separated symbols to simulate"
    )
    sim.add_argument(
        "--scenario",
        default="auto",
        choices=("auto", "calm", "cascade", "squeeze"),
        help="auto: calm, crowding, cascades and squeezes, an event every 10-20 simulated "
        "minutes; cascade / squeeze: a crowd, then a shock one to two minutes in",
    )
    sim.add_argument(
        "--time-scale",
        type=_time_scale,
        default=1.0,
        help=f"simulated seconds per second ({MIN_TIME_SCALE:g} to {MAX_TIME_SCALE:g})",
    )
    return parser


def _recording_path(text: str) -> Path:
    """``record "$UNSET"`` read as the current directory ("recording path . is a
    directory"): an empty name is a mistake of its own."""
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a file name")
    if text.endswith(("/", os.sep)):  # Path drops the slash: "out/" made a file named out
        raise argparse.ArgumentTypeError(f"needs a file name, not a directory: {text!r}")
    return Path(text)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0 to 65535, got {value}")
    return value


MAX_TIME_SCALE = 1000.0
"""Beyond this a simulated second's work outgrows a real one on a small machine: the
simulator falls behind for good, its memory grows and it stops answering signals."""


MIN_TIME_SCALE = 0.01
"""Below it the simulated market hardly moves at all (1e-9 was taken: a second in 30 years)."""


def _time_scale(text: str) -> float:
    value = _number(text)  # 0 said "greater than 0", as if 0.001 would do
    if not MIN_TIME_SCALE <= value <= MAX_TIME_SCALE:
        raise argparse.ArgumentTypeError(
            f"must be {MIN_TIME_SCALE:g} to {MAX_TIME_SCALE:g}, got {text!r}"
        )
    return value


MIN_SPEED = 0.01
"""The slowest replay: a recording's hour in 100 hours (1e-9 never finished)."""


def _speed(text: str) -> float:
    value = _non_negative_float(text)
    if 0 < value < MIN_SPEED:
        raise argparse.ArgumentTypeError(
            f"must be 0 (as fast as possible) or at least {MIN_SPEED:g}, got {text!r}"
        )
    return value


MIN_SNAPSHOT_S = 1.0
"""Snapshots follow the detector's second: 0.0001 wrote 1,250 lines of 50 kB in 8 s."""


MAX_SNAPSHOT_S = 86_400.0
"""A snapshot a day at most (1e306 overflowed into a traceback once made milliseconds)."""


def _snapshot_every(text: str) -> float:
    value = _positive_float(text)
    if not MIN_SNAPSHOT_S <= value <= MAX_SNAPSHOT_S:
        raise argparse.ArgumentTypeError(
            f"must be {MIN_SNAPSHOT_S:g} to {MAX_SNAPSHOT_S:g} s, got {text!r}"
        )
    return value


def _rotate_interval(text: str) -> int:
    from scalptui.feed.rotation import parse_interval

    try:
        return parse_interval(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_float(text: str) -> float:
    value = _number(text)
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text!r}")
    return value


def _non_negative_float(text: str) -> float:
    value = _number(text)
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number ≥ 0, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def parse_symbols(text: str) -> tuple[str, ...]:
    """``BTC,ethusdt, SOL/USDT`` → ``("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")``
    (``config.unified_symbol`` says which forms are read)."""
    return unified_symbols(text.split(","))


def settings_from_args(args: argparse.Namespace) -> Settings:
    """Settings file (discovered) overridden by the command line; raises ConfigError."""
    settings = load_settings(discover_config_path(args.config))
    feed = settings.feed
    # "is not None": an empty value given (--symbols "$UNSET") is a mistake, not a default
    if args.exchange is not None:
        feed = with_exchanges(feed, parse_exchanges(args.exchange))
    if args.symbols is not None:
        feed = dataclasses.replace(feed, symbols=parse_symbols(args.symbols))
    if args.base_url:
        bare, per_venue = parse_base_urls(args.base_url)
        # the command line's per-venue URLs go over the file's: a venue it does not name
        # keeps the file's URL rather than silently going to the real host
        feed = dataclasses.replace(feed, base_url=bare, base_urls={**feed.base_urls, **per_venue})
    ui = settings.ui
    theme = getattr(args, "theme", None)
    if theme is not None:
        if not theme.strip():
            raise ConfigError("--theme needs a theme name")
        if args.command is not None:  # headless runs draw nothing: refused, not ignored
            raise ConfigError(f"--theme applies to the TUI only, not to {args.command}")
        ui = dataclasses.replace(ui, theme=theme)
    settings = dataclasses.replace(
        settings,
        feed=feed,
        ui=ui,
        demo=bool(args.demo),
        symbols_named=settings.symbols_named or args.symbols is not None,
        theme_named=theme is not None,
    )
    # The file alone passed ``load_settings``: what fails now came with the command line.
    validate(settings, "command line")
    if args.command is not None:  # the TUI checks its theme with the colours: _main_tui
        try:
            check_theme(settings.ui.theme, user_config_dir())
        except ConfigError as exc:
            where = "--theme" if theme is not None else f"{settings.config_path}: ui.theme"
            raise ConfigError(f"{where}: {exc}") from None
    if args.demo and getattr(args, "replay", None) is None:
        try:
            check_simulated_symbols(settings.feed.symbols, settings.feed.venues)
        except ConfigError as exc:
            raise ConfigError(_from_the_file(str(exc), settings, args)) from None
    return settings


def parse_exchanges(text: str) -> tuple[str, ...]:
    """``binanceusdm, Bybit`` → ``("binanceusdm", "bybit")``; whether each is supported
    (and named once) is checked by ``validate`` with the rest of the settings."""
    venues = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    if not venues:
        raise ConfigError(f"--exchange needs a venue: one of {', '.join(SUPPORTED_EXCHANGES)}")
    return venues


def with_exchanges(feed: FeedSettings, venues: tuple[str, ...]) -> FeedSettings:
    """The feed settings on ``venues`` (one venue stays a plain ``exchange``); the file's
    per-venue base URLs of venues no longer watched are dropped (``--exchange`` narrows a
    multi-venue file without the file being blamed for a URL it gave a venue it watched)."""
    urls = {venue: url for venue, url in feed.base_urls.items() if venue in venues}
    if len(venues) == 1:
        return dataclasses.replace(feed, exchange=venues[0], exchanges=(), base_urls=urls)
    return dataclasses.replace(feed, exchange=venues[0], exchanges=venues, base_urls=urls)


def parse_base_urls(values: Sequence[str]) -> tuple[str | None, dict[str, str]]:
    """``--base-url`` values → (the bare URL, {venue: URL}); ConfigError for two bare
    URLs or a venue given twice. Which venues are watched is checked by ``validate``."""
    bare: str | None = None
    per_venue: dict[str, str] = {}
    for value in values:
        venue, url = split_venue_url(value)
        if venue is None:
            if bare is not None:
                raise ConfigError(
                    f"--base-url {url!r}: a second bare URL; give VENUE=URL once per venue"
                )
            bare = url
        elif venue in per_venue:
            raise ConfigError(f"--base-url names {venue} twice; give VENUE=URL once per venue")
        else:
            per_venue[venue] = url
    return bare, per_venue


def split_venue_url(value: str) -> tuple[str | None, str]:
    """``bybit=http://h:1`` → ``("bybit", "http://h:1")``; a bare URL → ``(None, URL)``.

    Only a plain word before the first ``=`` is a venue, so a URL is never split.
    """
    head, sep, tail = value.partition("=")
    word = head.strip()
    if sep and word and word.replace("_", "").isalnum():
        return word.lower(), tail.strip()
    return None, value


def check_simulated_symbols(
    symbols: Sequence[str], venues: Sequence[str] = ("binanceusdm",)
) -> None:
    """ConfigError for a symbol the simulated exchange does not list, worded as the
    feed words it for a real venue, with the listed symbol that was probably meant."""
    from scalptui.feed.sim.specs import CATALOGUE
    from scalptui.feed.symbols import did_you_mean
    from scalptui.feed.venues import VENUES, with_article

    venue = venues[0] if venues else "binanceusdm"
    name = VENUES[venue].name if venue in VENUES else venue
    where = venue if len(venues) <= 1 else ",".join(venues)
    # several venues serve one simulated market: no one venue's kind of contract to name
    kind = f"simulated {name}" if len(venues) <= 1 else "simulated"
    for symbol in symbols:
        if symbol not in CATALOGUE:
            raise ConfigError(
                f"{where}: unknown symbol {symbol!r} (not {with_article(kind)} "
                f"perpetual){did_you_mean(symbol, CATALOGUE)}"
            )


def _run_options(args: argparse.Namespace, settings: Settings) -> RunOptions:
    replay = getattr(args, "replay", None)
    speed = getattr(args, "speed", None)
    return RunOptions(
        replay=replay,
        speed=1.0 if speed is None else speed,
        replay_symbols=settings.feed.symbols if replay and args.symbols is not None else None,
        demo_scenario=args.demo_scenario or "auto",
        demo_seed=args.seed,
    )


NOT_FOR_SIM = (
    "exchange",
    "base_url",
    "config",
    "demo",
    "demo_scenario",
    "theme",
    "replay",
    "speed",
)
"""Options of the monitor that ``sim`` has no use for, given before it."""
NOT_FOR_REPLAY = ("exchange", "base_url", "demo", "demo_scenario", "seed")
"""Options that choose a market: a replay plays the recording's own."""


def check_sim_options(args: argparse.Namespace) -> None:
    """ConfigError for a monitor's option given before ``sim``: it served its own
    market without a word (``scalptui --demo-scenario cascade sim`` served ``auto``)."""
    for name in NOT_FOR_SIM:
        if getattr(args, name, None) not in (None, False, []):
            option = "--" + name.replace("_", "-")
            hint = " (sim --scenario chooses what it does)" if name == "demo_scenario" else ""
            raise ConfigError(f"{option} does not apply to sim{hint}")


def check_replay_options(args: argparse.Namespace) -> None:
    """ConfigError for an option that would be silently ignored: ``--speed`` without
    ``--replay``, ``--demo-scenario`` or ``--seed`` without ``--demo``, or one that picks
    a market with ``--replay`` (``--symbols`` picks among the
    recording's symbols, so it stays)."""
    replay = getattr(args, "replay", None)
    if replay is None:
        if getattr(args, "speed", None) is not None:
            raise ConfigError("--speed applies to --replay only")
        if getattr(args, "demo", False) and getattr(args, "base_url", None):
            raise ConfigError("--base-url does not apply to --demo (it runs its own exchange)")
        if not getattr(args, "demo", False):
            for name in ("demo_scenario", "seed"):
                if getattr(args, name, None) is not None:
                    option = "--" + name.replace("_", "-")
                    raise ConfigError(f"{option} applies to --demo only (the simulated exchange)")
        return
    for name in NOT_FOR_REPLAY:
        if getattr(args, name, None) not in (None, False, []):
            option = "--" + name.replace("_", "-")
            raise ConfigError(
                f"{option} does not apply to --replay: a replay plays the recording's own "
                "venues and market (--symbols picks among its symbols)"
            )


def main(argv: Sequence[str] | None = None) -> int:
    _escape_what_the_locale_cannot_write()
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("alerts", "record", "sim"):
        _stop_quietly_until_running()
        _keep_running_without_stderr()
    try:
        if args.command == "sim":
            check_sim_options(args)
            return _main_sim(args)
        check_replay_options(args)
        settings = settings_from_args(args)
        if args.command == "alerts":
            return _main_alerts(args, settings)
        if args.command == "record":
            return _main_record(args, settings)
        return _main_tui(args, settings)
    except ConfigError as exc:
        return _fail(str(exc))


def _escape_what_the_locale_cannot_write() -> None:
    """Under a Latin-1 or ASCII locale ``--help`` (``USDⓈ-M``) and any error line naming
    a sign the locale lacks died with a traceback: such characters are escaped instead.
    Alerts and status lines fall back to ASCII signs before that (``headless``)."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and not writes_utf8(stream.encoding):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


class _Diagnostics(io.TextIOBase):
    """stderr for a headless run: once it cannot be written (its reader went away, its
    disk is full) what follows is dropped, and the run goes on. ``alerts 2>&1 >out |
    head -1`` ended the run with status 0 when ``head`` exited, the alerts' own stdout
    fine all along."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream: TextIO | None = stream

    def write(self, text: str) -> int:
        stream = self._stream
        if stream is not None:
            try:
                stream.write(encodable(text, stream.encoding or "utf-8"))
            except OSError:
                self._stream = None
        return len(text)

    def flush(self) -> None:
        stream = self._stream
        if stream is not None:
            try:
                stream.flush()
            except OSError:
                self._stream = None

    def isatty(self) -> bool:
        stream = self._stream
        return stream is not None and stream.isatty()


def _keep_running_without_stderr() -> None:
    if sys.stderr is not None and not isinstance(sys.stderr, _Diagnostics):
        sys.stderr = _Diagnostics(sys.stderr)


def _stop_quietly_until_running() -> None:
    """SIGINT / SIGTERM during start-up (imports, config) end the run with status 0.

    Nothing is open yet, so there is nothing to close; once the event loop runs,
    ``headless.stop_on_signals`` takes the signals over and closes what it opened.
    Without this, a SIGTERM in the first second of a slow start killed the process
    (status −15) and a SIGINT printed a KeyboardInterrupt traceback.
    """

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(EXIT_OK)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


def _fail(message: str, status: int = EXIT_USAGE) -> int:
    from scalptui.feed.rest import without_credentials

    print(f"scalptui: error: {without_credentials(message)}", file=sys.stderr)
    return status


def _setup_stderr_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING, format="scalptui: %(levelname)s %(name)s: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        # a stream's state is printed as its own status line already: not twice
        handler.addFilter(lambda record: not getattr(record, "feed_status", False))
        handler.addFilter(one_line_venue_error)


def one_line_venue_error(record: logging.LogRecord) -> bool:
    """asyncio's "Future exception was never retrieved" for a venue's error that ccxt
    handed to every waiting future (OKX's refusals carry no request id), some of them
    ccxt's own that nobody awaits: one warning line, not a traceback on stderr."""
    exc = record.exc_info[1] if record.exc_info else None
    if record.name == "asyncio" and exc is not None and type(exc).__module__.startswith("ccxt"):
        record.msg = "a venue error no subscription was waiting for: %s: %s"
        record.args = (type(exc).__name__, str(exc)[:200])
        record.exc_info = None
        record.exc_text = None
        record.levelno, record.levelname = logging.WARNING, "WARNING"
    return True


def _main_alerts(args: argparse.Namespace, settings: Settings) -> int:
    from scalptui.feed.base import FeedError
    from scalptui.feed.recording import RecordingError
    from scalptui.headless import OutputError, run_alerts
    from scalptui.runtime import feed_opener

    _setup_stderr_logging()
    if sys.stdout is None:  # started with stdout closed (``>&-``)
        return _fail("stdout is closed: there is nowhere to print the alerts")
    run = run_alerts(
        feed_opener(settings, _run_options(args, settings)),
        settings.detector,
        as_json=args.json,
        snapshot_every_s=args.snapshots,
        duration_s=args.duration,
    )
    try:
        return _run_async(run)
    except (FeedError, RecordingError) as exc:
        return _fail(_with_demo_hint(str(exc), settings, args))
    except BrokenPipeError:
        return _reader_gone()
    except OutputError as exc:  # a full disk or a dead terminal under stdout
        _silence_stdout()
        return _fail(f"cannot write to stdout ({exc}); stopped", EXIT_RUNTIME)


def _reader_gone() -> int:
    """stdout's reader went away (``scalptui alerts | head -1``): the run ends quietly,
    as ``grep`` or ``cat`` would; the feed was closed on the way out."""
    _silence_stdout()
    return EXIT_OK


def _silence_stdout() -> None:
    """Python flushes stdout again at exit; point it at /dev/null so that flush cannot fail
    (and print a second error) once writing to it has."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _main_record(args: argparse.Namespace, settings: Settings) -> int:
    from scalptui.feed.base import FeedError
    from scalptui.feed.recording import Recorder, RecordingError
    from scalptui.feed.rotation import RotatingRecorder
    from scalptui.headless import run_record
    from scalptui.runtime import feed_opener

    _setup_stderr_logging()
    if args.replay is not None:
        raise ConfigError("record takes a live or --demo feed, not --replay")
    path: Path = args.file
    if str(path) == "-":  # it wrote a file named "-" where a Unix user expected stdout
        raise ConfigError(
            "record writes a file, not standard output: name one (rec.jsonl, rec.jsonl.gz)"
        )
    try:
        if path.is_dir():
            raise ConfigError(f"recording path {path} is a directory")
        folder = path.parent
        if not folder.is_dir():  # the OS said only "No such file or directory"
            what = "is not a folder" if folder.exists() else "does not exist"
            raise ConfigError(f"cannot write recording {path}: the folder {folder} {what}")
        held = path.stat().st_size if path.is_file() else 0
    except OSError as exc:  # a name too long, a loop of links
        raise ConfigError(f"cannot write recording {path}: {exc.strerror or exc}") from None
    if not args.overwrite and held > 0 and args.rotate is None:
        raise ConfigError(
            f"recording path {path} holds {held:,} bytes already: "
            "choose another name, or pass --overwrite to replace it"
        )
    try:
        # before connecting anywhere: an unwritable path fails fast
        recorder: Recorder | RotatingRecorder = (
            Recorder(path)
            if args.rotate is None
            else RotatingRecorder(path, args.rotate, overwrite=args.overwrite)
        )
    except RecordingError as exc:
        return _fail(str(exc))
    opener = feed_opener(settings, _run_options(args, settings))
    try:
        return _run_async(run_record(opener, recorder, duration_s=args.duration))
    except FeedError as exc:
        return _fail(_with_demo_hint(str(exc), settings, args))
    except RecordingError as exc:
        if recorder.events_written == 0:  # not even the header: an unwritable path
            return _fail(str(exc))
        # The disk filled up while recording: what is on disk replays up to its last line,
        # at least the events of the last flush that went through (later ones may be
        # partly there; the count of those written, buffers included, overstated it).
        kept = recorder.events_flushed
        if kept == 0:
            kept_words = f"{recorder.events_written} events written before it, not all on disk"
        else:
            kept_words = f"at least {kept} events recorded before it"
        return _fail(f"{exc} ({kept_words})", EXIT_RUNTIME)


def _main_sim(args: argparse.Namespace) -> int:
    from scalptui.feed.sim import SimExchange
    from scalptui.headless import stop_on_signals

    _setup_stderr_logging()
    if not args.host.strip():  # --host "$UNSET": it bound every interface, to the world
        raise ConfigError("--host needs an address (0.0.0.0 to serve every interface)")
    symbols = parse_symbols(args.symbols) if args.symbols is not None else DEFAULT_SYMBOLS
    if not symbols:  # --symbols "$UNSET": a mistake, as on the other commands
        raise ConfigError("--symbols needs at least one symbol")
    check_simulated_symbols(symbols)

    async def go() -> int:
        async with stop_on_signals() as stop:
            try:
                seed = 0 if args.seed is None else args.seed
                sim = SimExchange(
                    symbols, seed=seed, time_scale=args.time_scale, scenario=args.scenario
                )
                url = await sim.start(host=args.host, port=args.port)
            except (OSError, ValueError) as exc:
                reason = getattr(exc, "strerror", None) or exc
                return _fail(
                    f"cannot serve the simulated exchange on {args.host}:{args.port}: {reason}"
                )
            print(f"scalptui sim: serving on {url}{_shock_note(sim)}", file=sys.stderr, flush=True)
            try:
                await stop.wait()
            finally:
                await sim.stop()
        return EXIT_OK

    return _run_async(go())


def _shock_note(sim: Any) -> str:
    """When a cascade or squeeze scenario's first shock lands, in wall seconds: at
    ``--time-scale 10`` it came 6-10 s after start, before a client had connected."""
    if sim.model.scenario not in ("cascade", "squeeze"):
        return ""
    now = sim.model.now_ms
    pending = [m.shock_at for m in sim.model.markets.values() if m.shock_at is not None]
    if not pending:
        return ""
    wall_s = max(0.0, (min(pending) - now) / 1000.0 / sim.time_scale)
    return f"; the {sim.model.scenario} shock lands in {wall_s:.0f} s (connect before it)"


def _check_theme_usable(settings: Settings) -> None:
    """ConfigError if the theme asked for is a file the TUI cannot use: it started on the
    default without a word of why. Only the TUI reads the colours (headless runs do not
    import textual), so the themes it can use are listed here, not in ``check_theme``."""
    from scalptui.runtime import theme_files
    from scalptui.ui.themes import ThemeFileError, load_themes, parse_theme_file

    name = settings.ui.theme
    config_dir = user_config_dir()
    usable = load_themes(config_dir).names
    if name in usable:
        return
    where = "--theme" if settings.theme_named else f"{settings.config_path}: ui.theme"
    path = theme_files(config_dir).get(name)
    named_so = config_dir / "themes" / f"{name}.toml"
    if path is None and named_so.is_file():  # --theme shadow for shadow.toml's "name = …"
        raise ConfigError(
            f"{where}: no theme is named {name!r}: {named_so} gives its theme another name "
            f"(its name = …); themes: {', '.join(usable)}"
        )
    if path is None:
        own = f" (own themes: {config_dir / 'themes'}/*.toml)"
        raise ConfigError(f"{where}: unknown theme {name!r}; themes: {', '.join(usable)}{own}")
    try:
        parse_theme_file(path)
        reason = "it cannot be used"
    except ThemeFileError as exc:
        reason = str(exc)
    raise ConfigError(f"{where}: theme {name!r}: {reason}; themes: {', '.join(usable)}")


def _main_tui(args: argparse.Namespace, settings: Settings) -> int:
    """The TUI. What can be checked before it takes the terminal is checked first;
    a feed that cannot open makes the app exit 2, and its reason is printed here,
    after the terminal is restored."""
    from scalptui.feed.recording import RecordingError, RecordingHeader, held_symbols
    from scalptui.runtime import check_replayable, feed_opener

    options = _run_options(args, settings)
    _check_theme_usable(settings)
    replay_symbols: tuple[str, ...] | None = None
    header: RecordingHeader | None = None
    if options.replay is not None:
        try:
            header = check_replayable(options.replay)
            # The watchlist of a replay is the recording's (or those --symbols picks of it).
            replay_symbols = held_symbols(
                header, options.replay, options.replay_symbols or header.symbols
            )
        except RecordingError as exc:
            return _fail(str(exc))

    unusable = terminal_unusable(os.environ.get("TERM", ""))
    if unusable is not None:
        return _fail(unusable)
    from scalptui.ui.app import make_app

    _setup_file_logging()
    start_on = settings.feed.symbols[0] if args.symbols is not None else None
    app = make_app(
        settings,
        feed_opener(settings, options),
        start_on=start_on,
        replay_symbols=replay_symbols,
        replay_of=header,
    )
    app.run()
    if app.startup_error is not None:
        message = _with_demo_hint(app.startup_error, settings, args)
        return _fail(message, int(app.return_code or EXIT_USAGE))
    return int(app.return_code or 0)


def terminal_unusable(term: str) -> str | None:
    """Why the TUI cannot draw where it was started, or None. Textual reads keys from
    stdin, takes the size from stdout and draws on stderr: without a terminal on all
    three it spun on an empty stdin, drew at 80×24, or filled a redirected file with
    escape codes (under ``nohup``, then a traceback)."""
    for name, stream in (("stdin", sys.__stdin__), ("stdout", sys.__stdout__)):
        if not _is_terminal(stream):
            return f"the monitor needs a terminal, and its {name} is not one{_HEADLESS_HINT}"
    if not _is_terminal(sys.__stderr__):
        return f"the monitor draws on stderr, which is not a terminal{_HEADLESS_HINT}"
    if term == "dumb":
        return f"TERM=dumb: the monitor needs a terminal that can draw{_HEADLESS_HINT}"
    encoding = getattr(sys.__stderr__, "encoding", None) or "unknown"
    if not writes_utf8(encoding):
        return f"the monitor draws in UTF-8 and its output's encoding is {encoding} ({_fix()})"
    return None


def _fix() -> str:
    """How to get UTF-8 output, by what set the encoding (PYTHONIOENCODING outranks the
    locale, LC_ALL outranks LC_CTYPE outranks LANG)."""
    if os.environ.get("PYTHONIOENCODING"):
        return "PYTHONIOENCODING is set: unset it, or set it to utf-8"
    for name in ("LC_ALL", "LC_CTYPE"):
        if os.environ.get(name):
            return f"{name} is {os.environ[name]}: start it with {name}=C.UTF-8"
    return "start it with LANG=C.UTF-8, or another UTF-8 locale"


_HEADLESS_HINT = " (without one: scalptui alerts, or scalptui record FILE)"


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (ValueError, OSError):  # closed
        return False


def _with_demo_hint(message: str, settings: Settings, args: argparse.Namespace) -> str:
    """A live exchange that cannot be reached says where the monitor runs without one (a
    first run on a machine without the venue's network ended on the error alone); an
    unknown symbol the config file named says so (``_from_the_file``)."""
    replay = getattr(args, "replay", None)
    live = not settings.demo and replay is None and not settings.feed.base_url
    live = live and not settings.feed.base_urls
    if live and "unreachable" in message:
        return f"{message} (no network to it? scalptui --demo runs on the built-in simulator)"
    return _from_the_file(message, settings, args)


def _from_the_file(message: str, settings: Settings, args: argparse.Namespace) -> str:
    """An unknown symbol the config file named, not the command line, says where it is
    (the line named the venue alone, and the trader looked for it on the command line)."""
    named_in_file = settings.config_path is not None and getattr(args, "symbols", None) is None
    if named_in_file and settings.symbols_named and "unknown symbol" in message:
        return f"{message} [{settings.config_path}: feed.symbols]"
    return message


def log_formatter() -> logging.Formatter:
    """Log lines stamped in UTC, as the screen and the alerts are (``2026-12-01T17:04:38.250Z``):
    in the local time of a VPS set to another zone, the log could not be laid beside them."""
    formatter = logging.Formatter(
        "%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s: %(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    return formatter


def _setup_file_logging() -> None:
    """The TUI owns the terminal: diagnostics go to a capped log file instead."""
    from logging.handlers import RotatingFileHandler

    import platformdirs

    log_dir = Path(platformdirs.user_log_dir("scalptui"))
    try:
        log_dir.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            log_dir / "scalptui.log", maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(log_formatter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _run_async(coro: object) -> int:
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
