"""Choosing and opening the feed a mode runs on: live, the built-in simulator, or a replay.

Every heavy import happens inside the opener: replay never imports ccxt, and
the TUI calls the opener from its feed worker, after the first frame is painted.
"""

from __future__ import annotations

import dataclasses
import time
import tomllib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scalptui.config import ConfigError, Settings
from scalptui.feed.base import Feed, Shedding
from scalptui.models import Event, Source

if TYPE_CHECKING:
    from scalptui.feed.ccxt_feed import CcxtFeed
    from scalptui.feed.recording import RecordingHeader
    from scalptui.feed.sim import SimExchange

FeedOpener = Callable[[], Awaitable[Feed]]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the command line chose besides the settings file."""

    replay: Path | None = None
    speed: float = 1.0
    replay_symbols: tuple[str, ...] | None = None
    """``--symbols`` with ``--replay``: play only these of the recording's."""
    demo_scenario: str = "auto"
    demo_seed: int | None = None
    demo_time_scale: float = 1.0


class ManagedFeed:
    """A ccxt.pro feed plus the in-process simulated exchange to stop on close in
    ``--demo``. (Clock-skew reports are the feed's own: it judges them as events arrive.)"""

    def __init__(self, inner: Feed, sim: SimExchange | None = None) -> None:
        self.sim = sim
        self._inner = inner
        self.exchange = inner.exchange

    @property
    def source(self) -> Source:
        return self._inner.source

    @property
    def symbols(self) -> tuple[str, ...]:
        return self._inner.symbols

    @property
    def recorded_source(self) -> Source | None:
        return self._inner.recorded_source

    @property
    def progress(self) -> float | None:
        return self._inner.progress

    @property
    def shed_events(self) -> dict[str, int]:
        """The inner feed's (``Shedding``): headless logs them, the TUI's header shows them."""
        inner = self._inner
        return inner.shed_events if isinstance(inner, Shedding) else {}

    def events(self) -> AsyncIterator[Event]:
        return self._inner.events()  # no layer of its own: one event, one generator step

    async def add_symbol(self, symbol: str) -> None:
        await self._inner.add_symbol(symbol)

    async def remove_symbol(self, symbol: str) -> None:
        await self._inner.remove_symbol(symbol)

    async def list_symbols(self) -> list[str]:
        return await self._inner.list_symbols()

    async def close(self) -> None:
        try:
            await self._inner.close()
        finally:
            if self.sim is not None:
                await self.sim.stop()


def feed_opener(settings: Settings, options: RunOptions) -> FeedOpener:
    """A coroutine factory that opens the feed the settings and options ask for."""

    async def open_feed() -> Feed:
        if options.replay is not None:
            return open_replay(options.replay, options.speed, options.replay_symbols)
        if settings.demo:
            return await open_demo(settings, options)
        return await open_live(settings)

    return open_feed


def open_replay(path: Path, speed: float, symbols: tuple[str, ...] | None = None) -> Feed:
    from scalptui.feed.recording import ReplayFeed

    check_replayable(path)
    return ReplayFeed(path, speed=speed, symbols=symbols)


def check_replayable(path: Path) -> RecordingHeader:
    """The recording's header; RecordingError unless ``path`` is a readable recording
    with at least one event that can be read.

    Cheap (the header and the lines up to the first good one): the TUI runs it before
    it takes the terminal, so a missing or empty file is one line on stderr, not a
    blank screen that waits for data for good.
    """
    from scalptui.feed.recording import BadLine, RecordingError, iter_recording, read_header

    try:
        if path.is_dir():
            raise RecordingError(f"recording {path} is a directory")
        if path.exists() and not path.is_file():
            # a pipe or /dev/stdin is read once: the header check took its first lines,
            # and the replay then failed mid-stream with "Expecting value"
            raise RecordingError(
                f"recording {path} is not a regular file (a pipe is read only once): "
                "save it to a file and replay that"
            )
    except OSError as exc:  # a name too long, a loop of links
        raise RecordingError(f"cannot read recording {path}: {exc.strerror or exc}") from None
    header = read_header(path)
    bad = 0
    try:
        for item in iter_recording(path):
            if not isinstance(item, BadLine):
                return header
            bad += 1
    except OSError as exc:
        raise RecordingError(f"cannot read recording {path}: {exc.strerror or exc}") from None
    unreadable = f" ({bad} unreadable line{'s' if bad != 1 else ''})" if bad else ""
    raise RecordingError(f"recording {path} holds no events{unreadable}")


def theme_names(config_dir: Path | None) -> tuple[str, ...]:
    """Names of the built-in themes and the user's ``<config dir>/themes/*.toml``.

    Read without importing textual (headless checks ``--theme`` too): each file's
    ``name`` key, else its stem. ``scalptui.ui.themes`` validates the colours.
    """
    return tuple(theme_files(config_dir))


