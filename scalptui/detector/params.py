"""Plain parameter dataclasses for the detector.

Loading them from TOML belongs to ``scalptui.config``; the detector only sees
these frozen values. The starting points come from docs/design.md § Signals (public
detectors); they were checked on hand-built BTC (~100 000 USD) and SOL
(~150 USD) markets with realistic notionals and on the real Binance klines of
``tests/fixtures/detector`` (see its README for what each component measured).

Signal defaults per symbol class (majors = ``major_bases``, BTC and ETH; alts =
every other symbol):

==========================  ==========  ==========  ==========================================
threshold                   majors      alts        meaning
==========================  ==========  ==========  ==========================================
``window_s``                60 s        60 s        rolling window W
``dominance``               65 %        65 %        side's share of the window's printed notional
``z``                       3           3           move from the window extreme ≥ z·σ·√W
``min_prints``              3           3           real same-side prints in W
``baseline_mult``           5           5           notional path: ≥ 5 × trailing 1 h mean…
``floor_usd``               $2M         $250k       …and ≥ this, the largest print excluded
``range_mult``              1           1           move ≥ this × the ordinary 5 min range
``saturation_s``            10          10          sampled: seconds carrying a print…
``saturation_share``        75 %        75 %        …filling this share of the run's seconds
``saturation_z``            4           4           …with a move ≥ this many σ·√W…
``saturation_range_mult``   3           3           …or ≥ this × the ordinary 5 min range
``taker_share``             60 %        60 %        …and this forced share of taker flow
``burst_s``                 3           3           sampled burst: seconds of prints…
``burst_range_mult``        5           5           …with a move ≥ 5 × the ordinary range
``burst_taker_share``       70 %        70 %        …and this forced share of taker flow
``max_gap_s``               3 s         3 s         gap a run of prints tolerates
``cooldown_s``              300 s       300 s       per (symbol, kind), repeats of a leg
``escalation_notional``     3           3           a later leg ≥ 3 × the reported notional…
``escalation_move``         2           2           …or ≥ 2 × its move is reported (leg 2, …)
``escalation_settle_s``     60 s        60 s        …measured over the alert's first 60 s
``leg_gap_s``               30 s        30 s        silence that ends a leg: the next chain is one
``exhaustion_ratio``        25 %        25 %        rate below this share of peak…
``exhaustion_hold_s``       20 s        20 s        …for this long → CASCADE_EXHAUSTED
``funding_8h``              0.05 %      0.05 %      FUNDING_EXTREME on |funding per 8 h| ≥ this…
``funding_readings``        3           3           …on this many consecutive readings
``funding_reading_s``       60 s        60 s        …at most one reading per this much event time
``oi_flush_pct``            3 %         5 %         OI_FLUSH: OI down this much…
``oi_flush_window_s``       300 s       300 s       …within this window
==========================  ==========  ==========  ==========================================

The three paths of the cascade / squeeze decision (``signals.decide``) and why
these numbers are in ``docs/detection.md``: they were set on the tuning set of
``benchmarks/bench_detection.py`` and checked on its held-out set.

While a symbol has less than an hour of history the trailing baseline does not
exist yet and the notional test uses the floor alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class LeverageShare:
    """One bucket of the leverage mix: this share of new exposure uses this leverage."""

    leverage: float
    share: float


DEFAULT_LEVERAGE_MIX: tuple[LeverageShare, ...] = (
    LeverageShare(5.0, 0.15),
    LeverageShare(10.0, 0.30),
    LeverageShare(25.0, 0.25),
    LeverageShare(50.0, 0.20),
    LeverageShare(100.0, 0.10),
)


@dataclass(frozen=True, slots=True)
class LadderParams:
    """The estimated liquidation ladder (docs/design.md § Liquidation ladder)."""

    bin_pct: float = 0.001
    """Bin width as a fraction of the first price seen, rounded to a tick multiple."""
    leverage_mix: tuple[LeverageShare, ...] = DEFAULT_LEVERAGE_MIX
    """How new exposure is spread over leverages (shares sum to 1); each is the mode of a
    kernel of neighbouring leverages (``leverage_spread``)."""
    default_mmr: float = 0.005
    """First-tier maintenance margin rate for symbols missing from ``mmr_table``."""
    mmr_table: dict[str, float] = field(default_factory=lambda: {"BTC": 0.004, "ETH": 0.004})
    """First-tier maintenance margin rate by base currency (Binance tier 1: 0.4 %)."""
    leverage_spread: float = 0.3
    """Each leverage of the mix is smeared over neighbouring leverages, log-normally with this
    σ of ln(leverage) (traders pick 7×, 33×, 75× as well as round numbers; 0 keeps the exact
    leverages). At 0.3 a 50× mode covers ≈ 27×-90× within two σ."""
    position_lifetime_s: float = 3600.0
    """Mean life of a position (exponential): at each open-interest sample every level held
    decays by exp(−elapsed / lifetime), so old levels fade instead of piling up from hours
    of open-interest noise. 0 keeps levels until consumed, removed or pruned."""
    turnover_share: float = 1.0
    """Share of each interval's traded amount (base units) taken to re-open positions in
    place of the ones that expire: new exposure is weighted by how much traded, at the
    interval's prices, plus the interval's open-interest change (a fall takes from it:
    of V traded while open interest changed by Δ, V + Δ opened). 0 attributes
    open-interest rises alone."""
    prune_pct: float = 0.30
    """Bins further than this fraction from price are dropped (5× levels sit ≈ 20 % away)."""
    realized_window_s: float = 900.0
    """Realised-liquidation overlay window."""
    hit_window_s: float = 10.0
    """How long a consumed level stays marked as hit (the UI flashes it)."""


@dataclass(frozen=True, slots=True)
class SignalThresholds:
    """Thresholds for one symbol class (majors or alts)."""

    window_s: float = 60.0
    """Rolling window W for cascade / squeeze detection."""
    dominance: float = 0.65
    """Share of window liquidation notional that must be on one side."""
    z: float = 3.0
    """Price displacement must reach z·σ·√W (σ: last hour of 1 s returns)."""
    baseline_mult: float = 5.0
    """Notional path: window notional must reach this multiple of its trailing 1 h mean..."""
    floor_usd: float = 2_000_000.0
    """...and this floor, the window's largest print excluded (a lone whale is no chain). On a
    sampled venue the printed sum is a lower bound, so reaching the floor is still proof."""
    min_prints: int = 3
    """At least this many real same-side prints in the window."""
    range_mult: float = 1.0
    """The move must also reach this multiple of the symbol's ordinary 5-minute range (median
    high–low of the 5-minute spans of the hour before the window): an ordinary move is no
    cascade however many prints ride on it."""
    saturation_s: int = 10
    """Saturation path (sampled venues, ≤ 1 print a second): at least this many seconds carrying
    a same-side print in the current run (gaps ≤ ``max_gap_s``)..."""
    saturation_share: float = 0.75
    """...which fill at least this share of the run's seconds (bounded by W)..."""
    saturation_z: float = 4.0
    """...with a move of at least this many σ·√W (or ``saturation_range_mult`` × the ordinary
    range: after a crash σ of the hour before is the crash's own, its median range is not)..."""
    saturation_range_mult: float = 3.0
    """...or of at least this multiple of the ordinary 5-minute range..."""
    taker_share: float = 0.6
    """...and at least this forced-direction share of the window's taker notional."""
    burst_s: int = 3
    """Burst path (sampled venues): this many seconds of prints, saturated as above..."""
    burst_range_mult: float = 5.0
    """...while price moved at least this multiple of the ordinary 5-minute range..."""
    burst_taker_share: float = 0.7
    """...with at least this forced-direction share of taker notional (a move of 5 × the
    ordinary range in a few seconds is the strong part; FIL 2023-06-10's third leg carried
    73 % of taker flow)."""
    max_gap_s: float = 3.0
    """A run of same-side prints tolerates gaps up to this long (sampled streams drop some)."""
    cluster_min_share: float = 0.01
    """A consumed bin counts as a cluster if it held ≥ this share of its side's est. notional."""
    sigma_floor: float = 2e-5
    """Floor on σ of 1 s log returns, so a dead-flat hour does not make any tick a 3σ move."""
    min_sigma_history_s: float = 300.0
    """Below this much 1 s history σ comes from the warm-start klines, else ``sigma_fallback``."""
    sigma_fallback: float = 5e-4
    """σ assumed with neither 1 s history nor warm-start klines (a cautious 0.05 %/s: z·σ·√W
    is then a 1.2 % move in a minute), so a cold start cannot call every tick a 3σ move."""
    rate_window_s: float = 10.0
    """Window of the episode's liquidation rate (USD/s) used for the exhaustion test."""
    cooldown_s: float = 300.0
    """No second alert of the same (symbol, kind) within this time — but for a larger leg."""
    escalation_notional: float = 3.0
    """While the reported leg's chain goes on (its episode runs, or the cooldown holds), a
    larger leg is still reported — as the episode's next leg — when the chain's printed
    notional reaches this multiple of the reported leg's..."""
    escalation_move: float = 2.0
    """...or price has travelled this multiple of the reported leg's move from where that leg
    began (a sampled window's sum saturates at a print a second; the distance does not)."""
    escalation_settle_s: float = 60.0
    """The reported leg's reference notional and move are the largest over this long after its
    alert (the leg it is, as W measures it); a larger one can be reported from then on."""
    leg_gap_s: float = 30.0
    """A side without a print this long has ended the reported leg (the evaluation's chain gap);
    a later chain that qualifies on its own is the episode's next leg, cooldown or not."""
    exhaustion_ratio: float = 0.25
    """Episode exhausted when its print rate stays below this share of its peak..."""
    exhaustion_hold_s: float = 20.0
    """...for this long."""
    funding_8h: float = 0.0005
    """FUNDING_EXTREME when |funding normalised to 8 h| ≥ this (0.05 %)..."""
    funding_readings: int = 3
    """...on this many consecutive readings."""
    funding_reading_s: float = 60.0
    """A funding reading is the first funding rate of each bucket this long (event time), so
    Binance's 1 s mark stream gives one a minute; 0 counts every mark."""
    oi_flush_pct: float = 3.0
    """OI_FLUSH when open interest falls at least this many percent..."""
    oi_flush_window_s: float = 300.0
    """...within this window."""


MAJOR_DEFAULTS = SignalThresholds()
ALT_DEFAULTS = SignalThresholds(floor_usd=250_000.0, oi_flush_pct=5.0)


@dataclass(frozen=True, slots=True)
class DetectorParams:
    """Everything the detector is configured with."""

    ladder: LadderParams = field(default_factory=LadderParams)
    majors: SignalThresholds = MAJOR_DEFAULTS
    alts: SignalThresholds = ALT_DEFAULTS
    major_bases: tuple[str, ...] = ("BTC", "ETH")
    """Base currencies treated as majors; every other symbol uses ``alts``."""
    price_history_s: float = 900.0
    """Span of the 1 s closes a snapshot carries for the sparkline."""
    tape_size: int = 500
    """Realised liquidations kept for the cross-symbol tape (and per symbol)."""

    def thresholds_for(self, symbol: str) -> SignalThresholds:
        base = symbol.split("/", 1)[0]
        return self.majors if base in self.major_bases else self.alts
