"""Settings: one dataclass tree, loaded from TOML and validated.

Discovery order (first found wins; nothing is read at import time):

1. ``--config FILE`` on the command line (the file must exist);
2. ``$SCALPTUI_CONFIG`` if set;
3. ``config.toml`` in the user config dir (``platformdirs.user_config_dir("scalptui")``);
4. built-in defaults.

Command-line options (``--exchange``, ``--symbols``, ``--base-url``, ``--theme``)
override the file. A bad file raises ``ConfigError`` whose message names the
file, the key and what was expected; the CLI prints it as one line and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scalptui.detector.params import DetectorParams

DEFAULT_SYMBOLS: tuple[str, ...] = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")
SUPPORTED_EXCHANGES: tuple[str, ...] = ("binanceusdm", "bybit", "okx")


class ConfigError(Exception):
    """A configuration that makes the run impossible; the message is one line."""


@dataclass(frozen=True, slots=True)
class FeedSettings:
    exchange: str = "binanceusdm"
    """ccxt id of the venue: binanceusdm, bybit or okx."""
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    """The watchlist, in ccxt unified form (BASE/QUOTE:SETTLE)."""
    base_url: str | None = None
    """Point every REST and WebSocket host of the venue at this server."""
    oi_poll_s: float = 15.0
    """Open-interest poll period where the venue does not stream it."""
    stale_after_s: float = 10.0
    """A regular-cadence stream is stale after this long without a message."""


@dataclass(frozen=True, slots=True)
class UiSettings:
    theme: str = "scalptui-dark"
    """Theme name: a built-in one or a ``*.toml`` in the config dir's ``themes/``."""
    bell: bool = False
    """Ring the terminal bell on alerts."""
    notifications: bool = False
    """Desktop notifications through the terminal (OSC 777 / OSC 9)."""
    tick_hz: float = 8.0
    """UI repaint rate; one coalesced repaint per tick whatever the event rate."""
    ladder_span_pct: float = 3.0
    """Half-height of the ladder view, in percent of price (``+`` / ``-`` zoom)."""


@dataclass(frozen=True, slots=True)
class Settings:
    feed: FeedSettings = field(default_factory=FeedSettings)
    detector: DetectorParams = field(default_factory=DetectorParams)
    ui: UiSettings = field(default_factory=UiSettings)
    demo: bool = False
    """Run on the built-in simulated exchange."""
    config_path: Path | None = None
    """The file these settings came from, if any."""
