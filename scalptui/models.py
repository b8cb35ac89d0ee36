"""Typed records shared by every layer: feed → detector → (UI | headless sinks).

Everything here is a frozen dataclass, a named tuple (``LadderBin``, built by the
hundred each tick) or an enum, so that a record can be handed
from the feed to the detector, to the UI and to a recording without anyone
mutating it on the way. Times are exchange timestamps in epoch milliseconds
unless a field says otherwise. Sizes are in base units (contracts already
multiplied by the contract size) and notionals in USD (quote currency).

This module imports nothing beyond the standard library: the detector, the feed
and the headless sinks all depend on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, NamedTuple


class Side(StrEnum):
    """The *position* side a record is about (a liquidated long, a crowded short)."""

    LONG = "long"
    SHORT = "short"


class TakerSide(StrEnum):
    """The aggressor of a trade: ``buy`` lifted the offer, ``sell`` hit the bid."""

    BUY = "buy"
    SELL = "sell"


class Source(StrEnum):
    """Where the data comes from; shown in the header and in every headless record."""

    LIVE = "live"
    SIMULATED = "simulated"
    REPLAY = "replay"


class AlertKind(StrEnum):
    LIQUIDATION_CASCADE = "LIQUIDATION_CASCADE"
    SHORT_SQUEEZE = "SHORT_SQUEEZE"
    CASCADE_EXHAUSTED = "CASCADE_EXHAUSTED"
    FUNDING_EXTREME = "FUNDING_EXTREME"
    OI_FLUSH = "OI_FLUSH"


class StreamState(StrEnum):
    """State of one feed stream, as the header and the headless log report it."""

    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RECONNECTING = "reconnecting"
    FAILED = "failed"
    CLOSED = "closed"


SESSION_STREAM = "session"
"""The stream of a replay's statuses where a second recording begins (files of two runs
joined end to end): each symbol's CLOSED then LIVE there starts it as a new run did,
with nothing kept of the run before — no episode, leg number or cooldown."""


VENUE_LABELS = {"binanceusdm": "Binance", "bybit": "Bybit", "okx": "OKX"}
"""How a venue is named on screen and in alert messages."""
VENUE_TAGS = {"binanceusdm": "BN", "bybit": "BY", "okx": "OK"}
"""Two-letter venue tags where a column is narrow (the tape, the header at 80 columns)."""


def venue_label(exchange: str) -> str:
    """``Binance`` for ``binanceusdm``; an unknown id is shown as given."""
    return VENUE_LABELS.get(exchange, exchange)


def venue_tag(exchange: str) -> str:
    return VENUE_TAGS.get(exchange, exchange[:2].upper())


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Trade:
    """One public trade. ``side`` is the taker's side."""

    KIND: ClassVar[str] = "trade"
    ts: int
    exchange: str
    symbol: str
    price: float
    amount: float
    side: TakerSide


@dataclass(frozen=True, slots=True)
class Liquidation:
    """One forced close printed by the venue.

    ``side`` is the side of the *position* that was liquidated (a liquidated long
    is force-sold). ``sampled`` is true on venues that throttle their stream
    (Binance: at most one print per symbol per second), so sums of these are a
    lower bound.
    """

    KIND: ClassVar[str] = "liquidation"
    ts: int
    exchange: str
    symbol: str
    side: Side
    price: float
    amount: float
    notional: float
    sampled: bool


@dataclass(frozen=True, slots=True)
class MarkPrice:
    """Mark / index price and, where the venue sends it with the mark, funding."""

    KIND: ClassVar[str] = "mark"
    ts: int
    exchange: str
    symbol: str
    mark: float
    index: float | None = None
    funding_rate: float | None = None
    next_funding_ts: int | None = None
    funding_interval_h: float | None = None


