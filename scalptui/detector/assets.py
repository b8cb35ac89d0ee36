"""The asset detector: one ``Detector`` per venue, one asset view and one alert per leg.

A run on several venues watches each symbol (the asset: the unified symbol names
the same linear USDT perpetual on every venue) on each venue. State stays per
(venue, symbol): every venue has its own ``Detector``, whose ladder uses that
venue's ``MarketInfo`` (maintenance margin, maximum leverage), and whose cascade
test judges that venue's stream against the floors meant for it. Above them
this class keeps, per asset:

* the legs it reported (``AssetLegs``): when one venue's detector reports a
  cascade / squeeze leg the asset reports it once; another venue's report of the
  same leg is folded into it (docs/detection.md § Several venues says what "the
  same leg" is); a venue's next leg by its own escalation rules is the asset's
  next leg unless another venue already reported that one;
* the liquidation prints of the last windows of every venue, so each reported
  leg carries its per-venue breakdown (``facts["venues"]``, the message's
  "Bybit $31.2M · Binance ≥ $4.1M sampled");
* each venue's feed state (its ``FeedStatus`` records), so an alert says which
  venues were live.

No combined-evidence path: a chain too small for every venue's own floors is
not reported because the venues' sums together pass a floor (precision first;
docs/detection.md). Deterministic like ``Detector``: event time only.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from scalptui.detector.asset_view import (
    HistorySum,
    LadderSum,
    VenueLadder,
    merged_episodes,
    merged_liquidations,
    summed_open_interest,
    usd_open_interest,
    weighted_funding,
)
from scalptui.detector.detector import STOPPED_KEPT, Detector
from scalptui.detector.params import DetectorParams
from scalptui.detector.signals import ChainEvidence
from scalptui.detector.snapshot import empty_snapshot
from scalptui.detector.text import CLOSING, leg_label, rate
from scalptui.models import (
    SESSION_STREAM,
    Alert,
    AlertKind,
    DetectorSnapshot,
    EpisodeView,
    Event,
    FeedStatus,
    FundingView,
    History,
    Liquidation,
    MarketInfo,
    MarkPrice,
    OpenInterest,
    OpenInterestView,
    Side,
    Source,
    StreamState,
    Trade,
    venue_label,
)
from scalptui.numfmt import compact, duration, rate_pct, usd

VENUE_EVENTS = (Trade, Liquidation, MarkPrice, OpenInterest, MarketInfo, History)
"""Events that name a venue's market: one of a venue not yet watched adds that venue."""
FORCED_KINDS = (AlertKind.LIQUIDATION_CASCADE, AlertKind.SHORT_SQUEEZE)
DOWN_STATES = frozenset(
    {StreamState.STALE, StreamState.RECONNECTING, StreamState.FAILED, StreamState.CLOSED}
)
PRINT_STREAMS = ("trades", "liquidations")
"""The per-symbol streams an alert's prints and prices come from: a venue is down for a
symbol while one of them is (its OI or funding stream alone does not make it so)."""
QUIET_GLOBAL_STREAMS = ("clock",)
"""Connection-wide statuses that say nothing of delivery (a skewed local clock)."""
SKIPPED_STREAM = "market"
"""A venue's FAILED status of this stream for a symbol says the venue does not list it
(``MultiFeed`` skips the symbol there): that venue is no part of the asset."""

_NO_END = math.inf
"""A tally without an end: every print recorded from its start on."""


def venues_joined(venues: Iterable[str]) -> str:
    """``binanceusdm+bybit``: the venues of an alert or a snapshot, in watch order."""
    return "+".join(venues)


@dataclass(slots=True)
class AssetEpisode:
    """The asset's cascade / squeeze on one side: its latest reported leg and, per venue,
    the time of that venue's latest forced alert counted into the episode."""

    number: int
    leg_ts: int
    venue_ts: dict[str, int] = field(default_factory=dict)
    ended_ts: int | None = None
    start_ts: int = 0
    """Where the first reported chain began."""
    tally: dict[str, VenueTally] = field(default_factory=dict)
    """Every venue's prints of the side since ``start_ts`` while the episode runs: its
    exhaustion counts the venues its legs counted, whether or not their own detectors
    alerted (the prints kept for a leg span two windows, an episode can run minutes)."""
    peaks: dict[str, float] = field(default_factory=dict)
    """Each venue's own episode's peak print rate, kept at its exhaustion (its episode is
    dropped a minute later, the asset's may end after that)."""


