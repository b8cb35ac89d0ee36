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
updated in Python. Only when the cheap tests (prints, the reported leg, notional
or run, displacement) already pass are the chain's dominance and saturation, the
taker flow, the ordinary range, the baseline and the clusters measured (the ring
with numpy). After an alert the side's reported leg (``signals.Leg``) decides what
a later chain is: a repeat (silent), a larger leg (reported as the next), or a new
chain once the leg ran dry (docs/detection.md).

The state of a symbol and its parts are in ``state.py`` and the modules it
names; the ladder's upkeep in ``ladder_upkeep.py``, the alerts' facts in
``alerts.py``, the snapshot in ``snapshot.py``, the warm start in
``warmstart.py``. This module holds the event handlers and the once-a-second
tests.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any

from scalptui.detector import evidence
from scalptui.detector.alerts import cascade_alert, exhausted_alert, funding_alert, oi_flush_alert
from scalptui.detector.ladder_upkeep import (
    attribute,
    consume,
    ladder_mix,
    make_ladder,
    mmr_for,
)
from scalptui.detector.params import DetectorParams
from scalptui.detector.realized import REALIZED_BATCH
from scalptui.detector.rolling import HOUR_MS
from scalptui.detector.signals import (
    EVIDENCE_NOTIONAL,
    ChainEvidence,
    Episode,
    Leg,
    PrintWindow,
    decide,
)
from scalptui.detector.snapshot import build_snapshot, empty_snapshot, episode_views
from scalptui.detector.state import SymbolState
from scalptui.detector.warmstart import sigma_of, usable_history, warm_start
from scalptui.models import (
    Alert,
    AlertKind,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    Side,
    Source,
    StreamState,
    TakerSide,
    Trade,
)
from scalptui.numfmt import funding_8h

EPISODE_LINGER_MS = 60_000
"""An exhausted episode stays in snapshots this long (the UI shows it as exhausted)."""
SIDES = (Side.LONG, Side.SHORT)
_NO_ALERTS: list[Alert] = []
_PRINTS_DOWN = frozenset({StreamState.STALE, StreamState.RECONNECTING, StreamState.FAILED})
DELIVERY_STREAMS = frozenset({"liquidations", "trades"})
"""A symbol's streams whose break makes a gap in what the detector judges."""
VENUE_FEED = "feed"
"""The venue-wide status of delivery (a replay's bad-line or progress notices are not)."""
PRICE_STREAMS = frozenset({"trades", VENUE_FEED})
"""The streams whose break is a break in the symbol's prices (its liquidations' is not)."""
_INF = math.inf
STOPPED_KEPT = 32
"""Closed symbols whose last state is kept for the screen (a run's end shows its last
frame): a run that tried symbol after symbol for days kept every one, ladder and all."""
CLOCK_BACK_MS = 300_000
"""A price this far behind its symbol's clock means the venue's clock went back: a late
trade or a replay's reordering is seconds late, never five minutes."""
CLOCK_BACK_AFTER_BREAK_MS = 30_000
"""The same across a break in delivery: a feed that comes back 30 s behind where it broke
is a restarted clock, not late data (a simulator restarted slower left the symbol blind
for minutes, every newer price dropped as late)."""

FORCED_KIND = {Side.LONG: AlertKind.LIQUIDATION_CASCADE, Side.SHORT: AlertKind.SHORT_SQUEEZE}


def _finite_positive(x: float) -> bool:
    return 0.0 < x < _INF


