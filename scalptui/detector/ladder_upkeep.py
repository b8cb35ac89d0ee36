"""One symbol's ladder kept in step with its state.

``ladder.py`` is the model on its own (grid, attribution, consumption,
pruning); here is what ties it to a symbol: building it at the first price
with the market's tick, maximum leverage and MMR, recording what the price
consumes as hits (and as clusters of a running episode), feeding it
open-interest changes at the interval's VWAP and taker share, and re-basing a
grid that no longer fits the price together with everything indexed by its
bins. None of it is on the per-trade path but for a level being crossed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scalptui.detector.ladder import (
    Ladder,
    bin_width_for,
    fold_leverage_mix,
    remove_closed_fraction,
)

if TYPE_CHECKING:
    from scalptui.detector.params import LadderParams
    from scalptui.detector.state import SymbolState


def mmr_for(st: SymbolState, lp: LadderParams) -> float:
    """The market's maintenance margin rate, else the configured one for its base asset."""
    if st.info is not None and st.info.mmr is not None and 0.0 <= st.info.mmr < 1.0:
        return st.info.mmr
    return lp.mmr_table.get(st.symbol.split("/", 1)[0], lp.default_mmr)


def make_ladder(st: SymbolState, price: float, lp: LadderParams) -> Ladder:
    """A ladder on a grid fitted to ``price``, kept as the symbol's."""
    tick = st.info.tick_size if st.info is not None else None
    max_lev = st.info.max_leverage if st.info is not None else None
    ladder = Ladder(
        bin_width_for(price, lp.bin_pct, tick),
        fold_leverage_mix(lp.leverage_mix, max_lev),
        mmr_for(st, lp),
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


def attribute(
    st: SymbolState, delta: float, previous: float, price: float, lp: LadderParams
) -> None:
    """Open-interest change → ladder: add at the interval VWAP, or remove by taker share
    (see ``remove_closed_fraction``)."""
    ladder = st.ladder
    if ladder is None or delta == 0.0:
        return
    buy_share = st.interval.buy_share()
    ref = st.reference_price()
    if ref is not None:  # first, so new levels land on a grid that fits the price
        refit_grid(st, ladder, ref, lp)
    if delta > 0.0:
        ladder.add(price, delta * price, buy_share)
    else:
        remove_closed_fraction(ladder, -delta, previous, buy_share)
    if ref is not None:
        if ladder.crossed(ref):
            consume(st, ref)
        ladder.prune(ref, lp.prune_pct)


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
