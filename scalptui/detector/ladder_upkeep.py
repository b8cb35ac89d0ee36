"""One symbol's ladder kept in step with its state.

``ladder.py`` is the model on its own (grid, attribution, consumption,
pruning); here is what ties it to a symbol: building it at the first price
with the market's tick, maximum leverage and MMR, recording what the price
consumes as hits (and as clusters of a running episode), feeding it
open-interest changes (and turnover) over the interval's range around its
VWAP and by its taker share, and re-basing a
grid that no longer fits the price together with everything indexed by its
bins. None of it is on the per-trade path but for a level being crossed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from scalptui.detector.ladder import (
    KERNEL_STEP,
    MAX_LEVERAGE_SPREAD,
    Ladder,
    bin_width_for,
    leverage_kernel,
    remove_closed_fraction,
)

if TYPE_CHECKING:
    from scalptui.detector.params import LadderParams, LeverageShare
    from scalptui.detector.state import SymbolState


def mmr_for(st: SymbolState, lp: LadderParams) -> float:
    """The market's maintenance margin rate, else the configured one for its base asset."""
    if st.info is not None and st.info.mmr is not None and 0.0 <= st.info.mmr < 1.0:
        return st.info.mmr
    return lp.mmr_table.get(st.symbol.split("/", 1)[0], lp.default_mmr)


def ladder_mix(lp: LadderParams, max_leverage: float | None) -> tuple[LeverageShare, ...]:
    """The configured leverage mix, folded to the market's maximum and smeared by the kernel."""
    return leverage_kernel(lp.leverage_mix, lp.leverage_spread, max_leverage)


def kernel_cell(lp: LadderParams) -> float:
    """Half the gap between neighbouring kernel nodes, in ln(leverage): each node stands for
    the leverages half-way to its neighbours."""
    if not lp.leverage_spread > 0.0:
        return 0.0
    return min(lp.leverage_spread, MAX_LEVERAGE_SPREAD) * KERNEL_STEP / 2.0


def turnover_fraction(elapsed_ms: float, lifetime_s: float) -> float:
    """Share of positions closed and re-opened over ``elapsed_ms`` when positions live
    ``lifetime_s`` on average (exponential lives); 0 when turnover is off."""
    if not (lifetime_s > 0.0 and elapsed_ms > 0.0) or math.isinf(lifetime_s):
        return 0.0
    return -math.expm1(-elapsed_ms / 1000.0 / lifetime_s)


def make_ladder(st: SymbolState, price: float, lp: LadderParams) -> Ladder:
    """A ladder on a grid fitted to ``price``, kept as the symbol's."""
    tick = st.info.tick_size if st.info is not None else None
    max_lev = st.info.max_leverage if st.info is not None else None
    ladder = Ladder(
        bin_width_for(price, lp.bin_pct, tick),
        ladder_mix(lp, max_lev),
        mmr_for(st, lp),
        kernel_cell(lp),
    )
    st.ladder = ladder
    return ladder


def consume(st: SymbolState, price: float) -> None:
    """Levels the price reached are hit; a hit big enough is a cluster of a running episode."""
    ladder = st.ladder
    if ladder is None:
        return
    share = st.th.cluster_min_share
    for hit in ladder.consume(price):
        is_cluster = hit.share_of_side >= share
        st.hits.append((st.clock, hit, is_cluster))
        episode = st.episodes.get(hit.side)
        if is_cluster and episode is not None and episode.ended_ts is None:
            episode.clusters += 1
    hits = st.hits
    oldest = st.clock - st.hits_kept_ms
    while hits and hits[0][0] < oldest:
        hits.popleft()


def attribute(
    st: SymbolState,
    delta: float,
    previous: float,
    price: float,
    elapsed_ms: float,
    lp: LadderParams,
) -> None:
    """One open-interest interval → ladder (see ``ladder.py``): turnover (held levels
    decay over ``elapsed_ms``) and what the interval opened and closed
    (``opened_and_closed``). What opened enters over the interval's range around its
    VWAP, split by the taker share of the flow that was not forced; what closed beyond it
    is removed pro rata (``remove_closed_fraction``)."""
    ladder = st.ladder
    if ladder is None:
        return
    iv = st.interval
    turnover = turnover_fraction(elapsed_ms, lp.position_lifetime_s)
    reopened = lp.turnover_share * iv.vol
    if delta == 0.0 and turnover <= 0.0 and not reopened > 0.0:
        return
    buy_share = iv.opening_buy_share()
    ref = st.reference_price()
    if ref is not None:  # first, so new levels land on a grid that fits the price
        refit_grid(st, ladder, ref, lp)
        if ladder.crossed(ref):
            consume(st, ref)  # levels the price reached before this sample are hits
    ladder.expire(turnover)
    opened, closed = opened_and_closed(reopened, delta, iv.forced_amount())
    if 0.0 < opened < math.inf:
        traded = iv.traded_range()
        low, high = traded if traded is not None else (price, price)
        ladder.add(price, opened * price, buy_share, low, high)
    if closed > 0.0:
        remove_closed_fraction(ladder, closed, previous, buy_share)
    if ref is not None:
        # New exposure already beyond the price would have been liquidated on entry:
        # dropped (as consumed), but not a hit — nothing was there when the price came.
        if ladder.crossed(ref):
            ladder.consume(ref)
        ladder.prune(ref, lp.prune_pct)


def opened_and_closed(reopened: float, delta: float, forced: float) -> tuple[float, float]:
    """(opened, closed) of an interval that re-opened ``reopened`` (its traded amount V
    times ``turnover_share``) while open interest changed by ``delta`` (Δ), ``forced`` of
    it printed as forced closes.

    Each trade opens or closes a position on either side, so V + Δ opened: a rise adds
    to what the trading re-opened, a fall takes from it (taking all of V as opened made
    a cascade's interval, V large and Δ as negative, a wall of new positions on the side
    its forced sells were counted for). Only a fall larger than that — more closed than
    the trading can account for — is removed from the levels held, less the forced
    closes (those left as consumed levels). A fall the trading accounts for removes
    nothing more: it was already taken from what opened, and taken twice, open-interest
    noise (samples a little off the trades) shrank the ladder."""
    net = reopened + delta
    if net >= 0.0:
        return net, 0.0
    return 0.0, max(-net - forced, 0.0)


def refit_grid(st: SymbolState, ladder: Ladder, price: float, lp: LadderParams) -> None:
    """Re-base a grid that is 20× off its intended share of price (never on ordinary moves)."""
    share = ladder.width / price
    if lp.bin_pct / 20.0 <= share <= lp.bin_pct * 20.0:
        return
    tick = st.info.tick_size if st.info is not None else None
    ladder.rebase(bin_width_for(price, lp.bin_pct, tick))
    st.hits.clear()  # their bin indices belong to the old grid
    st.rows.clear()
    st.overlay.rebin(ladder)