class Detector:
    """Events in, estimated ladder and informational alerts out (see the package docstring)."""

    def __init__(self, params: DetectorParams | None = None, *, source: Source = Source.LIVE):
        self.params = params if params is not None else DetectorParams()
        self.source = source
        self._symbols: dict[str, SymbolState] = {}
        self._stopped: dict[str, SymbolState] = {}
        """Symbols whose feed closed their streams (removed from the watchlist, or the
        feed closing): ``snapshot`` still shows them as they stood, though no venue
        holds them any more (``symbols``); any later event starts them afresh."""
        self._tape: deque[Liquidation] = deque(maxlen=max(1, self.params.tape_size))
        self._realized_ms = int(self.params.ladder.realized_window_s * 1000)
        self._hit_window_ms = int(self.params.ladder.hit_window_s * 1000)
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

    @property
    def exchanges(self) -> tuple[str, ...]:
        """The venues this detector has seen (one: a Detector serves one exchange)."""
        return (self._exchange,) if self._exchange else ()

    def venue_snapshots(
        self, symbol: str, *, span_pct: float | None = None
    ) -> dict[str, DetectorSnapshot]:
        """One snapshot per venue of ``symbol``; here the one venue (the multi-venue
        detector answers one per venue it watches, in watch order)."""
        if symbol not in self._symbols:
            return {}
        return {self._exchange: self.snapshot(symbol, span_pct=span_pct)}

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
        return evidence.measure(st, side)

    def snapshot(self, symbol: str, *, span_pct: float | None = None) -> DetectorSnapshot:
        """Immutable view of one symbol; an empty one for a symbol never seen.

        ``ladder`` holds one row per bin within ±``span_pct`` percent of the
        reference price (mark, else last trade), lowest first, framed by two edge
        rows (``edge=True``): ``ladder[0]`` sums every level below the span and
        ``ladder[-1]`` every level above it. ``span_pct=None`` uses the widest span
        (the pruning distance).
        """
        st = self._symbols.get(symbol) or self._stopped.get(symbol)
        if st is None:
            return empty_snapshot(symbol, self._exchange, self.source)
        feed = tuple(self._global_feed.values())
        return build_snapshot(st, self.params, self.source, span_pct, feed)

    # ================================================================ per-event paths

    def _state(self, symbol: str, exchange: str) -> SymbolState:
        st = self._symbols.get(symbol)
        if st is None:
            self._stopped.pop(symbol, None)
            th = self.params.thresholds_for(symbol)
            st = SymbolState(
                symbol, exchange, th, self.params.tape_size, self._realized_ms, self._hit_window_ms
            )
            venue_feed = self._global_feed.get((exchange, VENUE_FEED))
            if venue_feed is not None and venue_feed.state in _PRINTS_DOWN:
                st.down.add(VENUE_FEED)  # born while the venue is down: blind from the start
            self._symbols[symbol] = st
        return st

    def _advance(self, st: SymbolState, ts: int) -> list[Alert]:
        """Move the symbol's clock forward (never back); timed checks on each new second."""
        return self._timed_checks(st) if self._advance_clock(st, ts) else _NO_ALERTS

    @staticmethod
    def _advance_clock(st: SymbolState, ts: int) -> bool:
        """Move the symbol's clock forward (never back); True when a new second began
        (the one before it closed): its timed checks are then due."""
        if ts <= st.clock:
            return False
        st.clock = ts
        if st.first_ts is None:
            st.first_ts = ts
        sec = ts // 1000
        if sec <= st.sec:
            return False
        st.close_second()
        st.sec = sec
        return True

    def _on_trade(self, t: Trade) -> list[Alert]:
        price = t.price
        amount = t.amount
        if not (0.0 < price < _INF and 0.0 <= amount < _INF):
            return _NO_ALERTS
        ts = t.ts
        st = self._symbols.get(t.symbol) or self._state(t.symbol, t.exchange)
        if _went_back(st, ts):
            st = self._clock_went_back(st)
        alerts = self._advance(st, ts) if ts > st.clock else _NO_ALERTS
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
        if price > iv.high:
            iv.high = price
        if price < iv.low:
            iv.low = price
        if ts >= st.clock:  # a late trade counts in the flow but does not move the price
            st.last = price
            b.close = price
            if price > b.high:
                b.high = price
            if price < b.low:
                b.low = price
        b.has = True
        ladder = st.ladder
        if ladder is None:
            make_ladder(st, price, self.params.ladder)
        elif not st.mark_seen and ladder.crossed(price):
            consume(st, price)
        return alerts

    def _on_mark(self, m: MarkPrice) -> list[Alert]:
        if not _finite_positive(m.mark):
            return _NO_ALERTS
        st = self._symbols.get(m.symbol) or self._state(m.symbol, m.exchange)
        if _went_back(st, m.ts):
            st = self._clock_went_back(st)
        # The mark's levels are consumed before the new second's checks, not after: a
        # venue whose mark comes on the second (Bybit's ticker) would otherwise show the
        # clusters it crossed to the checks only a second after they had decided.
        checks_due = self._advance_clock(st, m.ts)
        if m.ts < st.clock:
            return _NO_ALERTS  # a stale mark says nothing about where price is now
        self._apply_mark(st, m)
        alerts = self._timed_checks(st) if checks_due else _NO_ALERTS
        return self._funding_reading(st, m, alerts)

    def _apply_mark(self, st: SymbolState, m: MarkPrice) -> None:
        st.mark = m.mark
        st.mark_seen = True
        if m.index is not None and _finite_positive(m.index):
            st.index = m.index
        ladder = st.ladder
        if ladder is None:
            make_ladder(st, m.mark, self.params.ladder)
        elif ladder.crossed(m.mark):
            consume(st, m.mark)

    def _funding_reading(self, st: SymbolState, m: MarkPrice, alerts: list[Alert]) -> list[Alert]:
        funding = st.funding
        if m.funding_interval_h is not None and _finite_positive(m.funding_interval_h):
            funding.interval_h = m.funding_interval_h
        if m.next_funding_ts is not None:
            funding.next_ts = m.next_funding_ts
        rate = m.funding_rate
        if rate is not None and math.isfinite(rate):
            funding.rate = rate
            interval = funding.interval()
            if funding.watch.reading(st.clock, funding_8h(rate, interval), st.th):
                alerts = [*alerts, funding_alert(st, self.source, rate, interval)]
        return alerts

    def _on_liquidation(self, liq: Liquidation) -> list[Alert]:
        if not (_finite_positive(liq.price) and 0.0 <= liq.amount < _INF):
            return _NO_ALERTS
        notional = liq.notional
        if not (0.0 <= notional < _INF) or notional == 0.0:
            notional = liq.price * liq.amount
        st = self._symbols.get(liq.symbol) or self._state(liq.symbol, liq.exchange)
        ts = liq.ts
        side = liq.side
        running = st.episodes.get(side)
        # The print joins its window before the clock moves: the cascade test runs once per
        # second of event time (on the first event of each second, this one included), so a
        # print is judged at the latest one second after it, and never twice.
        if ts > st.clock - st.th.window_s * 1000:  # a print older than W is history
            st.windows[side].add(ts, notional, liq.sampled)
        if liq.sampled:
            st.sampled = True
        alerts = self._advance(st, ts) if ts > st.clock else _NO_ALERTS
        st.realized.append(liq)
        self._tape.append(liq)
        b = st.bucket
        if side is Side.LONG:
            b.liq_long += notional
            st.interval.forced_sell += liq.amount
        else:
            b.liq_short += notional
            st.interval.forced_buy += liq.amount
        if not b.has:
            b.close = st.last if st.last is not None else liq.price
            b.high = max(b.high, b.close)
            b.low = min(b.low, b.close)
            b.has = True
        if st.ladder is None:
            make_ladder(st, liq.price, self.params.ladder)
        if ts >= st.clock - self._realized_ms:
            overlay = st.overlay
            new = overlay.new
            new.append((ts, side is Side.LONG, liq.price, notional))
            if len(new) >= REALIZED_BATCH:
                overlay.bin(st.ladder, st.clock)
        episode = st.episodes.get(side)
        if episode is running and episode is not None and episode.ended_ts is None:
            episode.add_print(ts, notional)  # an episode opened by this very print counted it
        return alerts

    def _on_open_interest(self, oi: OpenInterest) -> list[Alert]:
        amount = oi.amount
        if not (0.0 < amount < _INF):
            # a perpetual that trades holds open interest: a 0 is a venue's glitch, and
            # taken as a reading it was a −100 % flush and a ladder emptied, then refilled
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
                elapsed = oi.ts - track.attr_ts
                attribute(st, amount - previous, previous, price, elapsed, self.params.ladder)
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

    def _clock_went_back(self, st: SymbolState) -> SymbolState:
        """A price from minutes before the symbol's clock is no late print: the venue's
        clock went back (a venue resync, a restarted simulator that had run faster than
        real time). Held against the old clock, every newer price would be dropped as
        late until the new clock caught it up, while the feed read live and the screen
        stood still; the symbol starts afresh from it instead, its market facts kept."""
        info = st.info
        self._stop(st.symbol)
        fresh = self._state(st.symbol, st.exchange)
        if info is not None:
            self._on_market_info(info)
        return fresh

    def _on_market_info(self, info: MarketInfo) -> list[Alert]:
        st = self._state(info.symbol, info.exchange)
        st.info = info
        interval = info.funding_interval_h
        if interval is not None and _finite_positive(interval) and st.funding.interval_h is None:
            st.funding.interval_h = interval
        if st.ladder is not None:
            # The grid stays; leverage and MMR apply to exposure added from now on.
            st.ladder.mix = ladder_mix(self.params.ladder, info.max_leverage)
            st.ladder.mmr = mmr_for(st, self.params.ladder)
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
        st.rolling.range_seed = evidence.range_of_bars(bars)
        st.rolling.flow_seed = evidence.flow_of_bars(bars)
        ladder = st.ladder or make_ladder(st, bars[-1].close, self.params.ladder)
        warm_start(st, ladder, bars, ois, self.params.ladder)
        return _NO_ALERTS

    def _on_status(self, status: FeedStatus) -> list[Alert]:
        symbol = status.symbol
        if symbol is None:
            self._global_feed[(status.exchange, status.stream)] = status
            if status.stream == VENUE_FEED:
                for each in self._symbols.values():
                    _see_delivery(each, VENUE_FEED, status.state)
            return _NO_ALERTS
        if status.state is StreamState.CLOSED:
            self._stop(symbol)
            st: SymbolState | None = self._stopped.get(symbol)
        else:
            st = self._state(symbol, status.exchange)
        if st is not None:
            st.feed[(status.stream, symbol)] = status
            if status.stream in DELIVERY_STREAMS:
                _see_delivery(st, status.stream, status.state)
        return _NO_ALERTS

    def _stop(self, symbol: str) -> None:
        """The feed closed a stream of ``symbol``: it sends nothing more of it, unless it
        starts it again (added back to the watchlist), and then it sends the market's facts
        and history anew. Kept, the old state would meet them across the gap: the warm
        start would add the crowd it already holds a second time, and the first
        open-interest step would put the gap's change at today's price. So whatever
        comes next builds the symbol afresh."""
        st = self._symbols.pop(symbol, None)
        if st is not None:
            self._stopped.pop(symbol, None)
            self._stopped[symbol] = st
            while len(self._stopped) > STOPPED_KEPT:  # the longest stopped goes first
                del self._stopped[next(iter(self._stopped))]

    # ================================================================ once a second

    def _timed_checks(self, st: SymbolState) -> list[Alert]:
        alerts: list[Alert] | None = None
        if st.prices_resumed:
            st.prices_resumed = False
            st.prices_seen_since = st.clock
            breaks = st.price_breaks
            if breaks and breaks[-1][1] is None and not st.down & PRICE_STREAMS:
                breaks[-1] = (breaks[-1][0], st.clock)
        if st.prints_resumed:
            st.prints_resumed = False
            st.prints_seen_since = st.clock
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
            leg = st.legs.get(side)
            if leg is not None:
                self._leg_tick(st, side, leg, window)
            if alert is None and window.count >= st.th.min_prints and not st.prints_blind:
                alert = self._check_side(st, side)  # blind, its chain is not all there
            if alert is not None:
                alerts = [alert] if alerts is None else [*alerts, alert]
        return alerts if alerts is not None else _NO_ALERTS

    def _episode_tick(self, st: SymbolState, ep: Episode, window: PrintWindow) -> Alert | None:
        if ep.ended_ts is not None:
            if st.clock - ep.ended_ts > EPISODE_LINGER_MS:
                del st.episodes[ep.side]
            return None
        if st.last is not None:
            ep.see_price(st.last)
        if st.prints_blind:
            return None  # a silence while prints are not delivered is no exhaustion
        if st.prints_seen_since > ep.started_ts:
            ep.watch_from(st.prints_seen_since)
        if not ep.update_rate(st.clock, window.rate(), st.th):
            return None
        ep.ended_ts = st.clock
        return exhausted_alert(st, self.source, ep)

    def _leg_tick(self, st: SymbolState, side: Side, leg: Leg, window: PrintWindow) -> None:
        """Measure the reported leg over its first ``escalation_settle_s``: what a later leg
        must dwarf."""
        settle_ms = st.th.escalation_settle_s * 1000
        if st.last is not None:
            leg.see_price(side, st.last)
        if st.clock - leg.alert_ts <= settle_ms:
            leg.observe(st.clock, window.chain()[0], evidence.move_pct(st, side), settle_ms)

    def _quiet(self, st: SymbolState, side: Side) -> bool:
        """True while this side must stay silent but for a larger leg: the reported leg goes
        on (no silence of ``leg_gap_s`` since) and its episode runs or the cooldown holds."""
        leg = st.legs.get(side)
        if leg is not None and st.windows[side].chain_start > leg.alert_ts:
            # the side fell silent for ``leg_gap_s`` after the alert and a new chain began:
            # that leg is over, a chain that qualifies now is the next one
            return False
        current = st.episodes.get(side)
        if current is not None and current.ended_ts is None:
            return True
        if self._run_after_exhaustion(st, side):
            # a chain that qualifies on this run alone and takes price past the leg's
            # extreme is the next leg (after the NEAR crash's third leg ran out, a further
            # −8.8 % on 45 prints within a minute went unsaid: they never paused 30 s)
            return False
        last_fire = st.last_fire.get(FORCED_KIND[side])
        return last_fire is not None and st.clock - last_fire < st.th.cooldown_s * 1000

    def _new_run_carries(self, st: SymbolState, side: Side, path: str) -> bool:
        """After an exhaustion, the new run must carry the decision by itself: saturation
        and burst are the run's own measures, but the window's notional still holds the
        exhausted leg's prints (a trickle at its low read as its next leg)."""
        if not self._run_after_exhaustion(st, side) or path != EVIDENCE_NOTIONAL:
            return True
        window = st.windows[side]
        return window.usd_since(window.run_start_ms) >= st.th.floor_usd

    @staticmethod
    def _run_after_exhaustion(st: SymbolState, side: Side) -> bool:
        """Whether the reported leg was said to be exhausted and a new run of prints (after a
        gap of ``max_gap_s``) began since."""
        leg = st.legs.get(side)
        current = st.episodes.get(side)
        if leg is None or current is None or current.ended_ts is None:
            return False
        return st.windows[side].run_start_ms > current.ended_ts >= leg.alert_ts

    def _check_side(self, st: SymbolState, side: Side) -> Alert | None:
        """Cheap tests first; the numpy measures only when they already pass."""
        th = st.th
        window = st.windows[side]
        if window.count < th.min_prints:
            return None
        leg = st.legs.get(side)
        quiet = self._quiet(st, side)
        if quiet and (leg is None or st.clock - leg.alert_ts <= th.escalation_settle_s * 1000):
            return None  # the reported leg is still being measured
        if window.usd < th.floor_usd and not (st.sampled and window.run_seconds >= th.burst_s):
            return None
        if evidence.move_sigmas(st, side) < th.z:
            return None
        ev = evidence.measure(st, side)
        path = decide(ev, th)
        if path is None:
            return None
        number = 1
        if leg is not None and (quiet or st.clock - leg.alert_ts < th.cooldown_s * 1000):
            travelled = leg.travelled_pct(side, st.last or 0.0)
            if quiet and not leg.dwarfed_by(ev.notional_usd, travelled, th):
                return None  # the same leg again: suppressed
            if not quiet and not leg.beyond_extreme(side, st.last or 0.0):
                return None  # a new chain inside the range the reported leg made
            if not quiet and not self._new_run_carries(st, side, path):
                return None  # the exhausted leg's own prints, still in the window
            number = leg.number + 1  # within the cooldown: the same episode's next leg
        return self._open_episode(st, side, ev, path, number)

    def _open_episode(
        self, st: SymbolState, side: Side, ev: ChainEvidence, path: str, leg: int
    ) -> Alert:
        kind = FORCED_KIND[side]
        window = st.windows[side]
        st.last_fire[kind] = st.clock
        ref = evidence.extreme_ref(st, side)
        anchor = ref if ref is not None else (st.last or 0.0)
        st.legs[side] = Leg(leg, st.clock, anchor, ev.notional_usd, ev.move_pct, st.last or 0.0)
        clusters = ev.clusters
        first = window.chain_first_ts()
        # The episode is measured from where its chain began, as its length is: the
        # window's extreme stood up to a minute before the first print, and the exhaustion
        # read "+1.86 % at the high … since the episode began" with price 0.45 % below
        # where the squeeze's first print was.
        own = evidence.chain_ref(st, side)
        began = own if own is not None else anchor
        if leg > 1:  # a later leg's clusters are those since that leg began
            clusters = evidence.clusters_since(st, side, first) if first is not None else clusters
        last_print = window.prints[-1][0] if window.prints else st.clock
        episode = Episode(
            kind,
            side,
            first or st.clock,
            began,
            ev.notional_usd,
            ev.prints,
            window.opening_rate(ev.notional_usd, ev.span_s),
            clusters,
            ev.lower_bound,
            leg=leg,
            last_print_ts=last_print,
        )
        if st.last is not None:
            episode.see_price(st.last)
        st.episodes[side] = episode
        return cascade_alert(st, self.source, kind, ev, path, leg)


