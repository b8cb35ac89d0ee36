"""The Detector: per-symbol state, ``on_event`` and ``snapshot``.

One Detector watches every symbol of the watchlist. It is deterministic: its
only clock is the events' own timestamps, kept per symbol as the latest event
time seen (a late event is processed but never moves the clock back).

Everything timed runs when the clock of a symbol enters a new second, on
whichever event of the symbol does it (the 1 s mark-price stream is the usual
heartbeat): episode exhaustion, cooldowns, and the cascade / squeeze test
itself. A liquidation print joins its window at once and is judged at that
once-a-second test — at the latest a second later in event time — so a burst
of prints costs one test, not one per print.

Cost model: the per-event path (trade, mark, liquidation) is plain Python on
running sums and a one-compare ladder check; an open-interest sample updates
the ladder at most once per second of event time (Bybit streams OI with each
ticker change) and keeps one history point per 10 s. Once per second the finished
second is queued for a numpy ring (close, high, low, taker buy / sell USD,
liquidated long / short USD) and the window extremes and σ's running sums are
updated in Python. Only when the cheap tests (prints, dominance, notional or
run, displacement) already pass are the taker-flow burst, the baseline and the
clusters measured on the ring with numpy.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from scalptui.detector import text
from scalptui.detector.ladder import (
    ConsumedBin,
    Ladder,
    bin_width_for,
    fold_leverage_mix,
    remove_closed_fraction,
)
from scalptui.detector.params import DetectorParams, SignalThresholds
from scalptui.detector.ring import RingBuffer
from scalptui.detector.signals import (
    ChainEvidence,
    Episode,
    FundingWatch,
    OiWatch,
    PrintWindow,
    decide,
    notional_threshold,
)
from scalptui.models import (
    Alert,
    AlertKind,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    FundingView,
    History,
    LadderBin,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    OpenInterestView,
    Side,
    Source,
    TakerSide,
    Trade,
)

SECOND_COLUMNS = ("close", "high", "low", "buy_usd", "sell_usd", "liq_long_usd", "liq_short_usd")
SECOND_CAPACITY = 4096
"""1 s rows kept per symbol: a little over the hour that σ and the baselines need."""
HOUR_MS = 3_600_000
EPISODE_LINGER_MS = 60_000
"""An exhausted episode stays in snapshots this long (the UI shows it as exhausted)."""
OI_HISTORY_MS = 2 * HOUR_MS
OI_ATTRIBUTION_MS = 1_000
"""Open-interest changes reach the ladder at most once per second of event time."""
OI_BUCKET_MS = 10_000
"""Stored open-interest history keeps one point per bucket (the bucket's latest sample):
Bybit streams OI with every ticker change, up to ~10 a second."""
HIT_CAPACITY = 4096
REALIZED_CAPACITY = 100_000
"""Prints the realised overlay holds (its window, 15 min by default, expires them first)."""
REALIZED_BATCH = 1024
"""New prints wait in a list (one append per print) and are binned once a second, before a
snapshot, or when this many are waiting."""
SIDES = (Side.LONG, Side.SHORT)
MAX_LADDER_ROWS = 2000
"""A snapshot never carries more inner ladder rows than this (the edges sum the rest)."""
_NO_ALERTS: list[Alert] = []
_INF = math.inf

FORCED_KIND = {Side.LONG: AlertKind.LIQUIDATION_CASCADE, Side.SHORT: AlertKind.SHORT_SQUEEZE}


def _finite_positive(x: float) -> bool:
    return 0.0 < x < _INF


class _SymbolState:
    """Everything the detector keeps for one symbol (bounded in size)."""

    __slots__ = (
        "b_buy",
        "b_close",
        "b_has",
        "b_high",
        "b_liq_long",
        "b_liq_short",
        "b_low",
        "b_sell",
        "clock",
        "episodes",
        "exchange",
        "feed",
        "first_ts",
        "funding_interval_h",
        "funding_next_ts",
        "funding_rate",
        "funding_watch",
        "hits",
        "index",
        "info",
        "iv_buy",
        "iv_pv",
        "iv_sell",
        "iv_vol",
        "ladder",
        "last",
        "last_fire",
        "mark",
        "mark_seen",
        "oi_amount",
        "oi_attr_amount",
        "oi_attr_ts",
        "oi_hist",
        "oi_ts",
        "oi_value",
        "oi_watch",
        "prev_close",
        "prev_close_ts",
        "real_long",
        "real_new",
        "real_prints",
        "real_short",
        "realized",
        "ret_dt",
        "ret_hour",
        "ret_pending",
        "ret_r2",
        "row_cache",
        "sampled",
        "sec",
        "seconds",
        "sigma_seed",
        "symbol",
        "th",
        "win_highs",
        "win_lows",
        "windows",
    )

    def __init__(self, symbol: str, exchange: str, th: SignalThresholds, tape: int) -> None:
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
        self.b_close = math.nan
        self.b_high = -_INF
        self.b_low = _INF
        self.b_buy = 0.0
        self.b_sell = 0.0
        self.b_liq_long = 0.0
        self.b_liq_short = 0.0
        self.b_has = False
        self.seconds = RingBuffer(SECOND_CAPACITY, SECOND_COLUMNS)
        self.iv_pv = 0.0
        self.iv_vol = 0.0
        self.iv_buy = 0.0
        self.iv_sell = 0.0
        self.oi_amount: float | None = None
        self.oi_value: float | None = None
        self.oi_ts = -1
        # The sample the ladder last attributed from (at most one attribution a second).
        self.oi_attr_amount: float | None = None
        self.oi_attr_ts = -1
        # One (ts, amount) point per OI_BUCKET_MS, oldest first: a list, so deltas bisect it.
        self.oi_hist: list[tuple[int, float]] = []
        self.funding_rate: float | None = None
        self.funding_interval_h: float | None = None
        self.funding_next_ts: int | None = None
        self.info: MarketInfo | None = None
        self.ladder: Ladder | None = None
        self.hits: deque[tuple[int, ConsumedBin, bool]] = deque(maxlen=HIT_CAPACITY)
        self.realized: deque[Liquidation] = deque(maxlen=tape)
        # The realised overlay, apart from the tape so that it is exact over its own window:
        # prints as (ts, is long, bin, USD, price) in ts order, and per-bin [USD, prints] sums;
        # new prints as (ts, is long, price, USD) until the next batch bins them.
        self.real_new: list[tuple[int, bool, float, float]] = []
        self.real_prints: deque[tuple[int, bool, int, float, float]] = deque()
        self.real_long: dict[int, list[float]] = {}
        self.real_short: dict[int, list[float]] = {}
        self.windows = {
            side: PrintWindow(th.window_s, th.rate_window_s, th.max_gap_s) for side in Side
        }
        self.episodes: dict[Side, Episode] = {}
        self.last_fire: dict[AlertKind, int] = {}
        self.funding_watch = FundingWatch()
        self.oi_watch = OiWatch()
        self.sigma_seed: float | None = None
        # Running Σr², Σdt of 1 s log returns over the hour before the window, pure Python:
        # rows wait in ``ret_pending`` while inside the window, then count in ``ret_hour``.
        self.prev_close: float | None = None
        self.prev_close_ts = 0
        self.ret_pending: deque[tuple[int, float, float]] = deque()
        self.ret_hour: deque[tuple[int, float, float]] = deque()
        self.ret_r2 = 0.0
        self.ret_dt = 0.0
        # Monotonic deques of closed seconds: the window's high and low in O(1) amortised.
        self.win_highs: deque[tuple[int, float]] = deque()
        self.win_lows: deque[tuple[int, float]] = deque()
        self.sampled = False
        self.feed: dict[tuple[str, str | None], FeedStatus] = {}
        # Ladder rows of the last snapshot per span: an unchanged row is reused, not rebuilt
        # (a frozen dataclass costs ~2 µs to build; most rows do not change between ticks).
        self.row_cache: dict[float | None, tuple[list[tuple[Any, ...]], tuple[LadderBin, ...]]] = {}

    def reference_price(self) -> float | None:
        """The price levels are judged against: mark where streamed, else last trade."""
        return self.mark if self.mark is not None else self.last


class Detector:
    """Events in, estimated ladder and informational alerts out (see the package docstring)."""

    def __init__(self, params: DetectorParams | None = None, *, source: Source = Source.LIVE):
        self.params = params if params is not None else DetectorParams()
        self.source = source
        self._symbols: dict[str, _SymbolState] = {}
        self._tape: deque[Liquidation] = deque(maxlen=max(1, self.params.tape_size))
        self._realized_ms = int(self.params.ladder.realized_window_s * 1000)
        self._global_feed: dict[tuple[str, str], FeedStatus] = {}
        self._exchange = ""
        """The exchange of the first event seen (a Detector serves one exchange)."""
        self._handlers: dict[type, Callable[[Any], list[Alert]]] = {
            Trade: self._on_trade,
            MarkPrice: self._on_mark,
            Liquidation: self._on_liquidation,
            OpenInterest: self._on_open_interest,
            MarketInfo: self._on_market_info,
            History: self._on_history,
            FeedStatus: self._on_status,
        }

    # ================================================================ public API

    def on_event(self, evt: Event) -> list[Alert]:
        """Process one event; returns the alerts it raised (usually none).

        Malformed values (non-finite or non-positive prices, negative sizes) are
        ignored rather than raised: one bad frame must not stop the monitor.
        """
        handler = self._handlers.get(type(evt))
        if handler is None:
            return []
        if not self._exchange:
            self._exchange = evt.exchange
        alerts = handler(evt)
        # Handlers share one empty list internally; the caller always gets its own.
        return [] if alerts is _NO_ALERTS else alerts

    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    def recent_liquidations(self, limit: int = 200) -> tuple[Liquidation, ...]:
        """Realised liquidations across all symbols, newest first (the liquidation tape)."""
        if limit <= 0:
            return ()
        out: list[Liquidation] = []
        for liq in reversed(self._tape):
            out.append(liq)
            if len(out) >= limit:
                break
        return tuple(out)

    def active_episodes(self) -> dict[str, tuple[EpisodeView, ...]]:
        """Episodes in progress or just exhausted, per symbol (symbols without any omitted)."""
        out: dict[str, tuple[EpisodeView, ...]] = {}
        for symbol, st in self._symbols.items():
            views = self._episode_views(st)
            if views:
                out[symbol] = views
        return out

    def measure(self, symbol: str, side: Side) -> ChainEvidence | None:
        """The cascade / squeeze components as they stand now (diagnostics; None if unknown)."""
        st = self._symbols.get(symbol)
        if st is None or st.clock < 0:
            return None
        for window in st.windows.values():
            window.expire(st.clock)
        return self._measure(st, side)

    def snapshot(self, symbol: str, *, span_pct: float | None = None) -> DetectorSnapshot:
        """Immutable view of one symbol; an empty one for a symbol never seen.

        ``ladder`` holds one row per bin within ±``span_pct`` percent of the
        reference price (mark, else last trade), lowest first, framed by two edge
        rows (``edge=True``): ``ladder[0]`` sums every level below the span and
        ``ladder[-1]`` every level above it. ``span_pct=None`` uses the widest span
        (the pruning distance).
        """
        st = self._symbols.get(symbol)
        if st is None:
            return _empty_snapshot(symbol, self._exchange, self.source)
        prices_ts, prices = self._price_series(st)
        return DetectorSnapshot(
            exchange=st.exchange,
            symbol=symbol,
            ts=max(st.clock, 0),
            source=self.source,
            last=st.last,
            mark=st.mark,
            index=st.index,
            change_1m_pct=self._change_pct(st, 60_000),
            change_5m_pct=self._change_pct(st, 300_000),
            change_1h_pct=self._change_pct(st, HOUR_MS),
            price_ts=prices_ts,
            prices=prices,
            bin_width=st.ladder.width if st.ladder is not None else 0.0,
            ladder=self._ladder_rows(st, span_pct),
            recent_liquidations=tuple(reversed(st.realized))[:100],
            funding=self._funding_view(st),
            open_interest=self._oi_view(st),
            episodes=self._episode_views(st),
            feed=tuple(self._global_feed.values()) + tuple(st.feed.values()),
        )

    # ================================================================ per-event paths

    def _state(self, symbol: str, exchange: str) -> _SymbolState:
        st = self._symbols.get(symbol)
        if st is None:
            st = _SymbolState(
                symbol, exchange, self.params.thresholds_for(symbol), self.params.tape_size
            )
            self._symbols[symbol] = st
        return st

    def _advance(self, st: _SymbolState, ts: int) -> list[Alert]:
        """Move the symbol's clock forward (never back); timed checks on each new second."""
        if ts <= st.clock:
            return _NO_ALERTS
        st.clock = ts
        if st.first_ts is None:
            st.first_ts = ts
        sec = ts // 1000
        if sec <= st.sec:
            return _NO_ALERTS
        self._close_second(st)
        st.sec = sec
        return self._timed_checks(st)

    def _on_trade(self, t: Trade) -> list[Alert]:
        price = t.price
        amount = t.amount
        if not (0.0 < price < _INF and 0.0 <= amount < _INF):
            return _NO_ALERTS
        st = self._symbols.get(t.symbol) or self._state(t.symbol, t.exchange)
        alerts = self._advance(st, t.ts) if t.ts > st.clock else _NO_ALERTS
        usd = price * amount
        if t.side is TakerSide.BUY:
            st.b_buy += usd
            st.iv_buy += amount
        else:
            st.b_sell += usd
            st.iv_sell += amount
        st.iv_pv += usd
        st.iv_vol += amount
        if t.ts >= st.clock:  # a late trade counts in the flow but does not move the price
            st.last = price
            st.b_close = price
            if price > st.b_high:
                st.b_high = price
            if price < st.b_low:
                st.b_low = price
        st.b_has = True
        ladder = st.ladder
        if ladder is None:
            self._make_ladder(st, price)
        elif not st.mark_seen and ladder.crossed(price):
            self._consume(st, price)
        return alerts

    def _on_mark(self, m: MarkPrice) -> list[Alert]:
        if not _finite_positive(m.mark):
            return _NO_ALERTS
        st = self._symbols.get(m.symbol) or self._state(m.symbol, m.exchange)
        alerts = self._advance(st, m.ts) if m.ts > st.clock else _NO_ALERTS
        if m.ts < st.clock:
            return alerts  # a stale mark says nothing about where price is now
        st.mark = m.mark
        st.mark_seen = True
        if m.index is not None and _finite_positive(m.index):
            st.index = m.index
        ladder = st.ladder
        if ladder is None:
            self._make_ladder(st, m.mark)
        elif ladder.crossed(m.mark):
            self._consume(st, m.mark)
        if m.funding_interval_h is not None and _finite_positive(m.funding_interval_h):
            st.funding_interval_h = m.funding_interval_h
        if m.next_funding_ts is not None:
            st.funding_next_ts = m.next_funding_ts
        rate = m.funding_rate
        if rate is not None and math.isfinite(rate):
            st.funding_rate = rate
            alert = self._funding_reading(st, rate)
            if alert is not None:
                alerts = [*alerts, alert]
        return alerts

    def _on_liquidation(self, liq: Liquidation) -> list[Alert]:
        if not (_finite_positive(liq.price) and 0.0 <= liq.amount < _INF):
            return _NO_ALERTS
        notional = liq.notional
        if not (0.0 <= notional < _INF) or notional == 0.0:
            notional = liq.price * liq.amount
        st = self._symbols.get(liq.symbol) or self._state(liq.symbol, liq.exchange)
        side = liq.side
        running = st.episodes.get(side)
        # The print joins its window before the clock moves: the cascade test runs once per
        # second of event time (on the first event of each second, this one included), so a
        # print is judged at the latest one second after it, and never twice.
        if liq.ts > st.clock - st.th.window_s * 1000:  # a print older than W is history
            st.windows[side].add(liq.ts, notional)
        if liq.sampled:
            st.sampled = True
        alerts = self._advance(st, liq.ts) if liq.ts > st.clock else _NO_ALERTS
        st.realized.append(liq)
        self._tape.append(liq)
        if liq.side is Side.LONG:
            st.b_liq_long += notional
        else:
            st.b_liq_short += notional
        if not st.b_has:
            st.b_close = st.last if st.last is not None else liq.price
            st.b_high = max(st.b_high, st.b_close)
            st.b_low = min(st.b_low, st.b_close)
            st.b_has = True
        if st.ladder is None:
            self._make_ladder(st, liq.price)
        if liq.ts >= st.clock - self._realized_ms:
            new = st.real_new
            new.append((liq.ts, side is Side.LONG, liq.price, notional))
            if len(new) >= REALIZED_BATCH:
                self._bin_realized(st)
        episode = st.episodes.get(side)
        if episode is running and episode is not None and episode.ended_ts is None:
            episode.add_print(notional)  # an episode opened by this very print counted it
        return alerts

    def _on_open_interest(self, oi: OpenInterest) -> list[Alert]:
        amount = oi.amount
        if not (0.0 <= amount < _INF):
            return _NO_ALERTS
        st = self._symbols.get(oi.symbol) or self._state(oi.symbol, oi.exchange)
        if oi.ts <= st.oi_ts:
            return _NO_ALERTS  # a repeated or older sample: its delta is already counted
        alerts = self._advance(st, oi.ts) if oi.ts > st.clock else _NO_ALERTS
        price = self._interval_price(st)
        if oi.ts // OI_ATTRIBUTION_MS > st.oi_attr_ts // OI_ATTRIBUTION_MS:
            # A polled venue (every 10-30 s) attributes every sample; one streaming OI with
            # each ticker change (Bybit, ~10 a second) attributes the net change once per
            # second, like the other timed work, so the ladder's O(levels) work is amortised.
            previous = st.oi_attr_amount
            if previous is not None and price is not None and st.ladder is not None:
                self._attribute(st, amount - previous, previous, price)
            st.iv_pv = st.iv_vol = st.iv_buy = st.iv_sell = 0.0
            st.oi_attr_amount = amount
            st.oi_attr_ts = oi.ts
        st.oi_amount = amount
        st.oi_ts = oi.ts
        value = oi.value
        if value is not None and 0.0 <= value < _INF:
            st.oi_value = value
        elif price is not None:
            st.oi_value = amount * price
        self._record_oi(st, oi.ts, amount)
        flush = st.oi_watch.reading(oi.ts, amount, st.th)
        if flush is not None:
            alerts = [*alerts, self._oi_flush_alert(st, oi, flush[0], flush[1])]
        return alerts

    def _on_market_info(self, info: MarketInfo) -> list[Alert]:
        st = self._state(info.symbol, info.exchange)
        st.info = info
        interval = info.funding_interval_h
        if interval is not None and _finite_positive(interval) and st.funding_interval_h is None:
            st.funding_interval_h = interval
        if st.ladder is not None:
            # The grid stays; leverage and MMR apply to exposure added from now on.
            st.ladder.mix = fold_leverage_mix(self.params.ladder.leverage_mix, info.max_leverage)
            st.ladder.mmr = self._mmr(st)
        return _NO_ALERTS

    def _on_status(self, status: FeedStatus) -> list[Alert]:
        if status.symbol is None:
            self._global_feed[(status.exchange, status.stream)] = status
        else:
            st = self._state(status.symbol, status.exchange)
            st.feed[(status.stream, status.symbol)] = status
        return _NO_ALERTS

    # ================================================================ ladder

    def _mmr(self, st: _SymbolState) -> float:
        if st.info is not None and st.info.mmr is not None and 0.0 <= st.info.mmr < 1.0:
            return st.info.mmr
        lp = self.params.ladder
        return lp.mmr_table.get(st.symbol.split("/", 1)[0], lp.default_mmr)

    def _make_ladder(self, st: _SymbolState, price: float) -> Ladder:
        lp = self.params.ladder
        tick = st.info.tick_size if st.info is not None else None
        max_lev = st.info.max_leverage if st.info is not None else None
        ladder = Ladder(
            bin_width_for(price, lp.bin_pct, tick),
            fold_leverage_mix(lp.leverage_mix, max_lev),
            self._mmr(st),
        )
        st.ladder = ladder
        return ladder

    def _consume(self, st: _SymbolState, price: float) -> None:
        ladder = st.ladder
        if ladder is None:
            return
        share = st.th.cluster_min_share
        for hit in ladder.consume(price):
            is_cluster = hit.share_of_side >= share
            st.hits.append((st.clock, hit, is_cluster))
            episode = st.episodes.get(hit.side)
            if is_cluster and episode is not None and episode.ended_ts is None:
                episode.clusters += 1

    def _interval_price(self, st: _SymbolState) -> float | None:
        if st.iv_vol > 0.0:
            return st.iv_pv / st.iv_vol
        return st.reference_price()

    def _attribute(self, st: _SymbolState, delta: float, previous: float, price: float) -> None:
        """Open-interest change → ladder: add at the interval VWAP, or remove by taker share
        (see ``remove_closed_fraction``)."""
        ladder = st.ladder
        if ladder is None or delta == 0.0:
            return
        flow = st.iv_buy + st.iv_sell
        buy_share = st.iv_buy / flow if flow > 0.0 else 0.5
        ref = st.reference_price()
        if ref is not None:  # first, so new levels land on a grid that fits the price
            self._refit_grid(st, ladder, ref)
        if delta > 0.0:
            ladder.add(price, delta * price, buy_share)
        else:
            remove_closed_fraction(ladder, -delta, previous, buy_share)
        if ref is not None:
            if ladder.crossed(ref):
                self._consume(st, ref)
            ladder.prune(ref, self.params.ladder.prune_pct)

    def _refit_grid(self, st: _SymbolState, ladder: Ladder, price: float) -> None:
        """Re-base a grid that is 20× off its intended share of price (never on ordinary moves)."""
        lp = self.params.ladder
        share = ladder.width / price
        if lp.bin_pct / 20.0 <= share <= lp.bin_pct * 20.0:
            return
        tick = st.info.tick_size if st.info is not None else None
        ladder.rebase(bin_width_for(price, lp.bin_pct, tick))
        st.hits.clear()  # their bin indices belong to the old grid
        st.row_cache.clear()
        st.real_long.clear()
        st.real_short.clear()
        st.real_prints = deque(
            (ts, is_long, ladder.bin_of(at), usd, at) for ts, is_long, _, usd, at in st.real_prints
        )
        for _, is_long, k, usd, _ in st.real_prints:
            _bin_add(st.real_long if is_long else st.real_short, k, usd)

    # ================================================================ realised overlay

    def _bin_realized(self, st: _SymbolState) -> None:
        """Bin the waiting prints into the overlay's sums and expire what left its window.

        O(1) amortised per print; a late print (rare) is put in ts order so it expires on time.
        """
        ladder = st.ladder
        prints = st.real_prints
        edge = st.clock - self._realized_ms
        new = st.real_new
        if new:
            for ts, is_long, price, usd in new:
                if ts < edge or ladder is None:
                    continue
                k = ladder.bin_of(price)
                if prints and ts < prints[-1][0]:
                    bisect.insort(prints, (ts, is_long, k, usd, price))
                else:
                    prints.append((ts, is_long, k, usd, price))
                _bin_add(st.real_long if is_long else st.real_short, k, usd)
            new.clear()
        if prints and (prints[0][0] < edge or len(prints) > REALIZED_CAPACITY):
            _expire_realized(st, edge, REALIZED_CAPACITY)

    def _on_history(self, h: History) -> list[Alert]:
        """Warm start: rebuild the ladder from historical open interest and klines.

        Each OI step (oldest first) is attributed at the typical price of the bars
        inside it, weighted by volume, split by their taker-buy share (0.5 where
        the venue gives none). Before the step's exposure is added, levels already
        held are consumed by those bars' low and high, as the mark would have done.
        The bars also seed σ (per-second, from their close-to-close returns) for
        the first minutes, when the live 1 s history is still too short.
        """
        st = self._state(h.symbol, h.exchange)
        bars = sorted((b for b in h.bars if _bar_ok(b)), key=lambda b: b.ts)
        ois = sorted((o for o in h.open_interest if 0.0 <= o.amount < _INF), key=lambda o: o.ts)
        if not bars:
            return _NO_ALERTS
        self._seed_sigma(st, bars)
        ladder = st.ladder or self._make_ladder(st, bars[-1].close)
        j = 0
        for prev, cur in itertools.pairwise(ois):
            while j < len(bars) and bars[j].ts < prev.ts:
                j += 1
            k = j
            while k < len(bars) and bars[k].ts < cur.ts:
                k += 1
            inside = bars[j:k] if k > j else bars[max(0, j - 1) : j]
            if not inside:
                continue
            ladder.consume(min(b.low for b in inside))
            ladder.consume(max(b.high for b in inside))
            delta = cur.amount - prev.amount
            vwap, buy_share = _bars_vwap(inside)
            if delta > 0.0:
                ladder.add(vwap, delta * vwap, buy_share)
            elif delta < 0.0:
                remove_closed_fraction(ladder, -delta, prev.amount, buy_share)
            ladder.consume(inside[-1].close)
            j = k
        ref = st.reference_price() or bars[-1].close
        ladder.consume(ref)
        ladder.prune(ref, self.params.ladder.prune_pct)
        if st.last is None:
            st.last = bars[-1].close
        if ois and ois[-1].ts > st.oi_ts:
            st.oi_amount = st.oi_attr_amount = ois[-1].amount
            value = ois[-1].value
            valid = value is not None and 0.0 <= value < _INF
            st.oi_value = value if valid else ois[-1].amount * bars[-1].close
            st.oi_ts = st.oi_attr_ts = ois[-1].ts
        for o in ois:
            self._record_oi(st, o.ts, o.amount)
        return _NO_ALERTS

    def _seed_sigma(self, st: _SymbolState, bars: list[Any]) -> None:
        if len(bars) < 3:
            return
        closes = np.array([b.close for b in bars], dtype=np.float64)
        stamps = np.array([b.ts for b in bars], dtype=np.int64)
        returns = np.diff(np.log(closes))
        elapsed = float(np.diff(stamps).sum()) / 1000.0
        if elapsed > 0.0:
            st.sigma_seed = math.sqrt(float(np.square(returns).sum()) / elapsed)

    # ================================================================ seconds and time

    def _close_second(self, st: _SymbolState) -> None:
        """Write the finished second to the ring and start a fresh bucket."""
        close = st.b_close if not math.isnan(st.b_close) else (st.last or st.mark or 0.0)
        if st.b_has and st.sec >= 0 and close > 0.0:  # no price known yet: nothing to chart
            high = st.b_high if st.b_high > -_INF else close
            low = st.b_low if st.b_low < _INF else close
            ts = st.sec * 1000
            st.seconds.append(
                ts, (close, high, low, st.b_buy, st.b_sell, st.b_liq_long, st.b_liq_short)
            )
            highs = st.win_highs
            while highs and highs[-1][1] <= high:
                highs.pop()
            highs.append((ts, high))
            lows = st.win_lows
            while lows and lows[-1][1] >= low:
                lows.pop()
            lows.append((ts, low))
            prev = st.prev_close
            if prev is not None and close > 0.0:
                r = math.log(close / prev)
                st.ret_pending.append((ts, r * r, (ts - st.prev_close_ts) / 1000.0))
            if close > 0.0:
                st.prev_close = close
                st.prev_close_ts = ts
            self._expire_rolling(st)
        last = st.last
        st.b_close = last if last is not None else math.nan
        st.b_high = -_INF
        st.b_low = _INF
        st.b_buy = st.b_sell = st.b_liq_long = st.b_liq_short = 0.0
        st.b_has = False

    def _timed_checks(self, st: _SymbolState) -> list[Alert]:
        alerts: list[Alert] | None = None
        if st.real_new or st.real_prints:
            self._bin_realized(st)
        for window in st.windows.values():  # both first: dominance compares the two sides
            window.expire(st.clock)
        for side in SIDES:
            window = st.windows[side]
            episode = st.episodes.get(side)
            alert: Alert | None = None
            if episode is not None:
                alert = self._episode_tick(st, episode, window)
            if alert is None and window.count >= st.th.min_prints:
                current = st.episodes.get(side)
                if current is None or current.ended_ts is not None:
                    alert = self._check_side(st, side)
            if alert is not None:
                alerts = [alert] if alerts is None else [*alerts, alert]
        return alerts if alerts is not None else _NO_ALERTS

    def _episode_tick(self, st: _SymbolState, ep: Episode, window: PrintWindow) -> Alert | None:
        if ep.ended_ts is not None:
            if st.clock - ep.ended_ts > EPISODE_LINGER_MS:
                del st.episodes[ep.side]
            return None
        if st.last is not None:
            ep.last_price = st.last
        if not ep.update_rate(st.clock, window.rate(), st.th):
            return None
        ep.ended_ts = st.clock
        return self._exhausted_alert(st, ep)

    # ================================================================ signals

    def _check_side(self, st: _SymbolState, side: Side) -> Alert | None:
        """Cheap tests first; the numpy measures only when they already pass."""
        th = st.th
        window = st.windows[side]
        if window.count < th.min_prints:
            return None
        other = st.windows[Side.SHORT if side is Side.LONG else Side.LONG]
        total = window.usd + other.usd
        if total <= 0.0 or window.usd / total < th.dominance:
            return None
        kind = FORCED_KIND[side]
        last_fire = st.last_fire.get(kind)
        if last_fire is not None and st.clock - last_fire < th.cooldown_s * 1000:
            return None
        floor = th.sampled_floor_usd if st.sampled else th.floor_usd
        if window.usd < floor and not (st.sampled and window.run_seconds >= th.min_run_s):
            return None
        if self._move_sigmas(st, side) < th.z:
            return None
        evidence = self._measure(st, side)
        path = decide(evidence, th)
        if path is None:
            return None
        st.last_fire[kind] = st.clock
        ref = _extreme_ref(st, side)
        st.episodes[side] = Episode(
            kind,
            side,
            window.first_ts() or st.clock,
            ref if ref is not None else (st.last or 0.0),
            window.usd,
            window.count,
            window.rate(),
            evidence.clusters,
            evidence.lower_bound,
        )
        if st.last is not None:
            st.episodes[side].last_price = st.last
        return self._cascade_alert(st, kind, evidence, path)

    def _measure(self, st: _SymbolState, side: Side) -> ChainEvidence:
        """σ, displacement, flow burst, baseline and clusters for one side, now."""
        th = st.th
        window_ms = int(th.window_s * 1000)
        now = st.clock
        start = now - window_ms
        ring = st.seconds
        stamps = ring.timestamps()
        in_win = ring.window(start)
        before = slice(int(np.searchsorted(stamps, start - HOUR_MS, side="left")), in_win.start)

        sigma = self._sigma(st)
        move = self._log_move(st, side)
        forced = -move if side is Side.LONG else move
        move_sigmas = forced / (sigma * math.sqrt(th.window_s)) if sigma > 0.0 else 0.0

        # One reduction per span gives every column's sum (a numpy call costs ~1 µs).
        block = ring.block()
        win_sums: list[float] = block[:, in_win].sum(axis=1).tolist()
        past_sums: list[float] = block[:, before].sum(axis=1).tolist()
        buy, sell = ring.index_of("buy_usd"), ring.index_of("sell_usd")
        forced_i, other_i = (sell, buy) if side is Side.LONG else (buy, sell)
        forced_now = st.b_sell if side is Side.LONG else st.b_buy
        other_now = st.b_buy if side is Side.LONG else st.b_sell
        flow_forced = win_sums[forced_i] + forced_now
        flow_other = win_sums[other_i] + other_now
        flow_total = flow_forced + flow_other
        flow_share = flow_forced / flow_total if flow_total > 0.0 else 0.0
        flow_ratio = 0.0
        history_s = 0.0
        if before.stop > before.start:
            history_s = float(stamps[before.stop - 1] - stamps[before.start]) / 1000.0 + 1.0
        if history_s >= th.min_sigma_history_s:
            mean = past_sums[forced_i] * th.window_s / history_s
            flow_ratio = flow_forced / mean if mean > 0.0 else _INF

        baseline: float | None = None
        if st.first_ts is not None and st.first_ts <= start - HOUR_MS:
            liq_i = ring.index_of("liq_long_usd" if side is Side.LONG else "liq_short_usd")
            baseline = past_sums[liq_i] * th.window_s / 3600.0

        window = st.windows[side]
        other = st.windows[Side.SHORT if side is Side.LONG else Side.LONG]
        total = window.usd + other.usd
        first = window.first_ts()
        clusters = sum(
            1 for ts, hit, is_cluster in st.hits if is_cluster and hit.side is side and ts > start
        )
        return ChainEvidence(
            side=side,
            notional_usd=window.usd,
            prints=window.count,
            dominance=window.usd / total if total > 0.0 else 0.0,
            span_s=max(1.0, (now - first) / 1000.0) if first is not None else 0.0,
            run_s=window.run_seconds,
            move_pct=(math.exp(move) - 1.0) * 100.0,
            move_sigmas=move_sigmas,
            sigma_1s=sigma,
            flow_share=flow_share,
            flow_ratio=flow_ratio,
            clusters=clusters,
            baseline_usd=baseline,
            threshold_usd=notional_threshold(th, baseline, st.sampled),
            lower_bound=st.sampled,
        )

    def _log_move(self, st: _SymbolState, side: Side) -> float:
        """ln(last / window extreme): from the high for longs, from the low for shorts."""
        last = st.last if st.last is not None else st.reference_price() or 0.0
        ref = _extreme_ref(st, side) or last
        return math.log(last / ref) if last > 0.0 and ref > 0.0 else 0.0

    def _move_sigmas(self, st: _SymbolState, side: Side) -> float:
        """The forced-direction move in units of σ·√W (pure Python but for a stale σ)."""
        sigma = self._sigma(st)
        move = self._log_move(st, side)
        forced = -move if side is Side.LONG else move
        return forced / (sigma * math.sqrt(st.th.window_s)) if sigma > 0.0 else 0.0

    def _sigma(self, st: _SymbolState) -> float:
        """σ of 1 s log returns over the hour before the window, floored.

        Seconds without trades have no row, so the variance is Σ r² / Σ Δt over
        consecutive rows: a return spanning a gap counts for the seconds it
        spans. The sums run in Python as rows enter and leave the hour. With
        less than ``min_sigma_history_s`` of rows the warm-start klines' σ is
        used, else the cautious ``sigma_fallback``.
        """
        self._expire_rolling(st)
        th = st.th
        if st.ret_dt >= th.min_sigma_history_s:
            return max(math.sqrt(max(st.ret_r2, 0.0) / st.ret_dt), th.sigma_floor)
        if st.sigma_seed is not None:
            return max(st.sigma_seed, th.sigma_floor)
        return max(th.sigma_fallback, th.sigma_floor)

    def _expire_rolling(self, st: _SymbolState) -> None:
        """Age the running σ sums and the window extremes (bounded whatever the market does)."""
        start = st.clock - int(st.th.window_s * 1000)
        highs = st.win_highs
        while highs and highs[0][0] < start:
            highs.popleft()
        lows = st.win_lows
        while lows and lows[0][0] < start:
            lows.popleft()
        pending = st.ret_pending
        hour = st.ret_hour
        while pending and pending[0][0] < start:
            row = pending.popleft()
            hour.append(row)
            st.ret_r2 += row[1]
            st.ret_dt += row[2]
        edge = start - HOUR_MS
        while hour and hour[0][0] < edge:
            _, r2, dt = hour.popleft()
            st.ret_r2 -= r2
            st.ret_dt -= dt
        if not hour:
            st.ret_r2 = st.ret_dt = 0.0

    def _oi_change(self, st: _SymbolState, span_ms: int) -> float | None:
        """OI change in percent since the stored point at or before ``span_ms`` ago."""
        hist = st.oi_hist
        if st.oi_amount is None or not hist:
            return None
        i = bisect.bisect_right(hist, (st.oi_ts - span_ms, _INF)) - 1
        if i < 0:
            return None
        then = hist[i][1]
        if then <= 0.0:
            return None
        return (st.oi_amount / then - 1.0) * 100.0

    def _record_oi(self, st: _SymbolState, ts: int, amount: float) -> None:
        """Keep the latest sample of each ``OI_BUCKET_MS`` bucket, for the last two hours."""
        hist = st.oi_hist
        bucket = ts // OI_BUCKET_MS
        if not hist or ts > hist[-1][0]:
            if hist and hist[-1][0] // OI_BUCKET_MS == bucket:
                hist[-1] = (ts, amount)
            else:
                hist.append((ts, amount))
        else:  # an older sample (a warm start after live data): rare, keep it in order
            i = bisect.bisect_left(hist, (ts, -_INF))
            if i < len(hist) and hist[i][0] == ts:
                return
            if i < len(hist) and hist[i][0] // OI_BUCKET_MS == bucket:
                return  # its bucket already holds a later sample
            if i > 0 and hist[i - 1][0] // OI_BUCKET_MS == bucket:
                hist[i - 1] = (ts, amount)
            else:
                hist.insert(i, (ts, amount))
        edge = hist[-1][0] - OI_HISTORY_MS
        if hist[0][0] < edge:
            del hist[: bisect.bisect_left(hist, (edge, -_INF))]

    def _funding_reading(self, st: _SymbolState, rate: float) -> Alert | None:
        interval = self._funding_interval(st)
        rate_8h = rate * 8.0 / interval
        if not st.funding_watch.reading(st.clock, rate_8h, st.th):
            return None
        apr = rate * 24.0 / interval * 365.0
        readings = st.funding_watch.streak
        side = Side.LONG if rate > 0 else Side.SHORT
        return self._alert(
            st,
            AlertKind.FUNDING_EXTREME,
            side,
            text.funding_text(
                st.symbol, rate, interval, rate_8h, apr, readings, st.th.funding_reading_s
            ),
            {
                "funding_rate": rate,
                "funding_interval_h": interval,
                "funding_8h": rate_8h,
                "apr": apr,
                "readings": readings,
                "reading_s": st.th.funding_reading_s,
                "crowded_side": side.value,
            },
        )

    def _funding_interval(self, st: _SymbolState) -> float:
        return st.funding_interval_h if st.funding_interval_h is not None else 8.0

    # ================================================================ alerts

    def _alert(
        self,
        st: _SymbolState,
        kind: AlertKind,
        side: Side | None,
        message: str,
        facts: dict[str, float | int | str | bool],
    ) -> Alert:
        return Alert(
            ts=st.clock,
            exchange=st.exchange,
            symbol=st.symbol,
            kind=kind,
            side=side,
            message=message,
            facts=facts,
            source=self.source,
        )

    def _cascade_alert(
        self, st: _SymbolState, kind: AlertKind, ev: ChainEvidence, path: str
    ) -> Alert:
        oi_pct = self._oi_change(st, 300_000)
        facts: dict[str, float | int | str | bool] = {
            "notional_usd": round(ev.notional_usd, 2),
            "lower_bound": ev.lower_bound,
            "prints": ev.prints,
            "span_s": round(ev.span_s, 1),
            "window_s": st.th.window_s,
            "dominance": round(ev.dominance, 4),
            "price_move_pct": round(ev.move_pct, 4),
            "move_sigmas": round(ev.move_sigmas, 2),
            "sigma_1s_pct": round(ev.sigma_1s * 100.0, 5),
            "run_s": ev.run_s,
            "taker_share": round(ev.flow_share, 4),
            "taker_burst": round(ev.flow_ratio, 2) if ev.flow_ratio < _INF else -1.0,
            "clusters_hit": ev.clusters,
            "threshold_usd": round(ev.threshold_usd, 2),
            "evidence": path,
        }
        if ev.baseline_usd is not None:
            facts["baseline_usd"] = round(ev.baseline_usd, 2)
        if oi_pct is not None:
            facts["oi_change_5m_pct"] = round(oi_pct, 3)
        message = text.cascade_text(
            st.symbol,
            kind.value,
            st.exchange,
            ev.side,
            ev.notional_usd,
            ev.prints,
            ev.span_s,
            ev.lower_bound,
            ev.move_pct,
            ev.clusters,
            oi_pct,
        )
        return self._alert(st, kind, ev.side, message, facts)

    def _exhausted_alert(self, st: _SymbolState, ep: Episode) -> Alert:
        duration = (st.clock - ep.started_ts) / 1000.0
        hold = st.th.exhaustion_hold_s
        message = text.exhausted_text(
            st.symbol,
            st.exchange,
            ep.side,
            ep.notional,
            ep.prints,
            duration,
            ep.lower_bound,
            ep.move_pct(),
            ep.peak_rate,
            ep.current_rate,
            hold,
            st.th.exhaustion_ratio,
        )
        return self._alert(
            st,
            AlertKind.CASCADE_EXHAUSTED,
            ep.side,
            message,
            {
                "episode_kind": ep.kind.value,
                "notional_usd": round(ep.notional, 2),
                "lower_bound": ep.lower_bound,
                "prints": ep.prints,
                "duration_s": round(duration, 1),
                "price_move_pct": round(ep.move_pct(), 4),
                "peak_rate_usd_s": round(ep.peak_rate, 2),
                "current_rate_usd_s": round(ep.current_rate, 2),
                "hold_s": hold,
                "exhaustion_ratio": st.th.exhaustion_ratio,
                "clusters_hit": ep.clusters,
            },
        )

    def _oi_flush_alert(
        self, st: _SymbolState, oi: OpenInterest, drop_pct: float, high_ts: int
    ) -> Alert:
        span_s = max(0.0, (oi.ts - high_ts) / 1000.0)
        before = oi.amount / (1.0 - drop_pct / 100.0) if drop_pct < 100.0 else oi.amount
        ring = st.seconds
        long_usd = ring.window_sum("liq_long_usd", high_ts) + st.b_liq_long
        short_usd = ring.window_sum("liq_short_usd", high_ts) + st.b_liq_short
        side: Side | None = None
        if long_usd + short_usd > 0.0:
            side = Side.LONG if long_usd >= short_usd else Side.SHORT
        message = text.oi_flush_text(
            st.symbol,
            st.exchange,
            drop_pct,
            span_s,
            before,
            oi.amount,
            long_usd,
            short_usd,
            st.sampled,
        )
        return self._alert(
            st,
            AlertKind.OI_FLUSH,
            side,
            message,
            {
                "oi_drop_pct": round(drop_pct, 3),
                "span_s": span_s,
                "oi_before": before,
                "oi_after": oi.amount,
                "liquidated_long_usd": round(long_usd, 2),
                "liquidated_short_usd": round(short_usd, 2),
                "lower_bound": st.sampled,
            },
        )

    # ================================================================ snapshot parts

    def _price_series(self, st: _SymbolState) -> tuple[tuple[int, ...], tuple[float, ...]]:
        ring = st.seconds
        start = st.clock - int(self.params.price_history_s * 1000)
        win = ring.window(start)
        stamps: list[int] = ring.timestamps()[win].tolist()
        closes: list[float] = ring.column("close")[win].tolist()
        if st.b_has and not math.isnan(st.b_close):
            stamps.append(st.sec * 1000)
            closes.append(st.b_close)
        return tuple(stamps), tuple(closes)

    def _change_pct(self, st: _SymbolState, span_ms: int) -> float | None:
        if st.last is None or st.first_ts is None or st.clock - st.first_ts < span_ms:
            return None
        then = st.seconds.value_at_or_before("close", st.clock - span_ms)
        if then is None or then <= 0.0:
            return None
        return (st.last / then - 1.0) * 100.0

    def _ladder_rows(self, st: _SymbolState, span_pct: float | None) -> tuple[LadderBin, ...]:
        ladder = st.ladder
        ref = st.reference_price()
        if ladder is None or ref is None:
            return ()
        widest = self.params.ladder.prune_pct
        span = widest
        if span_pct is not None and math.isfinite(span_pct):
            span = min(abs(span_pct) / 100.0, widest)  # nothing is held beyond the pruning reach
        w = ladder.width
        lo = ladder.bin_of(ref * (1.0 - span))
        hi = ladder.bin_of(ref * (1.0 + span))
        if hi - lo + 1 > MAX_LADDER_ROWS:
            # The grid is fixed by the first price; if price has since moved by orders of
            # magnitude (a bad first tick), show the rows around price and fold the rest.
            mid = ladder.bin_of(ref)
            lo = mid - MAX_LADDER_ROWS // 2
            hi = lo + MAX_LADDER_ROWS - 1
        n = hi - lo + 1
        last_row = n + 1  # row 0 = below edge, 1..n = bins lo..hi, n + 1 = above edge
        long_usd, long_min, _ = _binned(ladder.long_bins, lo, n)
        short_usd, _, short_max = _binned(ladder.short_bins, lo, n)
        real_long = [0.0] * (n + 2)
        real_short = [0.0] * (n + 2)
        self._bin_realized(st)
        for k, cell in st.real_long.items():
            real_long[min(max(k - lo + 1, 0), last_row)] += cell[0]
        for k, cell in st.real_short.items():
            real_short[min(max(k - lo + 1, 0), last_row)] += cell[0]
        hit_long = [0.0] * (n + 2)
        hit_short = [0.0] * (n + 2)
        hit_since = st.clock - int(self.params.ladder.hit_window_s * 1000)
        for ts, hit, _ in reversed(st.hits):
            if ts < hit_since:
                break
            r = min(max(hit.index - lo + 1, 0), last_row)
            if hit.side is Side.LONG:
                hit_long[r] += hit.usd
            else:
                hit_short[r] += hit.usd
        low_edge = min(lo, long_min if long_min is not None else lo) * w
        high_edge = max(hi + 1, short_max + 1 if short_max is not None else hi + 1) * w
        lows = [low_edge, *((lo + i) * w for i in range(n + 1))]
        highs = [*lows[1:], high_edge]
        edges = [False] * (n + 2)
        edges[0] = edges[last_row] = True
        keys = list(
            zip(
                lows,
                highs,
                long_usd,
                short_usd,
                real_long,
                real_short,
                hit_long,
                hit_short,
                edges,
                strict=True,
            )
        )
        cached = st.row_cache.get(span_pct)
        if cached is not None and cached[0] == keys:
            return cached[1]  # nothing changed since the last tick: one C-level compare
        previous = dict(zip(cached[0], cached[1], strict=True)) if cached is not None else {}
        rows = tuple(previous.get(key) or LadderBin(*key) for key in keys)
        if len(st.row_cache) >= 8:  # zoom levels are few; never let this grow
            st.row_cache.clear()
        st.row_cache[span_pct] = (keys, rows)
        return rows

    def _funding_view(self, st: _SymbolState) -> FundingView | None:
        rate = st.funding_rate
        if rate is None:
            return None
        interval = self._funding_interval(st)
        return FundingView(
            rate=rate,
            interval_h=interval,
            rate_8h=rate * 8.0 / interval,
            apr=rate * 24.0 / interval * 365.0,
            next_funding_ts=st.funding_next_ts,
        )

    def _oi_view(self, st: _SymbolState) -> OpenInterestView | None:
        if st.oi_amount is None:
            return None
        hist = st.oi_hist
        start = bisect.bisect_left(hist, (st.oi_ts - HOUR_MS, -_INF))
        return OpenInterestView(
            amount=st.oi_amount,
            value=st.oi_value,
            delta_5m_pct=self._oi_change(st, 300_000),
            delta_1h_pct=self._oi_change(st, HOUR_MS),
            history=tuple(hist[start:]),
        )

    def _episode_views(self, st: _SymbolState) -> tuple[EpisodeView, ...]:
        return tuple(ep.view() for ep in st.episodes.values())


def _extreme_ref(st: _SymbolState, side: Side) -> float | None:
    """The window's high (long cascade) or low (squeeze): where the forced move started."""
    start = st.clock - int(st.th.window_s * 1000)
    if side is Side.LONG:
        highs = st.win_highs
        while highs and highs[0][0] < start:
            highs.popleft()
        best = highs[0][1] if highs else -_INF
        best = max(best, st.b_high)
        return best if best > -_INF else None
    lows = st.win_lows
    while lows and lows[0][0] < start:
        lows.popleft()
    best = lows[0][1] if lows else _INF
    best = min(best, st.b_low)
    return best if best < _INF else None


def _expire_realized(st: _SymbolState, edge: int, keep: int) -> None:
    """Drop overlay prints older than ``edge``, and the oldest beyond ``keep`` prints."""
    prints = st.real_prints
    while prints and (prints[0][0] < edge or len(prints) > keep):
        _, is_long, k, usd, _ = prints.popleft()
        bins = st.real_long if is_long else st.real_short
        cell = bins.get(k)
        if cell is None:
            continue
        cell[1] -= 1.0
        if cell[1] <= 0.0:
            del bins[k]  # no float residue once a bin's last print has left
        else:
            cell[0] -= usd


def _bin_add(bins: dict[int, list[float]], k: int, usd: float) -> None:
    cell = bins.get(k)
    if cell is None:
        bins[k] = [usd, 1.0]
    else:
        cell[0] += usd
        cell[1] += 1.0


def _binned(bins: dict[int, float], lo: int, n: int) -> tuple[list[float], int | None, int | None]:
    """Sum bin notionals into snapshot rows (edges catch the rest); also min and max bin.

    Plain Python: pruning keeps a side to a few hundred bins, where a loop beats the
    fixed cost of building numpy arrays from a dict.
    """
    out = [0.0] * (n + 2)
    if not bins:
        return out, None, None
    last = n + 1
    for k, usd in bins.items():
        r = k - lo + 1
        out[0 if r < 0 else (last if r > last else r)] += usd
    return out, min(bins), max(bins)


def _bar_ok(bar: Any) -> bool:
    return (
        all(0.0 < x < _INF for x in (bar.open, bar.high, bar.low, bar.close))
        and 0.0 <= bar.volume < _INF
    )


def _bars_vwap(bars: list[Any]) -> tuple[float, float]:
    """Volume-weighted typical price and taker-buy share of some klines."""
    volume = sum(b.volume for b in bars)
    if volume <= 0.0:
        return bars[-1].close, 0.5
    vwap = sum((b.high + b.low + b.close) / 3.0 * b.volume for b in bars) / volume
    known = [b for b in bars if b.taker_buy_volume is not None]
    if not known:
        return vwap, 0.5
    known_volume = sum(b.volume for b in known)
    if known_volume <= 0.0:
        return vwap, 0.5
    buy = sum(float(b.taker_buy_volume) for b in known)
    return vwap, min(1.0, max(0.0, buy / known_volume))


def _empty_snapshot(symbol: str, exchange: str, source: Source) -> DetectorSnapshot:
    return DetectorSnapshot(
        exchange=exchange,
        symbol=symbol,
        ts=0,
        source=source,
        last=None,
        mark=None,
        index=None,
        change_1m_pct=None,
        change_5m_pct=None,
        change_1h_pct=None,
        price_ts=(),
        prices=(),
        bin_width=0.0,
        ladder=(),
        recent_liquidations=(),
        funding=None,
        open_interest=None,
        episodes=(),
        feed=(),
    )