def theme_files(config_dir: Path | None) -> dict[str, Path]:
    """Each theme name and the file that gives it (the first file of a name, as when the
    TUI loads them: a later one is skipped). A file that does not read as TOML gives its
    stem: the TUI names the file and its fault when asked for it (it said "unknown
    theme"), and a headless run, which draws nothing, is not stopped by it, as by a bad
    colour."""
    paths = sorted(_builtin_theme_dir().glob("*.toml"))
    if config_dir is not None:
        paths += sorted((config_dir / "themes").glob("*.toml"))
    files: dict[str, Path] = {}
    for path in paths:
        try:
            name = tomllib.loads(path.read_text(encoding="utf-8")).get("name", path.stem)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
            name = path.stem
        if isinstance(name, str) and name:  # as the TUI's own check: a theme it can apply
            files.setdefault(name, path)
    return files


def _builtin_theme_dir() -> Path:
    # The same places as scalptui.ui.themes.builtin_theme_dir (a test keeps them equal).
    from importlib.resources import files

    packaged = files("scalptui") / "themes"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "themes"


def user_config_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("scalptui"))


def check_theme(name: str, config_dir: Path | None) -> None:
    """ConfigError naming the themes there are, unless ``name`` is one of them."""
    names = theme_names(config_dir)
    if name not in names:
        own = f" (own themes: {config_dir / 'themes'}/*.toml)" if config_dir is not None else ""
        raise ConfigError(f"unknown theme {name!r}; themes: {', '.join(names) or 'none'}{own}")


async def open_live(settings: Settings) -> Feed:
    if len(settings.feed.venues) > 1:
        return ManagedFeed(await _start_multi_feed(settings, Source.LIVE))
    return ManagedFeed(await _start_ccxt_feed(settings, Source.LIVE))


async def _start_ccxt_feed(settings: Settings, source: Source, *, report_skew: bool = True) -> Feed:
    feed = _make_ccxt_feed(settings, settings.feed.exchange, source, report_skew=report_skew)
    try:
        await feed.start()
    except BaseException:
        await feed.close()
        raise
    return feed


def _make_ccxt_feed(
    settings: Settings,
    venue: str,
    source: Source,
    *,
    skip_unlisted: bool = False,
    report_skew: bool = False,
) -> CcxtFeed:
    from scalptui.feed.ccxt_feed import CcxtFeed

    return CcxtFeed(
        venue,
        settings.feed.symbols,
        base_url=settings.feed.base_url_of(venue),
        source=source,
        oi_poll_s=settings.feed.oi_poll_s,
        stale_after_s=settings.feed.stale_after_s,
        skip_unlisted=skip_unlisted,
        report_skew=report_skew,
    )


async def _start_multi_feed(
    settings: Settings, source: Source, *, report_skew: bool = True
) -> Feed:
    """One feed per venue, merged; each venue's feed reports its own clock's skew."""
    from scalptui.feed.multi import MultiFeed

    feed = MultiFeed(
        settings.feed.venues,
        lambda venue: _make_ccxt_feed(
            settings, venue, source, skip_unlisted=True, report_skew=report_skew
        ),
        symbols=settings.feed.symbols,
    )
    try:
        await feed.start()
    except BaseException:
        await feed.close()
        raise
    return feed


async def open_demo(settings: Settings, options: RunOptions) -> Feed:
    """Start the simulated exchange on a free loopback port and stream it through ccxt.pro:
    one simulator serves every venue asked for (Binance, Bybit and OKX formats on one port)."""
    from scalptui.feed.sim import SimExchange

    seed = options.demo_seed if options.demo_seed is not None else _wall_seed()
    sim = SimExchange(
        settings.feed.symbols,
        seed=seed,
        time_scale=options.demo_time_scale,
        scenario=options.demo_scenario,
    )
    base_url = await sim.start()
    venues = settings.feed.venues
    demo_settings = dataclasses.replace(
        settings,
        feed=dataclasses.replace(
            settings.feed, base_url=None, base_urls=dict.fromkeys(venues, base_url)
        ),
    )
    # A simulator running faster than the wall clock is ahead of it by design.
    report_skew = options.demo_time_scale == 1.0
    try:
        if len(venues) > 1:
            multi = await _start_multi_feed(
                demo_settings, Source.SIMULATED, report_skew=report_skew
            )
            return ManagedFeed(multi, sim)
        inner = await _start_ccxt_feed(demo_settings, Source.SIMULATED, report_skew=report_skew)
    except BaseException:
        await sim.stop()
        raise
    return ManagedFeed(inner, sim)


def _wall_seed() -> int:
    # A demo differs from run to run; tests and screenshots pass a fixed seed.
    return time.time_ns() // 1_000_000 & 0xFFFF
