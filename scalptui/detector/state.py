"""Everything the detector keeps for one symbol, as named parts (bounded in size).

``SymbolState`` holds the symbol's clock and prices, and one part per job: the
second in progress and the ring of closed seconds (``rolling.py``), the
rolling extremes and σ, open interest (``open_interest.py``), funding
(``funding.py``), the ladder with its hits, the realised overlay
(``realized.py``), the print windows, episodes and cooldowns
(``signals.py``), and the ladder rows of the last snapshot
(``snapshot.py``). The detector's per-event code reads the parts directly:
they are ``__slots__`` objects, so the hot path pays one attribute load per
part, not a method call.
"""

from __future__ import annotations

import math
from collections import deque

from scalptui.detector.funding import FundingTrack
from scalptui.detector.ladder import ConsumedBin, Ladder
from scalptui.detector.open_interest import OiInterval, OpenInterestTrack
from scalptui.detector.params import SignalThresholds
from scalptui.detector.realized import RealizedOverlay
from scalptui.detector.ring import RingBuffer
from scalptui.detector.rolling import SECOND_CAPACITY, SECOND_COLUMNS, RollingStats, SecondBucket
from scalptui.detector.signals import Episode, Leg, PrintWindow
from scalptui.detector.snapshot import LadderRowCache
from scalptui.models import AlertKind, FeedStatus, Liquidation, MarketInfo, Side

HIT_CAPACITY = 4096
"""A hard cap on hits: they are kept for their look-back (``hits_kept_ms``), this only
bounds a market that consumes levels faster than any look-back could need."""


class SymbolState:
    """One symbol: clock, prices, and the parts listed in the module docstring."""

    __slots__ = (
        "bucket",
        "clock",
        "down",
        "episodes",
        "exchange",
        "feed",
        "first_ts",
        "funding",
        "hits",
        "hits_kept_ms",
        "index",
        "info",
        "interval",
        "ladder",
        "last",
        "last_fire",
        "legs",
        "mark",
        "mark_seen",
        "oi",
        "overlay",
        "price_breaks",
        "prices_resumed",
        "prices_seen_since",
        "prints_resumed",
        "prints_seen_since",
        "realized",
        "rolling",
        "rows",
        "sampled",
        "sec",
        "seconds",
        "symbol",
        "th",
        "windows",
    )

    def __init__(
        self,
        symbol: str,
        exchange: str,
        th: SignalThresholds,
        tape: int,
        realized_ms: int,
        hit_window_ms: int,
    ) -> None:
        self.symbol = symbol
        self.exchange = exchange
        self.th = th
        self.clock = -1
        self.sec = -1
        self.first_ts: int | None = None
        self.last: float | None = None
        self.mark: float | None = None
        self.mark_seen = False
        self.index: float | None = None
        self.bucket = SecondBucket()
        self.seconds = RingBuffer(SECOND_CAPACITY, SECOND_COLUMNS)
        self.rolling = RollingStats()
        self.interval = OiInterval()
        self.oi = OpenInterestTrack()
        self.funding = FundingTrack()
        self.info: MarketInfo | None = None
        self.ladder: Ladder | None = None
        self.hits: deque[tuple[int, ConsumedBin, bool]] = deque(maxlen=HIT_CAPACITY)
        # Hits are read back over the cascade window (clusters) and the hit window (the
        # ladder's flash); older ones are dropped, so memory settles within the first hour
        # instead of creeping up to the cap over a day.
        self.hits_kept_ms = max(int(th.window_s * 1000), hit_window_ms)
        self.realized: deque[Liquidation] = deque(maxlen=tape)
        self.overlay = RealizedOverlay(realized_ms)
        self.windows = {
            side: PrintWindow(th.window_s, th.rate_window_s, th.max_gap_s, th.leg_gap_s)
            for side in Side
        }
        self.episodes: dict[Side, Episode] = {}
        self.last_fire: dict[AlertKind, int] = {}
        self.legs: dict[Side, Leg] = {}
        """The last reported leg of each side (kept through the cooldown: escalation)."""
        self.sampled = False
        self.feed: dict[tuple[str, str | None], FeedStatus] = {}
        self.down: set[str] = set()
        """The streams that deliver this symbol's prints and prices and are down now: its
        ``liquidations`` and ``trades``, the venue's whole ``feed``."""
        self.prints_resumed = False
        """The prints' delivery came back; ``prints_seen_since`` is set at the next timed
        check (in event time: a status carries wall-clock time)."""
        self.prints_seen_since = -1
        """Event time from which the prints have been delivered without a break."""
        self.price_breaks: list[tuple[int, int | None]] = []
        """The breaks in the delivery of prices of the last hour, oldest first: event
        time each began and the first timed check after it ended (None while it lasts).
        Every one is kept, not the latest alone: a second outage made the 5 m change
        measure from inside the first."""
        self.prices_resumed = False
        self.prices_seen_since = -1
        """Event time from which prices have been delivered without a break (the prints'
        return is the prices' too; a trades stream's alone is only theirs)."""
        self.rows = LadderRowCache()

    @property
    def prints_blind(self) -> bool:
        """The venue's liquidation prints of this symbol are not being delivered (their
        stream or the venue's feed is down): a silence now says nothing of the market. A
        trades stream down alone leaves the prints delivered; its return only moves the
        point moves are measured from."""
        return bool(self.down) and self.down != {"trades"}

    def reference_price(self) -> float | None:
        """The price levels are judged against: mark where streamed, else last trade."""
        return self.mark if self.mark is not None else self.last

    def window_ms(self) -> int:
        return int(self.th.window_s * 1000)

    def window_start(self) -> int:
        """Event time where the cascade window now begins."""
        return self.clock - int(self.th.window_s * 1000)

    def move_start(self) -> int:
        """Where the moves of the window are measured from: the window's start, or where the
        feed came back if it broke within the window — a price gap across an outage is no
        move anyone saw (a restart 2.3 % away read as a 25σ squeeze)."""
        return max(self.window_start(), self.prices_seen_since)

    def chain_start(self, side: Side) -> int:
        """Where the side's chain began, bounded by the window: its moves are measured from
        the extreme since then (a chain that ended 30 s ago is not this one's start)."""
        start = self.move_start()
        first = self.windows[side].chain_first_ts()
        # from the second before the chain's first print: where price stood as it began
        return start if first is None else max(start, (first // 1000 - 1) * 1000)

    def close_second(self) -> None:
        """Write the finished second to the ring and the rolling stats; start a fresh bucket."""
        b = self.bucket
        close = b.close if not math.isnan(b.close) else (self.last or self.mark or 0.0)
        if b.has and self.sec >= 0 and close > 0.0:  # no price known yet: nothing to chart
            row = b.row(close)
            ts = self.sec * 1000
            self.seconds.append(ts, row)
            self.rolling.add_second(ts, close, row[1], row[2])
            self.rolling.expire(self.window_start())
        b.restart(self.last)
