"""Signal state: rolling print windows, the cascade decision, episodes, funding and OI.

Everything here runs in event time (the symbol's clock, epoch ms) and is plain
Python on running sums; the numpy-backed measures (σ, displacement, taker-flow
burst, baseline) are computed by the detector at most once per second and
handed in as a ``ChainEvidence``.

Cascade / squeeze decision (``decide``), per side, over the rolling window W —
precision before recall (docs/design.md § Signals): a handful of prints during an
ordinary move is never a cascade. Mandatory on every path: at least
``min_prints`` *real* liquidation prints in the side's chain (its prints since
its last silence of ``leg_gap_s``, within W), the chain holds ≥ ``dominance`` of
the printed notional over its span, and price moved in the forced
direction (down for longs, up for shorts) by ≥ ``z``·σ·√W from the window's
extreme and by ≥ ``range_mult`` × the symbol's ordinary 5-minute range. Then one
of three kinds of evidence of self-reinforcement carries it:

* **notional** (any venue): the chain's printed notional *without its largest
  print* reaches max(``baseline_mult`` × trailing 1 h per-window mean,
  ``floor_usd``) — the floor alone while less than an hour of history exists. On
  a sampled venue the printed sum is a lower bound, so reaching it is proof too;
* **saturation** (sampled venues: Binance and OKX print ≤ 1 liquidation per
  symbol / contract per second, so the printed notional undercounts exactly when
  it matters): the stream is saturated — ≥ ``saturation_s`` seconds of the
  current run carry a same-side print, filling ≥ ``saturation_share`` of the
  run's seconds — with a move ≥ ``saturation_z`` σ (or ≥ ``saturation_range_mult``
  × the ordinary range) and ≥ ``taker_share`` of the window's taker flow in the
  forced direction: forced flow that keeps coming and keeps moving price;
* **burst** (sampled venues): a shorter saturated run (≥ ``burst_s`` seconds)
  while price moved ≥ ``burst_range_mult`` × its ordinary 5-minute range since
  the chain began, with ≥ ``burst_taker_share`` forced taker flow — a crash too
  fast to wait for.

The notional floor is undercut only on the last two paths, i.e. only with
saturation evidence; the alert's facts say which path and which numbers
carried it.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass

from scalptui.detector.params import SignalThresholds
from scalptui.models import AlertKind, EpisodeView, Side

EVIDENCE_NOTIONAL = "notional"
EVIDENCE_SATURATION = "saturation"
EVIDENCE_BURST = "burst"


class PrintWindow:
    """Same-side liquidation prints over the last W (and the shorter rate window)."""

    __slots__ = (
        "_chain_gap_s",
        "_max_gap_s",
        "_rate_ms",
        "_window_ms",
        "chain_start",
        "last_print_ts",
        "prints",
        "rate_prints",
        "rate_usd",
        "run_seconds",
        "run_start_ms",
        "usd",
    )

    def __init__(
        self, window_s: float, rate_window_s: float, max_gap_s: float, chain_gap_s: float = 30.0
    ) -> None:
        self._window_ms = int(window_s * 1000)
        self._chain_gap_s = chain_gap_s
        self.chain_start = 0
        """The first print after the side's last silence of ``chain_gap_s``: where the chain
        began (an older chain still inside W is no part of it)."""
        self._rate_ms = int(rate_window_s * 1000)
        self._max_gap_s = max_gap_s
        self.prints: deque[tuple[int, float]] = deque()
        self.usd = 0.0
        self.rate_prints: deque[tuple[int, float]] = deque()
        self.rate_usd = 0.0
        self.run_seconds = 0
        self.run_start_ms = 0
        self.last_print_ts: int | None = None

    def add(self, ts: int, usd: float, sampled: bool = True) -> None:
        """Add a print; a late one (older than the newest) is put in ts order, so it expires
        on time and ``first_ts`` stays the oldest print. Late prints are rare: O(n) is fine.

        A chain ends on a silence of ``chain_gap_s``. A sampled stream's print stands for
        the last close of its second (Binance: one a second), so its silence is counted
        in whole seconds; a complete stream's prints are the closes themselves (Bybit's
        ``allLiquidation`` stamps each), so its silence is measured to the millisecond."""
        entry = (ts, usd)
        prints = self.prints
        rate = self.rate_prints
        if (prints and ts < prints[-1][0]) or (rate and ts < rate[-1][0]):
            bisect.insort(prints, entry)
            bisect.insort(rate, entry)
        else:
            prints.append(entry)
            rate.append(entry)
        self.usd += usd
        self.rate_usd += usd
        sec = ts // 1000
        last_ts = self.last_print_ts
        last = last_ts // 1000 if last_ts is not None else None  # the latest print's second
        if last is None or last_ts is None:
            self.chain_start = ts
        elif sampled:
            if sec - last - 1 >= self._chain_gap_s:
                self.chain_start = ts
        elif ts - last_ts > self._chain_gap_s * 1000:
            self.chain_start = ts
        if last_ts is None or ts > last_ts:
            self.last_print_ts = ts
        if last is None or sec - last - 1 > self._max_gap_s:
            self.run_seconds = 1
            self.run_start_ms = ts
        elif sec > last:
            self.run_seconds += 1

    def expire(self, now: int) -> None:
        """Drop prints older than the windows; a run ends once its gap is exceeded."""
        edge = now - self._window_ms
        prints = self.prints
        while prints and prints[0][0] <= edge:
            self.usd -= prints.popleft()[1]
        if not prints:
            self.usd = 0.0  # no float residue once empty
        edge = now - self._rate_ms
        rate = self.rate_prints
        while rate and rate[0][0] <= edge:
            self.rate_usd -= rate.popleft()[1]
        if not rate:
            self.rate_usd = 0.0
        last_ts = self.last_print_ts
        if last_ts is not None and now // 1000 - last_ts // 1000 - 1 > self._max_gap_s:
            self.run_seconds = 0

    @property
    def count(self) -> int:
        return len(self.prints)

    def saturation(self, now: int) -> tuple[int, int]:
        """(seconds carrying a print, seconds spanned) of the current run within W.

        The run is the latest stretch of prints whose gaps stay ≤ ``max_gap_s``; it spans
        from its first print's second to the last second closed (or the latest print's).
        A run already broken by a longer silence counts (0, 0). O(prints in W): called
        only when the cheap tests pass."""
        prints = self.prints
        if not prints:
            return 0, 0
        now_sec = now // 1000
        last_sec = prints[-1][0] // 1000
        if now_sec - 1 - last_sec > self._max_gap_s:
            return 0, 0
        edge_sec = (now - self._window_ms) // 1000
        busy = 0
        seen = last_sec + 1
        start = last_sec
        for ts, _ in reversed(prints):
            sec = ts // 1000
            if sec >= seen:
                continue
            if seen - sec - 1 > self._max_gap_s or sec < edge_sec:
                break
            busy += 1
            seen = start = sec
        return busy, max(last_sec, now_sec - 1) - start + 1

    def chain(self) -> tuple[float, int, float]:
        """(USD, prints, largest print) of the window's prints since the chain began."""
        total, count, largest = 0.0, 0, 0.0
        start = self.chain_start
        for ts, usd in reversed(self.prints):
            if ts < start:
                break
            total += usd
            count += 1
            largest = max(largest, usd)
        return total, count, largest

    def usd_since(self, ts: int) -> float:
        """Printed USD of the window's prints from ``ts`` on."""
        total = 0.0
        for at, usd in reversed(self.prints):
            if at < ts:
                break
            total += usd
        return total

    def chain_first_ts(self) -> int | None:
        """The first print of the chain still inside W."""
        first = self.first_ts()
        return None if first is None else max(first, self.chain_start)

    def first_ts(self) -> int | None:
        return self.prints[0][0] if self.prints else None

    def rate(self) -> float:
        """Printed notional per second over the rate window (USD/s)."""
        return self.rate_usd * 1000.0 / self._rate_ms if self._rate_ms > 0 else 0.0

    def opening_rate(self, chain_usd: float, chain_span_s: float) -> float:
        """The rate an episode opens with: the rate window's, or the chain's own mean when
        higher. The decision can pass after the chain's prints have left the rate window
        (prices that move on without new prints); an episode opened at a peak of 0 never
        fell below a share of it, so it never ended."""
        # +1 s: prints a second apart over a span of N−1 s are N seconds of flow (the mean
        # over the bare span overstated a steady rate, and the peak a trader reads)
        span_s = max(chain_span_s + 1.0, self._rate_ms / 1000.0)
        mean = chain_usd / span_s
        return max(self.rate(), mean)


