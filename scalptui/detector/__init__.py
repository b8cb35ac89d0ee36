"""The deterministic core: events in, ladder estimates and informational alerts out.

One ``Detector`` watches every symbol of the watchlist, for the TUI and the
headless mode alike::

    det = Detector(params, source=Source.LIVE)
    alerts = det.on_event(evt)        # any scalptui.models.Event; [] for most
    snap = det.snapshot("BTC/USDT:USDT", span_pct=3.0)

Its only clock is the events' own timestamps, per symbol, so the same events
give the same alerts live, replayed at any speed, or in a test.

A run on several venues gets an ``AssetDetector`` from ``make_detector`` — the
same API over one ``Detector`` per venue, alerts per asset and per leg, the
snapshot an asset view (docs/detection.md § Several venues)::

    det = make_detector(params, source=Source.LIVE, exchanges=("binanceusdm", "bybit"))
    det.venue_snapshots("BTC/USDT:USDT")   # each venue's own, in watch order

Modules:

* ``detector.py`` — the ``Detector``: event handlers and the once-a-second
  cascade / squeeze tests;
* ``state.py`` — one symbol's state as named parts, each in its own module:
  ``rolling.py`` (the second in progress, window extremes, σ's running sums),
  ``open_interest.py`` (the attribution interval, OI history, the flush watch),
  ``funding.py`` (rate, interval, 8 h / APR normalisation) and ``realized.py``
  (the realised-liquidation overlay);
* ``ladder.py`` — the estimated liquidation ladder (grid, taker-share
  attribution, leverage mix, projection, consumption, removal, pruning);
  ``ladder_bins.py`` holds each side's levels as numpy arrays;
  ``ladder_upkeep.py`` keeps a symbol's ladder in step with its state;
* ``signals.py`` — print windows, the cascade / squeeze decision, episodes,
  funding and open-interest watches;
* ``evidence.py`` — the chain's measures read off a symbol's state;
* ``warmstart.py`` — the ladder, σ and OI history rebuilt from klines and OI history;
* ``snapshot.py`` — snapshot assembly;
* ``assets.py`` — the ``AssetDetector`` (several venues); ``asset_view.py`` — the
  venues' snapshots folded into the asset's (summed ladder, OI, funding);
* ``alerts.py`` — each alert's facts; ``text.py`` — their wording;
* ``ring.py`` — numpy ring buffers for the 1 s history;
* ``params.py`` — the parameters and their defaults table.

Model choices in one paragraph: at each open-interest sample the interval's
turnover (its traded amount) and any rise of open interest enter across the
interval's traded range around its VWAP, while held levels decay with a
position lifetime; what enters is split long/short by the interval's taker-buy
share (the side that paid to open is taken to be the side that grew — a
modelling choice, not an observation), smeared over a log-normal kernel around
a configurable leverage mix folded at the market's maximum leverage, and
projected with the first-tier maintenance margin (isolated, one-way, fees
ignored). A cascade or squeeze needs real liquidation
prints, same-side dominance and a move of z·σ·√W, plus either enough printed
notional or — where the venue samples its stream — the chain's own evidence (a
run of seconds with prints, a taker-flow burst, estimated clusters consumed).

Imports neither textual nor ccxt (tests/test_architecture.py checks it).
"""

from collections.abc import Sequence

from scalptui.detector.assets import AssetDetector
from scalptui.detector.detector import Detector
from scalptui.detector.params import DetectorParams, LadderParams, SignalThresholds
from scalptui.models import Source

AnyDetector = Detector | AssetDetector
"""What ``make_detector`` returns: both have the same public API."""


def make_detector(
    params: DetectorParams, *, source: Source, exchanges: Sequence[str] = ()
) -> AnyDetector:
    """The detector for a run on ``exchanges``: a ``Detector`` for one venue, an
    ``AssetDetector`` (one ``Detector`` per venue, alerts per asset) for several."""
    venues = tuple(dict.fromkeys(exchanges))
    if len(venues) > 1:
        return AssetDetector(params, source=source, exchanges=venues)
    return Detector(params, source=source)


__all__ = [
    "AnyDetector",
    "AssetDetector",
    "Detector",
    "DetectorParams",
    "LadderParams",
    "SignalThresholds",
    "make_detector",
]
