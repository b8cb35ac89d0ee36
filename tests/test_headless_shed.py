"""Headless runs say, in one line on stderr, when the feed shed trades and marks."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import pytest

from scalptui.headless import ShedReporter
from scalptui.models import Event, Source


class SheddingFeed:
    """A feed whose queues report what they dropped (as ``MultiFeed`` does)."""

    exchange = "binanceusdm,bybit"
    source = Source.SIMULATED
    symbols = ("BTC/USDT:USDT",)
    recorded_source = None
    progress = None

    def __init__(self) -> None:
        self.shed_events = {"binanceusdm": 0, "bybit": 0}

    def events(self) -> AsyncIterator[Event]:
        raise NotImplementedError

    async def add_symbol(self, symbol: str) -> None:
        raise NotImplementedError

    async def remove_symbol(self, symbol: str) -> None:
        raise NotImplementedError

    async def list_symbols(self) -> list[str]:
        return []

    async def close(self) -> None:
        return None


def test_nothing_is_said_until_something_is_shed() -> None:
    feed, err = SheddingFeed(), io.StringIO()
    report = ShedReporter(feed, err)
    for _ in range(30):
        report()
    assert err.getvalue() == ""


def test_first_shedding_is_said_at_once_then_at_most_every_ten_seconds() -> None:
    feed, err = SheddingFeed(), io.StringIO()
    report = ShedReporter(feed, err, every_s=10)
    report()
    feed.shed_events["bybit"] = 120
    report()
    assert err.getvalue().splitlines() == [
        "scalptui: behind the market: 120 trades/marks shed so far (bybit 120);"
        " every liquidation kept"
    ]
    feed.shed_events["binanceusdm"] = 5
    for _ in range(9):
        report()
    assert len(err.getvalue().splitlines()) == 1
    report()
    assert (
        err.getvalue()
        .splitlines()[-1]
        .startswith(
            "scalptui: behind the market: 125 trades/marks shed so far (binanceusdm 5, bybit 120)"
        )
    )


def test_a_feed_that_never_sheds_is_left_alone() -> None:
    class Replay(SheddingFeed):
        pass

    feed = Replay()
    del feed.shed_events
    err = io.StringIO()
    report = ShedReporter(feed, err)
    report()
    assert err.getvalue() == ""


def test_the_run_s_managed_feed_passes_the_shedding_on() -> None:
    # Headless and the TUI hold the feed the opener returns: a ManagedFeed around it.
    from scalptui.runtime import ManagedFeed

    inner, err = SheddingFeed(), io.StringIO()
    report = ShedReporter(ManagedFeed(inner), err)
    inner.shed_events["okx"] = 3
    report()
    assert "3 trades/marks shed so far (okx 3)" in err.getvalue()


class QuietFeed(SheddingFeed):
    """A feed that delivers nothing and never ends, until closed."""

    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    async def events(self) -> AsyncIterator[Event]:
        await asyncio.Event().wait()
        nothing: tuple[Event, ...] = ()
        for event in nothing:  # pragma: no cover - never reached: a generator of nothing
            yield event

    async def close(self) -> None:
        self.closed = True


async def test_a_failing_tick_ends_the_run_with_its_error() -> None:
    """A recording's flush that failed on a full disk killed the once-a-second timer
    without a word: the run went on, never flushing again."""
    from scalptui.feed.recording import RecordingError
    from scalptui.headless import pump

    def full_disk() -> None:
        raise RecordingError("cannot write recording x.jsonl: No space left on device")

    feed = QuietFeed()
    with pytest.raises(RecordingError, match="No space left"):
        await asyncio.wait_for(pump(feed, lambda _e: None, duration_s=30, on_tick=full_disk), 10)
    assert feed.closed