@dataclass(slots=True)
class VenueTally:
    usd: float = 0.0
    prints: int = 0
    last_ts: int = 0
    """The venue's latest print counted."""


class AssetDetector:
    """Several venues' ``Detector``s behind the ``Detector`` API (see the module docstring)."""

    def __init__(
        self,
        params: DetectorParams | None = None,
        *,
        source: Source = Source.LIVE,
        exchanges: Sequence[str] = (),
    ) -> None:
        self.params = params if params is not None else DetectorParams()
        self.source = source
        self._venues: dict[str, Detector] = {}
        for exchange in exchanges:
            self._venue(exchange)
        self._symbols: dict[str, None] = {}
        self._prints: dict[tuple[str, Side], deque[tuple[int, str, float]]] = {}
        self._complete: dict[str, bool] = {}
        self._status: dict[str, dict[tuple[str | None, str], StreamState]] = {}
        self._other_status: dict[tuple[str, str | None, str], FeedStatus] = {}
        self._skipped: set[tuple[str, str]] = set()
        self._episodes: dict[tuple[str, Side], AssetEpisode] = {}
        self._held: dict[tuple[str, Side], tuple[Alert, dict[str, VenueTally]]] = {}
        self._last_fire: dict[tuple[str, AlertKind], tuple[int, int]] = {}
        self._ladders: dict[str, LadderSum] = {}
        self._oi_history: dict[str, HistorySum] = {}
        self._stopped: dict[str, None] = {}
        """Symbols no venue streams any more, the longest stopped first (``STOPPED_KEPT``)."""

    # ================================================================ public API

    @property
    def exchanges(self) -> tuple[str, ...]:
        """The venues watched, in watch order (those named first, then any an event added)."""
        return tuple(self._venues)

    def symbols(self) -> tuple[str, ...]:
        return tuple(self._symbols)

    def on_event(self, evt: Event) -> list[Alert]:
        """Route ``evt`` to its venue's detector; the alerts the asset reports (usually none)."""
        released: list[Alert] = []
        if isinstance(evt, FeedStatus):
            if not _one_venue(evt.exchange):
                # a status of the whole run (several venues' feed): shown, not routed
                self._other_status[(evt.exchange, evt.symbol, evt.stream)] = evt
                return []
            if _skips_symbol(evt):
                self._skip(evt.exchange, evt.symbol)
            if self._skipped and (evt.exchange, evt.symbol) in self._skipped:
                return []  # a status of a market the venue does not list (its closing one)
            self._status.setdefault(evt.exchange, {})[(evt.symbol, evt.stream)] = evt.state
            if evt.state is StreamState.CLOSED:
                # one symbol's streams, or (no symbol) the venue's feed: the run ending
                for symbol in (evt.symbol,) if evt.symbol is not None else tuple(self._symbols):
                    self._closed(evt.exchange, symbol, evt.ts)
                    if evt.stream == SESSION_STREAM:
                        self._start_afresh(symbol)
            elif evt.state in DOWN_STATES and self._held:
                released = self._release_held(evt.exchange)
        elif not isinstance(evt, VENUE_EVENTS):
            return []
        elif self._skipped and (evt.exchange, evt.symbol) in self._skipped:
            self._skipped.discard((evt.exchange, evt.symbol))  # it prints: it lists it after all
        det = self._venue(evt.exchange)
        if evt.symbol is not None:
            self._symbols.setdefault(evt.symbol, None)
            if self._stopped and not (
                isinstance(evt, FeedStatus) and evt.state is StreamState.CLOSED
            ):
                self._stopped.pop(evt.symbol, None)  # streamed again (added back)
        if isinstance(evt, Liquidation):
            self._record_print(evt)
        alerts = det.on_event(evt)
        if not alerts:
            return released or alerts
        return released + [out for a in alerts if (out := self._asset_alert(a)) is not None]

    def _closed(self, venue: str, symbol: str, ts: int) -> None:
        """A venue's feed closed a stream of ``symbol`` (taken off the watchlist, or the run
        ending: a replay's last line, a venue-wide stream closing): that is no venue going
        down, and the alerts said "(down)" and "went down while its own episode ran" of
        every venue at the end of a replay. How its episodes end is never seen, so a
        held-back exhaustion is dropped, not reported, and once no venue streams the symbol
        its episodes end: a chain seen after it is added back is a report of its own."""
        for key in [k for k in self._held if k[0] == symbol]:
            del self._held[key]
        # other venues that still hold it (one that never listed it, or is still opening,
        # never says CLOSED for it and would otherwise keep the episode open for good);
        # ``venue``'s own detector lets it go only after this (its first CLOSED stream)
        holding = (v for v, det in self._venues.items() if v != venue and symbol in det.symbols())
        if any(self.live(v, symbol) for v in holding):
            return
        for side in (Side.LONG, Side.SHORT):
            ep = self._episodes.get((symbol, side))
            if ep is not None and ep.ended_ts is None:
                ep.ended_ts = ts
        self._stopped.pop(symbol, None)
        self._stopped[symbol] = None
        while len(self._stopped) > STOPPED_KEPT:
            self._forget(next(iter(self._stopped)))

    def _start_afresh(self, symbol: str) -> None:
        """Keep nothing of ``symbol``'s run so far: its episodes, leg numbers, cooldowns,
        prints and summed history. A replay's next run (files of two runs joined) met
        them: its cascade read "leg 2" of the first run's, minutes and a restart apart,
        and its OI_FLUSH was taken for the first run's and never reported."""
        self._ladders.pop(symbol, None)
        self._oi_history.pop(symbol, None)
        for side in (Side.LONG, Side.SHORT):
            self._prints.pop((symbol, side), None)
            self._episodes.pop((symbol, side), None)
            self._held.pop((symbol, side), None)
        for key in [k for k in self._last_fire if k[0] == symbol]:
            del self._last_fire[key]

    def _forget(self, symbol: str) -> None:
        """Drop what the asset view keeps of ``symbol`` once its venues' detectors have let
        its state go (the same bound): a monitor browsing symbol after symbol for days
        kept every one's ladder cache, open-interest history and statuses, and every
        venue's ``live`` check scanned the statuses of all of them."""
        del self._stopped[symbol]
        self._symbols.pop(symbol, None)
        self._start_afresh(symbol)
        for states in self._status.values():
            for stream_key in [k for k in states if k[0] == symbol]:
                del states[stream_key]

    def venue_snapshots(
        self, symbol: str, *, span_pct: float | None = None
    ) -> dict[str, DetectorSnapshot]:
        """Each venue's own snapshot of ``symbol``, in watch order (venues without it left out)."""
        return {
            venue: det.snapshot(symbol, span_pct=span_pct)
            for venue, det in self._venues.items()
            if symbol in det.symbols()
        }

    def recent_liquidations(self, limit: int = 200) -> tuple[Liquidation, ...]:
        """Every venue's realised liquidations, newest first (each keeps its ``exchange``)."""
        tapes = [det.recent_liquidations(limit) for det in self._venues.values()]
        return merged_liquidations(tapes, limit)

    def active_episodes(self) -> dict[str, tuple[EpisodeView, ...]]:
        """Asset-level episodes in progress or just exhausted, per symbol."""
        per_venue = [det.active_episodes() for det in self._venues.values()]
        out: dict[str, tuple[EpisodeView, ...]] = {}
        for symbol in self._symbols:
            per_symbol = [eps.get(symbol, ()) for eps in per_venue]
            if not any(per_symbol):
                continue  # most symbols, most of the time: no venue status scan for them
            live = [self.live(venue, symbol) for venue in self._venues]
            views = merged_episodes(per_symbol, None, live)
            if views:
                out[symbol] = views
        return out

    def measure(self, symbol: str, side: Side) -> ChainEvidence | None:
        """The chain's measures on the venue whose prints weigh most: the first complete
        venue (Bybit) holding the symbol, else the first in watch order (diagnostics)."""
        holding = [v for v, det in self._venues.items() if symbol in det.symbols()]
        complete = [v for v in holding if self._complete.get(v, False)]
        for venue in complete or holding:
            measured = self._venues[venue].measure(symbol, side)
            if measured is not None:
                return measured
        return None

    def snapshot(self, symbol: str, *, span_pct: float | None = None) -> DetectorSnapshot:
        """The asset view of ``symbol`` (module ``asset_view`` says how each part is summed);
        an empty one for a symbol never seen."""
        snaps = self.venue_snapshots(symbol, span_pct=span_pct)
        if not snaps:
            return empty_snapshot(symbol, venues_joined(self._venues), self.source)
        venues = list(snaps)
        live = [self.live(venue, symbol) for venue in venues]
        price_at = self._price_venue(snaps, live)
        lead = snaps[venues[price_at]]
        marked = self._marked(snaps, lead)
        ladders = [VenueLadder(s.bin_width, s.ladder) for s in snaps.values()]
        ref = marked.mark if marked.mark is not None else lead.last
        cache = self._ladders.setdefault(symbol, LadderSum())
        width, rows = cache.rows(span_pct, ladders, ref)
        return DetectorSnapshot(
            exchange=venues_joined(venues),
            symbol=symbol,
            ts=max(s.ts for s in snaps.values()),
            source=self.source,
            last=lead.last,
            mark=marked.mark,
            index=marked.index,
            change_1m_pct=lead.change_1m_pct,
            change_5m_pct=lead.change_5m_pct,
            change_1h_pct=lead.change_1h_pct,
            price_ts=lead.price_ts,
            prices=lead.prices,
            bin_width=width,
            ladder=rows,
            recent_liquidations=merged_liquidations(
                [s.recent_liquidations for s in snaps.values()], 100
            ),
            funding=self._funding(snaps),
            open_interest=self._open_interest(symbol, snaps),
            episodes=merged_episodes(
                [s.episodes for s in snaps.values()],
                price_at,
                live,
            ),
            feed=tuple(f for s in snaps.values() for f in s.feed) + self._asset_feed(),
            # the finest venue's: no venue's price loses a digit
            tick_size=min((s.tick_size for s in snaps.values() if s.tick_size), default=None),
        )

    # ================================================================ venues and feed state

    def _venue(self, exchange: str) -> Detector:
        det = self._venues.get(exchange)
        if det is None:
            det = Detector(self.params, source=self.source)
            self._venues[exchange] = det
        return det

    def _skip(self, venue: str, symbol: str | None) -> None:
        """``venue`` does not list ``symbol``: no state of it there, so the venue is left out
        of the asset's snapshot, its venue snapshots and its alerts' venue facts (a venue
        without the market is no evidence either way)."""
        self._venue(venue)
        if symbol is not None:
            self._skipped.add((venue, symbol))

    def _asset_feed(self) -> tuple[FeedStatus, ...]:
        return tuple(self._other_status.values())

    def live(self, venue: str, symbol: str) -> bool:
        """Whether ``venue``'s feed delivers ``symbol`` as far as its FeedStatus records say:
        no connection-wide stream failed, stale or reconnecting, and neither the symbol's
        trades nor its liquidations. Without any record (a test, a replay) a venue is live."""
        states = self._status.get(venue)
        if not states:
            return True
        for (sym, stream), state in states.items():
            if state not in DOWN_STATES:
                continue
            if sym is None and stream not in QUIET_GLOBAL_STREAMS:
                return False
            if sym == symbol and stream in PRINT_STREAMS:
                return False
        return True

    # ================================================================ the asset view

    @staticmethod
    def _price_venue(snaps: dict[str, DetectorSnapshot], live: Sequence[bool]) -> int:
        """Index of the first venue in watch order with a live price (else any price);
        ``live`` says, per venue of ``snaps``, whether its feed is live."""
        views = list(snaps.values())
        for i, snap in enumerate(views):
            if snap.last is not None and live[i]:
                return i
        for i, snap in enumerate(views):
            if snap.last is not None or snap.mark is not None:
                return i
        return 0

    @staticmethod
    def _marked(snaps: dict[str, DetectorSnapshot], lead: DetectorSnapshot) -> DetectorSnapshot:
        """The price venue, or while it has no mark yet (its first second: trades come
        before the mark stream) the first venue that has one: the mark and index shown
        are one venue's, never a mix."""
        if lead.mark is not None:
            return lead
        return next((s for s in snaps.values() if s.mark is not None), lead)

    @staticmethod
    def _price_of(snap: DetectorSnapshot) -> float | None:
        return snap.mark if snap.mark is not None else snap.last

    def _open_interest(
        self, symbol: str, snaps: dict[str, DetectorSnapshot]
    ) -> OpenInterestView | None:
        views = [
            (s.open_interest, self._price_of(s))
            for s in snaps.values()
            if s.open_interest is not None
        ]
        return summed_open_interest(views, self._oi_history.setdefault(symbol, HistorySum()))

    def _funding(self, snaps: dict[str, DetectorSnapshot]) -> FundingView | None:
        rates = [
            (s.funding, usd_open_interest(s.open_interest, self._price_of(s)))
            for s in snaps.values()
            if s.funding is not None
        ]
        return weighted_funding(rates)

    # ================================================================ prints per venue

    def _record_print(self, liq: Liquidation) -> None:
        """Keep the print for the per-venue breakdown (the venue detector's validity rules)."""
        if not (0.0 < liq.price < math.inf and 0.0 <= liq.amount < math.inf):
            return
        notional = liq.notional
        if not (0.0 < notional < math.inf):
            notional = liq.price * liq.amount
        self._complete[liq.exchange] = not liq.sampled
        prints = self._prints.setdefault((liq.symbol, liq.side), deque())
        prints.append((liq.ts, liq.exchange, notional))
        ep = self._episodes.get((liq.symbol, liq.side))
        if ep is not None and ep.ended_ts is None and liq.ts >= ep.start_ts:
            counted = ep.tally.setdefault(liq.exchange, VenueTally())
            counted.usd += notional
            counted.prints += 1
            counted.last_ts = max(counted.last_ts, liq.ts)
        # two windows: a leg's chain lies within one; another venue's clock may lag
        keep_ms = 2 * int(self.params.thresholds_for(liq.symbol).window_s * 1000)
        newest = max(liq.ts, prints[-1][0])
        while prints and prints[0][0] < newest - keep_ms:
            prints.popleft()

    def _tally(self, symbol: str, side: Side, start: int, end: float) -> dict[str, VenueTally]:
        tally = {venue: VenueTally() for venue in self._venues}
        for ts, venue, notional in self._prints.get((symbol, side), ()):
            if start <= ts <= end:
                t = tally.setdefault(venue, VenueTally())
                t.usd += notional
                t.prints += 1
                t.last_ts = max(t.last_ts, ts)
        return tally

    def _venue_facts(
        self, symbol: str, tally: dict[str, VenueTally]
    ) -> dict[str, dict[str, float | int | bool]]:
        """``facts["venues"]``: every venue holding the symbol (or printing it), watch order."""
        out: dict[str, dict[str, float | int | bool]] = {}
        for venue, det in self._venues.items():
            t = tally.get(venue, VenueTally())
            if t.prints == 0 and symbol not in det.symbols():
                continue
            out[venue] = {
                "usd": round(t.usd, 2),
                "prints": t.prints,
                "complete": self._complete.get(venue, False),
                "live": self.live(venue, symbol),
            }
        return out

    # ================================================================ alerts per asset

    def _asset_alert(self, alert: Alert) -> Alert | None:
        if alert.kind in FORCED_KINDS:
            return self._forced(alert)
        if alert.kind is AlertKind.CASCADE_EXHAUSTED:
            return self._exhausted(alert)
        return self._once_per_asset(alert)

    def _episode_running(self, venue: str, symbol: str, side: Side) -> bool:
        """Whether ``venue``'s own episode of ``side`` is in progress and its feed live."""
        if not self.live(venue, symbol):
            return False
        views = self._venues[venue].active_episodes().get(symbol, ())
        return any(v.side is side and v.kind is not AlertKind.CASCADE_EXHAUSTED for v in views)

    def _asset_episode_live(self, ep: AssetEpisode | None, alert: Alert) -> bool:
        """The asset's episode goes on while a live venue's own episode of its side does (the
        venue alerting now counts only if its alert continues its counted episode)."""
        if ep is None or ep.ended_ts is not None:
            return False
        if self._others_running(ep, alert):
            return True
        venue_leg = alert.facts.get("leg", 1)
        return alert.exchange in ep.venue_ts and isinstance(venue_leg, int) and venue_leg > 1

    def _forced(self, alert: Alert) -> Alert | None:
        """A venue's cascade / squeeze leg: the asset's next leg, or the same leg again."""
        side = alert.side
        if side is None:
            return alert
        venue, key, now = alert.exchange, (alert.symbol, side), alert.ts
        ep = self._episodes.get(key)
        cooldown_ms = self.params.thresholds_for(alert.symbol).cooldown_s * 1000
        if self._folds_into_leg(ep, venue, now, cooldown_ms):
            assert ep is not None
            ep.venue_ts[venue] = now
            return None  # its sight of the leg the asset reported, whoever is live now
        start = self._chain_start(venue, alert.symbol, side, now)
        new_episode = False
        if ep is not None and self._asset_episode_live(ep, alert):
            counted = ep.venue_ts.get(venue)
            ep.venue_ts[venue] = now
            if counted is None or counted < ep.leg_ts:
                return None  # this venue's sight of the leg the asset already reported
            ep.number += 1
            ep.leg_ts = now
        else:
            if ep is not None and ep.ended_ts is None:
                ep.ended_ts = now  # its venues fell silent or went down without exhaustion
            within = ep is not None and now - ep.leg_ts < cooldown_ms
            number = ep.number + 1 if ep is not None and within else 1
            ep = AssetEpisode(number, now, {venue: now}, start_ts=start)
            self._episodes[key] = ep
            self._held.pop(key, None)
            new_episode = True
        # every print already in from the chain's start, those stamped after ``now`` too:
        # a venue whose clock runs ahead delivered them before the episode was there to
        # count them, and the exhaustion's per-venue sum came out short of its own total
        tally = self._tally(alert.symbol, side, start, _NO_END)
        if new_episode:  # its first chain's prints, counted on by ``_record_print``
            ep.tally = {v: replace(t) for v, t in tally.items()}
        return self._with_venues(alert, ep.number, tally)

    @staticmethod
    def _folds_into_leg(ep: AssetEpisode | None, venue: str, now: int, cooldown_ms: float) -> bool:
        """A venue never counted in the running episode whose first report comes within the
        cooldown of the asset's last leg reports that leg (the venue that reported it may
        have gone stale meanwhile: its going down does not make this a new leg)."""
        return (
            ep is not None
            and ep.ended_ts is None
            and venue not in ep.venue_ts
            and now - ep.leg_ts < cooldown_ms
        )

    def _chain_start(self, venue: str, symbol: str, side: Side, now: int) -> int:
        """Where the alerting venue's chain began (its episode's start), to the whole second."""
        views = self._venues[venue].active_episodes().get(symbol, ())
        starts = [v.started_ts for v in views if v.side is side]
        start = starts[0] if starts else now
        return start // 1000 * 1000

    def _exhausted(self, alert: Alert) -> Alert | None:
        """Exhaustion once per asset episode: when the last live venue's episode ends."""
        side = alert.side
        if side is None:
            return alert
        key = (alert.symbol, side)
        ep = self._episodes.get(key)
        if ep is None or ep.ended_ts is not None or alert.exchange not in ep.venue_ts:
            return None
        peak = alert.facts.get("peak_rate_usd_s")
        if isinstance(peak, int | float):
            ep.peaks[alert.exchange] = float(peak)
        if self._others_running(ep, alert):
            # held back until the last running venue's own exhaustion, or until it goes
            # down (its exhaustion never comes then: ``_release_held``)
            self._held[key] = (alert, self._episode_tally(ep))
            return None
        self._held.pop(key, None)
        ep.ended_ts = alert.ts
        tally = self._episode_tally(ep)
        return self._with_peak_elsewhere(self._with_venues(alert, ep.number, tally), ep, tally)

    def _others_running(self, ep: AssetEpisode, alert: Alert) -> bool:
        """Whether a venue of the episode other than ``alert``'s still runs its own."""
        side = alert.side
        others = (v for v in ep.venue_ts if v != alert.exchange)
        return side is not None and any(
            self._episode_running(v, alert.symbol, side) for v in others
        )

    def _release_held(self, venue: str) -> list[Alert]:
        """``venue`` went down: the held-back exhaustion of each asset episode it held open
        is reported now if no other venue of the episode still runs its own."""
        out: list[Alert] = []
        for key, (alert, tally_then) in list(self._held.items()):
            ep = self._episodes.get(key)
            if ep is None or ep.ended_ts is not None:
                del self._held[key]
                continue
            if venue not in ep.venue_ts or self._others_running(ep, alert):
                continue
            del self._held[key]
            ep.ended_ts = alert.ts
            # a venue's exhausted episode may have been dropped since: its tally then
            tally = tally_then | self._episode_tally(ep)
            said = self._with_peak_elsewhere(self._with_venues(alert, ep.number, tally), ep, tally)
            words = (
                f"{venue_label(venue)}'s feed went down while its own episode ran: what it "
                "has printed since is not known"
            )
            facts = {**said.facts, "ended_by_outage": venue}
            out.append(replace(said, message=_before_closing(said.message, words), facts=facts))
        return out

    def _with_peak_elsewhere(
        self, alert: Alert, ep: AssetEpisode, tally: dict[str, VenueTally]
    ) -> Alert:
        """An exhaustion decided by one venue names the episode's peak where it was larger:
        the venue going quiet last is often a sampled one, whose peak (≥ $76k/s) is a
        sliver of the complete venue's ($12M/s) — read alone, it understated the episode.
        The venue is the complete one with the highest peak, else the highest sampled."""
        side = alert.side
        decider = str(alert.facts.get("decided_by", ""))
        if side is None or decider not in ep.peaks:
            return alert
        peaks = dict(ep.peaks)
        for venue in tally:
            views = self._venues[venue].active_episodes().get(alert.symbol, ())
            for view in views:
                if view.side is side:
                    peaks[venue] = max(peaks.get(venue, 0.0), view.peak_rate)
        higher = [
            v
            for v, t in tally.items()
            if t.prints and v != decider and peaks.get(v, 0.0) > peaks[decider]
        ]
        complete = [v for v in higher if self._complete.get(v, False)]
        pool = complete or higher
        if not pool:
            return alert
        venue = max(pool, key=lambda v: peaks[v])
        sampled = not self._complete.get(venue, False)
        words = f" ({venue_label(venue)}'s peak: {rate(peaks[venue], sampled)}"
        ago_ms = alert.ts - tally[venue].last_ts
        if ago_ms >= 0:  # a held exhaustion released later may predate that venue's prints
            when = "under 1 s" if ago_ms < 1000 else duration(ago_ms / 1000.0)
            words += f", its last print {when} before"
        words += ")"
        head, sep, rest = alert.message.partition("; price ")
        if not sep:
            return alert
        facts = {
            **alert.facts,
            "peak_venue": venue,
            "peak_venue_rate_usd_s": round(peaks[venue], 2),
        }
        return replace(alert, message=head + words + sep + rest, facts=facts)

    @staticmethod
    def _episode_tally(ep: AssetEpisode) -> dict[str, VenueTally]:
        """Per venue, what it printed on the side over the asset's episode: every venue's
        prints since the first reported chain began (a venue whose own detector never
        alerted, or whose own episode ended first, read "0 prints" at the exhaustion)."""
        return {venue: replace(t) for venue, t in ep.tally.items()}

    def _once_per_asset(self, alert: Alert) -> Alert | None:
        """FUNDING_EXTREME and OI_FLUSH: the first venue's report stands for the asset; the
        others' of the same kind (and, for funding, the same crowded side) within the
        cooldown are the same condition seen on another venue."""
        key = (alert.symbol, alert.kind)
        sign = 0 if alert.side is None else (1 if alert.side is Side.LONG else -1)
        last = self._last_fire.get(key)
        cooldown_ms = self.params.thresholds_for(alert.symbol).cooldown_s * 1000
        same = last is not None and (alert.kind is not AlertKind.FUNDING_EXTREME or last[1] == sign)
        if same and last is not None and alert.ts - last[0] < cooldown_ms:
            return None
        self._last_fire[key] = (alert.ts, sign)
        # the same record shape as the forced kinds: whose reading this is
        alert = replace(alert, facts={**alert.facts, "decided_by": alert.exchange})
        if alert.kind is AlertKind.FUNDING_EXTREME:
            return self._funding_alert(alert)
        return self._oi_flush_alert(alert)

    def _oi_flush_alert(self, alert: Alert) -> Alert:
        """Say whose open interest fell, and what every venue holds together beside it: the
        figures in the message are one venue's, not the asset's."""
        snaps = self.venue_snapshots(alert.symbol, span_pct=0.0)
        held = [s.open_interest.amount for s in snaps.values() if s.open_interest is not None]
        if len(held) < 2:
            return alert
        total = math.fsum(held)
        base = alert.symbol.split("/", 1)[0]
        words = (
            f"That is {venue_label(alert.exchange)}'s open interest; {len(held)} venues hold "
            f"{compact(total)} {base} in all"
        )
        # rounded as the venues' own figures are (a sum read 5829269.458000001)
        facts = {**alert.facts, "open_interest_venues": round(total, 6)}
        return replace(alert, message=_before_closing(alert.message, words), facts=facts)

    def _funding_alert(self, alert: Alert) -> Alert:
        """Name the venue and give the OI-weighted mean of every venue's rate beside it."""
        snaps = {v: d.snapshot(alert.symbol, span_pct=0.0) for v, d in self._venues.items()}
        held = {v: s for v, s in snaps.items() if s.funding is not None}
        mean = self._funding(held)
        words = f"That is {venue_label(alert.exchange)}'s rate"
        facts = dict(alert.facts)
        if mean is not None and len(held) > 1:
            words += (
                f"; the OI-weighted mean of {len(held)} venues is {rate_pct(mean.rate_8h)} per 8 h"
            )
            facts["funding_8h_venues_mean"] = round(mean.rate_8h, 10)
        return replace(alert, message=_before_closing(alert.message, words), facts=facts)

    # ================================================================ wording

    def _with_venues(self, alert: Alert, number: int, tally: dict[str, VenueTally]) -> Alert:
        """The venue's alert as the asset's: its leg number, the venues whose prints it counts
        (``exchange``, ``facts["venues"]``) and the breakdown before the closing words."""
        venue_facts = self._venue_facts(alert.symbol, tally)
        counted = [v for v, f in venue_facts.items() if f["prints"]]
        facts = dict(alert.facts)
        given = facts.get("leg", 1)
        venue_leg = given if isinstance(given, int) else 1
        facts["leg"] = number
        facts["venue_leg"] = venue_leg
        facts["decided_by"] = alert.exchange
        facts["venues_usd"] = round(math.fsum(float(f["usd"]) for f in venue_facts.values()), 2)
        facts["venues"] = venue_facts
        message = _relabel_leg(alert, venue_leg, number)
        if len(counted) > 1:
            message = _asset_headline(message, alert, {v: venue_facts[v] for v in counted})
            # the headline's figures, as a script reads them: the asset's, with the deciding
            # venue's own under facts["venues"][decided_by]
            facts["notional_usd"] = facts["venues_usd"]
            facts["prints"] = sum(int(venue_facts[v]["prints"]) for v in counted)
            facts["lower_bound"] = not all(venue_facts[v]["complete"] for v in counted)
        message = _before_closing(message, "Venues: " + breakdown(venue_facts))
        return replace(
            alert,
            exchange=venues_joined(counted or [alert.exchange]),
            message=message,
            facts=facts,
        )