@dataclass(frozen=True, slots=True)
class ChainEvidence:
    """Everything measured for one side over the window, for the decision and the alert."""

    side: Side
    notional_usd: float
    prints: int
    dominance: float
    span_s: float
    run_s: int
    busy_s: int
    """Seconds of the current run (within W) carrying a print of this side."""
    run_span_s: int
    """Seconds the current run spans (within W)."""
    notional_ex_largest_usd: float
    """The window's printed notional without its largest print."""
    move_pct: float
    """Move from the window's extreme, signed (negative = price fell)."""
    chain_move_pct: float
    """Move since the chain's first print (signed): the chain's own, without an older one."""
    move_sigmas: float
    """|move| in units of σ·√W, positive when in the forced direction."""
    sigma_1s: float
    flow_share: float
    """Forced-direction share of taker notional in W (taker sells for longs)."""
    flow_ratio: float
    """Forced-direction taker notional in W over its trailing per-window mean."""
    clusters: int
    ordinary_range_pct: float | None
    """Median high–low range of 5-minute spans in the hour before the window (%), or of the
    warm-start candles while there is less history; None with neither."""
    baseline_usd: float | None
    """Trailing 1 h per-window mean of this side's printed notional (None: < 1 h of history)."""
    threshold_usd: float
    lower_bound: bool

    @property
    def range_ratio(self) -> float | None:
        """|move| over the ordinary 5-minute range (None when that range is unknown)."""
        if self.ordinary_range_pct is None or self.ordinary_range_pct <= 0.0:
            return None
        return abs(self.move_pct) / self.ordinary_range_pct

    def chain_move_sigmas(self, window_s: float) -> float:
        """The chain's own move in the forced direction in units of σ·√W, as
        ``move_sigmas`` is the window's."""
        if self.sigma_1s <= 0.0 or self.chain_move_pct <= -100.0:
            return 0.0
        moved = math.log1p(self.chain_move_pct / 100.0)
        forced = -moved if self.side is Side.LONG else moved
        return float(forced / (self.sigma_1s * math.sqrt(window_s)))

    @property
    def chain_range_ratio(self) -> float | None:
        """The chain's own |move| over the ordinary 5-minute range."""
        if self.ordinary_range_pct is None or self.ordinary_range_pct <= 0.0:
            return None
        return abs(self.chain_move_pct) / self.ordinary_range_pct

    @property
    def saturation(self) -> float:
        return self.busy_s / self.run_span_s if self.run_span_s > 0 else 0.0


