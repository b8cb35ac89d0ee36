"""Socket → detector cost: CcxtFeed + Detector against bare ccxt.pro ``watch_*`` loops.

docs/design.md § Performance budgets: the anchor is the ccxt.pro ``watch_*`` loop alone
over a loopback socket (≈ 135 µs a message at 1 000 msg/s on the reference
machine); the budget for the whole socket → detector path is ≤ 1.2× that.

The simulated exchange runs in its own process (``scalptui.feed.sim.serve``),
so only the consuming side's CPU is measured: process CPU time
(``time.process_time``) over a fixed wall-clock window, divided by the market
messages consumed in it. Both sides consume the same streams of the same
symbols (trades, liquidations, mark price); (a) is the plain
``while True: await exchange.watch_*()`` loop per stream — trades and mark
price per symbol, and one liquidation loop that counts what reached ccxt's
liquidation cache (``watch_liquidations`` itself hands back one print per
wake-up and drops the rest of a burst, so its return value would undercount
exactly when it matters) — and (b) is ``CcxtFeed.events()`` →
``Detector.on_event``. Each measurement gets a fresh simulator, so both sides
see the same market; rounds alternate a, b, a, b… and the medians are reported.

Two markets: ``calm`` (≈ 1 000 messages a second over three symbols at 30×
exchange time) and ``cascade`` (the simulator's forced-selling scenario, at a
slower time scale so the shock at 60–100 s of exchange time and the chain that
follows fall inside the measured window; the liquidations counted show it did).

A third case watches three venues at once (Binance, Bybit, OKX × ten symbols, the
simulator serving all three wire formats on one port): (a) each venue's bare
``watch_*`` loops, (b) ``MultiFeed`` → the asset detector; there the ratio is of
the CPU share on the same market (the simulator is seeded alike for every measure).

    python benchmarks/bench_pipeline.py [--seconds 10] [--rounds 3]

The script first prints an in-process breakdown of one trade frame (ccxt alone,
the feed's own path, the detector on a symbol holding an hour of market, calm
and in the middle of a cascade). It exits 1 when the ratio (b)/(a) is over
budget in either market. Numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

SYMBOLS = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")
WARM_UP_S = 3.0
MULTI_WARM_UP_S = 12.0
"""Thirty (venue, symbol) warm starts (REST history, a day of candles into the detector)
must be over before the window opens."""
BUDGET = 1.20
"""(b)/(a), CPU per market message (docs/design.md § Performance budgets)."""
MULTI_VENUES = ("binanceusdm", "bybit", "okx")
MULTI_SYMBOL_COUNT = 10
MULTI_TIME_SCALE = 3.0
"""Three venues × ten symbols at 3× exchange time: ≈ 1 600 frames a second over nine sockets."""
TIME_SCALES = {"calm": 30.0, "cascade": 10.0}
"""Simulator speed per market: ≈ 1 000 msg/s calm; the cascade's shock inside the window."""


@dataclass(frozen=True)
class Measure:
    label: str
    messages: int
    cpu_s: float
    wall_s: float
    liquidations: int

    @property
    def us_per_message(self) -> float:
        return self.cpu_s / max(1, self.messages) * 1e6

    @property
    def rate(self) -> float:
        return self.messages / self.wall_s

    @property
    def core_pct(self) -> float:
        return self.cpu_s / self.wall_s * 100

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.rate:8.0f} msg/s  {self.us_per_message:7.1f} µs/msg"
            f"  {self.core_pct:5.1f} % of a core  {self.liquidations:5d} liquidations"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_simulator(
    port: int,
    time_scale: float,
    seed: int,
    scenario: str,
    symbols: tuple[str, ...] = SYMBOLS,
) -> subprocess.Popen[bytes]:
    code = (
        "import asyncio\n"
        "from scalptui.feed.sim import serve\n"
        f"asyncio.run(serve({port}, seed={seed}, symbols={symbols!r},"
        f" time_scale={time_scale}, scenario={scenario!r}))\n"
    )
    return subprocess.Popen([sys.executable, "-c", code])


async def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"simulated exchange did not listen on {port}") from None
            await asyncio.sleep(0.1)
        else:
            writer.close()
            await writer.wait_closed()
            return