def _skips_symbol(status: FeedStatus) -> bool:
    return (
        status.stream == SKIPPED_STREAM
        and status.state is StreamState.FAILED
        and status.symbol is not None
    )


def _one_venue(exchange: str) -> bool:
    """Whether ``exchange`` names one venue (not the run's ``a,b`` or an asset's ``a+b``)."""
    return bool(exchange) and "," not in exchange and "+" not in exchange


def breakdown(venue_facts: dict[str, dict[str, float | int | bool]]) -> str:
    """``Bybit $31.2M · Binance ≥ $4.1M sampled``: complete venues first (the primary
    evidence), then sampled ones (a lower bound), each in watch order; a venue that was
    down at alert time is named "down"; a live venue without prints is left out."""
    complete, sampled = [], []
    for venue, f in venue_facts.items():
        label = venue_label(venue)
        down = "" if f["live"] else " (down)"
        if not f["prints"]:
            if down:
                sampled.append(f"{label} down")
            continue
        if f["complete"]:
            complete.append(f"{label} {usd(float(f['usd']))}{down}")
        else:
            sampled.append(f"{label} {usd(float(f['usd']), lower_bound=True)} sampled{down}")
    return " · ".join(complete + sampled)


_REAL = re.compile(r"Real liquidations: (?P<amount>(?:≥ )?\$\S+) (?P<side>longs|shorts) ")


