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

import dataclasses
import math
import os
import tomllib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from scalptui.detector.params import DetectorParams
from scalptui.feed.venues import SUPPORTED

DEFAULT_SYMBOLS: tuple[str, ...] = ("BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT")
SUPPORTED_EXCHANGES: tuple[str, ...] = SUPPORTED


MAX_LADDER_SPAN_PCT = 50.0
"""The widest ladder view, ± % of price: wider and its lowest rows fall below zero."""
MAX_BIN_FRACTION = 0.01
"""The coarsest ladder bin, a fraction of price (1 %): coarser and the view is a row or two."""
MIN_BIN_FRACTION = 0.0001
"""The finest ladder bin (0.01 %): 1e-12 rounded to one tick a bin, and the bins' cap cut
the ladder at ±27 % instead of the pruning distance."""
MAX_PRUNE_FRACTION = 0.9
"""The furthest a level is kept, a fraction of price: at 1 or more levels fell below zero
(prune_pct = 5 gave a bin from −99.1 to 0)."""
MIN_PRUNE_FRACTION = 0.01
MAX_WINDOW_S = 300.0
"""The longest cascade window: the detector's 1 s ring holds the hour before the window
and the window itself (4096 s)."""
MAX_HOLD_S = 3600.0
"""The longest exhaustion hold and OI-flush window."""
MAX_COOLDOWN_S = 86_400.0


class ConfigError(Exception):
    """A configuration that makes the run impossible; the message is one line."""


@dataclass(frozen=True, slots=True)
class FeedSettings:
    exchange: str = "binanceusdm"
    """ccxt id of the venue: binanceusdm, bybit or okx."""
    exchanges: tuple[str, ...] = ()
    """Several venues at once, in watch order (empty: just ``exchange``)."""
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    """The watchlist, in ccxt unified form (BASE/QUOTE:SETTLE)."""
    base_url: str | None = None
    """Point every REST and WebSocket host of the venue at this server (one venue only)."""
    base_urls: dict[str, str] = field(default_factory=dict)
    """Per venue, a table: ``base_urls = {bybit = "http://127.0.0.1:8765"}`` (``--base-url
    VENUE=URL``)."""
    oi_poll_s: float = 15.0
    """Open-interest poll period where the venue does not stream it (1–3600 s)."""
    stale_after_s: float = 10.0
    """A regular-cadence stream is stale after this long without a message (2–3600 s)."""

    @property
    def venues(self) -> tuple[str, ...]:
        """The venues watched, in watch order."""
        return self.exchanges or (self.exchange,)

    def base_url_of(self, venue: str) -> str | None:
        """The server ``venue`` is pointed at (None: the venue's own hosts)."""
        return self.base_urls.get(venue, self.base_url)


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
    quiet_hz: float = 4.0
    """Repaint rate while the market is quiet: no cascade or squeeze running on a watched
    symbol and the price within 0.05 % of the last repaint (keys always repaint at once)."""
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
    symbols_named: bool = False
    """The file or ``--symbols`` named ``feed.symbols`` (not the built-in three): they are
    watched at every start, even when taken off with ``x`` in an earlier session."""
    theme_named: bool = False
    """``--theme`` named ``ui.theme``: it wins over a theme chosen with ``t`` last time."""


# --------------------------------------------------------------------------- loading

_ENV_VAR = "SCALPTUI_CONFIG"


def default_config_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_config_dir("scalptui")) / "config.toml"


def discover_config_path(explicit: Path | None) -> Path | None:
    """The file to read, following the discovery order of the module docstring."""
    if explicit is not None:
        return explicit
    env = os.environ.get(_ENV_VAR)
    if env:
        return Path(env)
    candidate = default_config_path()
    # missing is the usual case; anything else there (a directory) is read, and refused,
    # rather than skipped without a word
    return candidate if candidate.exists() else None


_QUOTES = ("USDT", "USDC")
"""Quote currencies a venue's own id may end in (``BTCUSDT``): the linear perpetuals."""


