"""The Detector: ``on_event`` and ``snapshot`` over per-symbol state.

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

The state of a symbol and its parts are in ``state.py`` and the modules it
names.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np

from scalptui.detector import text
from scalptui.detector.funding import apr, rate_8h
from scalptui.detector.ladder import (
    Ladder,
    bin_width_for,
    fold_leverage_mix,
    remove_closed_fraction,
)
from scalptui.detector.params import DetectorParams
from scalptui.detector.realized import REALIZED_BATCH
from scalptui.detector.rolling import HOUR_MS
from scalptui.detector.signals import (
    ChainEvidence,
    Episode,
    PrintWindow,
    decide,
    notional_threshold,
)
from scalptui.detector.state import SymbolState
from scalptui.models import (
    Alert,
    AlertKind,
    Bar,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    History,
    LadderBin,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    Source,
    TakerSide,
    Trade,
)

EPISODE_LINGER_MS = 60_000
"""An exhausted episode stays in snapshots this long (the UI shows it as exhausted)."""
SIDES = (Side.LONG, Side.SHORT)
MAX_LADDER_ROWS = 2000
"""A snapshot never carries more inner ladder rows than this (the edges sum the rest)."""
MAX_CACHED_SPANS = 8
"""Zoom levels are few; the row cache never holds more spans than this."""
_NO_ALERTS: list[Alert] = []
_INF = math.inf

Facts = dict[str, float | int | str | bool]

FORCED_KIND = {Side.LONG: AlertKind.LIQUIDATION_CASCADE, Side.SHORT: AlertKind.SHORT_SQUEEZE}


def _finite_positive(x: float) -> bool:
    return 0.0 < x < _INF


class Detector:
    """Events in, estimated ladder and informational alerts out (see the package docstring)."""

    def __init__(self, params: DetectorParams | None = None, *, source: Source = Source.LIVE):
        self.params = params if params is not None else DetectorParams()
        self.source = source
        self._symbols: dict[str, SymbolState] = {}
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
            views = episode_views(st)
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
        return measure(st, side)

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
            return empty_snapshot(symbol, self._exchange, self.source)
        feed = tuple(self._global_feed.values())
        return build_snapshot(st, self.params, self.source, span_pct, feed)

    # ================================================================ per-event paths

    def _state(self, symbol: str, exchange: str) -> SymbolState:
        st = self._symbols.get(symbol)
        if st is None:
            th = self.params.thresholds_for(symbol)
            st = SymbolState(symbol, exchange, th, self.params.tape_size, self._realized_ms)
            self._symbols[symbol] = st
        return st

    def _advance(self, st: SymbolState, ts: int) -> list[Alert]:
        """Move the symbol's clock forward (never back); timed checks on each new second."""
        if ts <= st.clock:
            return _NO_ALERTS
        st.clock = ts
        if st.first_ts is None:
            st.first_ts = ts
        sec = ts // 1000
        if sec <= st.sec:
            return _NO_ALERTS
        st.close_second()
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
        b = st.bucket
        iv = st.interval
        if t.side is TakerSide.BUY:
            b.buy += usd
            iv.buy += amount
        else:
            b.sell += usd
            iv.sell += amount
        iv.pv += usd
        iv.vol += amount
        if t.ts >= st.clock:  # a late trade counts in the flow but does not move the price
            st.last = price
            b.close = price
            if price > b.high:
                b.high = price
            if price < b.low:
                b.low = price
        b.has = True
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
        funding = st.funding
        if m.funding_interval_h is not None and _finite_positive(m.funding_interval_h):
            funding.interval_h = m.funding_interval_h
        if m.next_funding_ts is not None:
            funding.next_ts = m.next_funding_ts
        rate = m.funding_rate
        if rate is not None and math.isfinite(rate):
            funding.rate = rate
            interval = funding.interval()
            if funding.watch.reading(st.clock, rate_8h(rate, interval), st.th):
                alerts = [*alerts, funding_alert(st, self.source, rate, interval)]
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
        b = st.bucket
        if liq.side is Side.LONG:
            b.liq_long += notional
        else:
            b.liq_short += notional
        if not b.has:
            b.close = st.last if st.last is not None else liq.price
            b.high = max(b.high, b.close)
            b.low = min(b.low, b.close)
            b.has = True
        if st.ladder is None:
            self._make_ladder(st, liq.price)
        if liq.ts >= st.clock - self._realized_ms:
            overlay = st.overlay
            new = overlay.new
            new.append((liq.ts, side is Side.LONG, liq.price, notional))
            if len(new) >= REALIZED_BATCH:
                overlay.bin(st.ladder, st.clock)
        episode = st.episodes.get(side)
        if episode is running and episode is not None and episode.ended_ts is None:
            episode.add_print(notional)  # an episode opened by this very print counted it
        return alerts

    def _on_open_interest(self, oi: OpenInterest) -> list[Alert]:
        amount = oi.amount
        if not (0.0 <= amount < _INF):
            return _NO_ALERTS
        st = self._symbols.get(oi.symbol) or self._state(oi.symbol, oi.exchange)
        track = st.oi
        if oi.ts <= track.ts:
            return _NO_ALERTS  # a repeated or older sample: its delta is already counted
        alerts = self._advance(st, oi.ts) if oi.ts > st.clock else _NO_ALERTS
        price = st.interval.vwap()
        if price is None:
            price = st.reference_price()
        if track.attribution_due(oi.ts):
            # A polled venue (every 10-30 s) attributes every sample; one streaming OI with
            # each ticker change (Bybit, ~10 a second) attributes the net change once per
            # second, like the other timed work, so the ladder's O(levels) work is amortised.
            previous = track.attr_amount
            if previous is not None and price is not None and st.ladder is not None:
                self._attribute(st, amount - previous, previous, price)
            st.interval.restart()
            track.attr_amount = amount
            track.attr_ts = oi.ts
        track.amount = amount
        track.ts = oi.ts
        value = oi.value
        if value is not None and 0.0 <= value < _INF:
            track.value = value
        elif price is not None:
            track.value = amount * price
        track.record(oi.ts, amount)
        flush = track.watch.reading(oi.ts, amount, st.th)
        if flush is not None:
            alerts = [*alerts, oi_flush_alert(st, self.source, oi, flush[0], flush[1])]
        return alerts

    def _on_market_info(self, info: MarketInfo) -> list[Alert]:
        st = self._state(info.symbol, info.exchange)
        st.info = info
        interval = info.funding_interval_h
        if interval is not None and _finite_positive(interval) and st.funding.interval_h is None:
            st.funding.interval_h = interval
        if st.ladder is not None:
            # The grid stays; leverage and MMR apply to exposure added from now on.
            st.ladder.mix = fold_leverage_mix(self.params.ladder.leverage_mix, info.max_leverage)
            st.ladder.mmr = self._mmr(st)
        return _NO_ALERTS

    def _on_history(self, h: History) -> list[Alert]:
        """Warm start: rebuild the ladder from historical open interest and klines."""
        st = self._state(h.symbol, h.exchange)
        bars, ois = usable_history(h)
        if not bars:
            return _NO_ALERTS
        seed = sigma_of(bars)
        if seed is not None:
            st.rolling.seed = seed
        ladder = st.ladder or self._make_ladder(st, bars[-1].close)
        warm_start(st, ladder, bars, ois, self.params.ladder.prune_pct)
        return _NO_ALERTS

    def _on_status(self, status: FeedStatus) -> list[Alert]:
        if status.symbol is None:
            self._global_feed[(status.exchange, status.stream)] = status
        else:
            st = self._state(status.symbol, status.exchange)
            st.feed[(status.stream, status.symbol)] = status
        return _NO_ALERTS

    # ================================================================ ladder

    def _mmr(self, st: SymbolState) -> float:
        if st.info is not None and st.info.mmr is not None and 0.0 <= st.info.mmr < 1.0:
            return st.info.mmr
        lp = self.params.ladder
        return lp.mmr_table.get(st.symbol.split("/", 1)[0], lp.default_mmr)

    def _make_ladder(self, st: SymbolState, price: float) -> Ladder:
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

    def _consume(self, st: SymbolState, price: float) -> None:
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

    def _attribute(self, st: SymbolState, delta: float, previous: float, price: float) -> None:
        """Open-interest change → ladder: add at the interval VWAP, or remove by taker share
        (see ``remove_closed_fraction``)."""
        ladder = st.ladder
        if ladder is None or delta == 0.0:
            return
        buy_share = st.interval.buy_share()
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

    def _refit_grid(self, st: SymbolState, ladder: Ladder, price: float) -> None:
        """Re-base a grid that is 20× off its intended share of price (never on ordinary moves)."""
        lp = self.params.ladder
        share = ladder.width / price
        if lp.bin_pct / 20.0 <= share <= lp.bin_pct * 20.0:
            return
        tick = st.info.tick_size if st.info is not None else None
        ladder.rebase(bin_width_for(price, lp.bin_pct, tick))
        st.hits.clear()  # their bin indices belong to the old grid
        st.rows.clear()
        st.overlay.rebin(ladder)

    # ================================================================ once a second

    def _timed_checks(self, st: SymbolState) -> list[Alert]:
        alerts: list[Alert] | None = None
        overlay = st.overlay
        if overlay.new or overlay.prints:
            overlay.bin(st.ladder, st.clock)
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

    def _episode_tick(self, st: SymbolState, ep: Episode, window: PrintWindow) -> Alert | None:
        if ep.ended_ts is not None:
            if st.clock - ep.ended_ts > EPISODE_LINGER_MS:
                del st.episodes[ep.side]
            return None
        if st.last is not None:
            ep.last_price = st.last
        if not ep.update_rate(st.clock, window.rate(), st.th):
            return None
        ep.ended_ts = st.clock
        return exhausted_alert(st, self.source, ep)

    def _check_side(self, st: SymbolState, side: Side) -> Alert | None:
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
        if move_sigmas(st, side) < th.z:
            return None
        ev = measure(st, side)
        path = decide(ev, th)
        if path is None:
            return None
        st.last_fire[kind] = st.clock
        ref = extreme_ref(st, side)
        st.episodes[side] = Episode(
            kind,
            side,
            window.first_ts() or st.clock,
            ref if ref is not None else (st.last or 0.0),
            window.usd,
            window.count,
            window.rate(),
            ev.clusters,
            ev.lower_bound,
        )
        if st.last is not None:
            st.episodes[side].last_price = st.last
        return cascade_alert(st, self.source, kind, ev, path)