def _asset_headline(
    message: str, alert: Alert, counted: dict[str, dict[str, float | int | bool]]
) -> str:
    """The deciding venue's wording with the asset's figure first, once several venues
    printed: "Real liquidations: ≥ $40.9M shorts on 3 venues; OKX ≥ $917k over …", and
    an exhaustion's rates named as that venue's. Read in a log line cut at the screen's
    edge, the venue's own figure next to every venue's tags passed for the asset's."""
    label = venue_label(alert.exchange)
    total = math.fsum(float(f["usd"]) for f in counted.values())
    sampled = not all(f["complete"] for f in counted.values())

    def asset_first(m: re.Match[str]) -> str:
        return (
            f"Real liquidations: {usd(total, lower_bound=sampled)} {m['side']} on "
            f"{len(counted)} venues; {label} {m['amount']} "
        )

    message = _REAL.sub(asset_first, message, count=1)
    if alert.kind is AlertKind.CASCADE_EXHAUSTED and alert.side is not None:
        said = f"{alert.side.value} liquidations "
        head, sep, rest = message.partition(" — ")
        if sep and (rest.startswith(said) or rest.startswith("no " + said)):
            rest = rest.replace(said, f"{said}on {label} ", 1)
            message = head + sep + rest
    return message


def _before_closing(message: str, words: str) -> str:
    """``words`` as the message's last sentence before "Informational — no trade plan."."""
    if message.endswith(CLOSING):
        return f"{message[: -len(CLOSING)]}{words}. {CLOSING}"
    return f"{message} {words}."


def _relabel_leg(alert: Alert, venue_leg: int, number: int) -> str:
    """The message's "KIND leg N —" with the asset's number instead of the venue's."""
    old = f"{alert.symbol} {alert.kind.value}{leg_label(venue_leg)} — "
    if not alert.message.startswith(old):
        return alert.message
    return f"{alert.symbol} {alert.kind.value}{leg_label(number)} — {alert.message[len(old) :]}"
