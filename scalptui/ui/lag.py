"""How far behind the market the screen is.

On a starved core (a small VPS beside other jobs, a cascade's frames) the monitor
reads the venues' frames late and works through a backlog: alerts came 4–13 s after
their moment while every feed chip read live, since messages kept coming, only old.
Each trade or mark processed is compared with the wall clock: its delay is network
latency plus the clocks' skew plus whatever the monitor added. The least delay of
the last minutes stands for the first two, so the newest event's delay above it is
what the monitor is behind by.
"""

from __future__ import annotations

from collections import deque

FLOOR_BUCKET_MS = 60_000
FLOOR_BUCKETS = 10
"""The floor is the least delay seen in the last ten minutes, kept as one minimum a
minute: a backlog lasting minutes still reads as one, and a clock that drifts moves
the floor within ten minutes."""
FRESH_MS = 10_000
"""A venue whose last event came longer ago than this says nothing of the lag now."""


class _Venue:
    __slots__ = ("floors", "last_delay", "last_wall")

    def __init__(self) -> None:
        self.floors: deque[tuple[int, int]] = deque(maxlen=FLOOR_BUCKETS)
        """(minute, least delay in it), oldest first."""
        self.last_delay = 0
        self.last_wall = 0


class LagGauge:
    """Per venue, the delay of its newest processed event above its usual delay."""

    def __init__(self) -> None:
        self._venues: dict[str, _Venue] = {}

    def observe(self, venue: str, event_ts: int, wall_ms: int) -> None:
        """A trade or mark of ``venue`` stamped ``event_ts`` processed at ``wall_ms``."""
        state = self._venues.get(venue)
        if state is None:
            state = self._venues[venue] = _Venue()
        delay = wall_ms - event_ts
        minute = wall_ms // FLOOR_BUCKET_MS
        floors = state.floors
        if floors and floors[-1][0] == minute:
            if delay < floors[-1][1]:
                floors[-1] = (minute, delay)
        else:
            floors.append((minute, delay))
        state.last_delay, state.last_wall = delay, wall_ms

    def behind_ms(self, wall_ms: int) -> int:
        """How far behind the freshest venues' newest events are (0: not behind)."""
        worst = 0
        for state in self._venues.values():
            if not state.floors or wall_ms - state.last_wall > FRESH_MS:
                continue
            floor = min(least for _, least in state.floors)
            worst = max(worst, state.last_delay - floor)
        return worst