# ================================================================ measures


def extreme_ref(st: SymbolState, side: Side) -> float | None:
    """The window's high (long cascade) or low (squeeze): where the forced move started."""
    start = st.window_start()
    if side is Side.LONG:
        return st.rolling.high_since(start, st.bucket.high)
    return st.rolling.low_since(start, st.bucket.low)


def log_move(st: SymbolState, side: Side) -> float:
    """ln(last / window extreme): from the high for longs, from the low for shorts."""
    last = st.last if st.last is not None else st.reference_price() or 0.0
    ref = extreme_ref(st, side) or last
    return math.log(last / ref) if last > 0.0 and ref > 0.0 else 0.0


def sigma(st: SymbolState) -> float:
    """σ of 1 s log returns over the hour before the window, floored (see ``RollingStats``)."""
    return st.rolling.sigma(st.window_start(), st.th)


def move_sigmas(st: SymbolState, side: Side) -> float:
    """The forced-direction move in units of σ·√W (pure Python but for a stale σ)."""
    s = sigma(st)
    move = log_move(st, side)
    forced = -move if side is Side.LONG else move
    return forced / (s * math.sqrt(st.th.window_s)) if s > 0.0 else 0.0


def measure(st: SymbolState, side: Side) -> ChainEvidence:
    """σ, displacement, flow burst, baseline and clusters for one side, now."""
    th = st.th
    window_ms = int(th.window_s * 1000)
    now = st.clock
    start = now - window_ms
    ring = st.seconds
    stamps = ring.timestamps()
    in_win = ring.window(start)
    before = slice(int(np.searchsorted(stamps, start - HOUR_MS, side="left")), in_win.start)

    s = sigma(st)
    move = log_move(st, side)
    forced = -move if side is Side.LONG else move
    sigmas = forced / (s * math.sqrt(th.window_s)) if s > 0.0 else 0.0

    # One reduction per span gives every column's sum (a numpy call costs ~1 µs).
    block = ring.block()
    win_sums: list[float] = block[:, in_win].sum(axis=1).tolist()
    past_sums: list[float] = block[:, before].sum(axis=1).tolist()
    buy, sell = ring.index_of("buy_usd"), ring.index_of("sell_usd")
    forced_i, other_i = (sell, buy) if side is Side.LONG else (buy, sell)
    b = st.bucket
    forced_now = b.sell if side is Side.LONG else b.buy
    other_now = b.buy if side is Side.LONG else b.sell
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
        move_sigmas=sigmas,
        sigma_1s=s,
        flow_share=flow_share,
        flow_ratio=flow_ratio,
        clusters=clusters,
        baseline_usd=baseline,
        threshold_usd=notional_threshold(th, baseline, st.sampled),
        lower_bound=st.sampled,
    )