def open_price_break(st: SymbolState) -> None:
    """A break in the prices' delivery begins now; those ended over an hour ago (the
    longest change measured) are forgotten."""
    breaks = st.price_breaks
    if breaks and breaks[-1][1] is None:
        return
    horizon = st.clock - HOUR_MS
    breaks[:] = [b for b in breaks if b[1] is None or b[1] > horizon]
    breaks.append((st.clock, None))


def _see_delivery(st: SymbolState, stream: str, state: StreamState) -> None:
    """Follow which of ``st``'s delivering streams are down: one goes down on a stale,
    reconnecting or failed status and comes back on its own next LIVE (never on another
    stream's, say a replay's notice)."""
    if state in _PRINTS_DOWN:
        if stream in PRICE_STREAMS and not st.down & PRICE_STREAMS:
            open_price_break(st)
        st.down.add(stream)
    elif state is StreamState.LIVE and stream in st.down:
        st.down.discard(stream)
        st.prices_resumed = True
        if stream != "trades":
            st.prints_resumed = True


def _went_back(st: SymbolState, ts: int) -> bool:
    """Whether a price at ``ts`` says the venue's clock went back (``CLOCK_BACK_MS``; after
    a break in delivery, ``CLOCK_BACK_AFTER_BREAK_MS``)."""
    after_break = st.prices_resumed or bool(st.down)
    return ts < st.clock - (CLOCK_BACK_AFTER_BREAK_MS if after_break else CLOCK_BACK_MS)