@dataclass(frozen=True, slots=True)
class OpenInterest:
    """Open interest: ``amount`` in base units, ``value`` in USD when the venue gives it."""

    KIND: ClassVar[str] = "open_interest"
    ts: int
    exchange: str
    symbol: str
    amount: float
    value: float | None = None


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """State change of one stream. ``ts`` is local wall-clock ms (a status is not market data).

    ``symbol`` is None for connection-wide statuses. ``last_message_ts`` is the
    local wall time of the last message the stream delivered, so the UI can show
    the age of the data.
    """

    KIND: ClassVar[str] = "status"
    ts: int
    exchange: str
    symbol: str | None
    stream: str
    state: StreamState
    detail: str = ""
    last_message_ts: int | None = None


@dataclass(frozen=True, slots=True)
class MarketInfo:
    """Static facts about one market, sent once by the feed before its events."""

    KIND: ClassVar[str] = "market"
    ts: int
    exchange: str
    symbol: str
    tick_size: float
    contract_size: float = 1.0
    max_leverage: float | None = None
    mmr: float | None = None
    funding_interval_h: float | None = None


@dataclass(frozen=True, slots=True)
class Bar:
    """One historical candle, used to warm the ladder at start-up."""

    ts: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    taker_buy_volume: float | None = None


@dataclass(frozen=True, slots=True)
class History:
    """History the exchange gives without a key: candles and open-interest samples.

    ``bars`` and ``open_interest`` share one period (Binance: 5 minutes) and are
    oldest first. The detector rebuilds the ladder from them (the warm start).
    """

    KIND: ClassVar[str] = "history"
    ts: int
    exchange: str
    symbol: str
    bars: tuple[Bar, ...]
    open_interest: tuple[OpenInterest, ...]


Event = Trade | Liquidation | MarkPrice | OpenInterest | FeedStatus | MarketInfo | History
MARKET_EVENTS = (Trade, Liquidation, MarkPrice, OpenInterest)


# --------------------------------------------------------------------------- alerts

VenueFacts = Mapping[str, Mapping[str, float | int | bool]]
"""``facts["venues"]`` of an alert on several venues: per venue, its printed ``usd``,
``prints``, whether its stream is ``complete`` and whether its feed was ``live``."""
FactValue = float | int | str | bool | VenueFacts


@dataclass(frozen=True, slots=True)
class Alert:
    """An informational alert. Deliberately has no field that could carry a plan.

    ``facts`` holds the measured numbers behind ``message`` (USD notionals, print
    counts, percentages, durations) for JSON consumers; an alert on several venues
    adds one nested mapping, ``venues`` (``VenueFacts``).
    """

    ts: int
    exchange: str
    symbol: str
    kind: AlertKind
    side: Side | None
    message: str
    facts: Mapping[str, FactValue] = field(default_factory=dict)
    source: Source = Source.LIVE

    def to_record(self) -> dict[str, Any]:
        """The JSON alert record of docs/design.md § Interfaces."""
        return {
            "type": "alert",
            "ts": self.ts,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "kind": self.kind.value,
            "side": self.side.value if self.side is not None else None,
            "message": self.message,
            "facts": {k: _plain(v) for k, v in self.facts.items()},
            "source": self.source.value,
        }


def _plain(value: FactValue) -> Any:
    """A fact as JSON takes it: the nested venue mapping as plain dicts."""
    if isinstance(value, Mapping):
        return {k: dict(v) for k, v in value.items()}
    return value


# --------------------------------------------------------------------------- snapshot


class LadderBin(NamedTuple):
    """One price bin of the estimated liquidation ladder (USD notional).

    ``long_usd`` / ``short_usd`` are model estimates of positions that would be
    force-closed in [low, high). ``realized_*`` are liquidations actually printed
    in the bin over the overlay window. ``hit_*`` are estimated notionals consumed
    (mark crossed them) recently, for the flashing effect.

    A named tuple, not a frozen dataclass like the other records: a snapshot at the
    widest span builds hundreds of rows a tick, and a tuple is built in a quarter of
    the time (0.25 against 0.97 µs a row).
    """

    low: float
    high: float
    long_usd: float
    short_usd: float
    realized_long_usd: float = 0.0
    realized_short_usd: float = 0.0
    hit_long_usd: float = 0.0
    hit_short_usd: float = 0.0
    edge: bool = False
    """True on the two edge rows (``ladder[0]`` and ``ladder[-1]`` of a snapshot) that
    sum every estimated level beyond the requested span below / above it."""