def _beyond_range(ev: ChainEvidence, mult: float) -> bool:
    ratio = ev.range_ratio
    return ratio is None or ratio >= mult  # unknown range: σ alone must carry it


def _saturated(ev: ChainEvidence, seconds: int, th: SignalThresholds) -> bool:
    return ev.busy_s >= seconds and ev.saturation >= th.saturation_share


def decide(ev: ChainEvidence, th: SignalThresholds) -> str | None:
    """Which evidence makes this window a cascade / squeeze (None: it is not one)."""
    if ev.prints < th.min_prints or ev.dominance < th.dominance:
        return None
    if ev.move_sigmas < th.z or not _beyond_range(ev, th.range_mult):
        return None
    if ev.notional_ex_largest_usd >= ev.threshold_usd:
        return EVIDENCE_NOTIONAL
    if not ev.lower_bound:
        return None  # a complete stream's notional is the whole story
    ratio = ev.range_ratio
    strong_move = ev.move_sigmas >= th.saturation_z or (
        ratio is not None and ratio >= th.saturation_range_mult
    )
    if _saturated(ev, th.saturation_s, th) and strong_move and ev.flow_share >= th.taker_share:
        return EVIDENCE_SATURATION
    ratio = ev.chain_range_ratio  # a burst is judged on its own move, not an older chain's
    if (
        _saturated(ev, th.burst_s, th)
        and ratio is not None
        and ratio >= th.burst_range_mult
        and ev.flow_share >= th.burst_taker_share
    ):
        return EVIDENCE_BURST
    return None


