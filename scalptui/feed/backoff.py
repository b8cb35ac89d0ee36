"""Exponential back-off with jitter for reconnects and failed polls."""

from __future__ import annotations

import random


class Backoff:
    """Delays of ``base · factor^n`` capped at ``cap``, each drawn in [½·d, d].

    The jitter keeps several streams that lost one connection together from
    re-dialling in lock-step (and a venue's 429 from hitting them all again).
    ``floor`` raises the next delay once, e.g. to honour a ``Retry-After``.
    """

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 30.0,
        factor: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        self.base = base
        self.cap = cap
        self.factor = factor
        self.attempts = 0
        self._rng = rng or random.Random()

    def next_delay(self, floor: float = 0.0) -> float:
        ceiling = min(self.cap, self.base * self.factor**self.attempts)
        self.attempts += 1
        return max(floor, self._rng.uniform(ceiling / 2, ceiling))

    def reset(self) -> None:
        self.attempts = 0
