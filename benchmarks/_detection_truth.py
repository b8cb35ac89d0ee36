"""Ground truth and scoring of the detection benchmark (docs/evaluation.md states the rules).

Pure functions on plain records, so the rules are unit-tested on hand-made inputs:

* ``chains``: same-side forced closes, each ≤ 30 s after the previous one;
* ``label``: must-report / ambiguous / noise from the chain's densest 60 s window —
  its notional *excluding the largest single close in it* and its count of closes;
* ``legs``: a must-report chain's legs (a later part that dwarfs the first minute
  already reported is a leg of its own);
* ``score``: alerts against labelled chains → found / missed / false / repeats / latency;
* ``NaivePeer``: per-side printed USD in 30 s ≥ floor, ≥ 3 prints, 300 s cooldown.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Side = Literal["long", "short"]
Label = Literal["must", "ambiguous", "noise"]

CHAIN_GAP_MS = 30_000
WINDOW_MS = 60_000
MATCH_AFTER_MS = 60_000
# docs/design.md § Signals: floors on venues that send every forced close.
FLOOR_MAJOR_USD = 2_000_000.0
FLOOR_ALT_USD = 250_000.0
MAJOR_BASES = frozenset({"BTC", "ETH"})
MUST_FLOOR_MULTIPLE = 4.0
MUST_MIN_CLOSES = 20
AMBIGUOUS_MIN_CLOSES = 5
ESCALATION_MULTIPLE = 3.0


@dataclass(frozen=True, slots=True)
class Close:
    """One forced close of the truth (``ForcedClose`` of the simulator, plain)."""

    ts: int
    side: Side
    notional: float


@dataclass(frozen=True, slots=True)
class Chain:
    side: Side
    closes: tuple[Close, ...]

    @property
    def start(self) -> int:
        return self.closes[0].ts

    @property
    def end(self) -> int:
        return self.closes[-1].ts

    @property
    def notional(self) -> float:
        return sum(c.notional for c in self.closes)


@dataclass(frozen=True, slots=True)
class Labelled:
    chain: Chain
    label: Label
    peak_usd: float  # densest 60 s window, largest close in it excluded
    peak_closes: int
    must_at: int | None  # when the trailing window first met the must-report rule
    legs: tuple[int, ...] = ()  # start ts of each leg (must-report chains)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    ts: int
    side: Side


def floor_for(symbol: str) -> float:
    base = symbol.split("/", 1)[0].upper()
    return FLOOR_MAJOR_USD if base in MAJOR_BASES else FLOOR_ALT_USD


def chains(closes: Iterable[Close]) -> list[Chain]:
    """Same-side forced closes grouped while each follows the previous by ≤ 30 s."""
    out: list[Chain] = []
    for side in ("long", "short"):
        current: list[Close] = []
        for close in sorted((c for c in closes if c.side == side), key=lambda c: c.ts):
            if current and close.ts - current[-1].ts > CHAIN_GAP_MS:
                out.append(Chain(side, tuple(current)))
                current = []
            current.append(close)
        if current:
            out.append(Chain(side, tuple(current)))
    out.sort(key=lambda chain: (chain.start, chain.side))
    return out


def _trailing(chain: Chain) -> list[tuple[int, float, int]]:
    """For each close: (ts, notional of the 60 s ending there minus its largest close, count)."""
    window: deque[Close] = deque()
    out = []
    for close in chain.closes:
        window.append(close)
        while close.ts - window[0].ts >= WINDOW_MS:
            window.popleft()
        sizes = [c.notional for c in window]
        out.append((close.ts, sum(sizes) - max(sizes), len(sizes)))
    return out


def label(chain: Chain, floor_usd: float) -> Labelled:
    """Must-report when some 60 s of the chain carries ≥ 4 × floor excluding its largest
    close with ≥ 20 closes; ambiguous when it reaches ≥ floor with ≥ 5 closes; else noise."""
    trail = _trailing(chain)
    peak_usd, peak_closes = 0.0, len(chain.closes[:1])
    must_at: int | None = None
    for ts, usd, count in trail:
        if usd > peak_usd:
            peak_usd, peak_closes = usd, count
        if must_at is None and usd >= MUST_FLOOR_MULTIPLE * floor_usd and count >= MUST_MIN_CLOSES:
            must_at = ts
    if must_at is not None:
        return Labelled(chain, "must", peak_usd, peak_closes, must_at, _legs(trail, must_at))
    ambiguous = any(usd >= floor_usd and n >= AMBIGUOUS_MIN_CLOSES for _, usd, n in trail)
    return Labelled(chain, "ambiguous" if ambiguous else "noise", peak_usd, peak_closes, None)


def _legs(trail: Sequence[tuple[int, float, int]], first: int) -> tuple[int, ...]:
    """Leg k's size is the peak trailing notional over its first 60 s (what an alert on
    it could have said); a later moment whose trailing notional reaches 3 × that starts
    leg k + 1."""
    starts = [first]
    reference = 0.0
    for ts, usd, _ in trail:
        if ts < starts[-1]:
            continue
        if ts <= starts[-1] + WINDOW_MS:
            reference = max(reference, usd)
        elif usd >= ESCALATION_MULTIPLE * reference:
            starts.append(ts)
            reference = usd
    return tuple(starts)


def label_all(closes: Iterable[Close], floor_usd: float) -> list[Labelled]:
    return [label(chain, floor_usd) for chain in chains(closes)]


# --------------------------------------------------------------------------- scoring


@dataclass(slots=True)
class Score:
    must: int = 0
    found: int = 0
    missed: int = 0
    false: int = 0
    repeats: int = 0
    legs: int = 0
    legs_found: int = 0
    latency_ms: list[int] = field(default_factory=list)  # alert − must-report crossing
    latency_start_ms: list[int] = field(default_factory=list)  # alert − chain start

    def add(self, other: Score) -> None:
        self.must += other.must
        self.found += other.found
        self.missed += other.missed
        self.false += other.false
        self.repeats += other.repeats
        self.legs += other.legs
        self.legs_found += other.legs_found
        self.latency_ms.extend(other.latency_ms)
        self.latency_start_ms.extend(other.latency_start_ms)

    @property
    def worst_latency_ms(self) -> int | None:
        return max(self.latency_ms) if self.latency_ms else None


def _matches(alert: AlertRecord, item: Labelled) -> bool:
    chain = item.chain
    return alert.side == chain.side and chain.start <= alert.ts <= chain.end + MATCH_AFTER_MS


def _latest_chain(
    labelled: Sequence[Labelled], alerts: Sequence[AlertRecord]
) -> list[Labelled | None]:
    """For each alert, the latest-starting must-report or ambiguous chain it matches (None:
    none). Same-side chains never overlap, so a later-starting one began after the earlier
    ended: an alert in the earlier chain's 60 s tail that also matches it is about it."""
    out: list[Labelled | None] = []
    for alert in alerts:
        matching = [item for item in labelled if item.label != "noise" and _matches(alert, item)]
        out.append(max(matching, key=lambda item: item.chain.start) if matching else None)
    return out


