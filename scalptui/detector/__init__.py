"""The deterministic core: events in, ladder estimates and informational alerts out.

``Detector`` (in ``detector.py``) is the only entry point the rest of the
program needs; ``ladder.py`` holds the liquidation-level model, ``signals.py``
the alert state machines, ``ring.py`` the numpy ring buffers and ``text.py``
the alert wording.

Imports neither textual nor ccxt (tests/test_architecture.py checks it).
"""

from scalptui.detector.detector import Detector
from scalptui.detector.params import DetectorParams, LadderParams, SignalThresholds

__all__ = ["Detector", "DetectorParams", "LadderParams", "SignalThresholds"]
