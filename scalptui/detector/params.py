"""Plain parameter dataclasses for the detector.

Loading them from TOML belongs to ``scalptui.config``; the detector only sees
these frozen values. The starting points come from DESIGN § Signals (public
detectors); they were checked on hand-built BTC (~100 000 USD) and SOL
(~150 USD) markets with realistic notionals and on the real Binance klines of
``tests/fixtures/detector`` (see its README for what each component measured).

Signal defaults per symbol class (majors = ``major_bases``, BTC and ETH; alts =
every other symbol):

======================  ==========  ==========  ==============================================
threshold               majors      alts        meaning
======================  ==========  ==========  ==============================================
``window_s``            60 s        60 s        rolling window W
``dominance``           65 %        65 %        side's share of the window's printed notional
``z``                   3           3           move from the window extreme ≥ z·σ·√W
``baseline_mult``       5           5           notional ≥ 5 × trailing 1 h per-window mean
``floor_usd``           $2M         $250k       floor, venues that send every print
``sampled_floor_usd``   $500k       $60k        floor, sampled venues (Binance)
``min_prints``          3           3           real same-side prints in W
``min_run_s``           5           5           seconds carrying a print (sampled chain path)
``max_gap_s``           3 s         3 s         gap a run tolerates
``flow_mult``           3           3           taker-flow burst vs its trailing mean
``min_clusters``        2           2           est. clusters consumed in W (chain path)
``cooldown_s``          300 s       300 s       per (symbol, kind)
``exhaustion_ratio``    25 %        25 %        rate below this share of peak…
``exhaustion_hold_s``   20 s        20 s        …for this long → CASCADE_EXHAUSTED
``funding_8h``          0.05 %      0.05 %      FUNDING_EXTREME on |funding per 8 h| ≥ this…
``funding_readings``    3           3           …on this many consecutive readings
``funding_reading_s``   60 s        60 s        …at most one reading per this much event time
``oi_flush_pct``        3 %         5 %         OI_FLUSH: OI down this much…
``oi_flush_window_s``   300 s       300 s       …within this window
======================  ==========  ==========  ==============================================

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
    """The estimated liquidation ladder (DESIGN § Liquidation ladder)."""

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
    interval's prices, whether or not open interest rose. 0 attributes open-interest
    rises alone."""
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
    """Window notional must reach this multiple of its trailing 1 h per-window mean."""
    floor_usd: float = 2_000_000.0
    """Absolute notional floor on venues that send every liquidation."""
    sampled_floor_usd: float = 500_000.0
    """Floor on sampled venues (Binance sends ≤ 1 print per symbol per second)."""
    min_prints: int = 3
    """At least this many real same-side prints in the window."""
    min_run_s: int = 5
    """On sampled venues: seconds within the window carrying a same-side print."""
    max_gap_s: float = 3.0
    """A run of same-side prints tolerates gaps up to this long (sampled streams drop some)."""
    flow_mult: float = 3.0
    """Taker-flow burst: forced-direction taker notional in W ≥ this × its trailing mean."""
    min_clusters: int = 2
    """Est. clusters consumed in W (forced direction) that count as chain evidence."""
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
    """No second alert of the same (symbol, kind) within this time."""
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
ALT_DEFAULTS = SignalThresholds(
    floor_usd=250_000.0,
    sampled_floor_usd=60_000.0,
    oi_flush_pct=5.0,
)


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
