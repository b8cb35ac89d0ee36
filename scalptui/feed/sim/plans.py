"""What is planned on a simulated market in exchange time, and what its engine executed.

Separate from the market model because these are its *inputs and outputs* for a harness
(the detection benchmark, the soak, the tests): a shock, a whale's forced close or a
drift planned at a given exchange time (``Scheduled*``, kept in order by ``Schedule``),
and the log of every forced close the engine executed (``ForcedClose``) — the ground
truth behind the venue's sampled liquidation stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class ForcedClose:
    """One forced close as the exchange's engine executed it — before any sampling
    of the public stream. ``side`` is the *position* side (``long``: a long was
    force-sold); ``notional`` is quantity × fill price in USD. The ground truth the
    detection benchmark labels its chains from."""

    ts: int
    symbol: str
    side: Literal["long", "short"]
    price: float
    notional: float


@dataclass(frozen=True, slots=True)
class ScheduledShock:
    """An exogenous market order at a given exchange time (a headline, a large taker).

    ``side`` names the crowd it hits (``long``: a sell-off), ``strength`` the move the
    order alone makes as a share of the book's depth (0.012 ≈ 1.2 %).
    """

    at_ms: int
    side: Literal["long", "short"]
    strength: float


@dataclass(frozen=True, slots=True)
class ScheduledWhale:
    """One huge position force-closed at ``at_ms``: a single forced close of
    ``notional`` USD on ``side`` — a lone whale, not a cascade."""

    at_ms: int
    side: Literal["long", "short"]
    notional: float


@dataclass(frozen=True, slots=True)
class ScheduledDrift:
    """An extra drift of the fair log price between two exchange times (a slow bleed:
    ``per_s`` = −2e-5 is about −7 % an hour)."""

    from_ms: int
    until_ms: int
    per_s: float


Plan = ScheduledShock | ScheduledWhale | ScheduledDrift


@dataclass(slots=True)
class Schedule:
    """The plans of one market, each kind in the order it comes due."""

    shocks: list[ScheduledShock] = field(default_factory=list)
    whales: list[ScheduledWhale] = field(default_factory=list)
    drifts: list[ScheduledDrift] = field(default_factory=list)

    def add(self, plan: Plan) -> None:
        if isinstance(plan, ScheduledShock):
            self.shocks.append(plan)
            self.shocks.sort(key=lambda item: item.at_ms)
        elif isinstance(plan, ScheduledWhale):
            self.whales.append(plan)
            self.whales.sort(key=lambda item: item.at_ms)
        else:
            self.drifts.append(plan)

    def due_shocks(self, now_ms: int) -> list[ScheduledShock]:
        """Take the shocks due by ``now_ms``, earliest first."""
        due: list[ScheduledShock] = []
        while self.shocks and self.shocks[0].at_ms <= now_ms:
            due.append(self.shocks.pop(0))
        return due

    def due_whales(self, now_ms: int) -> list[ScheduledWhale]:
        """Take the whales due by ``now_ms``, earliest first."""
        due: list[ScheduledWhale] = []
        while self.whales and self.whales[0].at_ms <= now_ms:
            due.append(self.whales.pop(0))
        return due

    def drift_per_s(self, now_ms: int) -> float:
        """The sum of the drifts running at ``now_ms``."""
        return sum(d.per_s for d in self.drifts if d.from_ms <= now_ms < d.until_ms)
