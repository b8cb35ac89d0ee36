"""Render the README screenshots: the simulated exchange mid-cascade, one SVG per theme.

    python scripts/screenshots.py [--out screenshots] [--seed 3] [--time-scale 8]
    python scripts/screenshots.py --venues binanceusdm,bybit,okx   # scalptui-venues.svg

The same pipeline as ``scalptui --demo``: the simulated Binance exchange on a
loopback port, unmodified ccxt.pro pointed at it, the shared detector, the app
from ``make_app`` at 120×40. The script waits until a cascade (or squeeze)
episode is under way, gives it a few seconds so clusters are being consumed,
then saves one screen per built-in theme. ``--scripted`` uses the scripted
market instead (no network stack, fully deterministic).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from scalptui.config import FeedSettings, Settings, UiSettings
from scalptui.feed.base import Feed
from scalptui.runtime import FeedOpener
from scalptui.ui.app import Clock, ScalpApp, make_app
from scalptui.ui.themes import BUILTIN_ORDER

SIZE = (120, 40)
SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--time-scale", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=240.0, help="wall seconds to wait")
    parser.add_argument("--settle", type=float, default=4.0, help="wall seconds into the episode")
    parser.add_argument("--scripted", action="store_true", help="use the scripted market")
    parser.add_argument(
        "--venues",
        default="",
        help="several venues (binanceusdm,bybit,okx): one dark screenshot, scalptui-venues.svg",
    )
    return parser.parse_args(argv)


def settings(venues: tuple[str, ...] = ()) -> Settings:
    return Settings(
        feed=FeedSettings(symbols=SYMBOLS, exchanges=venues), ui=UiSettings(), demo=True
    )


def venues_of(args: argparse.Namespace) -> tuple[str, ...]:
    return tuple(v for v in args.venues.split(",") if v)


def sim_opener(args: argparse.Namespace) -> tuple[FeedOpener, Clock | None]:
    from scalptui.runtime import RunOptions, open_demo

    options = RunOptions(
        demo_scenario="cascade", demo_seed=args.seed, demo_time_scale=args.time_scale
    )

    began = time.time()

    async def open_feed() -> Feed:
        return await open_demo(settings(venues_of(args)), options)

    def scaled() -> float:
        """The simulated market's clock, ``--time-scale`` times the wall clock from the
        start: on the wall clock the header read a time before the alerts under it."""
        scale: float = args.time_scale
        return began + (time.time() - began) * scale

    return (open_feed, scaled)


def scripted_opener() -> tuple[FeedOpener, Clock | None]:
    from scalptui.feed.scripted import ScriptedFeed, script_end_ms, scripted_events

    events = scripted_events(SYMBOLS)
    end_s = script_end_ms(events) / 1000.0

    async def open_feed() -> Feed:
        return ScriptedFeed(events, SYMBOLS)

    return (open_feed, lambda: end_s)


def episode_running(app: ScalpApp) -> str | None:
    detector = app.detector
    if detector is None:
        return None
    for symbol, episodes in detector.active_episodes().items():
        if any(e.current_rate > 0 for e in episodes):
            return symbol
    return None


async def capture(args: argparse.Namespace) -> list[Path]:
    open_feed, clock = scripted_opener() if args.scripted else sim_opener(args)
    tmp = Path(tempfile.mkdtemp(prefix="scalptui-shots-"))
    app = make_app(
        settings(venues_of(args)),
        open_feed,
        data_dir=tmp / "data",
        config_dir=tmp / "config",
        clock=clock or time.time,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + args.timeout
        symbol = None
        while symbol is None:
            if time.monotonic() > deadline:
                raise SystemExit("no cascade within the timeout; try another --seed")
            if app.feed_error:
                raise SystemExit(f"feed error: {app.feed_error}")
            await asyncio.sleep(0.25)
            symbol = episode_running(app)
        if symbol in app.watchlist:
            app.switch_to(symbol)
        await asyncio.sleep(0 if args.scripted else args.settle)
        themes = (
            {"scalptui-venues": BUILTIN_ORDER[0]}
            if args.venues
            else {theme: theme for theme in BUILTIN_ORDER}
        )
        for name, theme in themes.items():
            app.theme = theme
            app.repaint_now()
            app.refresh_slow_panels()
            await pilot.pause()
            path = args.out / f"{name}.svg"
            app.save_screenshot(str(path.name), path=str(args.out))
            written.append(path)
        await app.action_quit()
    return written


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for path in asyncio.run(capture(args)):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