def unified_symbol(text: str) -> str:
    """A symbol as traders type it → ccxt's unified perpetual: ``btc``, ``BTCUSDT``,
    ``BTC/USDT``, ``btc/usdt:usdt``, ``BTC-USDT``, ``BTCUSDT.P``, ``BTC-PERP`` and OKX's
    ``BTC-USDT-SWAP`` all → ``BTC/USDT:USDT``.
    Something else with a ``/`` is left as typed (upper-cased): the venue's symbol
    check names it then."""
    # spaces and invisible characters go ("eth usdt", a pasted zero-width space)
    sym = "".join(c for c in text if c.isprintable() and not c.isspace()).upper()
    for suffix in (".P", "-PERP", "PERP"):  # TradingView's BTCUSDT.P, FTX-style BTC-PERP
        if sym.endswith(suffix) and len(sym) > len(suffix):
            sym = sym[: -len(suffix)]
            break
    if sym.endswith("-SWAP") and sym.count("-") == 2:
        base, quote, _ = sym.split("-")
        # OKX's inverse swaps (BTC-USD-SWAP) settle in the base coin
        return f"{base}/{quote}:{base if quote == 'USD' else quote}"
    if "/" in sym:
        return sym if ":" in sym else f"{sym}:{sym.split('/', 1)[1]}"
    for sep in ("-", "_"):  # BTC-USDT, BTC_USDT
        base, found, quote = sym.partition(sep)
        if found and base and quote in _QUOTES:
            return f"{base}/{quote}:{quote}"
    for quote in _QUOTES:
        if sym.endswith(quote) and len(sym) > len(quote):
            return f"{sym[: -len(quote)]}/{quote}:{quote}"
    return f"{sym}/USDT:USDT"


def unified_symbols(texts: Iterable[str]) -> tuple[str, ...]:
    """``unified_symbol`` of each non-empty entry, duplicates dropped, order kept."""
    return tuple(dict.fromkeys(unified_symbol(t) for t in texts if t.strip()))


def _nearest(key: str, known: Iterable[str], prefix: str = "") -> str:
    """``" (did you mean feed.symbols?)"`` for a key close to a known one (``ui.Theme``,
    ``feed.symbol``), else ``""``."""
    import difflib

    by_lower = {k.lower(): k for k in known}
    match = difflib.get_close_matches(key.lower(), list(by_lower), n=1, cutoff=0.75)
    return f" (did you mean {prefix}{by_lower[match[0]]}?)" if match else ""


def load_settings(path: Path | None) -> Settings:
    """Read and validate ``path`` (None: defaults). Raises ConfigError."""
    if path is None:
        return Settings()
    table = _read_toml(path)
    where = str(path)
    unknown = set(table) - {"feed", "ui", "detector"}
    if unknown:
        first = sorted(unknown)[0]
        hint = _nearest(first, ("feed", "ui", "detector"))
        raise ConfigError(f"{where}: unknown section or key {first!r}{hint}")
    defaults = Settings()
    feed_table = _section(table, "feed", where)
    if "exchange" in feed_table and "exchanges" in feed_table:
        raise ConfigError(f"{where}: give feed.exchange or feed.exchanges, not both")
    feed = _first_venue(_merge(defaults.feed, feed_table, where, "feed"))
    if "symbols" in feed_table:  # written as on the command line: BTC, BTCUSDT, btc/usdt
        feed = dataclasses.replace(feed, symbols=_file_symbols(feed.symbols, where))
    detector = _upper_bases(
        _merge(defaults.detector, _section(table, "detector", where), where, "detector")
    )
    settings = Settings(
        feed=feed,
        detector=detector,
        ui=_merge(defaults.ui, _section(table, "ui", where), where, "ui"),
        config_path=path,
        symbols_named="symbols" in feed_table,
    )
    validate(settings, where)
    return settings


def _file_symbols(symbols: tuple[str, ...], where: str) -> tuple[str, ...]:
    blank = [n for n, sym in enumerate(symbols) if not sym.strip()]
    if blank:
        raise ConfigError(f"{where}: feed.symbols entry {blank[0] + 1} is empty")
    return unified_symbols(symbols)


