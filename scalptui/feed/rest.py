"""The REST side of the live feed: retried calls and the start-up facts they fetch.

At start-up each symbol needs facts the streams do not carry: its funding
interval, its first-tier maintenance margin rate where the venue publishes it
without a key, and 5-minute history for the detector's warm start. All are
best effort except loading the markets: a symbol whose history cannot be had
still streams, its ladder starting empty as on a new listing.

``RestCaller`` retries a call with exponential back-off and jitter on network
errors, timeouts, 429 and 5xx, and turns what remains (a refusal, a reply ccxt
cannot parse) into one ``FeedError`` line naming the endpoint. ccxt is imported lazily.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from scalptui.feed.backoff import Backoff
from scalptui.feed.base import FeedError
from scalptui.feed.venues import (
    Venue,
    bars_from_binance_klines,
    bars_from_ohlcv,
    first_tier_mmr,
    interval_hours,
    parse_open_interest_history,
)
from scalptui.models import Bar, History, OpenInterest

log = logging.getLogger(__name__)

REST_ATTEMPTS = 4


def short(exc: BaseException | None, limit: int = 160) -> str:
    """One line of an exception's text, cut to ``limit`` characters, without the password
    of a URL it quotes (``--base-url http://user:pw@host`` ends up in ccxt's errors)."""
    text = " ".join(str(exc).split()) if exc is not None else ""
    text = without_credentials(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_USERINFO = re.compile(r"(://)[^/@\s]+@")


def without_credentials(text: str) -> str:
    """``http://user:pw@host/x`` → ``http://…@host/x``: error lines and logs get pasted."""
    return _USERINFO.sub(r"\1…@", text)


class RestCaller:
    """Calls one exchange's REST endpoints with retries; counts failures in ``counters``."""

    def __init__(
        self,
        exchange_id: str,
        counters: MutableMapping[str, int],
        rng: random.Random | None = None,
        attempts: int = REST_ATTEMPTS,
    ) -> None:
        self.exchange_id = exchange_id
        self.counters = counters
        self.rng = rng or random.Random()
        self.attempts = attempts

    async def __call__(self, what: str, call: Callable[[], Awaitable[Any]]) -> Any:
        """``await call()``, retried on network errors, timeouts, 429 and 5xx.

        Raises FeedError naming ``what`` when it stays unreachable, and at once
        for a venue's definite refusal (bad request, unsupported).
        """
        import ccxt

        backoff = Backoff(base=0.5, cap=8.0, rng=self.rng)
        for attempt in range(1, self.attempts + 1):
            try:
                return await call()
            # network, timeout, 429, 5xx; and a socket error ccxt let through unwrapped
            except (ccxt.OperationFailed, OSError) as exc:
                self.counters["http_errors"] = self.counters.get("http_errors", 0) + 1
                if attempt == self.attempts:
                    raise FeedError(
                        f"{self.exchange_id}: {what} unreachable after {attempt} attempts"
                        f" ({type(exc).__name__}: {short(exc)})"
                    ) from None
                await asyncio.sleep(backoff.next_delay())
            except ccxt.BaseError as exc:
                raise FeedError(
                    f"{self.exchange_id}: {what} refused ({type(exc).__name__}: {short(exc)})"
                ) from None
            except Exception as exc:
                # ccxt's parsers index replies unchecked (an empty ``data`` list, an error
                # body in place of rows): a reply it cannot read is this call's failure,
                # never a dead symbol task.
                # the caller logs the FeedError; the traceback is for a debug log only
                log.debug("%s: %s: unreadable reply", self.exchange_id, what, exc_info=True)
                self.counters["rejected_items"] = self.counters.get("rejected_items", 0) + 1
                raise FeedError(
                    f"{self.exchange_id}: {what}: unreadable reply "
                    f"({type(exc).__name__}: {short(exc)})"
                ) from None
        raise AssertionError("unreachable")


async def funding_intervals(
    ex: Any, venue: Venue, symbols: Sequence[str], rest: RestCaller
) -> dict[str, float] | None:
    """Per-symbol funding intervals (hours) the venue publishes without a key.

    Binance (``fetch_funding_intervals``, one call) lists only the symbols whose
    interval differs from 8 h; OKX answers per instrument; Bybit states it in
    the market listing and the ticker. None when the venue could not be asked,
    so that a refresh keeps what it knew.
    """
    out: dict[str, float] = {}
    try:
        if ex.has.get("fetchFundingIntervals"):
            raw = await rest("funding intervals", lambda: ex.fetch_funding_intervals())
            for symbol, entry in (raw if isinstance(raw, dict) else {}).items():
                hours = interval_hours(entry.get("interval")) if isinstance(entry, dict) else None
                if hours is not None:
                    out[symbol] = hours
        elif venue.funding_interval_per_symbol and ex.has.get("fetchFundingInterval"):
            for symbol in symbols:
                entry = await rest(
                    f"funding interval of {symbol}",
                    functools.partial(ex.fetch_funding_interval, symbol),
                )
                hours = interval_hours(entry.get("interval")) if isinstance(entry, dict) else None
                if hours is not None:
                    out[symbol] = hours
    except FeedError as exc:
        log.warning("funding intervals unknown, using the venue default: %s", exc)
        return None
    return out


async def mmr_of(ex: Any, venue: Venue, symbol: str, rest: RestCaller) -> float | None:
    """The first tier's maintenance margin rate, where the tiers are public (Bybit, OKX)."""
    if not venue.public_leverage_tiers or not ex.has.get("fetchMarketLeverageTiers"):
        return None
    try:
        tiers = await rest(
            f"leverage tiers of {symbol}", lambda: ex.fetch_market_leverage_tiers(symbol)
        )
    except FeedError as exc:
        log.warning("%s", exc)
        return None
    return first_tier_mmr(tiers or [])


async def history_of(
    ex: Any, venue: Venue, symbol: str, contract_size: float, rest: RestCaller
) -> History | None:
    """5-minute candles and open interest for the detector's warm start (best effort).

    Binance's raw ``/fapi/v1/klines`` is read because ccxt's OHLCV drops the
    taker-buy volume; elsewhere ``fetch_ohlcv`` (no taker split). Open interest
    from ``fetch_open_interest_history`` (Binance ``openInterestHist``, Bybit
    ``open-interest``, OKX rubik statistics).
    """
    limit = venue.history_limit
    bars: tuple[Bar, ...] = ()
    oi: tuple[OpenInterest, ...] = ()
    try:
        if venue.klines_with_taker_volume:
            request = {"symbol": ex.markets[symbol]["id"], "interval": "5m", "limit": limit}
            rows = await rest(f"klines of {symbol}", lambda: ex.fapiPublicGetKlines(request))
            bars = bars_from_binance_klines(rows or [])
        elif ex.has.get("fetchOHLCV"):
            rows = await rest(
                f"klines of {symbol}", lambda: ex.fetch_ohlcv(symbol, "5m", limit=limit)
            )
            bars = bars_from_ohlcv(rows or [])  # base units already, OKX swaps included
        if ex.has.get("fetchOpenInterestHistory"):
            rows = await rest(
                f"open-interest history of {symbol}",
                lambda: ex.fetch_open_interest_history(symbol, "5m", limit=limit),
            )
            oi = parse_open_interest_history(venue, rows or [], contract_size, symbol)
    except FeedError as exc:
        # Not a stream state: a FAILED status would pin the symbol's header while its
        # streams are live. The ladder then starts empty, as it would on a new listing.
        log.warning("warm start of %s unavailable: %s", symbol, exc)
    if not bars and not oi:
        return None
    return History(int(time.time() * 1000), venue.id, symbol, bars, oi)