def notional_threshold(th: SignalThresholds, baseline: float | None) -> float:
    """max(k × baseline, floor); the floor alone while there is no full hour of baseline."""
    if baseline is None:
        return th.floor_usd
    return max(th.baseline_mult * baseline, th.floor_usd)


class Leg:
    """The last reported leg of one side: what a later leg must dwarf to be reported.

    Its reference notional and move are the largest the window showed over the
    first ``escalation_settle_s`` after its alert (what the alert said, and the
    seconds right after it). A later leg dwarfs it when its own window's printed
    notional reaches ``escalation_notional`` × that, or when price has travelled
    ``escalation_move`` × the leg's move from where the leg began (``anchor``):
    on a sampled venue a window's printed sum saturates at a print a second, so a
    staircase crash shows escalation in how far it has gone, not in one window."""

    __slots__ = ("alert_ts", "anchor", "extreme", "move_pct", "notional", "number")

    def __init__(
        self,
        number: int,
        alert_ts: int,
        anchor: float,
        notional: float,
        move_pct: float,
        price: float = 0.0,
    ) -> None:
        self.number = number
        self.alert_ts = alert_ts
        self.anchor = anchor
        self.notional = notional
        self.move_pct = abs(move_pct)
        self.extreme = price
        """The furthest price reached in the forced direction since the alert (its low
        for longs); 0 while unknown."""

    def see_price(self, side: Side, price: float) -> None:
        if price <= 0.0:
            return
        if self.extreme <= 0.0:
            self.extreme = price
        elif side is Side.LONG:
            self.extreme = min(self.extreme, price)
        else:
            self.extreme = max(self.extreme, price)

    def beyond_extreme(self, side: Side, price: float) -> bool:
        """Whether ``price`` went past the leg's extreme in the forced direction (a new
        low for longs): what a later chain must do to be the episode's next leg rather
        than an aftershock inside the range the reported leg already made."""
        if self.extreme <= 0.0 or price <= 0.0:
            return True
        return price <= self.extreme if side is Side.LONG else price >= self.extreme

    def observe(self, now: int, notional: float, move_pct: float, settle_ms: float) -> None:
        """Grow the reference over the leg's first ``settle_ms``."""
        if now - self.alert_ts <= settle_ms:
            self.notional = max(self.notional, notional)
            self.move_pct = max(self.move_pct, abs(move_pct))

    def travelled_pct(self, side: Side, price: float) -> float:
        """How far price is from the leg's start in the forced direction (%, ≥ 0)."""
        if self.anchor <= 0.0 or price <= 0.0:
            return 0.0
        moved = (price / self.anchor - 1.0) * 100.0
        return max(0.0, -moved if side is Side.LONG else moved)

    def dwarfed_by(self, notional: float, travelled_pct: float, th: SignalThresholds) -> bool:
        return (
            notional >= th.escalation_notional * self.notional
            or travelled_pct >= th.escalation_move * self.move_pct
        )


