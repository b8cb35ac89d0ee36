"""The cases of the detection benchmark: seeded simulator runs and real price paths.

A case is a (scenario, seed, symbol) run of a given length in exchange time. Simulator
cases use the mechanistic market with shocks / whales / drifts planned in exchange
time; path cases replay real Binance 1-minute klines (``shared/data``) with a modelled
population of leveraged positions (``scalptui.feed.sim.path``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from scalptui.feed.sim.plans import ScheduledDrift, ScheduledShock, ScheduledWhale

KLINES = Path(__file__).resolve().parents[3] / "shared" / "data" / "binance_um_klines_1m"
if not KLINES.exists():
    KLINES = Path("/work/shared/data/binance_um_klines_1m")
SIM_START_MS = 1_767_225_600_000  # 2026-01-01T00:00Z

# (seconds after start, plan); the plan's time is filled in when the case is built
Plan = tuple[float, ScheduledShock | ScheduledWhale | ScheduledDrift]


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    shape: str  # what the case is about, for the table
    symbol: str
    seed: int
    minutes: float
    scenario: str = "calm"  # simulator scenario, or "path"
    plans: tuple[Plan, ...] = ()
    klines: str = ""  # path cases: file under KLINES
    start_utc: str = ""  # path cases: first minute of the window
    tags: tuple[str, ...] = field(default=())

    @property
    def is_path(self) -> bool:
        return self.scenario == "path"

    @property
    def start_ms(self) -> int:
        if not self.is_path:
            return SIM_START_MS
        moment = dt.datetime.fromisoformat(self.start_utc).replace(tzinfo=dt.UTC)
        return int(moment.timestamp() * 1000)


def _shock(at_s: float, side: str, strength: float) -> Plan:
    assert side in ("long", "short")
    return (at_s, ScheduledShock(0, "long" if side == "long" else "short", strength))


def _whale(at_s: float, side: str, usd: float) -> Plan:
    return (at_s, ScheduledWhale(0, "long" if side == "long" else "short", usd))


def _drift(from_s: float, until_s: float, per_s: float) -> Plan:
    return (from_s, ScheduledDrift(0, int(until_s * 1000), per_s))


def sim_cases() -> list[Case]:
    btc, eth, sol = "BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"
    cases = [
        Case(f"cascade {s.split('/')[0]} #{seed}", "cascade", s, seed, 6, "cascade")
        for s, seed in ((btc, 11), (btc, 12), (eth, 13), (sol, 14), (sol, 15))
    ]
    cases += [
        Case(f"squeeze {s.split('/')[0]} #{seed}", "squeeze", s, seed, 6, "squeeze")
        for s, seed in ((btc, 21), (eth, 22), (sol, 23), (sol, 24))
    ]
    cases += [
        # the crowd's own shock comes at 89–92 s (seeds 35 / 32); 50–35 s before it a
        # few over-levered large accounts are force-closed one after another: a
        # precursor chain, then a leg more than ten times larger
        Case(
            f"precursor+leg {s.split('/')[0]} #{seed}",
            "precursor",
            s,
            seed,
            6,
            "cascade",
            tuple(_whale(40 + 3 * k, "long", usd) for k in range(6)),
        )
        for s, seed, usd in ((sol, 35, 25_000.0), (btc, 32, 200_000.0))
    ]
    cases += [
        Case(
            f"two legs {s.split('/')[0]} #{seed}",
            "two legs",
            s,
            seed,
            14,
            "cascade",
            (_shock(690, "long", strength),),
        )
        # after the first cascade the crowd is gone: the second leg needs a larger shock
        for s, seed, strength in ((sol, 41, 0.07), (btc, 42, 0.04))
    ]
    cases += [
        Case(f"calm chop {s.split('/')[0]} #{seed}", "calm chop", s, seed, 12, "steady")
        for s, seed in ((btc, 56), (eth, 52), (sol, 52))
    ]
    cases += [
        Case("lone whale BTC #61", "whale", btc, 61, 6, "steady", (_whale(150, "long", 6e6),)),
        Case("lone whale SOL #62", "whale", sol, 62, 6, "steady", (_whale(150, "short", 9e5),)),
        Case("slow bleed SOL #71", "bleed", sol, 71, 15, "steady", (_drift(60, 840, -3e-5),)),
        Case("slow bleed BTC #72", "bleed", btc, 72, 15, "steady", (_drift(60, 840, -2.5e-5),)),
    ]
    return cases


def path_cases() -> list[Case]:
    def case(base: str, month: str, start: str, minutes: float, shape: str, seed: int) -> Case:
        return Case(
            f"{shape} {base} {start[:13]}h",
            shape,
            f"{base}/USDT:USDT",
            seed,
            minutes,
            "path",
            klines=f"{base}USDT-1m-{month}.csv.gz",
            start_utc=start,
            tags=("real",),
        )

    return [
        case("FIL", "2025-02", "2025-02-03T01:35", 45, "real crash", 101),
        case("NEAR", "2025-02", "2025-02-03T01:35", 45, "real crash", 102),
        case("AVAX", "2025-02", "2025-02-03T01:40", 40, "real crash", 103),
        case("ALGO", "2025-02", "2025-02-03T01:40", 40, "real crash", 104),
        case("FIL", "2025-04", "2025-04-07T06:20", 45, "real crash", 105),
        case("NEAR", "2025-04", "2025-04-07T06:20", 45, "real crash", 106),
        case("FIL", "2025-09", "2025-09-22T05:45", 40, "real crash", 107),
        case("NEAR", "2025-09", "2025-09-22T05:45", 40, "real crash", 108),
        case("FIL", "2023-06", "2023-06-10T04:05", 40, "real crash", 109),
        case("NEAR", "2025-04", "2025-04-09T16:50", 45, "real squeeze", 110),
        case("FIL", "2025-02", "2025-02-20T10:00", 40, "real calm", 111),
        case("NEAR", "2025-09", "2025-09-10T03:00", 40, "real calm", 112),
    ]


def all_cases() -> list[Case]:
    return sim_cases() + path_cases()