@dataclass(frozen=True, slots=True)
class FundingView:
    rate: float
    interval_h: float
    rate_8h: float
    apr: float
    next_funding_ts: int | None


@dataclass(frozen=True, slots=True)
class OpenInterestView:
    amount: float
    value: float | None
    delta_5m_pct: float | None
    delta_1h_pct: float | None
    history: tuple[tuple[int, float], ...] = ()


@dataclass(frozen=True, slots=True)
class EpisodeView:
    """A cascade / squeeze episode in progress (or just exhausted)."""

    kind: AlertKind
    side: Side
    started_ts: int
    notional_usd: float
    prints: int
    price_move_pct: float
    peak_rate: float
    current_rate: float
    lower_bound: bool


@dataclass(frozen=True, slots=True)
class DetectorSnapshot:
    """Immutable view of one symbol for the UI and the headless snapshot record."""

    exchange: str
    symbol: str
    ts: int
    source: Source
    last: float | None
    mark: float | None
    index: float | None
    change_1m_pct: float | None
    change_5m_pct: float | None
    change_1h_pct: float | None
    price_ts: tuple[int, ...]
    prices: tuple[float, ...]
    bin_width: float
    ladder: tuple[LadderBin, ...]
    recent_liquidations: tuple[Liquidation, ...]
    funding: FundingView | None
    open_interest: OpenInterestView | None
    episodes: tuple[EpisodeView, ...]
    feed: tuple[FeedStatus, ...] = ()
    tick_size: float | None = None
    """The market's price tick (its ``MarketInfo``): prices are shown to it."""

    def to_record(self) -> dict[str, Any]:
        """The JSON snapshot record of docs/design.md § Interfaces."""
        return {
            "type": "snapshot",
            "ts": self.ts,
            "exchange": self.exchange,
            "symbol": self.symbol,
            "source": self.source.value,
            "price": self.last,
            "mark": self.mark,
            "funding_rate": _rate(self.funding.rate) if self.funding else None,
            "funding_interval_h": self.funding.interval_h if self.funding else None,
            # the same rate per 8 h: one meaning on every venue and interval (a run on
            # several venues has no one interval, and reports its mean per 8 h)
            "funding_8h": _rate(self.funding.rate_8h) if self.funding else None,
            "open_interest": round(self.open_interest.amount, 8) if self.open_interest else None,
            "open_interest_usd": _cents(self.open_interest.value) if self.open_interest else None,
            "ladder": [_bin_record(b) for b in self.ladder if not _empty_edge(b)],
            "episodes": [_episode_record(e) for e in self.episodes],
        }


# Sums and means carry float residue (925732.5632000001, a mean rate of 0.00026697904960419):
# cents for dollars, 10 decimals for a rate (a millionth of a basis point), as alert facts are
# rounded.


def _cents(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _rate(value: float) -> float:
    return round(value, 10)


def _episode_record(e: EpisodeView) -> dict[str, Any]:
    return {
        **asdict(e),
        "kind": e.kind.value,
        "side": e.side.value,
        "notional_usd": round(e.notional_usd, 2),
        "price_move_pct": round(e.price_move_pct, 4),
        "peak_rate": round(e.peak_rate, 2),
        "current_rate": round(e.current_rate, 2),
    }


def _bin_record(b: LadderBin) -> dict[str, Any]:
    record: dict[str, Any] = {
        # to the bin grid's precision, without float residue (69969.90000000001)
        "low": round(b.low, 10),
        "high": round(b.high, 10),
        "long_usd": round(b.long_usd, 2),
        "short_usd": round(b.short_usd, 2),
    }
    if b.edge:
        record["edge"] = True  # sums every estimated level beyond the span, low..high
    return record


def _empty_edge(b: LadderBin) -> bool:
    return b.edge and b.long_usd == 0.0 and b.short_usd == 0.0