def _upper_bases(detector: DetectorParams) -> DetectorParams:
    """Base currencies as the symbols spell them: ``major_bases = ["btc"]`` and
    ``mmr_table.sol`` were silently never matched (BTC got the alts' thresholds)."""
    ladder = detector.ladder
    table = {base.upper(): mmr for base, mmr in ladder.mmr_table.items()}
    return dataclasses.replace(
        detector,
        major_bases=tuple(base.upper() for base in detector.major_bases),
        ladder=dataclasses.replace(ladder, mmr_table=table),
    )


def _first_venue(feed: FeedSettings) -> FeedSettings:
    """``exchange`` names the first venue of a run on several (code reading it stays right)."""
    if feed.exchanges:
        return dataclasses.replace(feed, exchange=feed.exchanges[0])
    return feed


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML (nested too deeply)") from None


def _section(table: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = table.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{name}] must be a table, got {type(value).__name__}")
    return value


_T = TypeVar("_T")


def _merge(base: _T, table: dict[str, Any], where: str, prefix: str) -> _T:
    """Return ``base`` with the keys of ``table`` converted to its field types."""
    if not dataclasses.is_dataclass(base) or isinstance(base, type):
        raise TypeError(f"{prefix} is not a dataclass instance")
    hints = typing.get_type_hints(type(base))
    names = {f.name for f in dataclasses.fields(base)}
    changes: dict[str, Any] = {}
    for key, raw in table.items():
        if key not in names or key == "config_path":
            hint = _nearest(key, names - {"config_path"}, f"{prefix}.")
            raise ConfigError(f"{where}: unknown key {prefix}.{key}{hint}")
        current = getattr(base, key)
        changes[key] = _convert(raw, hints[key], current, where, f"{prefix}.{key}")
    return dataclasses.replace(base, **changes)


def _convert(raw: Any, hint: Any, current: Any, where: str, key: str) -> Any:
    if dataclasses.is_dataclass(current) and not isinstance(current, type):
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: {key} must be a table")
        return _merge(current, raw, where, key)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (types.UnionType, typing.Union):
        if (raw is None or raw == "") and type(None) in args:
            return None
        non_none = [a for a in args if a is not type(None)]
        return _convert(raw, non_none[0], current, where, key)
    if hint is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{where}: {key} must be true or false, got {raw!r}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{where}: {key} must be a whole number, got {raw!r}")
        return raw
    if hint is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise ConfigError(f"{where}: {key} must be a finite number, got {raw!r}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: {key} must be a string, got {raw!r}")
        return raw
    if origin is tuple:
        return _convert_tuple(raw, args[0], where, key)
    if origin is dict:
        # A table merges over the defaults: naming SOL keeps the shipped BTC and ETH rates.
        merged = dict(current) if isinstance(current, dict) else {}
        merged.update(_convert_dict(raw, args[1], where, key))
        return merged
    raise ConfigError(f"{where}: {key} has a type this loader does not know ({hint})")


def _convert_tuple(raw: Any, item: Any, where: str, key: str) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: {key} must be a list, got {raw!r}")
    if dataclasses.is_dataclass(item):
        return tuple(_build_item(entry, item, where, f"{key}[{i}]") for i, entry in enumerate(raw))
    return tuple(_convert(v, item, None, where, f"{key}[{i}]") for i, v in enumerate(raw))


def _build_item(entry: Any, cls: Any, where: str, key: str) -> Any:
    """One table of a list of tables (e.g. a leverage_mix bucket): every field required."""
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: {key} must be a table")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for name in entry:
        if name not in names:
            raise ConfigError(
                f"{where}: unknown key {key}.{name}{_nearest(name, names, key + '.')}"
            )
    missing = [name for name in names if name not in entry]
    if missing:
        raise ConfigError(f"{where}: {key} is missing {missing[0]!r}")
    return cls(**{n: _convert(entry[n], hints[n], None, where, f"{key}.{n}") for n in names})