# ================================================================ alerts


def make_alert(
    st: SymbolState,
    source: Source,
    kind: AlertKind,
    side: Side | None,
    message: str,
    facts: Facts,
) -> Alert:
    return Alert(
        ts=st.clock,
        exchange=st.exchange,
        symbol=st.symbol,
        kind=kind,
        side=side,
        message=message,
        facts=facts,
        source=source,
    )


def cascade_alert(
    st: SymbolState, source: Source, kind: AlertKind, ev: ChainEvidence, path: str
) -> Alert:
    """A liquidation cascade or short squeeze, with the evidence that decided it."""
    oi_pct = st.oi.change(300_000)
    facts: Facts = {
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
        "taker_burst": round(ev.flow_ratio, 2) if ev.flow_ratio < math.inf else -1.0,
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
    return make_alert(st, source, kind, ev.side, message, facts)


def exhausted_alert(st: SymbolState, source: Source, ep: Episode) -> Alert:
    """An episode whose print rate fell below its share of the peak for the hold time."""
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
    return make_alert(
        st,
        source,
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


def oi_flush_alert(
    st: SymbolState, source: Source, oi: OpenInterest, drop_pct: float, high_ts: int
) -> Alert:
    """Open interest fell ``drop_pct`` from its high at ``high_ts``; the side that was
    liquidated more since then, if any."""
    span_s = max(0.0, (oi.ts - high_ts) / 1000.0)
    before = oi.amount / (1.0 - drop_pct / 100.0) if drop_pct < 100.0 else oi.amount
    ring = st.seconds
    long_usd = ring.window_sum("liq_long_usd", high_ts) + st.bucket.liq_long
    short_usd = ring.window_sum("liq_short_usd", high_ts) + st.bucket.liq_short
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
    return make_alert(
        st,
        source,
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


def funding_alert(st: SymbolState, source: Source, rate: float, interval: float) -> Alert:
    """The funding rate has stayed extreme for the watch's streak of readings."""
    per_8h = rate_8h(rate, interval)
    annual = apr(rate, interval)
    readings = st.funding.watch.streak
    side = Side.LONG if rate > 0 else Side.SHORT
    return make_alert(
        st,
        source,
        AlertKind.FUNDING_EXTREME,
        side,
        text.funding_text(
            st.symbol, rate, interval, per_8h, annual, readings, st.th.funding_reading_s
        ),
        {
            "funding_rate": rate,
            "funding_interval_h": interval,
            "funding_8h": per_8h,
            "apr": annual,
            "readings": readings,
            "reading_s": st.th.funding_reading_s,
            "crowded_side": side.value,
        },
    )


# ================================================================ snapshot parts


def build_snapshot(
    st: SymbolState,
    params: DetectorParams,
    source: Source,
    span_pct: float | None,
    global_feed: tuple[FeedStatus, ...],
) -> DetectorSnapshot:
    """The snapshot of one symbol (see ``Detector.snapshot`` for what ``span_pct`` means)."""
    prices_ts, prices = price_series(st, params.price_history_s)
    return DetectorSnapshot(
        exchange=st.exchange,
        symbol=st.symbol,
        ts=max(st.clock, 0),
        source=source,
        last=st.last,
        mark=st.mark,
        index=st.index,
        change_1m_pct=change_pct(st, 60_000),
        change_5m_pct=change_pct(st, 300_000),
        change_1h_pct=change_pct(st, HOUR_MS),
        price_ts=prices_ts,
        prices=prices,
        bin_width=st.ladder.width if st.ladder is not None else 0.0,
        ladder=ladder_rows(st, params, span_pct),
        recent_liquidations=tuple(reversed(st.realized))[:100],
        funding=st.funding.view(),
        open_interest=st.oi.view(),
        episodes=episode_views(st),
        feed=global_feed + tuple(st.feed.values()),
    )


def empty_snapshot(symbol: str, exchange: str, source: Source) -> DetectorSnapshot:
    """The snapshot of a symbol never seen."""
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


def episode_views(st: SymbolState) -> tuple[EpisodeView, ...]:
    return tuple(ep.view() for ep in st.episodes.values())


def price_series(st: SymbolState, history_s: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """Closes of the last ``history_s`` seconds, the second in progress included."""
    ring = st.seconds
    start = st.clock - int(history_s * 1000)
    win = ring.window(start)
    stamps: list[int] = ring.timestamps()[win].tolist()
    closes: list[float] = ring.column("close")[win].tolist()
    b = st.bucket
    if b.has and not math.isnan(b.close):
        stamps.append(st.sec * 1000)
        closes.append(b.close)
    return tuple(stamps), tuple(closes)


def change_pct(st: SymbolState, span_ms: int) -> float | None:
    """Last price against the close ``span_ms`` ago, in percent (None before that long)."""
    if st.last is None or st.first_ts is None or st.clock - st.first_ts < span_ms:
        return None
    then = st.seconds.value_at_or_before("close", st.clock - span_ms)
    if then is None or then <= 0.0:
        return None
    return (st.last / then - 1.0) * 100.0


def ladder_rows(
    st: SymbolState, params: DetectorParams, span_pct: float | None
) -> tuple[LadderBin, ...]:
    """Rows within ±``span_pct`` of the reference price, framed by two edge rows."""
    ladder = st.ladder
    ref = st.reference_price()
    if ladder is None or ref is None:
        return ()
    widest = params.ladder.prune_pct
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
    st.overlay.bin(ladder, st.clock)
    real_long, real_short = st.overlay.rows(lo, n)
    hit_long = [0.0] * (n + 2)
    hit_short = [0.0] * (n + 2)
    hit_since = st.clock - int(params.ladder.hit_window_s * 1000)
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
    return st.rows.rows(span_pct, keys)


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


# ================================================================ warm start


def usable_history(h: History) -> tuple[list[Bar], list[OpenInterest]]:
    """The event's valid bars and open-interest samples, each oldest first."""
    bars = sorted((b for b in h.bars if _bar_ok(b)), key=lambda b: b.ts)
    ois = sorted((o for o in h.open_interest if 0.0 <= o.amount < _INF), key=lambda o: o.ts)
    return bars, ois


def sigma_of(bars: list[Bar]) -> float | None:
    """σ per second of the bars' close-to-close log returns (None from under three bars)."""
    if len(bars) < 3:
        return None
    closes = np.array([b.close for b in bars], dtype=np.float64)
    stamps = np.array([b.ts for b in bars], dtype=np.int64)
    returns = np.diff(np.log(closes))
    elapsed = float(np.diff(stamps).sum()) / 1000.0
    if elapsed > 0.0:
        return math.sqrt(float(np.square(returns).sum()) / elapsed)
    return None


def warm_start(
    st: SymbolState,
    ladder: Ladder,
    bars: list[Bar],
    ois: list[OpenInterest],
    prune_pct: float,
) -> None:
    """Replay the history onto the ladder, then adopt its last price and open interest."""
    _replay(ladder, bars, ois)
    ref = st.reference_price() or bars[-1].close
    ladder.consume(ref)
    ladder.prune(ref, prune_pct)
    if st.last is None:
        st.last = bars[-1].close
    oi = st.oi
    if ois and ois[-1].ts > oi.ts:
        oi.amount = oi.attr_amount = ois[-1].amount
        value = ois[-1].value
        valid = value is not None and 0.0 <= value < _INF
        oi.value = value if valid else ois[-1].amount * bars[-1].close
        oi.ts = oi.attr_ts = ois[-1].ts
    for o in ois:
        oi.record(o.ts, o.amount)


def _replay(ladder: Ladder, bars: list[Bar], ois: list[OpenInterest]) -> None:
    """Attribute each OI step at the VWAP of the bars inside it (see the module docstring)."""
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


def _bar_ok(bar: Bar) -> bool:
    return (
        all(0.0 < x < _INF for x in (bar.open, bar.high, bar.low, bar.close))
        and 0.0 <= bar.volume < _INF
    )


def _bars_vwap(bars: list[Bar]) -> tuple[float, float]:
    """Volume-weighted typical price and taker-buy share of some klines."""
    volume = sum(b.volume for b in bars)
    if volume <= 0.0:
        return bars[-1].close, 0.5
    vwap = sum((b.high + b.low + b.close) / 3.0 * b.volume for b in bars) / volume
    known = [(b.volume, b.taker_buy_volume) for b in bars if b.taker_buy_volume is not None]
    if not known:
        return vwap, 0.5
    known_volume = sum(v for v, _ in known)
    if known_volume <= 0.0:
        return vwap, 0.5
    buy = sum(float(taker_buy) for _, taker_buy in known)
    return vwap, min(1.0, max(0.0, buy / known_volume))
