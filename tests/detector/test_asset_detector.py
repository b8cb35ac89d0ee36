"""The asset detector: one asset on several venues, one alert per leg, the summed view.

Hand-made events from two or three venues: each second a mark on every venue at
the same price and, during a chain, one long liquidation per venue of a fixed
size, so every number an alert or a snapshot carries is known in advance.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as hs

from scalptui.detector import AssetDetector, Detector, DetectorParams, make_detector
from scalptui.detector.asset_view import (
    HistorySum,
    VenueLadder,
    merged_liquidations,
    sum_ladders,
)
from scalptui.detector.detector import STOPPED_KEPT
from scalptui.detector.open_interest import OI_BUCKET_MS
from scalptui.detector.snapshot import MAX_LADDER_ROWS
from scalptui.models import (
    SESSION_STREAM,
    Alert,
    AlertKind,
    Event,
    FeedStatus,
    LadderBin,
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

BTC = "BTC/USDT:USDT"
T0 = 1_000_000
BN, BY, OK = "binanceusdm", "bybit", "okx"
Prints = dict[str, tuple[float, bool]]
"""Per venue: the USD of its one print a second (0: none) and whether it samples."""

CHAIN: Prints = {BY: (150_000.0, False), BN: (100_000.0, True), OK: (50_000.0, True)}
BIG: Prints = {BY: (600_000.0, False), BN: (400_000.0, True)}
QUIET: Prints = {BY: (0.0, False), BN: (0.0, True)}


def script(phases: list[tuple[int, float, Prints]], start: int = T0) -> tuple[list[Event], int]:
    """(events, next second's ts) of ``phases``: (seconds, price step a second, prints)."""
    price, ts = 100_000.0, start
    events: list[Event] = []
    for seconds, step, prints in phases:
        for _ in range(seconds):
            price *= 1.0 + step
            for venue, (usd, sampled) in prints.items():
                events.append(MarkPrice(ts, venue, BTC, price, price))
                if usd:
                    liq = Liquidation(
                        ts + 1, venue, BTC, Side.LONG, price, usd / price, usd, sampled
                    )
                    events.append(liq)
            ts += 1000
    return events, ts


def feed(det: Detector | AssetDetector, events: list[Event]) -> list[Alert]:
    return [alert for evt in events for alert in det.on_event(evt)]


def three_venues() -> AssetDetector:
    return AssetDetector(DetectorParams(), source=Source.LIVE, exchanges=(BN, BY, OK))


def forced(alerts: list[Alert]) -> list[Alert]:
    return [a for a in alerts if a.kind is AlertKind.LIQUIDATION_CASCADE]


# ------------------------------------------------------------------ make_detector


def test_make_detector_gives_the_asset_detector_only_for_several_venues() -> None:
    params = DetectorParams()
    assert type(make_detector(params, source=Source.LIVE, exchanges=(BN,))) is Detector
    assert type(make_detector(params, source=Source.LIVE, exchanges=(BY, BY))) is Detector
    assert type(make_detector(params, source=Source.LIVE)) is Detector
    det = make_detector(params, source=Source.REPLAY, exchanges=(BY, BN))
    assert isinstance(det, AssetDetector)
    assert det.exchanges == (BY, BN) and det.source is Source.REPLAY


def test_an_event_of_an_unlisted_venue_adds_it_after_the_listed_ones() -> None:
    det = AssetDetector(exchanges=(BY, BN))
    det.on_event(MarkPrice(T0, OK, BTC, 100.0, 100.0))
    assert det.exchanges == (BY, BN, OK) and det.symbols() == (BTC,)
    assert list(det.venue_snapshots(BTC)) == [OK]


def test_the_snapshot_carries_the_market_tick_the_asset_view_the_finest_venue_s() -> None:
    det = AssetDetector(exchanges=(BY, BN))
    for venue in (BY, BN):
        det.on_event(MarkPrice(T0, venue, BTC, 2.3124, 2.3124))
    assert det.snapshot(BTC).tick_size is None  # no MarketInfo yet: shown by magnitude
    det.on_event(MarketInfo(T0, BY, BTC, tick_size=0.001))
    det.on_event(MarketInfo(T0, BN, BTC, tick_size=0.0001))
    assert det.venue_snapshots(BTC)[BY].tick_size == 0.001
    assert det.venue_snapshots(BTC)[BN].tick_size == 0.0001
    assert det.snapshot(BTC).tick_size == 0.0001


# ------------------------------------------------------------------ one alert per leg


def test_prints_of_a_venue_whose_clock_runs_ahead_are_counted_in_the_leg() -> None:
    """Binance's clock 3 s ahead: its prints stamped after Bybit's alert had already come
    in, before the episode was there to count them, and were never counted: the
    exhaustion read "Binance ≥ $910k, 7 prints" beside "Venues: … Binance ≥ $429k"."""
    events, _ = script([(30, -0.001, CHAIN)])
    ahead = [dataclasses.replace(e, ts=e.ts + 3_000) if e.exchange == BN else e for e in events]
    (alert,) = forced(feed(three_venues(), ahead))
    assert alert.facts["decided_by"] == BY and alert.ts == T0 + 15_000
    venues = alert.facts["venues"]
    assert isinstance(venues, dict)
    assert venues[BN] == {"usd": 1_500_000.0, "prints": 15, "complete": False, "live": True}


def test_one_leg_on_three_venues_is_one_alert_with_every_venue_in_its_facts() -> None:
    """Bybit's complete stream crosses the $2M floor at its 15th print ($2.1M without the
    largest): the asset reports that leg once, counting every venue's prints since the
    chain began; Binance's own report of the same leg six seconds later is silent."""
    events, _ = script([(30, -0.001, CHAIN)])
    alerts = feed(three_venues(), events)
    (alert,) = forced(alerts)
    assert alert.ts == T0 + 15_000
    assert alert.exchange == "binanceusdm+bybit+okx"
    assert alert.facts["leg"] == 1 and alert.facts["decided_by"] == BY
    assert alert.facts["venues"] == {
        BN: {"usd": 1_500_000.0, "prints": 15, "complete": False, "live": True},
        BY: {"usd": 2_250_000.0, "prints": 15, "complete": True, "live": True},
        OK: {"usd": 750_000.0, "prints": 15, "complete": False, "live": True},
    }
    assert alert.facts["venues_usd"] == 4_500_000.0
    # The asset's figure first: a log line cut at the screen's edge shows it, not Bybit's.
    assert " — Real liquidations: ≥ $4.50M longs on 3 venues; Bybit $2.25M in 15 s, " in (
        alert.message
    )
    assert alert.message.endswith(
        "Venues: Bybit $2.25M · Binance ≥ $1.50M sampled · OKX ≥ $750k sampled. "
        "Informational — no trade plan."
    )
    assert alert.to_record()["facts"]["venues"][BY]["usd"] == 2_250_000.0
    # the record's top-level figures are the headline's, the asset's
    assert alert.facts["notional_usd"] == 4_500_000.0 and alert.facts["prints"] == 45
    assert alert.facts["lower_bound"] is True


def test_another_venues_report_of_the_same_leg_is_suppressed() -> None:
    """Alone, Binance's detector reports this chain too (at its 21st print); on the asset
    it is the leg Bybit already reported."""
    events, _ = script([(30, -0.001, CHAIN)])
    alone = forced(feed(Detector(), [e for e in events if e.exchange == BN]))
    assert [a.ts for a in alone] == [T0 + 21_000]
    assert [a.ts for a in forced(feed(three_venues(), events))] == [T0 + 15_000]


def test_a_later_leg_three_times_larger_is_still_reported_once() -> None:
    """After the first leg's minute, prints four times as large: Bybit's window reaches
    3 × the leg's $9M ($27M) and both venues report their leg 2 in the same second —
    the asset says leg 2 once; exhaustion follows once, when the last venue's stops."""
    small = {BY: CHAIN[BY], BN: CHAIN[BN]}
    events, _ = script(
        [(25, -0.001, small), (60, 0.0, small), (60, -0.0005, BIG), (60, 0.0, QUIET)]
    )
    det = AssetDetector(exchanges=(BN, BY))
    alerts = feed(det, events)
    legs = forced(alerts)
    assert [(a.ts, a.facts["leg"], a.facts["venue_leg"]) for a in legs] == [
        (T0 + 15_000, 1, 1),
        (T0 + 125_000, 2, 2),
    ]
    assert (
        legs[1].to_record()["facts"]["venues"][BY]["usd"] == 27_000_000.0
    )  # Bybit's, which decided
    assert legs[1].facts["notional_usd"] == 45_000_000.0  # the asset's, as the headline
    assert " LIQUIDATION_CASCADE leg 2 — " in legs[1].message
    assert legs[1].message.endswith(
        "Venues: Bybit $27.0M · Binance ≥ $18.0M sampled. Informational — no trade plan."
    )
    exhausted = [a for a in alerts if a.kind is AlertKind.CASCADE_EXHAUSTED]
    assert len(exhausted) == 1 and exhausted[0].facts["leg"] == 2
    assert exhausted[0].exchange == "binanceusdm+bybit"


def test_the_exhaustion_counts_every_venue_its_leg_counted() -> None:
    """OKX prints beside Bybit's chain but never alerts itself: the leg counted it, and
    the exhaustion read "OKX ≥ $0 sampled · 0 prints" (only venues whose own detector
    alerted were tallied, and an episode outlives the prints kept for a leg)."""
    beside = {BY: CHAIN[BY], OK: (5_000.0, True)}
    quiet = {BY: (0.0, False), OK: (0.0, True)}
    events, _ = script([(150, -0.0004, beside), (60, 0.0, quiet)])
    alerts = feed(AssetDetector(exchanges=(BY, OK)), events)
    (leg,) = forced(alerts)
    counted = leg.facts["venues"]
    assert isinstance(counted, dict) and counted[OK]["prints"] > 0
    (done,) = [a for a in alerts if a.kind is AlertKind.CASCADE_EXHAUSTED]
    venues = done.facts["venues"]
    assert isinstance(venues, dict)
    assert venues[OK] == {"usd": 750_000.0, "prints": 150, "complete": False, "live": True}
    assert venues[BY]["prints"] == 150
    assert done.exchange == "bybit+okx"
    assert "OKX ≥ $750k sampled" in done.message and "$0" not in done.message


def test_an_exhaustion_a_sampled_venue_decides_names_the_complete_venue_s_peak() -> None:
    """Bybit's chain stops first; Binance, which samples, prints 10 s longer and so decides
    the asset's exhaustion. Its own peak (≥ $100k/s) read alone understated an episode
    whose complete venue printed $150k/s: the line names that peak and how long ago
    Bybit last printed."""
    events, _ = script(
        [
            (30, -0.001, {BY: CHAIN[BY], BN: CHAIN[BN]}),
            (10, 0.0, {BY: (0.0, False), BN: CHAIN[BN]}),
            (60, 0.0, QUIET),
        ]
    )
    alerts = feed(AssetDetector(exchanges=(BN, BY)), events)
    (done,) = [a for a in alerts if a.kind is AlertKind.CASCADE_EXHAUSTED]
    assert done.facts["decided_by"] == BN
    assert done.facts["peak_venue"] == BY
    assert done.facts["peak_venue_rate_usd_s"] == 150_000.0
    bybit_last = T0 + 29_000 + 1
    ago = round((done.ts - bybit_last) / 1000)
    assert (
        f"after a peak of ≥ $100k/s (Bybit's peak: $150k/s, its last print {ago} s before); "
        in (done.message)
    )


def test_a_sampled_venue_s_higher_peak_is_named_when_the_complete_one_s_is_lower() -> None:
    """Binance decides at ≥ $100k/s; Bybit, complete, peaked lower ($50k/s) and OKX,
    sampled, higher (≥ $400k/s): OKX's peak is the one named (none was)."""
    prints: Prints = {BN: CHAIN[BN], BY: (50_000.0, False), OK: (400_000.0, True)}
    tail: Prints = {BN: CHAIN[BN], BY: (0.0, False), OK: (0.0, True)}
    quiet: Prints = {BN: (0.0, True), BY: (0.0, False), OK: (0.0, True)}
    events, _ = script([(30, -0.001, prints), (10, 0.0, tail), (60, 0.0, quiet)])
    alerts = feed(three_venues(), events)
    (done,) = [a for a in alerts if a.kind is AlertKind.CASCADE_EXHAUSTED]
    assert done.facts["decided_by"] == BN
    assert done.facts["peak_venue"] == OK
    assert "(OKX's peak: ≥ $400k/s, its last print " in done.message


def test_an_exhaustion_the_complete_venue_decides_names_no_other_peak() -> None:
    events, _ = script(
        [
            (30, -0.001, {BY: CHAIN[BY], BN: CHAIN[BN]}),
            (10, 0.0, {BY: CHAIN[BY], BN: (0.0, True)}),
            (60, 0.0, QUIET),
        ]
    )
    alerts = feed(AssetDetector(exchanges=(BN, BY)), events)
    (done,) = [a for a in alerts if a.kind is AlertKind.CASCADE_EXHAUSTED]
    assert done.facts["decided_by"] == BY
    assert "peak_venue" not in done.facts and "'s peak:" not in done.message


def test_a_sampled_venue_alone_reads_as_a_lower_bound() -> None:
    """Only Binance prints enough: the breakdown names it "≥ … sampled" and the venue that
    printed nothing is no part of the alert's exchange."""
    prints: Prints = {BN: (100_000.0, True), BY: (0.0, False)}
    events, _ = script([(30, -0.001, prints)])
    (alert,) = forced(feed(AssetDetector(exchanges=(BN, BY)), events))
    assert alert.exchange == BN
    assert alert.facts["venues"] == {
        BN: {"usd": 2_100_000.0, "prints": 21, "complete": False, "live": True},
        BY: {"usd": 0.0, "prints": 0, "complete": False, "live": True},
    }
    assert "Venues: Binance ≥ $2.10M sampled. " in alert.message
    assert " — Real liquidations: ≥ $2.10M longs in " in alert.message  # its own is the total


def test_a_venue_down_at_alert_time_is_named_with_live_false() -> None:
    """OKX's trade stream reconnects after five seconds of its prints: its prints still
    count, and the alert says it was not live."""
    two: Prints = {BY: CHAIN[BY], BN: CHAIN[BN]}
    events, _ = script([(5, -0.001, CHAIN), (25, -0.001, two)])
    cut = next(i for i, e in enumerate(events) if e.ts >= T0 + 5_000)
    events.insert(cut, FeedStatus(0, OK, BTC, "trades", StreamState.RECONNECTING))
    live = [FeedStatus(0, v, BTC, "trades", StreamState.LIVE) for v in (BN, BY, OK)]
    det = three_venues()
    (alert,) = forced(feed(det, [*live, *events]))
    assert alert.facts["venues"][OK] == {  # type: ignore[index]
        "usd": 250_000.0,
        "prints": 5,
        "complete": False,
        "live": False,
    }
    assert alert.facts["venues"][BY]["live"] is True  # type: ignore[index]
    assert alert.message.endswith(
        "Venues: Bybit $2.25M · Binance ≥ $1.50M sampled · OKX ≥ $250k sampled (down). "
        "Informational — no trade plan."
    )
    assert not det.live(OK, BTC) and det.live(BN, BTC)


# ------------------------------------------------------------------ funding, OI flush


def test_funding_extreme_on_two_venues_is_one_alert_naming_the_first() -> None:
    """Both venues pay 0.06 % per 8 h for three readings: one FUNDING_EXTREME, on Bybit,
    with the OI-weighted mean of both ((0.0006·3 + 0.0008·1) / 4 = 0.00065)."""
    det = AssetDetector(exchanges=(BY, BN))
    events: list[Event] = [
        OpenInterest(T0, BY, BTC, 3000.0, 300_000_000.0),
        OpenInterest(T0, BN, BTC, 1000.0, 100_000_000.0),
    ]
    for minute in range(4):
        ts = T0 + minute * 60_000
        events.append(MarkPrice(ts, BY, BTC, 100_000.0, None, 0.0006))
        events.append(MarkPrice(ts + 1, BN, BTC, 100_000.0, None, 0.0008))
    alerts = [a for a in feed(det, events) if a.kind is AlertKind.FUNDING_EXTREME]
    assert [a.exchange for a in alerts] == [BY] and alerts[0].facts["decided_by"] == BY
    assert alerts[0].facts["funding_8h_venues_mean"] == pytest.approx(0.00065, rel=1e-12)
    assert "That is Bybit's rate; the OI-weighted mean of 2 venues is +0.0650 % per 8 h." in (
        alerts[0].message
    )


def test_an_oi_flush_on_two_venues_is_one_alert() -> None:
    det = AssetDetector(exchanges=(BN, BY))
    events: list[Event] = []
    for ts, amount in ((T0, 1000.0), (T0 + 60_000, 950.0)):
        events.extend(OpenInterest(ts, venue, BTC, amount) for venue in (BN, BY))
    flushes = [a for a in feed(det, events) if a.kind is AlertKind.OI_FLUSH]
    assert [a.exchange for a in flushes] == [BN]
    assert flushes[0].facts["decided_by"] == BN  # the record says whose reading it is
    # the figures are Binance's: said so, with what both venues hold together
    assert "(1.00k → 950 BTC)" in flushes[0].message
    assert flushes[0].message.endswith(
        "That is Binance's open interest; 2 venues hold 1.95k BTC in all. "
        "Informational — no trade plan."
    )
    assert flushes[0].facts["open_interest_venues"] == 1950.0  # Bybit's fall not yet in


def test_the_open_interest_of_every_venue_is_a_rounded_sum() -> None:
    """Two venues' amounts summed read 5829269.458000001 in a JSON record."""
    det = AssetDetector(exchanges=(BN, BY))
    events: list[Event] = [OpenInterest(T0, BY, BTC, 0.2), OpenInterest(T0, BN, BTC, 1000.1)]
    events.append(OpenInterest(T0 + 60_000, BN, BTC, 950.1))
    (flush,) = [a for a in feed(det, events) if a.kind is AlertKind.OI_FLUSH]
    assert 950.1 + 0.2 != 950.3 and flush.facts["open_interest_venues"] == 950.3


# ------------------------------------------------------------------ the asset view


def _market(det: AssetDetector) -> None:
    """OI and funding on three venues: Binance 2000 BTC (no USD value: × its mark 100k),
    0.01 % per 8 h; Bybit 1000 BTC = $101M, 0.02 % per 4 h (0.04 % per 8 h); OKX 500 BTC
    = $50M, no funding yet."""
    for evt in (
        MarkPrice(T0, BN, BTC, 100_000.0, 99_990.0, 0.0001, T0 + 3_600_000),
        MarkPrice(T0, BY, BTC, 101_000.0, 100_990.0, 0.0002, T0 + 1_800_000, 4.0),
        MarkPrice(T0, OK, BTC, 100_500.0, 100_490.0),
        OpenInterest(T0 + 1, BN, BTC, 2000.0),
        OpenInterest(T0 + 1, BY, BTC, 1000.0, 101_000_000.0),
        OpenInterest(T0 + 1, OK, BTC, 500.0, 50_000_000.0),
    ):
        det.on_event(evt)


def test_the_asset_shows_a_mark_while_its_price_venue_has_none_yet() -> None:
    """Binance's trades come before its mark stream: the asset's mark and index are
    Bybit's meanwhile (one venue's pair, never a mix), then Binance's once it has one."""
    det = three_venues()
    det.on_event(Trade(T0, BN, BTC, 100_000.0, 1.0, TakerSide.BUY))
    det.on_event(MarkPrice(T0 + 10, BY, BTC, 101_000.0, 100_990.0))
    snap = det.snapshot(BTC)
    assert snap.last == 100_000.0 and (snap.mark, snap.index) == (101_000.0, 100_990.0)
    det.on_event(MarkPrice(T0 + 20, BN, BTC, 100_010.0, 100_000.0))
    assert (det.snapshot(BTC).mark, det.snapshot(BTC).index) == (100_010.0, 100_000.0)


def test_venues_that_all_pay_every_4_h_are_read_per_4_h() -> None:
    """SUI on three venues paying every 4 h read "+0.0178 % /8h" beside a countdown to a
    payment 4 h apart: the rate paid was nowhere."""
    det = three_venues()
    for venue, rate in ((BN, 0.0001), (BY, 0.0003), (OK, 0.0002)):
        det.on_event(MarkPrice(T0, venue, BTC, 100_000.0, 99_990.0, rate, T0 + 60_000, 4.0))
        det.on_event(OpenInterest(T0 + 1, venue, BTC, 1000.0, 100_000_000.0))
    funding = det.snapshot(BTC).funding
    assert funding is not None and funding.interval_h == 4.0
    assert funding.rate == pytest.approx(0.0002, rel=1e-12)  # the mean paid every 4 h
    assert funding.rate_8h == pytest.approx(0.0004, rel=1e-12)


def test_open_interest_is_summed_in_usd_and_funding_weighted_by_it() -> None:
    det = three_venues()
    _market(det)
    snap = det.snapshot(BTC)
    assert snap.exchange == "binanceusdm+bybit+okx"
    oi = snap.open_interest
    assert oi is not None and oi.amount == 3500.0 and oi.value == 351_000_000.0
    funding = snap.funding
    assert funding is not None and funding.interval_h == 8.0
    # (0.0001 · $200M + 0.0004 · $101M) / $301M; OKX has no rate and no weight
    assert funding.rate_8h == pytest.approx((0.0001 * 200e6 + 0.0004 * 101e6) / 301e6, rel=1e-12)
    assert funding.next_funding_ts == T0 + 1_800_000
    assert list(det.venue_snapshots(BTC)) == [BN, BY, OK]
    assert det.venue_snapshots(BTC)[BY].mark == 101_000.0


def test_price_comes_from_the_first_live_venue_in_watch_order() -> None:
    det = three_venues()
    _market(det)
    for venue, price in ((BN, 100_000.0), (BY, 101_000.0)):
        det.on_event(Trade(T0 + 5, venue, BTC, price, 0.1, TakerSide.BUY))
    assert det.snapshot(BTC).last == 100_000.0
    det.on_event(FeedStatus(0, BN, BTC, "trades", StreamState.STALE))
    snap = det.snapshot(BTC)
    assert snap.last == 101_000.0 and snap.mark == 101_000.0
    det.on_event(FeedStatus(0, BN, BTC, "trades", StreamState.LIVE))
    assert det.snapshot(BTC).last == 100_000.0


def test_liquidations_of_every_venue_merge_newest_first() -> None:
    det = three_venues()
    for i, venue in enumerate((OK, BN, BY, BN)):
        det.on_event(Liquidation(T0 + i * 10, venue, BTC, Side.LONG, 100.0, 1.0, 100.0, True))
    tape = det.recent_liquidations(3)
    assert [(liq.ts, liq.exchange) for liq in tape] == [(T0 + 30, BN), (T0 + 20, BY), (T0 + 10, BN)]
    assert [liq.exchange for liq in det.snapshot(BTC).recent_liquidations] == [BN, BY, BN, OK]


def test_episodes_are_the_assets() -> None:
    events, _ = script([(30, -0.001, CHAIN)])
    det = three_venues()
    feed(det, events)
    (episode,) = det.active_episodes()[BTC]
    assert episode.kind is AlertKind.LIQUIDATION_CASCADE and episode.side is Side.LONG
    # Bybit's and Binance's episodes (OKX never reported one): 30 × ($150k + $100k)
    assert episode.notional_usd == 7_500_000.0 and episode.prints == 60
    assert episode.lower_bound and det.snapshot(BTC).episodes == (episode,)


# ------------------------------------------------------------------ the summed ladder


def _bin(low: float, high: float, long_usd: float = 0.0, short_usd: float = 0.0) -> LadderBin:
    return LadderBin(low, high, long_usd, short_usd)


def _edge(low: float, high: float, long_usd: float = 0.0, short_usd: float = 0.0) -> LadderBin:
    return LadderBin(low, high, long_usd, short_usd, edge=True)


def test_ladders_of_different_grids_are_rebinned_by_overlap() -> None:
    """Width 10 and width 15: the common grid is 15 wide; the 10-wide row [100, 110) gives
    half its notional to [90, 105) and half to [105, 120); edges stay edges."""
    a = VenueLadder(10.0, (_edge(50.0, 100.0, 7.0), _bin(100.0, 110.0, 30.0), _edge(110.0, 200.0)))
    b = VenueLadder(
        15.0, (_edge(60.0, 105.0), _bin(105.0, 120.0, 30.0, 12.0), _edge(120.0, 150.0, 0.0, 5.0))
    )
    width, rows = sum_ladders([a, b], 105.0)
    assert width == 15.0
    assert [(r.low, r.high, r.long_usd, r.short_usd, r.edge) for r in rows] == [
        (50.0, 90.0, 7.0, 0.0, True),
        (90.0, 105.0, 15.0, 0.0, False),
        (105.0, 120.0, 45.0, 12.0, False),
        (120.0, 200.0, 0.0, 5.0, True),
    ]


def _totals(rows: tuple[LadderBin, ...]) -> tuple[float, float, float]:
    return (
        math.fsum(r.long_usd for r in rows),
        math.fsum(r.short_usd for r in rows),
        math.fsum(r.realized_long_usd + r.hit_short_usd for r in rows),
    )


def test_the_summed_ladder_of_three_venues_conserves_their_notional() -> None:
    """Ten minutes of trading and open interest on three venues whose first prices differ
    (so do their grids): the asset's ladder holds what the three hold, at every span."""
    det = three_venues()
    for venue, tick in ((BN, 0.1), (BY, 0.01), (OK, 0.01)):
        det.on_event(MarketInfo(T0, venue, BTC, tick, max_leverage=100.0, mmr=0.004))
    for s in range(600):
        ts = T0 + s * 1000
        for i, venue in enumerate((BN, BY, OK)):
            price = 100_000.0 * (1.0 + 0.0003 * i) * (1.0 + 0.002 * math.sin(s / 40.0))
            side = TakerSide.BUY if (s + i) % 3 else TakerSide.SELL
            det.on_event(Trade(ts, venue, BTC, price, 2.0, side))
            det.on_event(MarkPrice(ts + 1, venue, BTC, price, price))
            if s % 15 == 0:
                det.on_event(OpenInterest(ts + 2, venue, BTC, 1000.0 + s * (i + 1)))
    for span in (1.0, 3.0, None):
        snap = det.snapshot(BTC, span_pct=span)
        venues = det.venue_snapshots(BTC, span_pct=span).values()
        assert len({v.bin_width for v in venues}) == 3
        assert snap.bin_width == max(v.bin_width for v in venues)
        want = [math.fsum(t) for t in zip(*(_totals(v.ladder) for v in venues), strict=True)]
        assert _totals(snap.ladder)[0] == pytest.approx(want[0], rel=1e-12)
        assert _totals(snap.ladder)[1] == pytest.approx(want[1], rel=1e-12)
        assert want[0] > 0.0 and want[1] > 0.0
        assert snap.ladder[0].edge and snap.ladder[-1].edge
        assert not any(r.edge for r in snap.ladder[1:-1])
        lows = [r.low for r in snap.ladder]
        assert lows == sorted(lows)
    assert det.snapshot(BTC, span_pct=3.0).ladder is det.snapshot(BTC, span_pct=3.0).ladder


@hs.composite
def venue_ladders(draw: hs.DrawFn) -> VenueLadder:
    width = draw(hs.sampled_from([0.5, 1.0, 1.5, 2.5, 7.0]))
    start = draw(hs.integers(min_value=20, max_value=60))
    values = draw(
        hs.lists(
            hs.tuples(
                hs.floats(min_value=0.0, max_value=1e9),
                hs.floats(min_value=0.0, max_value=1e9),
            ),
            min_size=1,
            max_size=40,
        )
    )
    rows = [_edge(0.0, start * width, draw(hs.floats(0.0, 1e9)))]
    for i, (long_usd, short_usd) in enumerate(values):
        rows.append(_bin((start + i) * width, (start + i + 1) * width, long_usd, short_usd))
    end = (start + len(values)) * width
    rows.append(_edge(end, end + 100.0, 0.0, draw(hs.floats(0.0, 1e9))))
    return VenueLadder(width, tuple(rows))


@given(hs.lists(venue_ladders(), min_size=1, max_size=3), hs.floats(10.0, 200.0))
def test_the_summed_ladders_total_is_the_sum_of_the_venues_totals(
    ladders: list[VenueLadder], ref: float
) -> None:
    _, rows = sum_ladders(ladders, ref)
    for part in (0, 1):
        want = math.fsum(_totals(lad.rows)[part] for lad in ladders)
        assert _totals(rows)[part] == pytest.approx(want, rel=1e-9, abs=1e-6)
    assert rows[0].edge and rows[-1].edge


# ------------------------------------------------------------------ a venue without the symbol


def test_a_venue_that_skips_the_symbol_is_no_part_of_the_asset() -> None:
    """Bybit does not list the symbol (the feed's FAILED ``market`` status says so) but
    streams another one completely: it is neither in the asset's snapshot nor in the
    alert's venue facts as a live venue with no prints (false evidence against the chain)."""
    det = AssetDetector(exchanges=(BN, BY))
    why = "skipped on this venue: unknown symbol"
    skip = FeedStatus(T0, BY, BTC, "market", StreamState.FAILED, why)
    eth = "ETH/USDT:USDT"
    other = Liquidation(T0, BY, eth, Side.SHORT, 3_000.0, 1.0, 3_000.0, False)
    closing = FeedStatus(T0, BY, BTC, "trades", StreamState.CLOSED)
    events, _ = script([(30, -0.001, {BN: (100_000.0, True)})])
    (alert,) = forced(feed(det, [skip, other, closing, *events]))
    assert alert.exchange == BN
    assert alert.facts["venues"] == {
        BN: {"usd": 2_100_000.0, "prints": 21, "complete": False, "live": True}
    }
    assert alert.message.endswith(
        "Venues: Binance ≥ $2.10M sampled. Informational — no trade plan."
    )
    assert list(det.venue_snapshots(BTC)) == [BN]
    assert det.snapshot(BTC).exchange == BN
    assert list(det.venue_snapshots(eth)) == [BY]


# ------------------------------------------------------------------ a venue going down mid-episode


def _status(venue: str, state: StreamState, stream: str = "trades") -> FeedStatus:
    return FeedStatus(0, venue, BTC, stream, state)


def test_exhaustion_held_for_a_venue_that_then_goes_down_is_reported() -> None:
    """Binance's prints stop first (its exhaustion is held: Bybit's episode goes on), then
    Bybit's feed goes down, so Bybit's own exhaustion never comes: the held one is
    reported then, once, naming Bybit down, and the asset's episode is no longer shown
    as running."""
    both: Prints = {BY: CHAIN[BY], BN: CHAIN[BN]}
    by_only: Prints = {BY: CHAIN[BY], BN: (0.0, True)}
    events, ts = script([(30, -0.001, both), (40, 0.0, by_only)])
    after, _ = script([(180, 0.0, {BN: (0.0, True)})], start=ts)
    live = [_status(v, StreamState.LIVE) for v in (BN, BY)]
    det = AssetDetector(exchanges=(BN, BY))
    alerts = feed(det, [*live, *events])
    assert [a.kind for a in alerts] == [AlertKind.LIQUIDATION_CASCADE]
    assert det.active_episodes()[BTC][0].kind is AlertKind.LIQUIDATION_CASCADE
    (exhausted,) = det.on_event(_status(BY, StreamState.RECONNECTING))
    assert exhausted.kind is AlertKind.CASCADE_EXHAUSTED and exhausted.facts["leg"] == 1
    assert exhausted.facts["decided_by"] == BN
    assert exhausted.facts["venues"][BY]["live"] is False  # type: ignore[index]
    assert "Bybit $10.5M (down)" in exhausted.message
    assert "Bybit's feed went down while its own episode ran" in exhausted.message
    # Bybit printed after Binance's exhaustion was decided: no "last print … before"
    assert "(Bybit's peak: $150k/s); " in exhausted.message
    assert exhausted.facts["ended_by_outage"] == BY
    # Binance's silence and peak rate are its own; the episode's total is every venue's.
    assert " — no long liquidations on Binance for " in exhausted.message
    assert "Real liquidations: ≥ $13.5M longs on 2 venues; Binance ≥ $3.00M over " in (
        exhausted.message
    )
    assert not [a for a in feed(det, after) if a.kind is AlertKind.CASCADE_EXHAUSTED]
    (episode,) = det.active_episodes()[BTC]
    assert episode.kind is AlertKind.CASCADE_EXHAUSTED
    assert det.snapshot(BTC).episodes[0].kind is AlertKind.CASCADE_EXHAUSTED


def test_a_symbol_taken_off_the_watchlist_mid_episode_reports_no_exhaustion() -> None:
    """As above, Binance's exhaustion is held while Bybit's episode goes on; then the
    symbol is taken off the watchlist (every stream of it CLOSED on both venues). Closing
    is no venue going down: how the episode ended is never seen, so nothing is reported
    for it, then or later. Added back while the chain still runs, the chain is reported
    afresh (the leg after the one reported, as within the cooldown)."""
    both: Prints = {BY: CHAIN[BY], BN: CHAIN[BN]}
    by_only: Prints = {BY: CHAIN[BY], BN: (0.0, True)}
    events, ts = script([(30, -0.001, both), (40, 0.0, by_only)])
    streams = ("trades", "liquidations", "mark")
    live = [_status(v, StreamState.LIVE, s) for v in (BN, BY) for s in streams]
    det = AssetDetector(exchanges=(BN, BY))
    assert [a.kind for a in feed(det, [*live, *events])] == [AlertKind.LIQUIDATION_CASCADE]
    closed: list[Event] = [_status(v, StreamState.CLOSED, s) for v in (BN, BY) for s in streams]
    assert feed(det, closed) == []
    assert BTC not in det.active_episodes()
    again, _ = script([(40, -0.001, both)], start=ts + 60_000)
    alerts = feed(det, [*live, *again])
    assert [a.kind for a in alerts] == [AlertKind.LIQUIDATION_CASCADE]
    assert alerts[0].facts["leg"] == 2 and alerts[0].facts["venue_leg"] == 1


def test_the_end_of_a_replay_reports_no_venue_down() -> None:
    """A replay ends with each venue's feed CLOSED (no symbol). That was read as every
    venue going down: the held exhaustion came out saying "Bybit $10.5M (down)" and
    "Bybit's feed went down while its own episode ran" of a recording that just ended."""
    both: Prints = {BY: CHAIN[BY], BN: CHAIN[BN]}
    by_only: Prints = {BY: CHAIN[BY], BN: (0.0, True)}
    events, _ = script([(30, -0.001, both), (40, 0.0, by_only)])
    live = [_status(v, StreamState.LIVE, s) for v in (BN, BY) for s in ("trades", "liquidations")]
    det = AssetDetector(exchanges=(BN, BY))
    assert [a.kind for a in feed(det, [*live, *events])] == [AlertKind.LIQUIDATION_CASCADE]
    end: list[Event] = [
        FeedStatus(0, v, None, "replay", StreamState.CLOSED, "end of recording") for v in (BN, BY)
    ]
    assert feed(det, end) == []
    assert all(e.kind is not AlertKind.LIQUIDATION_CASCADE for e in det.active_episodes()[BTC])


def test_symbols_no_venue_streams_any_more_are_not_kept_for_ever() -> None:
    """Symbol after symbol tried and taken off, for days: the asset view keeps the last
    STOPPED_KEPT of them, as each venue's detector does; one added back is kept again."""
    det = AssetDetector(exchanges=(BN, BY))
    symbols = [f"C{i}/USDT:USDT" for i in range(STOPPED_KEPT + 10)]

    def watch(symbol: str, ts: int, state: StreamState) -> None:
        for venue in (BN, BY):
            det.on_event(FeedStatus(ts, venue, symbol, "trades", state))
            if state is StreamState.LIVE:
                det.on_event(MarkPrice(ts, venue, symbol, 100.0))
                det.on_event(Trade(ts, venue, symbol, 100.0, 1.0, TakerSide.BUY))

    watch(symbols[0], T0, StreamState.LIVE)
    watch(symbols[0], T0, StreamState.CLOSED)
    for i, symbol in enumerate(symbols[1:], start=1):
        watch(symbol, T0 + i * 1000, StreamState.LIVE)
        det.snapshot(symbol)  # the asset view caches its summed ladder and OI history
        if i == 5:
            watch(symbols[0], T0 + i * 1000, StreamState.LIVE)  # added back
        watch(symbol, T0 + i * 1000, StreamState.CLOSED)
    held = {s for s in symbols if s in det.symbols()}
    assert held == {symbols[0], *symbols[-STOPPED_KEPT:]}
    assert set(det._ladders) <= held and set(det._oi_history) <= held
    for states in det._status.values():
        assert {sym for sym, _ in states} <= held


@pytest.mark.parametrize("third", ["skips the symbol", "still opening"])
def test_a_closed_symbol_s_episode_ends_though_a_third_venue_never_held_it(third: str) -> None:
    """OKX never streams BTC (it does not list it, or it is still opening), so it never
    says CLOSED for it: the episode still ends when Binance and Bybit close BTC, and a
    chain after BTC is added back is reported, not taken for the leg before."""
    if third == "skips the symbol":
        why = "skipped on this venue: unknown symbol"
        pre = [
            FeedStatus(0, OK, BTC, "market", StreamState.FAILED, why),
            FeedStatus(0, OK, "ETH/USDT:USDT", "trades", StreamState.LIVE),
        ]
    else:
        pre = [FeedStatus(0, OK, None, "feed", StreamState.CONNECTING, "opening")]
    streams = ("trades", "liquidations", "mark")
    live = [_status(v, StreamState.LIVE, s) for v in (BN, BY) for s in streams]
    events, ts = script([(30, -0.001, {BY: CHAIN[BY]})])
    det = AssetDetector(exchanges=(BN, BY, OK))
    assert [a.exchange for a in forced(feed(det, [*pre, *live, *events]))] == [BY]
    feed(det, [_status(v, StreamState.CLOSED, s) for v in (BN, BY) for s in streams])
    again, _ = script([(30, -0.001, {BN: CHAIN[BN]})], start=ts + 60_000)
    (alert,) = forced(feed(det, [*live, *again]))
    assert alert.exchange == BN and alert.facts["leg"] == 2


def test_a_replayed_second_run_keeps_nothing_of_the_first() -> None:
    """Two runs' recordings joined: where the second begins each venue's streams close and
    open on the session stream. Its chain a minute on read "leg 2" of the first run's and
    its OI_FLUSH was taken for the first run's; a run of its own reports leg 1 and every
    flush, as the second run did live."""
    streams = ("trades", "liquidations", "mark")
    live = [_status(v, StreamState.LIVE, s) for v in (BN, BY) for s in streams]
    events, ts = script([(30, -0.001, {BY: CHAIN[BY]})])

    def flush(at: int) -> list[Event]:
        return [OpenInterest(at, BY, BTC, 1000.0), OpenInterest(at + 60_000, BY, BTC, 950.0)]

    det = AssetDetector(exchanges=(BN, BY))
    first = feed(det, [*live, *events, *flush(ts)])
    assert [a.facts.get("leg") for a in first if a.kind is not AlertKind.OI_FLUSH] == [1]
    assert [a.kind for a in first].count(AlertKind.OI_FLUSH) == 1
    ts += 60_000
    joined = [
        FeedStatus(ts, v, BTC, SESSION_STREAM, state, "a second recording begins")
        for state in (StreamState.CLOSED, StreamState.LIVE)
        for v in (BN, BY)
    ]
    again, ts = script([(30, -0.001, {BN: CHAIN[BN]})], start=ts + 30_000)
    second = feed(det, [*joined, *live, *again, *flush(ts)])
    assert [(a.exchange, a.facts["leg"]) for a in forced(second)] == [(BN, 1)]
    assert [a.kind for a in second].count(AlertKind.OI_FLUSH) == 1


def test_the_other_venues_first_report_after_the_leg_venue_went_stale_is_that_leg() -> None:
    """Bybit reports leg 1 and its trades go stale two seconds later; Binance's own first
    report of the same chain (its 21st print) is that leg, not leg 2. Binance's later
    leg, three times larger by its own rules, is still the asset's leg 2."""
    both: Prints = {BY: CHAIN[BY], BN: CHAIN[BN]}
    events, ts = script([(17, -0.001, both)])
    phases = [(60, -0.001, {BN: CHAIN[BN]}), (60, -0.001, {BN: (1_000_000.0, True)})]
    after, _ = script(phases, start=ts)
    live = [_status(v, StreamState.LIVE, s) for v in (BN, BY) for s in ("trades", "liquidations")]
    det = AssetDetector(exchanges=(BN, BY))
    alerts = forced(feed(det, [*live, *events, _status(BY, StreamState.STALE), *after]))
    assert [(a.ts, a.facts["leg"], a.facts["venue_leg"]) for a in alerts] == [
        (T0 + 15_000, 1, 1),
        (T0 + 127_000, 2, 2),
    ]
    assert alerts[1].facts["decided_by"] == BN
    assert alerts[1].message.endswith("Bybit down. Informational — no trade plan.")


@given(
    hs.lists(
        hs.lists(hs.integers(min_value=0, max_value=40), max_size=30),
        min_size=1,
        max_size=3,
    ),
    hs.integers(min_value=0, max_value=120),
)
def test_merged_tapes_are_newest_first_with_ties_in_watch_then_tape_order(
    times: list[list[int]], limit: int
) -> None:
    venues = ("binanceusdm", "bybit", "okx")
    tapes = [
        [
            Liquidation(T0 + ts, venues[v], BTC, Side.LONG, 100.0, float(n + 1), 100.0, False)
            for n, ts in enumerate(sorted(column, reverse=True))
        ]
        for v, column in enumerate(times)
    ]
    # the definition: newest first, then the venue's place in the watch order, then the tape's
    keyed = [(-liq.ts, v, n, liq) for v, tape in enumerate(tapes) for n, liq in enumerate(tape)]
    expected = tuple(item[3] for item in sorted(keyed, key=lambda item: item[:3]))[:limit]
    assert merged_liquidations(tapes, limit) == expected


def _summed_by_definition(
    histories: list[list[tuple[int, float]]],
) -> tuple[tuple[int, float], ...]:
    """Per bucket from the moment every venue has a point: the bucket's last sample time
    and the sum of every venue's latest amount at that time."""
    if not all(histories):
        return ()
    start = max(h[0][0] for h in histories)
    stamps = sorted({ts for h in histories for ts, _ in h if ts >= start})
    last_of_bucket: dict[int, int] = {}
    for ts in stamps:
        last_of_bucket[ts // OI_BUCKET_MS] = ts
    out = []
    for bucket in sorted(last_of_bucket):
        ts = last_of_bucket[bucket]
        out.append((ts, sum([a for t, a in h if t <= ts][-1] for h in histories)))
    return tuple(out)


_OI_STEP = hs.tuples(
    hs.integers(min_value=0, max_value=2),  # venue
    hs.sampled_from(("sample", "next bucket", "drop oldest")),
    hs.integers(min_value=0, max_value=OI_BUCKET_MS - 1),  # where in its bucket
    hs.floats(min_value=1.0, max_value=1e6),
)


@given(
    hs.lists(
        hs.lists(hs.integers(min_value=0, max_value=OI_BUCKET_MS - 1), min_size=0, max_size=3),
        min_size=3,
        max_size=3,
    ),
    hs.lists(_OI_STEP, max_size=60),
)
def test_summed_oi_history_is_one_point_per_bucket_whatever_each_venue_streams(
    starts: list[list[int]], steps: list[tuple[int, str, int, float]]
) -> None:
    # each venue's history as the detector keeps it: one point per bucket, the bucket's
    # latest sample, the newest replaced by every sample of its bucket (a streaming venue);
    # the venues start on the same buckets, so their newest points often share one
    base = T0 * 1000 // OI_BUCKET_MS
    histories: list[list[tuple[int, float]]] = [
        [((base + b) * OI_BUCKET_MS + offset, 1000.0 + b) for b, offset in enumerate(offsets)]
        for offsets in starts
    ]
    summed = HistorySum()
    for venue, step, offset, amount in steps:
        hist = histories[venue]
        if step == "drop oldest":
            if hist:
                hist.pop(0)
        elif not hist:
            hist.append((T0 * 1000 + offset, amount))
        elif step == "next bucket":
            bucket = hist[-1][0] // OI_BUCKET_MS + 1
            hist.append((bucket * OI_BUCKET_MS + offset, amount))
        else:
            ts = hist[-1][0] // OI_BUCKET_MS * OI_BUCKET_MS + offset
            hist[-1] = (max(ts, hist[-1][0]), amount)
        got = summed.history([tuple(h) for h in histories])
        assert got == _summed_by_definition(histories)
        buckets = [ts // OI_BUCKET_MS for ts, _ in got]
        assert buckets == sorted(set(buckets))


def _venue_ladder(width: float, first: int, cells: list[tuple[float, float, float]]) -> VenueLadder:
    """Inner bins first.. of ``width`` (absolute multiples of it, as a venue's grid is),
    (long, short, realised long) each, framed by edge rows holding 1 and 2 of each."""
    inner = [
        LadderBin((first + i) * width, (first + i + 1) * width, a, b, c, 0.0, 0.0, c)
        for i, (a, b, c) in enumerate(cells)
    ]
    low, high = first * width, (first + len(cells)) * width
    below = LadderBin(low - 5 * width, low, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, edge=True)
    above = LadderBin(high, high + 5 * width, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, edge=True)
    return VenueLadder(width, (below, *inner, above))


_CELL = hs.tuples(*[hs.floats(min_value=0.0, max_value=1e7)] * 3)


@given(
    hs.lists(
        hs.tuples(
            hs.sampled_from((0.5, 0.7, 1.0, 1.3)),
            # two places far apart: their common grid is folded round ``ref`` (≤ 2 000 rows)
            hs.integers(min_value=60, max_value=90) | hs.integers(min_value=6000, max_value=6010),
            hs.lists(_CELL, min_size=1, max_size=25),
        ),
        min_size=1,
        max_size=3,
    ),
    hs.sampled_from((80.0, 7000.0)),
)
def test_each_summed_row_holds_every_venue_row_in_proportion_to_their_overlap(
    venues: list[tuple[float, int, list[tuple[float, float, float]]]], ref: float
) -> None:
    ladders = [_venue_ladder(w, first, cells) for w, first, cells in venues]
    width, rows = sum_ladders(ladders, ref)
    assert width == max(w for w, _, _ in venues)
    assert len(rows) <= MAX_LADDER_ROWS + 2
    cells = [cell for lad in ladders for cell in lad.rows[1:-1]]

    def part(cell: LadderBin, low: float, high: float) -> list[float]:
        """The share of ``cell``'s values that lies in [low, high)."""
        overlap = min(cell.high, high) - max(cell.low, low)
        share = overlap / (cell.high - cell.low) if overlap > 1e-9 * width else 0.0
        return [v * share for v in cell[2:8]]

    def total(parts: list[list[float]]) -> list[float]:
        return [math.fsum(column) for column in zip(*parts, strict=True)] if parts else [0.0] * 6

    for r, row in enumerate(rows[1:-1], start=1):
        assert not row.edge and row.high - row.low == pytest.approx(width)
        want = total([part(cell, row.low, row.high) for cell in cells])
        assert list(row[2:8]) == pytest.approx(want, rel=1e-9, abs=1e-3), r
    # each edge holds the venues' edges on its side, whole, and every part of a venue row
    # beyond the common rows on that side
    assert rows[0].edge and rows[-1].edge
    inner_low, inner_high = rows[1].low, rows[-2].high
    below = total([part(cell, -math.inf, inner_low) for cell in cells])
    above = total([part(cell, inner_high, math.inf) for cell in cells])
    assert list(rows[0][2:8]) == pytest.approx([v + len(ladders) * 1.0 for v in below], rel=1e-9)
    assert list(rows[-1][2:8]) == pytest.approx([v + len(ladders) * 2.0 for v in above], rel=1e-9)
    for i in range(2, 8):
        summed = math.fsum(row[i] for row in rows)
        assert summed == pytest.approx(
            math.fsum(b[i] for lad in ladders for b in lad.rows), rel=1e-9, abs=1e-3
        )