def _convert_dict(raw: Any, value_type: Any, where: str, key: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: {key} must be a table, got {raw!r}")
    return {str(k): _convert(v, value_type, None, where, f"{key}.{k}") for k, v in raw.items()}


def validate(settings: Settings, where: str = "settings") -> None:
    """Semantic checks the types alone do not catch."""
    feed, ladder = settings.feed, settings.detector.ladder
    _check_venues(feed, where)
    if not feed.symbols:
        raise ConfigError(f"{where}: feed.symbols must name at least one symbol")
    for sym in feed.symbols:
        if "/" not in sym:
            raise ConfigError(
                f"{where}: feed.symbols entry {sym!r} is not a unified symbol like BTC/USDT:USDT"
            )
    _check_base_urls(feed, where)
    # Faster polls spend the venue's request budget (30 symbols at 1 s is Binance's
    # 2400-a-minute IP limit); a stale limit under 2 s flags the 1/s streams between
    # two messages.
    _within(where, "feed.oi_poll_s", feed.oi_poll_s, MIN_OI_POLL_S, MAX_FEED_WAIT_S, "s")
    _within(where, "feed.stale_after_s", feed.stale_after_s, MIN_STALE_S, MAX_FEED_WAIT_S, "s")
    for key, hz in (("ui.tick_hz", settings.ui.tick_hz), ("ui.quiet_hz", settings.ui.quiet_hz)):
        # Past what a terminal can show, repaints only starve the keys (1e9 froze the TUI).
        if not 0 < hz <= MAX_REPAINT_HZ:
            raise ConfigError(
                f"{where}: {key} must be greater than 0 and at most {MAX_REPAINT_HZ:g}, got {hz!r}"
            )
    # Past these the ladder's rows run below zero price (150 % drew −90,000 rows).
    span = settings.ui.ladder_span_pct
    if not 0 < span <= MAX_LADDER_SPAN_PCT:
        raise ConfigError(
            f"{where}: ui.ladder_span_pct must be greater than 0 and at most "
            f"{MAX_LADDER_SPAN_PCT:g} (%), "
            f"got {span!r}"
        )
    if not MIN_BIN_FRACTION <= ladder.bin_pct <= MAX_BIN_FRACTION:
        raise ConfigError(
            f"{where}: detector.ladder.bin_pct is a fraction of price (0.001 = 0.1 %) "
            f"within {MIN_BIN_FRACTION:g}..{MAX_BIN_FRACTION:g}, got {ladder.bin_pct!r}"
        )
    if not MIN_PRUNE_FRACTION <= ladder.prune_pct <= MAX_PRUNE_FRACTION:
        raise ConfigError(
            f"{where}: detector.ladder.prune_pct is a fraction of price (0.3 = 30 %) "
            f"within {MIN_PRUNE_FRACTION:g}..{MAX_PRUNE_FRACTION:g}, got {ladder.prune_pct!r}"
        )
    share_sum = sum(b.share for b in ladder.leverage_mix)
    if not ladder.leverage_mix or abs(share_sum - 1.0) > 1e-6:
        raise ConfigError(
            f"{where}: detector.ladder.leverage_mix shares must sum to 1, got {share_sum:g}"
        )
    for i, bucket in enumerate(ladder.leverage_mix):
        if bucket.leverage < 1 or bucket.share < 0:
            raise ConfigError(
                f"{where}: detector.ladder.leverage_mix[{i}] needs leverage ≥ 1 and share ≥ 0"
            )
    if not 0.0 <= ladder.default_mmr < 1.0:
        raise ConfigError(f"{where}: detector.ladder.default_mmr must be within 0..1")
    for base, mmr in ladder.mmr_table.items():
        if not 0.0 <= mmr < 1.0:
            raise ConfigError(f"{where}: detector.ladder.mmr_table.{base} must be within 0..1")
    _non_negative_fields(where, "detector", settings.detector)
    for name in ("majors", "alts"):
        th = getattr(settings.detector, name)
        if not 0.5 <= th.dominance <= 1.0:
            raise ConfigError(f"{where}: detector.{name}.dominance must be within 0.5..1")
        if not 0.0 < th.exhaustion_ratio < 1.0:
            raise ConfigError(f"{where}: detector.{name}.exhaustion_ratio must be within 0..1")
        for field_name, most in (
            ("window_s", MAX_WINDOW_S),
            ("cooldown_s", MAX_COOLDOWN_S),
            ("exhaustion_hold_s", MAX_HOLD_S),
            ("oi_flush_window_s", MAX_HOLD_S),
        ):
            value = getattr(th, field_name)
            _positive(where, f"detector.{name}.{field_name}", value)
            if value > most:
                raise ConfigError(
                    f"{where}: detector.{name}.{field_name} must be at most {most:g} s, "
                    f"got {value!r}"
                )
        for field_name in ("min_prints", "funding_readings", "saturation_s", "burst_s"):
            if getattr(th, field_name) < 1:
                raise ConfigError(f"{where}: detector.{name}.{field_name} must be at least 1")
        for field_name in ("saturation_share", "taker_share", "burst_taker_share"):
            if not 0.0 < getattr(th, field_name) <= 1.0:
                raise ConfigError(f"{where}: detector.{name}.{field_name} must be within 0..1")
        # a later leg must be larger than the one reported, or every second would be a leg
        for field_name in ("escalation_notional", "escalation_move"):
            if not getattr(th, field_name) > 1.0:
                raise ConfigError(f"{where}: detector.{name}.{field_name} must be above 1")


VENUE_ALIASES = {"binance": "binanceusdm", "binancefutures": "binanceusdm", "okex": "okx"}
"""Names people type for a supported venue: ccxt's ``binance`` is Binance *spot*, whose
perpetuals ccxt calls ``binanceusdm``; ``okex`` is OKX's former name."""


def _venue_hint(venue: str) -> str:
    """``"; did you mean binanceusdm?"`` for a name close to a supported venue, else ``""``."""
    name = venue.lower().replace("-", "").replace("_", "").replace(" ", "")
    guess = VENUE_ALIASES.get(name) or next(
        (s for s in SUPPORTED_EXCHANGES if len(name) >= 4 and s.startswith(name[:4])), None
    )
    return f"; did you mean {guess}?" if guess else ""


def _check_venues(feed: FeedSettings, where: str) -> None:
    key = "feed.exchanges" if feed.exchanges else "feed.exchange"
    supported = ", ".join(SUPPORTED_EXCHANGES)
    for venue in feed.venues:
        if venue not in SUPPORTED_EXCHANGES:
            raise ConfigError(
                f"{where}: {key} must be one of {supported}, got {venue!r}{_venue_hint(venue)}"
            )
    seen: set[str] = set()
    for venue in feed.venues:
        if venue in seen:
            raise ConfigError(
                f"{where}: {key} names {venue} twice (supported: {supported}, each once)"
            )
        seen.add(venue)


def _check_base_urls(feed: FeedSettings, where: str) -> None:
    """A bare URL serves one venue; VENUE=URL only for a venue that is watched."""
    from scalptui.feed.baseurl import parse_base_url

    venues = feed.venues
    if feed.base_url is not None and len(venues) > 1:
        raise ConfigError(
            f"{where}: a bare base URL serves one venue; give VENUE=URL for each of"
            f" {', '.join(venues)} (e.g. --base-url {venues[0]}={feed.base_url})"
        )
    urls = [("feed.base_url", feed.base_url)] if feed.base_url is not None else []
    for venue, url in feed.base_urls.items():
        if venue not in venues:
            raise ConfigError(
                f"{where}: a base URL is given for {venue!r}, which is not watched"
                f" (watched: {', '.join(venues)})"
            )
        urls.append((f"feed.base_urls.{venue}", url))
    for key, url in urls:
        try:
            parse_base_url(url)
        except ValueError as exc:
            raise ConfigError(f"{where}: {key}: {exc}") from None


def _non_negative_fields(where: str, prefix: str, node: Any) -> None:
    """Every number in the detector's tree is a size, a share, a time or a count: ≥ 0."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        key = f"{prefix}.{f.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            _non_negative_fields(where, key, value)
        elif isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise ConfigError(f"{where}: {key} must not be negative, got {value!r}")


MAX_REPAINT_HZ = 60.0
MIN_OI_POLL_S = 1.0
MIN_STALE_S = 2.0
MAX_FEED_WAIT_S = 3600.0


def _within(where: str, key: str, value: float, low: float, high: float, unit: str) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be within {low:g}..{high:g} {unit}, got {value!r}")


def _positive(where: str, key: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"{where}: {key} must be greater than 0, got {value!r}")