async def measure_window(
    label: str,
    counter: Callable[[], tuple[int, int]],
    seconds: float,
    warm_up_s: float = WARM_UP_S,
) -> Measure:
    """CPU, messages and liquidations over ``seconds`` of wall time, after a warm-up."""
    await asyncio.sleep(warm_up_s)
    (start_msgs, start_liqs), start_cpu, start_wall = (
        counter(),
        time.process_time(),
        time.monotonic(),
    )
    await asyncio.sleep(seconds)
    msgs, liqs = counter()
    return Measure(
        label,
        msgs - start_msgs,
        time.process_time() - start_cpu,
        time.monotonic() - start_wall,
        liqs - start_liqs,
    )


async def bare_ccxt(base_url: str, seconds: float) -> Measure:
    """(a) The anchor: one plain ``watch_*`` loop per stream and symbol."""
    import ccxt.pro

    from scalptui.feed.baseurl import apply_base_url

    exchange: Any = ccxt.pro.binanceusdm({"options": {"defaultType": "swap"}})
    apply_base_url(exchange, base_url)
    await exchange.load_markets()
    count = liquidations = 0

    async def loop(watch: Callable[[], Awaitable[Any]]) -> None:
        nonlocal count
        while True:
            result = await watch()
            count += len(result) if isinstance(result, list) else 1

    async def liquidation_loop() -> None:
        # One consumer of the shared cache: getLimit(None) is what arrived since its last call.
        nonlocal count, liquidations
        while True:
            await exchange.watch_liquidations_for_symbols(list(SYMBOLS))
            new = exchange.liquidations.getLimit(None, None) or 0
            count += new
            liquidations += new

    tasks = [asyncio.create_task(liquidation_loop())]
    for symbol in SYMBOLS:
        for watch in (
            lambda s=symbol: exchange.watch_trades(s),
            lambda s=symbol: exchange.watch_mark_price(s),
        ):
            tasks.append(asyncio.create_task(loop(watch)))
    try:
        return await measure_window(
            "(a) bare ccxt.pro watch_*", lambda: (count, liquidations), seconds
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await exchange.close()


@dataclass
class Tally:
    """What the product path consumed: market events, liquidations, warm starts (History)."""

    count: int = 0
    liquidations: int = 0
    histories: int = 0

    def counts(self) -> tuple[int, int]:
        return self.count, self.liquidations


async def consume_into(feed: Any, detector: Any, tally: Tally) -> None:
    """The product's consumer loop — every event into the detector — counting as it goes."""
    from scalptui.models import MARKET_EVENTS, History, Liquidation

    on_event = detector.on_event
    async for event in feed.events():
        on_event(event)
        if type(event) is History:
            tally.histories += 1
        elif isinstance(event, MARKET_EVENTS):
            tally.count += 1
            if isinstance(event, Liquidation):
                tally.liquidations += 1


async def feed_to_detector(base_url: str, seconds: float) -> Measure:
    """(b) The product path: CcxtFeed.events() → Detector.on_event."""
    from scalptui.detector import Detector
    from scalptui.feed.ccxt_feed import CcxtFeed
    from scalptui.models import Source

    feed = CcxtFeed("binanceusdm", SYMBOLS, base_url=base_url, source=Source.SIMULATED)
    tally = Tally()
    await feed.start()
    task = asyncio.create_task(consume_into(feed, Detector(source=Source.SIMULATED), tally))
    try:
        return await measure_window("(b) CcxtFeed → Detector", tally.counts, seconds)
    finally:
        await feed.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def multi_symbols() -> tuple[str, ...]:
    from scalptui.feed.sim.specs import CATALOGUE

    return CATALOGUE[:MULTI_SYMBOL_COUNT]


async def bare_ccxt_venues(base_url: str, seconds: float) -> Measure:
    """(a) on three venues: each venue's plain ``watch_*`` loops over the streams the feed
    watches there (trades, liquidations, its mark source, OKX's funding)."""
    import ccxt.pro

    from scalptui.feed.baseurl import apply_base_url
    from scalptui.feed.venues import VENUES, FundingSource, MarkSource

    symbols = list(multi_symbols())
    count = liquidations = 0
    exchanges: list[Any] = []
    tasks: list[asyncio.Task[None]] = []

    async def loop(watch: Callable[[], Awaitable[Any]]) -> None:
        nonlocal count
        while True:
            result = await watch()
            count += len(result) if isinstance(result, list) else 1

    async def liquidation_loop(exchange: Any) -> None:
        nonlocal count, liquidations
        while True:
            await exchange.watch_liquidations_for_symbols(symbols)
            new = exchange.liquidations.getLimit(None, None) or 0
            count += new
            liquidations += new

    def watches_of(exchange: Any, venue_id: str, symbol: str) -> list[Callable[[], Any]]:
        venue = VENUES[venue_id]
        out: list[Callable[[], Any]] = [lambda: exchange.watch_trades(symbol)]
        if venue.mark_source is MarkSource.TICKER:
            out.append(lambda: exchange.watch_ticker(symbol))
        else:
            out.append(lambda: exchange.watch_mark_price(symbol))
        if venue.funding_source is FundingSource.FUNDING_RATE:
            out.append(lambda: exchange.watch_funding_rate(symbol))
        return out

    for venue_id in MULTI_VENUES:
        options = {**VENUES[venue_id].ccxt_options, "liquidationsLimit": 10_000}
        exchange: Any = getattr(ccxt.pro, venue_id)({"options": options})
        apply_base_url(exchange, base_url)
        await exchange.load_markets()
        exchanges.append(exchange)
        tasks.append(asyncio.create_task(liquidation_loop(exchange)))
        for symbol in symbols:
            watches = watches_of(exchange, venue_id, symbol)
            tasks += [asyncio.create_task(loop(w)) for w in watches]
    try:
        return await measure_window(
            "(a) bare ccxt.pro, 3 venues", lambda: (count, liquidations), seconds, MULTI_WARM_UP_S
        )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.gather(*(e.close() for e in exchanges), return_exceptions=True)


async def multi_feed_to_detector(base_url: str, seconds: float) -> Measure:
    """(b) on three venues: MultiFeed (one CcxtFeed a venue) → the asset detector."""
    from scalptui.detector import make_detector
    from scalptui.detector.params import DetectorParams
    from scalptui.feed.ccxt_feed import CcxtFeed
    from scalptui.feed.multi import MultiFeed
    from scalptui.models import Source

    symbols = multi_symbols()

    def make_feed(venue: str) -> CcxtFeed:
        # as the product's several-venue feed makes them, clock-skew reports included
        return CcxtFeed(
            venue,
            symbols,
            base_url=base_url,
            source=Source.SIMULATED,
            skip_unlisted=True,
            report_skew=True,
        )

    feed = MultiFeed(MULTI_VENUES, make_feed, symbols=symbols)
    detector = make_detector(DetectorParams(), source=Source.SIMULATED, exchanges=MULTI_VENUES)
    tally = Tally()
    await feed.start()
    task = asyncio.create_task(consume_into(feed, detector, tally))
    try:
        # The window opens once every (venue, symbol) warm start is in the detector (a
        # day of candles replayed each): under load they can outlast a fixed warm-up.
        deadline = time.monotonic() + MULTI_WARM_UP_S * 5
        while tally.histories < len(MULTI_VENUES) * len(symbols) and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        return await measure_window(
            "(b) MultiFeed → AssetDetector",
            tally.counts,
            seconds,
            MULTI_WARM_UP_S / 4,
        )
    finally:
        await feed.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


TRADE_FRAME = (
    '{"e":"trade","E":%d,"T":%d,"s":"BTCUSDT","t":%d,"p":"100000.10","q":"0.012",'
    '"X":"MARKET","m":%s}'
)


def primed_detector(symbol: str) -> tuple[Any, int, float]:
    """A Detector holding a day of warm-start history and an hour of the scripted market
    of ``symbol`` (BTC ends 20 s into a chain of forced selling, ETH stays calm); with the
    script's last time and price."""
    from scalptui.detector import Detector
    from scalptui.feed.scripted import script_end_ms, scripted_events
    from scalptui.models import Source, Trade

    events = scripted_events((symbol,), calm_s=3600, cascade_s=20)
    detector = Detector(source=Source.SIMULATED)
    for event in events:
        detector.on_event(event)
    last = next(e for e in reversed(events) if isinstance(e, Trade))
    return detector, script_end_ms(events), last.price


def detector_us_per_trade(trades: list[Any], symbol: str) -> float:
    """``on_event`` per trade on a primed detector, the trades re-stamped to follow it."""
    import dataclasses

    detector, end_ms, price = primed_detector(symbol)
    stamped = [
        dataclasses.replace(t, ts=end_ms + 1 + i // 5, symbol=symbol, price=price)
        for i, t in enumerate(trades)
    ]
    start = time.process_time()
    for trade in stamped:
        detector.on_event(trade)
    return (time.process_time() - start) / len(stamped) * 1e6


async def hot_path(base_url: str, n: int = 5_000, repeats: int = 5) -> None:
    """In-process cost of one trade frame: ccxt's decode + handler alone, then the feed's
    path (ccxt's decode, the trade read from the frame, normalised, queued — ccxt's handler
    never sees it), then the detector's ``on_event``.

    The two ccxt set-ups run alternately and the best of ``repeats`` runs counts,
    so a neighbour's burst of CPU on a shared machine does not land on one side.
    """
    import ccxt.pro

    from scalptui.feed.baseurl import apply_base_url
    from scalptui.feed.ccxt_feed import CcxtFeed

    t0 = 1_800_000_000_000
    frames = [TRADE_FRAME % (t0 + i, t0 + i, i, "true" if i % 2 else "false") for i in range(n)]

    plain: Any = ccxt.pro.binanceusdm({"options": {"defaultType": "swap"}})
    apply_base_url(plain, base_url)
    await plain.load_markets()
    plain_client = plain.client("ws://127.0.0.1:1/public/ws/0")

    class Unstreamed(CcxtFeed):
        async def _run_stream(self, stream: Any) -> None:
            return None

        async def _poll(self, stream: Any) -> None:
            return None

    feed = Unstreamed("binanceusdm", ["BTC/USDT:USDT"], base_url=base_url, warm_start=False)
    await feed.start()
    for _ in range(500):  # the symbol's start-up task registers the trade tap
        if "trades:BTC/USDT:USDT" in feed._streams:
            break
        await asyncio.sleep(0.01)
    tapped_client = feed._ex.client("ws://127.0.0.1:1/public/ws/0")
    queue = feed._queue

    def per_frame_us(client: Any, keep: list[Any] | None = None) -> float:
        start = time.process_time()
        for i, frame in enumerate(frames):
            client.handle_text_or_binary_message(frame)
            if i % 100 == 99:  # a consumer keeps up, as the event loop would
                while not queue.empty():
                    event = queue.get_nowait()
                    if keep is not None:
                        keep.append(event)
        return (time.process_time() - start) / n * 1e6

    ccxt_runs, tapped_runs = [], []
    for _ in range(repeats):
        ccxt_runs.append(per_frame_us(plain_client))
        tapped_runs.append(per_frame_us(tapped_client))
    ccxt_us, tapped_us = min(ccxt_runs), min(tapped_runs)
    kept: list[Any] = []
    per_frame_us(tapped_client, kept)
    trades = [t for t in kept if type(t).__name__ == "Trade"]
    calm_us = detector_us_per_trade(trades, "ETH/USDT:USDT")
    cascade_us = detector_us_per_trade(trades, "BTC/USDT:USDT")
    await feed.close()
    await plain.close()
    print(f"hot path per trade frame, in process (best of {repeats} x {n} frames):")
    print(f"  ccxt decode + handle_message alone     {ccxt_us:6.1f} µs")
    print(
        f"  the feed: decode, read, normalise, queue {tapped_us:4.1f} µs"
        f"  ({tapped_us / ccxt_us:.0%} of ccxt's alone)"
    )
    print(f"  Detector.on_event(Trade), 1 h held     {calm_us:6.1f} µs calm")
    print(f"                                         {cascade_us:6.1f} µs mid-cascade")


async def one_measure(
    side: Callable[[str, float], Awaitable[Measure]],
    scenario: str,
    time_scale: float,
    seed: int,
    seconds: float,
    symbols: tuple[str, ...] = SYMBOLS,
) -> Measure:
    """One side on a fresh simulator, so both sides see the same market from its start."""
    port = free_port()
    simulator = start_simulator(port, time_scale, seed, scenario, symbols)
    try:
        await wait_for_port(port)
        return await side(f"http://127.0.0.1:{port}", seconds)
    finally:
        simulator.terminate()
        simulator.wait(10)


async def compare(scenario: str, seconds: float, rounds: int, seed: int) -> float:
    """Median CPU per message of (b) over (a) in one market."""
    time_scale = TIME_SCALES[scenario]
    print(f"-- {scenario} market, simulator at {time_scale:g}× exchange time")
    bare: list[Measure] = []
    ours: list[Measure] = []
    for _ in range(rounds):
        bare.append(await one_measure(bare_ccxt, scenario, time_scale, seed, seconds))
        print(bare[-1].line(), flush=True)
        ours.append(await one_measure(feed_to_detector, scenario, time_scale, seed, seconds))
        print(ours[-1].line(), flush=True)
    a = statistics.median(m.us_per_message for m in bare)
    b = statistics.median(m.us_per_message for m in ours)
    rate = statistics.median(m.rate for m in ours)
    print(f"median (a) {a:.1f} µs/msg, (b) {b:.1f} µs/msg at {rate:.0f} msg/s")
    print(f"ratio (b)/(a) = {b / a:.2f}x   (budget ≤ {BUDGET:.2f}x)")
    return b / a


async def compare_venues(seconds: float, rounds: int, seed: int) -> float:
    """Three venues × ten symbols: the app's CPU share over the bare loops' on the same
    market. The simulator is fresh and seeded alike for every measure, so both sides are
    sent the same frames; the share of a core is then the cost per frame. (Their message
    counts differ by design: the feed emits a Bybit mark only when it changed.)"""
    symbols = multi_symbols()
    print(
        f"-- 3 venues × {len(symbols)} symbols, calm market, simulator at"
        f" {MULTI_TIME_SCALE:g}× exchange time"
    )
    bare: list[Measure] = []
    ours: list[Measure] = []
    for _ in range(rounds):
        for side, out in ((bare_ccxt_venues, bare), (multi_feed_to_detector, ours)):
            measure = await one_measure(side, "calm", MULTI_TIME_SCALE, seed, seconds, symbols)
            out.append(measure)
            print(measure.line(), flush=True)
    a = statistics.median(m.core_pct for m in bare)
    b = statistics.median(m.core_pct for m in ours)
    print(f"median (a) {a:.1f} % of a core, (b) {b:.1f} % of a core")
    print(f"ratio (b)/(a) = {b / a:.2f}x   (budget ≤ {BUDGET:.2f}x)")
    return b / a


async def run(seconds: float, rounds: int, seed: int, venues_only: bool = False) -> int:
    if venues_only:
        ratio = await compare_venues(seconds, rounds, seed)
        print("OVER BUDGET: 3 venues" if ratio > BUDGET else "within budget")
        return 1 if ratio > BUDGET else 0
    port = free_port()
    simulator = start_simulator(port, TIME_SCALES["calm"], seed, "calm")
    try:
        await wait_for_port(port)
        await hot_path(f"http://127.0.0.1:{port}")
    finally:
        simulator.terminate()
        simulator.wait(10)
    ratios = {s: await compare(s, seconds, rounds, seed) for s in TIME_SCALES}
    ratios["3 venues × 10 symbols"] = await compare_venues(seconds, rounds, seed)
    over = [s for s, ratio in ratios.items() if ratio > BUDGET]
    print("OVER BUDGET: " + ", ".join(over) if over else "within budget")
    return 1 if over else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--venues-only", action="store_true", help="only the 3 venues × 10 symbols case"
    )
    args = parser.parse_args()
    return asyncio.run(run(args.seconds, args.rounds, args.seed, args.venues_only))


if __name__ == "__main__":
    sys.exit(main())