def score(labelled: Sequence[Labelled], alerts: Sequence[AlertRecord]) -> Score:
    """An alert matches a chain of its side when its ts is within [start, end + 60 s].
    Matching a must-report chain finds it; matching only ambiguous chains is neutral;
    matching nothing reportable is false. Each alert on a must-report chain belongs to
    the leg its ts falls in (before the first leg: the first); more than one per leg
    is a repeat — counted only when that chain is the latest-starting reportable
    (must-report or ambiguous) chain the alert matches. Latency is measured from the
    first alert on the chain."""
    result = Score()
    claimed: set[int] = set()
    # An alert matching several chains (a new chain starting within 60 s of the previous
    # one's end) is about the latest-starting one: it counts as a repeat of that chain's
    # leg only — none when that chain is ambiguous — not also of the earlier chain it
    # found or missed.
    about = _latest_chain(labelled, alerts)
    for item in labelled:
        if item.label != "must":
            continue
        assert item.must_at is not None
        result.must += 1
        result.legs += len(item.legs)
        mine = sorted(
            (i for i, a in enumerate(alerts) if _matches(a, item)), key=lambda i: alerts[i].ts
        )
        claimed.update(mine)
        if not mine:
            result.missed += 1
            continue
        result.found += 1
        first = alerts[mine[0]].ts
        result.latency_ms.append(first - item.must_at)
        result.latency_start_ms.append(first - item.chain.start)
        per_leg = [0] * len(item.legs)
        for index in mine:
            if about[index] is not item:
                continue
            leg = sum(1 for start in item.legs[1:] if alerts[index].ts >= start)
            per_leg[leg] += 1
        result.legs_found += sum(1 for n in per_leg if n)
        result.repeats += sum(max(0, n - 1) for n in per_leg)
    for index, alert in enumerate(alerts):
        if index in claimed:
            continue
        if not any(_matches(alert, item) for item in labelled if item.label == "ambiguous"):
            result.false += 1
    return result


# --------------------------------------------------------------------------- naive peer


@dataclass(frozen=True, slots=True)
class Print:
    """A liquidation as the client received it (``side``: the position side)."""

    ts: int
    side: Side
    notional: float


class NaivePeer:
    """What a plain liquidation bot does: per side, printed USD over the last 30 s
    ≥ floor with ≥ 3 prints → alert, then 300 s of silence on that side."""

    def __init__(self, floor_usd: float, *, window_ms: int = 30_000, cooldown_ms: int = 300_000):
        self.floor_usd = floor_usd
        self.window_ms = window_ms
        self.cooldown_ms = cooldown_ms
        self._recent: dict[Side, deque[Print]] = {"long": deque(), "short": deque()}
        self._quiet_until: dict[Side, int] = {"long": 0, "short": 0}
        self.alerts: list[AlertRecord] = []

    def on_print(self, item: Print) -> None:
        recent = self._recent[item.side]
        recent.append(item)
        while item.ts - recent[0].ts > self.window_ms:
            recent.popleft()
        if item.ts < self._quiet_until[item.side] or len(recent) < 3:
            return
        if sum(p.notional for p in recent) >= self.floor_usd:
            self.alerts.append(AlertRecord(item.ts, item.side))
            self._quiet_until[item.side] = item.ts + self.cooldown_ms