class Episode:
    """One cascade / squeeze from its alert to its exhaustion."""

    __slots__ = (
        "below_since",
        "clusters",
        "current_rate",
        "ended_ts",
        "extreme_price",
        "gap_ts",
        "kind",
        "last_price",
        "last_print_ts",
        "leg",
        "lower_bound",
        "notional",
        "peak_rate",
        "prints",
        "ref_price",
        "side",
        "started_ts",
    )

    def __init__(
        self,
        kind: AlertKind,
        side: Side,
        started_ts: int,
        ref_price: float,
        notional: float,
        prints: int,
        rate: float,
        clusters: int,
        lower_bound: bool,
        leg: int = 1,
        last_print_ts: int | None = None,
    ) -> None:
        self.kind = kind
        self.leg = leg
        self.side = side
        self.started_ts = started_ts
        self.ref_price = ref_price
        self.last_price = ref_price
        self.notional = notional
        self.prints = prints
        self.peak_rate = rate
        self.current_rate = rate
        self.clusters = clusters
        self.lower_bound = lower_bound
        self.below_since: int | None = None
        self.ended_ts: int | None = None
        self.extreme_price = ref_price
        """The furthest price in the forced direction since the episode began (the low of a
        long cascade, the high of a squeeze)."""
        self.last_print_ts = last_print_ts if last_print_ts is not None else started_ts
        self.gap_ts: int | None = None
        """Where delivery of the prints last came back during the episode, if it broke."""

    def watch_from(self, ts: int) -> None:
        """Prints have been delivered only since ``ts`` (a break in the feed before it):
        a silence is measured from there, never across the break."""
        if self.gap_ts is not None and self.gap_ts >= ts:
            return
        self.gap_ts = ts
        if self.below_since is not None and self.below_since < ts:
            self.below_since = ts

    def silent_since(self) -> int:
        """Since when the episode has seen no print it could have been sent."""
        return self.last_print_ts if self.gap_ts is None else max(self.last_print_ts, self.gap_ts)

    def add_print(self, ts: int, usd: float) -> None:
        self.notional += usd
        self.prints += 1
        self.last_print_ts = max(self.last_print_ts, ts)

    def see_price(self, price: float) -> None:
        self.last_price = price
        if self.side is Side.LONG:
            self.extreme_price = min(self.extreme_price, price)
        else:
            self.extreme_price = max(self.extreme_price, price)

    def extreme_move_pct(self) -> float:
        """From where the episode began to its extreme (signed, %)."""
        if self.ref_price <= 0.0:
            return 0.0
        return (self.extreme_price / self.ref_price - 1.0) * 100.0

    def off_extreme_pct(self) -> float:
        """How far price came back from the episode's extreme (signed, %)."""
        if self.extreme_price <= 0.0:
            return 0.0
        return (self.last_price / self.extreme_price - 1.0) * 100.0

    def update_rate(self, now: int, rate: float, th: SignalThresholds) -> bool:
        """Track the rate; True once it has stayed below the exhaustion share long enough."""
        self.current_rate = rate
        if rate > self.peak_rate:
            self.peak_rate = rate
        if rate < th.exhaustion_ratio * self.peak_rate:
            if self.below_since is None:
                self.below_since = now
            return now - self.below_since >= th.exhaustion_hold_s * 1000
        self.below_since = None
        return False

    def move_pct(self) -> float:
        if self.ref_price <= 0.0:
            return 0.0
        return (self.last_price / self.ref_price - 1.0) * 100.0

    def view(self) -> EpisodeView:
        return EpisodeView(
            kind=self.kind if self.ended_ts is None else AlertKind.CASCADE_EXHAUSTED,
            side=self.side,
            started_ts=self.started_ts,
            notional_usd=self.notional,
            prints=self.prints,
            price_move_pct=self.move_pct(),
            peak_rate=self.peak_rate,
            current_rate=self.current_rate,
            lower_bound=self.lower_bound,
        )


