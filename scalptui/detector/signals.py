"""Signal state: rolling print windows, the cascade decision, episodes, funding and OI.

Everything here runs in event time (the symbol's clock, epoch ms) and is plain
Python on running sums; the numpy-backed measures (σ, displacement, taker-flow
burst, baseline) are computed by the detector at most once per second and
handed in as a ``ChainEvidence``.

Cascade / squeeze decision (``decide``), per side, over the rolling window W:

* mandatory: at least ``min_prints`` *real* liquidation prints on the side,
  the side holds ≥ ``dominance`` of the window's printed notional, and the
  price moved in the forced direction (down for longs, up for shorts) by
  ≥ ``z``·σ·√W from the window's extreme;
* and either the printed notional reaches max(``baseline_mult`` × trailing 1 h
  per-window mean, floor) — the floor alone while less than an hour of history
  exists —
* or, on sampled venues (Binance prints ≤ 1 liquidation per symbol per second,
  so printed notional undercounts exactly when it matters), the chain evidence:
  a sustained run of ≥ ``min_run_s`` seconds carrying same-side prints (gaps
  ≤ ``max_gap_s``) together with a taker-flow burst in the forced direction or
  ≥ ``min_clusters`` estimated clusters consumed in the window.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from scalptui.detector.params import SignalThresholds
from scalptui.models import AlertKind, EpisodeView, Side

EVIDENCE_NOTIONAL = "notional"
EVIDENCE_CHAIN = "chain"


class PrintWindow:
    """Same-side liquidation prints over the last W (and the shorter rate window)."""

    __slots__ = (
        "_max_gap_s",
        "_rate_ms",
        "_window_ms",
        "last_print_sec",
        "prints",
        "rate_prints",
        "rate_usd",
        "run_seconds",
        "run_start_ms",
        "usd",
    )

    def __init__(self, window_s: float, rate_window_s: float, max_gap_s: float) -> None:
        self._window_ms = int(window_s * 1000)
        self._rate_ms = int(rate_window_s * 1000)
        self._max_gap_s = max_gap_s
        self.prints: deque[tuple[int, float]] = deque()
        self.usd = 0.0
        self.rate_prints: deque[tuple[int, float]] = deque()
        self.rate_usd = 0.0
        self.run_seconds = 0
        self.run_start_ms = 0
        self.last_print_sec: int | None = None

    def add(self, ts: int, usd: float) -> None:
        """Add a print; a late one (older than the newest) is put in ts order, so it expires
        on time and ``first_ts`` stays the oldest print. Late prints are rare: O(n) is fine."""
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
        last = self.last_print_sec
        if last is None or sec - last - 1 > self._max_gap_s:
            self.run_seconds = 1
            self.run_start_ms = ts
        elif sec > last:
            self.run_seconds += 1
        if last is None or sec > last:
            self.last_print_sec = sec

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
        last = self.last_print_sec
        if last is not None and now // 1000 - last - 1 > self._max_gap_s:
            self.run_seconds = 0

    @property
    def count(self) -> int:
        return len(self.prints)

    def first_ts(self) -> int | None:
        return self.prints[0][0] if self.prints else None

    def rate(self) -> float:
        """Printed notional per second over the rate window (USD/s)."""
        return self.rate_usd * 1000.0 / self._rate_ms if self._rate_ms > 0 else 0.0


@dataclass(frozen=True, slots=True)
class ChainEvidence:
    """Everything measured for one side over the window, for the decision and the alert."""

    side: Side
    notional_usd: float
    prints: int
    dominance: float
    span_s: float
    run_s: int
    move_pct: float
    """Move from the window's extreme, signed (negative = price fell)."""
    move_sigmas: float
    """|move| in units of σ·√W, positive when in the forced direction."""
    sigma_1s: float
    flow_share: float
    """Forced-direction share of taker notional in W (taker sells for longs)."""
    flow_ratio: float
    """Forced-direction taker notional in W over its trailing per-window mean."""
    clusters: int
    baseline_usd: float | None
    """Trailing 1 h per-window mean of this side's printed notional (None: < 1 h of history)."""
    threshold_usd: float
    lower_bound: bool


def decide(ev: ChainEvidence, th: SignalThresholds) -> str | None:
    """Which evidence makes this window a cascade / squeeze (None: it is not one)."""
    if ev.prints < th.min_prints or ev.dominance < th.dominance:
        return None
    if ev.move_sigmas < th.z:
        return None
    if ev.notional_usd >= ev.threshold_usd:
        return EVIDENCE_NOTIONAL
    if ev.lower_bound and ev.run_s >= th.min_run_s:
        burst = ev.flow_ratio >= th.flow_mult and ev.flow_share >= 0.5
        if burst or ev.clusters >= th.min_clusters:
            return EVIDENCE_CHAIN
    return None


def notional_threshold(th: SignalThresholds, baseline: float | None, sampled: bool) -> float:
    """max(k × baseline, floor); the floor alone while there is no full hour of baseline."""
    floor = th.sampled_floor_usd if sampled else th.floor_usd
    if baseline is None:
        return floor
    return max(th.baseline_mult * baseline, floor)


class Episode:
    """One cascade / squeeze from its alert to its exhaustion."""

    __slots__ = (
        "below_since",
        "clusters",
        "current_rate",
        "ended_ts",
        "kind",
        "last_price",
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
    ) -> None:
        self.kind = kind
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

    def add_print(self, usd: float) -> None:
        self.notional += usd
        self.prints += 1

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
    every cooldown.
    """

    __slots__ = ("armed", "last_bucket", "last_fire_ts", "streak", "streak_sign")

    def __init__(self) -> None:
        self.streak = 0
        self.streak_sign = 0
        self.armed = True
        self.last_fire_ts: int | None = None
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
        self.streak = self.streak + 1 if sign == self.streak_sign else 1
        self.streak_sign = sign
        if not self.armed or self.streak < th.funding_readings:
            return False
        if self.last_fire_ts is not None and now - self.last_fire_ts < th.cooldown_s * 1000:
            return False
        self.armed = False
        self.last_fire_ts = now
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
