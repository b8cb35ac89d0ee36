"""Ladder accuracy: the estimated ladder and the classic volume-only one against the truth.

For each scenario and seed the simulated exchange runs in-process (BTC only, at
``--time-scale`` × the wall clock) and the real pipeline reads it: unmodified
ccxt.pro (``CcxtFeed``, warm start included) → ``Detector`` → the headless
``AlertPrinter`` printing JSON snapshots every 60 s of event time — the path of
``scalptui alerts --json --snapshots 60 --base-url URL``, in the same process so
that the classic peer sees the very trades the detector saw. The open-interest
poll runs every 15 s of *event* time (``oi_poll_s`` = 15 / time scale), as the
default does live.

Every minute of event time is scored, per side, on the rows a ladder view shows
(the snapshot's own bins within ±3 % of its mark, the TUI's default zoom; edge
rows left out) against the simulator's true map at the same event time
(``MarketModel.truth``: open notional, size × entry, by liquidation price):

* overlap — Σ min(pᵢ, qᵢ) of the two distributions normalised to 1 (1 = same shape);
* EMD — the 1-D earth mover's distance between them, in % of the mark.

A side whose truth is empty in the view is not scored; an estimate empty in the
view scores overlap 0 and the view's full width as EMD. Medians pool both sides,
every scored minute and every seed. The classic peer (``_ladder_score.ClassicLadder``):
each taker buy opens longs 1 %, 2 %, 4 % and 10 % below its price (100×, 50×,
25×, 10×), each sell shorts as far above, a quarter of the trade's notional each,
and a level is gone once a trade prints through it; it starts empty (no history).

The scenarios (``scalptui.feed.sim.participants.BENCHMARK_SCENARIOS``) draw their
traders' leverage mix and margin habits per seed, unlike the estimator's defaults.
Seeds 1..``--seeds`` are the ones the estimator's defaults may be tuned on; the
next ``--held-out`` seeds never are, and are tabulated apart, so that a default
fitted to the tuning seeds' draws shows up as a gap between the two tables.

    python benchmarks/bench_ladder.py [--seeds 3] [--held-out 3] [--minutes 10]
        [--time-scale 40] [--scenarios crowd_long,chop] [--json FILE] [--write-readme]
        [--record DIR | --replay DIR [--given-mix [--given-from L]]]

``--record DIR`` keeps each run's stream (every event the pipeline read, the true
maps, the classic levels) in ``DIR``; ``--replay DIR`` scores the estimator of the
checkout on those streams again, without the simulator — seconds instead of minutes
while working on the model (the streams are the same, the open-interest polls fall
where they fell when recorded). ``--given-mix`` is a diagnostic, never a setting:
the estimator is handed each seed's true leverage mix, which measures how much of
its error comes from the mix (docs/evaluation.md, "Ladder accuracy: what limits it").

Exit status 1 when the targets of issue 10 are missed in any scenario or in total
on either set of seeds (median overlap ≥ 0.6, median EMD ≤ 0.5 % of price, ahead
of the classic ladder on both); 2 when a run cannot start.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import logging
import pickle
import re
import statistics
import sys
import textwrap
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from benchmarks._ladder_score import ClassicLadder, SideScore, View, score_side, view_of_snapshot
from scalptui.config import Settings
from scalptui.detector import Detector
from scalptui.detector.params import DetectorParams, LeverageShare
from scalptui.feed.sim import SimExchange
from scalptui.feed.sim.participants import BENCHMARK_SCENARIOS
from scalptui.feed.sim.truth import OpenPositions
from scalptui.headless import AlertPrinter, pump
from scalptui.models import Event, Liquidation, MarkPrice, OpenInterest, Source, TakerSide, Trade

SYMBOL = "BTC/USDT:USDT"
START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z, on a minute
MINUTE_MS = 60_000
LIVE_OI_POLL_S = 15.0
TARGET_OVERLAP = 0.6
TARGET_EMD_PCT = 0.5
README = Path(__file__).resolve().parent.parent / "README.md"
MARKERS = ("<!-- ladder-table:start -->", "<!-- ladder-table:end -->")


@dataclass(frozen=True, slots=True)
class Scored:
    """One side of one minute of one run."""

    scenario: str
    seed: int
    minute: int
    side: str
    est: SideScore
    classic: SideScore
    truth_usd: float
    est_usd: float
    truth_bins: int  # bins holding ≥ 1 % of the side's truth in the view
    est_bins: int  # the same for the estimate
    est_peak: float  # largest single-bin share of the estimate
    truth_peak: float


class Collector:
    """The headless snapshot path plus the classic peer fed with the same trades.

    Snapshot instants follow ``AlertPrinter``'s rule exactly (the first market
    event at or after each due minute, before that event is applied), so the
    classic ladder is captured in the same state of the stream.
    """

    def __init__(
        self, minutes: int, params: DetectorParams | None = None, *, keep: bool = False
    ) -> None:
        self.out = io.StringIO()
        self.events: list[Event] = []
        self._keep = keep
        self.printer = AlertPrinter(
            Detector(params or DetectorParams(), source=Source.SIMULATED),
            lambda: (SYMBOL,),
            as_json=True,
            snapshot_every_s=MINUTE_MS / 1000,
            out=self.out,
            err=io.StringIO(),
        )
        self.classic = ClassicLadder()
        self.classic_at: dict[int, tuple[list[tuple[float, float]], list[tuple[float, float]]]] = {}
        self.last_due = START_MS + minutes * MINUTE_MS
        self.done = asyncio.Event()
        self.trades = 0
        self.first_trade = asyncio.Event()
        self._next_due: int | None = None

    def __call__(self, event: Event) -> None:
        if self._keep:
            self.events.append(event)
        if isinstance(event, Trade | Liquidation | MarkPrice | OpenInterest):
            self._at_event_time(event.ts)
        self.printer(event)
        if isinstance(event, Trade) and event.symbol == SYMBOL:
            self.classic.on_trade(event.price, event.amount, event.side is TakerSide.BUY)
            self.trades += 1
            self.first_trade.set()

    def _at_event_time(self, ts: int) -> None:
        if self._next_due is None:
            self._next_due = (ts // MINUTE_MS + 1) * MINUTE_MS
            return
        if ts < self._next_due:
            return
        due = self._next_due
        self._next_due = (ts // MINUTE_MS + 1) * MINUTE_MS
        self.classic_at[due] = self.classic.levels()
        if due >= self.last_due:
            self.done.set()

    def snapshots(self) -> list[dict[str, Any]]:
        records = (json.loads(line) for line in self.out.getvalue().splitlines() if line)
        return [r for r in records if r.get("type") == "snapshot" and r.get("symbol") == SYMBOL]


async def run_one(
    scenario: str,
    seed: int,
    *,
    minutes: int,
    time_scale: float,
    span_pct: float,
    record: Path | None = None,
) -> list[Scored]:
    """One scenario and seed through the whole pipeline; its scored minutes (and, with
    ``record``, the run's stream kept there for ``replay_one``)."""
    from scalptui.feed.ccxt_feed import CcxtFeed

    # The exchange runs at 1× while the pipeline connects and warm-starts, then at
    # ``time_scale`` once the first trade is through: minute 1 is seen from its start.
    sim = SimExchange([SYMBOL], seed=seed, time_scale=1.0, scenario=scenario, start_ms=START_MS)
    sim.model.truth_every_ms = MINUTE_MS
    collector = Collector(minutes, keep=record is not None)
    speed_up: asyncio.Task[None] | None = None
    try:
        url = await sim.start()
        feed = CcxtFeed(
            "binanceusdm",
            [SYMBOL],
            base_url=url,
            source=Source.SIMULATED,
            oi_poll_s=LIVE_OI_POLL_S / time_scale,
        )
        try:
            await feed.start()
        except BaseException:
            await feed.close()
            raise

        async def faster_after_first_trade() -> None:
            await collector.first_trade.wait()
            sim.set_time_scale(time_scale)

        speed_up = asyncio.create_task(faster_after_first_trade())
        # a generous wall-clock cap in case the pipeline stalls; event time decides the end
        await pump(
            feed,
            collector,
            stop=collector.done,
            duration_s=minutes * 60 / time_scale * 4 + 60,
        )
    finally:
        if speed_up is not None:
            speed_up.cancel()
        await sim.stop()
    truth = {sample.ts: sample for sample in sim.model.truth if sample.symbol == SYMBOL}
    if record is not None:
        kept = Recorded(minutes, collector.events, truth, collector.classic_at)
        record.mkdir(parents=True, exist_ok=True)
        recorded_path(record, scenario, seed).write_bytes(pickle.dumps(kept))
    return score_run(scenario, seed, collector, truth, span_pct)


@dataclass(frozen=True, slots=True)
class Recorded:
    """One run's stream as ``--record`` keeps it: enough to score it again offline."""

    minutes: int
    events: list[Event]
    truth: dict[int, OpenPositions]
    classic_at: dict[int, tuple[list[tuple[float, float]], list[tuple[float, float]]]]


def recorded_path(folder: Path, scenario: str, seed: int) -> Path:
    return folder / f"{scenario}_{seed}.pickle"


def replay_one(
    folder: Path,
    scenario: str,
    seed: int,
    *,
    span_pct: float,
    given_mix: bool = False,
    given_from: float = 0.0,
) -> list[Scored]:
    """A recorded run's stream through the estimator of this checkout, scored as live.

    The files are pickles this script wrote (``--record``); read only your own.
    ``given_mix`` hands the estimator the seed's true leverage mix — from ``given_from``×
    up only, when that is set (see ``_true_mix``).
    """
    kept = pickle.loads(recorded_path(folder, scenario, seed).read_bytes())
    if not isinstance(kept, Recorded):
        raise TypeError(f"{recorded_path(folder, scenario, seed)} is not a recorded run")
    params = DetectorParams()
    if given_mix:
        true_mix = _true_mix(scenario, seed, params.ladder.leverage_mix, given_from)
        params = replace(params, ladder=replace(params.ladder, **true_mix))
    collector = Collector(kept.minutes, params)
    for event in kept.events:
        collector(event)
    collector.classic_at = kept.classic_at
    return score_run(scenario, seed, collector, kept.truth, span_pct)


def _true_mix(
    scenario: str, seed: int, default: tuple[LeverageShare, ...], given_from: float
) -> dict[str, Any]:
    """The seed's drawn leverage mix as ladder settings (a diagnostic, never a setting).

    With ``given_from`` 0 the whole mix, nearly unsmeared. Otherwise only its part from
    ``given_from``× up (what realised liquidations near the price could reveal), beside
    the default mix's part below it scaled to the true share of that part; the default
    kernel width is kept.
    """
    sim = SimExchange([SYMBOL], seed=seed, scenario=scenario, start_ms=START_MS)
    drawn = sim.model.market(SYMBOL).participants
    if drawn is None:
        raise ValueError(f"scenario {scenario} draws no participants")
    true = [LeverageShare(float(lev), share) for lev, share in drawn.leverage_mix]
    if not given_from > 0.0:
        return {"leverage_mix": tuple(true), "leverage_spread": 0.05}
    high = [b for b in true if b.leverage >= given_from]
    low = [b for b in default if b.leverage < given_from]
    low_true = 1.0 - sum(b.share for b in high)
    low_default = sum(b.share for b in low)
    scaled = [LeverageShare(b.leverage, b.share / low_default * low_true) for b in low]
    return {"leverage_mix": (*scaled, *high) if low_default > 0.0 else tuple(high)}


def score_run(
    scenario: str,
    seed: int,
    collector: Collector,
    truth: dict[int, OpenPositions],
    span_pct: float,
) -> list[Scored]:
    out: list[Scored] = []
    for record in collector.snapshots():
        ts = int(record["ts"])
        view = view_of_snapshot(record, span_pct)
        sample = truth.get(ts)
        levels = collector.classic_at.get(ts)
        if view is None or sample is None or levels is None or ts > collector.last_due:
            continue
        true_map = sample.on_grid(view.edges)
        classic = ClassicLadder.bin_levels(levels, view.edges)
        mark = float(record.get("mark") or record["price"])
        minute = (ts - START_MS) // MINUTE_MS
        for side, est, real, peer in (
            ("long", view.long_usd, true_map.long_usd, classic[0]),
            ("short", view.short_usd, true_map.short_usd, classic[1]),
        ):
            scored = _score(scenario, seed, minute, side, view, mark, est, real, peer)
            if scored is not None:
                out.append(scored)
    return out


def _score(
    scenario: str,
    seed: int,
    minute: int,
    side: str,
    view: View,
    mark: float,
    est: Sequence[float],
    real: Sequence[float],
    peer: Sequence[float],
) -> Scored | None:
    est_score = score_side(est, real, view.width, mark)
    peer_score = score_side(peer, real, view.width, mark)
    if est_score is None or peer_score is None:
        return None  # no true money on this side in the view
    return Scored(
        scenario,
        seed,
        minute,
        side,
        est_score,
        peer_score,
        sum(real),
        sum(est),
        _bins_holding(real),
        _bins_holding(est),
        _peak(est),
        _peak(real),
    )


def _bins_holding(values: Sequence[float], share: float = 0.01) -> int:
    total = sum(values)
    return sum(1 for v in values if total > 0 and v >= share * total)


def _peak(values: Sequence[float]) -> float:
    total = sum(values)
    return max(values) / total if total > 0 else 0.0


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True, slots=True)
class Summary:
    label: str
    runs: int
    scored: int
    est_overlap: float
    classic_overlap: float
    est_emd: float
    classic_emd: float
    est_empty: int

    @property
    def ahead(self) -> bool:
        return self.est_overlap > self.classic_overlap and self.est_emd < self.classic_emd

    @property
    def on_target(self) -> bool:
        return self.est_overlap >= TARGET_OVERLAP and self.est_emd <= TARGET_EMD_PCT and self.ahead