class FundingWatch:
    """FUNDING_EXTREME: |funding per 8 h| beyond the threshold on N consecutive readings.

    A reading is the first funding rate of each ``funding_reading_s`` bucket of
    event time (marks arrive every second on Binance; the rate moves slowly), so
    N consecutive readings means N consecutive minutes beyond the threshold by
    default. A reading back inside the threshold resets the run. Fires once when
    the streak reaches N; re-arms only after a reading back inside the threshold
    (and the cooldown), so a persistently extreme rate is one alert, not one
    every cooldown. A rate that flips from one extreme to the other (a settlement
    resets the estimate) is the other side crowded: it is armed, without the
    cooldown of the side that fired.
    """

    __slots__ = ("armed", "fired_sign", "last_bucket", "last_fire_ts", "streak", "streak_sign")

    def __init__(self) -> None:
        self.streak = 0
        self.streak_sign = 0
        self.armed = True
        self.last_fire_ts: int | None = None
        self.fired_sign = 0
        self.last_bucket: int | None = None

    def reading(self, now: int, rate_8h: float, th: SignalThresholds) -> bool:
        """Offer a funding rate seen at ``now``; True when FUNDING_EXTREME fires."""
        bucket_ms = int(th.funding_reading_s * 1000)
        if bucket_ms > 0:
            bucket = now // bucket_ms
            if self.last_bucket is not None and bucket <= self.last_bucket:
                return False  # not the first rate of its bucket: no reading
            self.last_bucket = bucket
        if abs(rate_8h) < th.funding_8h:
            self.streak = 0
            self.streak_sign = 0
            self.armed = True
            return False
        sign = 1 if rate_8h > 0 else -1
        if sign != self.streak_sign and sign != self.fired_sign:
            self.armed = True
        self.streak = self.streak + 1 if sign == self.streak_sign else 1
        self.streak_sign = sign
        if not self.armed or self.streak < th.funding_readings:
            return False
        cooling = self.last_fire_ts is not None and sign == self.fired_sign
        if cooling and now - (self.last_fire_ts or 0) < th.cooldown_s * 1000:
            return False
        self.armed = False
        self.last_fire_ts = now
        self.fired_sign = sign
        return True


class OiWatch:
    """OI_FLUSH: open interest down ≥ x % from its high of the last few minutes.

    ``samples`` is a monotonic deque (values strictly falling from the front), so
    the window's high is its first item in O(1) amortised per sample however fast
    the venue streams open interest. Of equal highs the latest is kept: a flush
    is measured from the last time open interest stood at its high.
    """

    __slots__ = ("last_fire_ts", "samples")

    def __init__(self) -> None:
        self.samples: deque[tuple[int, float]] = deque()
        self.last_fire_ts: int | None = None

    def reading(self, now: int, amount: float, th: SignalThresholds) -> tuple[float, int] | None:
        """Record a sample; returns (drop %, since ts of the high) when a flush fires."""
        edge = now - int(th.oi_flush_window_s * 1000)
        samples = self.samples
        while samples and samples[0][0] < edge:
            samples.popleft()
        while samples and samples[-1][1] <= amount:
            samples.pop()
        samples.append((now, amount))
        high_ts, high = samples[0]
        if high <= 0.0:
            return None
        drop_pct = (1.0 - amount / high) * 100.0
        if drop_pct < th.oi_flush_pct:
            return None
        if self.last_fire_ts is not None and now - self.last_fire_ts < th.cooldown_s * 1000:
            return None
        self.last_fire_ts = now
        # A new flush must be measured from a high reached after this one.
        samples.clear()
        samples.append((now, amount))
        return drop_pct, high_ts