def summarise(label: str, rows: Sequence[Scored]) -> Summary:
    return Summary(
        label,
        len({(r.scenario, r.seed) for r in rows}),
        len(rows),
        statistics.median(r.est.overlap for r in rows),
        statistics.median(r.classic.overlap for r in rows),
        statistics.median(r.est.emd_pct for r in rows),
        statistics.median(r.classic.emd_pct for r in rows),
        sum(1 for r in rows if r.est.empty),
    )


def summaries(rows: Sequence[Scored], scenarios: Sequence[str]) -> list[Summary]:
    parts = [(s, [r for r in rows if r.scenario == s]) for s in scenarios]
    return [*(summarise(s, part) for s, part in parts if part), summarise("**all**", rows)]


def markdown_table(table: Sequence[Summary], *, minutes: int, span_pct: float) -> str:
    lines = [
        "| scenario | runs · scored | overlap est. | overlap classic "
        "| EMD est. | EMD classic | est. ahead |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in table:
        empty = f" ({s.est_empty} empty)" if s.est_empty else ""
        lines.append(
            f"| {s.label} | {s.runs} · {s.scored}{empty} | {s.est_overlap:.2f} "
            f"| {s.classic_overlap:.2f} | {s.est_emd:.2f} % | {s.classic_emd:.2f} % "
            f"| {'yes' if s.ahead else 'no'} |"
        )
    note = (
        f"Medians over both sides of every minute 1–{minutes} of every seed, on the bins of "
        f'the default ±{span_pct:g} % view; "scored" counts (minute, side) pairs, "empty" '
        "those where the estimate held nothing in the view. Targets: overlap ≥ "
        f"{TARGET_OVERLAP}, EMD ≤ {TARGET_EMD_PCT} % of price, ahead of classic on both."
    )
    return "\n".join([*lines, "", *textwrap.wrap(note, 84)])


def side_table(rows: Sequence[Scored], scenarios: Sequence[str]) -> str:
    lines = [
        "| scenario | side | overlap est. / classic | EMD % est. / classic "
        "| bins ≥1 % est. / truth | peak bin est. / truth | $M in view est. / truth |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario in scenarios:
        for side in ("long", "short"):
            part = [r for r in rows if r.scenario == scenario and r.side == side]
            if not part:
                continue
            cells = [
                _pair([r.est.overlap for r in part], [r.classic.overlap for r in part], ".2f"),
                _pair([r.est.emd_pct for r in part], [r.classic.emd_pct for r in part], ".2f"),
                _pair([r.est_bins for r in part], [r.truth_bins for r in part], ".0f"),
                _pair([r.est_peak for r in part], [r.truth_peak for r in part], ".2f"),
                _pair([r.est_usd / 1e6 for r in part], [r.truth_usd / 1e6 for r in part], ".1f"),
            ]
            lines.append(f"| {scenario} | {side} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def seed_sets(rows: Sequence[Scored], tuning: int) -> list[tuple[str, list[Scored]]]:
    """The rows of the tuning seeds (1..``tuning``) and of the held-out ones, each titled."""
    out: list[tuple[str, list[Scored]]] = []
    for title, part in (
        ("Tuning seeds", [r for r in rows if r.seed <= tuning]),
        ("Held-out seeds", [r for r in rows if r.seed > tuning]),
    ):
        if part:
            seeds = sorted({r.seed for r in part})
            span = f"{seeds[0]}–{seeds[-1]}" if len(seeds) > 1 else f"{seeds[0]}"
            out.append((f"**{title} {span}**", part))
    return out


def _pair(a: Sequence[float], b: Sequence[float], spec: str) -> str:
    return f"{statistics.median(a):{spec}} / {statistics.median(b):{spec}}"


def write_readme(table: str, path: Path = README) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = MARKERS
    if start not in text or end not in text:
        raise SystemExit(f"bench_ladder: {path} has no {start} / {end} markers")
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    path.write_text(
        pattern.sub(lambda _: f"{start}\n{table}\n{end}", text, count=1), encoding="utf-8"
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--scenarios", default=",".join(BENCHMARK_SCENARIOS))
    parser.add_argument("--seeds", type=int, default=3, help="tuning seeds 1..N per scenario")
    parser.add_argument(
        "--held-out",
        type=int,
        default=3,
        metavar="M",
        help="held-out seeds N+1..N+M per scenario, tabulated apart (0: none)",
    )
    parser.add_argument("--minutes", type=int, default=10, help="minutes of event time scored")
    parser.add_argument("--time-scale", type=float, default=40.0)
    parser.add_argument("--span-pct", type=float, default=Settings().ui.ladder_span_pct)
    parser.add_argument("--json", type=Path, metavar="FILE", help="every scored minute, as JSON")
    parser.add_argument(
        "--from-json", type=Path, metavar="FILE", help="tabulate a --json file instead of running"
    )
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--record", type=Path, metavar="DIR", help="keep each run's stream")
    parser.add_argument(
        "--replay", type=Path, metavar="DIR", help="score the streams --record kept, offline"
    )
    parser.add_argument(
        "--given-mix",
        action="store_true",
        help="with --replay: hand the estimator each seed's true leverage mix (diagnostic)",
    )
    parser.add_argument(
        "--given-from",
        type=float,
        default=0.0,
        metavar="L",
        help="with --given-mix: only the mix's part from L× up is the true one",
    )
    args = parser.parse_args(argv)
    if args.record is not None and args.replay is not None:
        parser.error("--record and --replay exclude each other")
    if args.given_mix and args.replay is None:
        parser.error("--given-mix needs --replay")
    unknown = set(args.scenarios.split(",")) - set(BENCHMARK_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; known: {BENCHMARK_SCENARIOS}")
    if args.seeds < 1 or args.minutes < 1 or args.time_scale <= 0 or args.held_out < 0:
        parser.error("--seeds, --minutes and --time-scale must be positive, --held-out ≥ 0")
    return args


async def run_all(args: argparse.Namespace) -> list[Scored]:
    rows: list[Scored] = []
    for scenario in args.scenarios.split(","):
        for seed in range(1, args.seeds + args.held_out + 1):
            began = time.monotonic()
            if args.replay is not None:
                scored = replay_one(
                    args.replay,
                    scenario,
                    seed,
                    span_pct=args.span_pct,
                    given_mix=args.given_mix,
                    given_from=args.given_from,
                )
            else:
                scored = await run_one(
                    scenario,
                    seed,
                    minutes=args.minutes,
                    time_scale=args.time_scale,
                    span_pct=args.span_pct,
                    record=args.record,
                )
            rows.extend(scored)
            print(
                f"{scenario:>12} seed {seed}: {len(scored)} scored side-minutes "
                f"in {time.monotonic() - began:.1f} s",
                file=sys.stderr,
                flush=True,
            )
    return rows


def load_rows(path: Path) -> list[Scored]:
    """The rows a ``--json`` run wrote."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [
        Scored(**{**row, "est": SideScore(**row["est"]), "classic": SideScore(**row["classic"])})
        for row in rows
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    began = time.monotonic()
    try:
        rows = load_rows(args.from_json) if args.from_json else asyncio.run(run_all(args))
    except Exception as exc:  # a run that cannot start, a file that cannot be read: exit 2
        print(f"bench_ladder: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    scenarios = [s for s in args.scenarios.split(",") if any(r.scenario == s for r in rows)]
    if not rows:
        print("bench_ladder: no minute could be scored", file=sys.stderr)
        return 2
    sets = seed_sets(rows, args.seeds)
    tables = [(title, summaries(part, scenarios)) for title, part in sets]
    text = "\n\n".join(
        f"{title}\n\n" + markdown_table(table, minutes=args.minutes, span_pct=args.span_pct)
        for title, table in tables
    )
    print(text)
    for title, part in sets:
        print(f"\n{title}, per side\n")
        print(side_table(part, scenarios))
    print(f"\n{time.monotonic() - began:.0f} s wall", file=sys.stderr)
    if args.json is not None:
        with contextlib.suppress(OSError):
            args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1))
    if args.write_readme:
        write_readme(text)
    missed = [f"{title} {s.label}" for title, table in tables for s in table if not s.on_target]
    if missed:
        print(f"targets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
