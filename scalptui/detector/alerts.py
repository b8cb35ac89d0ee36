"""Alert assembly: the facts of each alert kind, beside their wording in ``text.py``.

Each function takes what the detector measured and returns the ``Alert``:
its structured ``facts`` (rounded as the JSON log and the UI show them) and
its message from ``text.py``. Apart from the detector so that what an alert
says, in words and in facts, is read and changed in one place.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from scalptui.detector import evidence, text
from scalptui.detector.signals import EVIDENCE_NOTIONAL
from scalptui.models import Alert, AlertKind, OpenInterest, Side, Source
from scalptui.numfmt import funding_8h, funding_apr, share

if TYPE_CHECKING:
    from scalptui.detector.signals import ChainEvidence, Episode
    from scalptui.detector.state import SymbolState

Facts = dict[str, float | int | str | bool]


def make_alert(
    st: SymbolState,
    source: Source,
    kind: AlertKind,
    side: Side | None,
    message: str,
    facts: Facts,
) -> Alert:
    return Alert(
        ts=st.clock,
        exchange=st.exchange,
        symbol=st.symbol,
        kind=kind,
        side=side,
        message=message,
        facts=facts,
        source=source,
    )


OI_SPAN_MS = 300_000
"""The span of the alert's "OI … in 5 min". An open interest last read longer ago than
that (polls failing, the stream down) says nothing of those 5 minutes and is left out:
two alerts ten minutes apart both said "+0.26 %" of one sample 11 minutes old."""


def _oi_fresh(st: SymbolState) -> bool:
    return st.oi.amount is not None and st.clock - st.oi.ts <= OI_SPAN_MS


def evidence_words(ev: ChainEvidence, path: str, sigmas: float, ratio: float | None) -> list[str]:
    """The evidence that carried the decision, in the alert's words (path first);
    ``sigmas`` and ``ratio``: the move the alert states, in σ and in usual ranges."""
    words = []
    if path == EVIDENCE_NOTIONAL:
        largest_out = text.printed(ev.notional_ex_largest_usd, ev.lower_bound)
        words.append(f"{largest_out} without the largest print")
    else:
        words.append(f"a print in {ev.busy_s} of {ev.run_span_s} s")
    words.append(f"move {sigmas:.1f}σ")
    if ratio is not None:
        words.append(f"{ratio:.1f}× the usual 5 min range")
    words.append(f"taker flow {share(ev.flow_share)} with the move")
    return words


def cascade_alert(
    st: SymbolState, source: Source, kind: AlertKind, ev: ChainEvidence, path: str, leg: int = 1
) -> Alert:
    """A liquidation cascade or short squeeze, with the evidence that decided it. A later
    leg gives its own move, in % and in σ and usual ranges, and its clusters, since its
    chain began: the window's reached back into the leg before ("−9.14 %" where this
    leg had moved −4.97 %; "price −0.77 %, move 5.1σ" where −0.77 % was 2.0σ)."""
    oi_pct = st.oi.change(OI_SPAN_MS) if _oi_fresh(st) else None
    move, clusters = ev.move_pct, ev.clusters
    sigmas, ratio = ev.move_sigmas, ev.range_ratio
    if leg > 1:
        move = ev.chain_move_pct
        sigmas, ratio = ev.chain_move_sigmas(st.th.window_s), ev.chain_range_ratio
        first = st.windows[ev.side].chain_first_ts()
        if first is not None:
            clusters = evidence.clusters_since(st, ev.side, first)
    words = evidence_words(ev, path, sigmas, ratio)
    facts: Facts = {
        "leg": leg,
        "notional_usd": round(ev.notional_usd, 2),
        "notional_ex_largest_usd": round(ev.notional_ex_largest_usd, 2),
        "lower_bound": ev.lower_bound,
        "prints": ev.prints,
        "span_s": round(ev.span_s, 1),
        "window_s": st.th.window_s,
        "dominance": round(ev.dominance, 4),
        "price_move_pct": round(move, 4),
        "move_sigmas": round(sigmas, 2),
        "sigma_1s_pct": round(ev.sigma_1s * 100.0, 5),
        "run_s": ev.run_s,
        "saturation_busy_s": ev.busy_s,
        "saturation_span_s": ev.run_span_s,
        "taker_share": round(ev.flow_share, 4),
        "taker_burst": round(ev.flow_ratio, 2) if ev.flow_ratio < math.inf else -1.0,
        "clusters_hit": clusters,
        "threshold_usd": round(ev.threshold_usd, 2),
        "evidence": path,
        "evidence_detail": ", ".join(words),
    }
    if ev.ordinary_range_pct is not None:
        facts["ordinary_range_5m_pct"] = round(ev.ordinary_range_pct, 4)
        if ratio is not None:
            facts["range_ratio"] = round(ratio, 2)
    if ev.baseline_usd is not None:
        facts["baseline_usd"] = round(ev.baseline_usd, 2)
    if oi_pct is not None:
        facts["oi_change_5m_pct"] = round(oi_pct, 3)
    message = text.cascade_text(
        st.symbol,
        kind.value,
        st.exchange,
        ev.side,
        ev.notional_usd,
        ev.prints,
        ev.span_s,
        ev.lower_bound,
        move,
        clusters,
        oi_pct,
        leg=leg,
        evidence=words,
    )
    return make_alert(st, source, kind, ev.side, message, facts)


def exhausted_alert(st: SymbolState, source: Source, ep: Episode) -> Alert:
    """An episode whose print rate fell below its share of the peak for the hold time:
    what stopped, and how far price came back off the episode's extreme."""
    # Rounded as the facts are, before the message reads them: the log line (from the
    # facts) said "28 s" where the message said "29 s" of one silence of 28.51 s.
    duration = round((st.clock - ep.started_ts) / 1000.0, 1)
    hold = st.th.exhaustion_hold_s
    silent_s = round(max(0.0, (st.clock - ep.silent_since()) / 1000.0), 1)
    after_gap = ep.gap_ts is not None and ep.gap_ts > ep.last_print_ts
    message = text.exhausted_text(
        st.symbol,
        st.exchange,
        ep.side,
        ep.notional,
        ep.prints,
        duration,
        ep.lower_bound,
        ep.move_pct(),
        ep.peak_rate,
        ep.current_rate,
        hold,
        silent_s,
        ep.off_extreme_pct(),
        ep.extreme_move_pct(),
        ratio=st.th.exhaustion_ratio,
        leg=ep.leg,
        after_gap=after_gap,
    )
    return make_alert(
        st,
        source,
        AlertKind.CASCADE_EXHAUSTED,
        ep.side,
        message,
        {
            "episode_kind": ep.kind.value,
            "leg": ep.leg,
            "notional_usd": round(ep.notional, 2),
            "lower_bound": ep.lower_bound,
            "prints": ep.prints,
            "duration_s": round(duration, 1),
            "price_move_pct": round(ep.move_pct(), 4),
            "extreme_move_pct": round(ep.extreme_move_pct(), 4),
            "off_extreme_pct": round(ep.off_extreme_pct(), 4),
            "silent_s": round(silent_s, 1),
            "feed_gap": after_gap,
            "peak_rate_usd_s": round(ep.peak_rate, 2),
            "current_rate_usd_s": round(ep.current_rate, 2),
            "hold_s": hold,
            "exhaustion_ratio": st.th.exhaustion_ratio,
            "clusters_hit": ep.clusters,
        },
    )


def oi_flush_alert(
    st: SymbolState, source: Source, oi: OpenInterest, drop_pct: float, high_ts: int
) -> Alert:
    """Open interest fell ``drop_pct`` from its high at ``high_ts``; the side that was
    liquidated more since then, if any."""
    span_s = max(0.0, (oi.ts - high_ts) / 1000.0)
    before = oi.amount / (1.0 - drop_pct / 100.0) if drop_pct < 100.0 else oi.amount
    ring = st.seconds
    long_usd = ring.window_sum("liq_long_usd", high_ts) + st.bucket.liq_long
    short_usd = ring.window_sum("liq_short_usd", high_ts) + st.bucket.liq_short
    side: Side | None = None
    if long_usd + short_usd > 0.0:
        side = Side.LONG if long_usd >= short_usd else Side.SHORT
    # Prints missed while the feed was down are in no sum: across an outage even a
    # complete venue's is a lower bound (it read "every print so far" with $3.7M of a
    # $21M cascade printed during the break).
    gap = prints_broken_since(st, high_ts)
    lower_bound = st.sampled or gap
    message = text.oi_flush_text(
        st.symbol,
        st.exchange,
        drop_pct,
        span_s,
        before,
        oi.amount,
        long_usd,
        short_usd,
        lower_bound,
        feed_gap=gap,
    )
    return make_alert(
        st,
        source,
        AlertKind.OI_FLUSH,
        side,
        message,
        {
            "oi_drop_pct": round(drop_pct, 3),
            "span_s": span_s,
            "oi_before": before,
            "oi_after": oi.amount,
            "liquidated_long_usd": round(long_usd, 2),
            "liquidated_short_usd": round(short_usd, 2),
            "lower_bound": lower_bound,
            "feed_gap": gap,
        },
    )


def prints_broken_since(st: SymbolState, since_ts: int) -> bool:
    """The prints' delivery broke after ``since_ts``: a stream other than the trades is
    down now, or came back after it."""
    return st.prints_seen_since > since_ts or any(s != "trades" for s in st.down)


def funding_alert(st: SymbolState, source: Source, rate: float, interval: float) -> Alert:
    """The funding rate has stayed extreme for the watch's streak of readings."""
    per_8h = funding_8h(rate, interval)
    annual = funding_apr(rate, interval)
    readings = st.funding.watch.streak
    side = Side.LONG if rate > 0 else Side.SHORT
    return make_alert(
        st,
        source,
        AlertKind.FUNDING_EXTREME,
        side,
        text.funding_text(
            st.symbol, rate, interval, per_8h, annual, readings, st.th.funding_reading_s
        ),
        {
            "funding_rate": rate,
            "funding_interval_h": interval,
            # without float noise ("apr": -0.8760000000000001): the text's figures, exactly
            "funding_8h": round(per_8h, 10),
            "apr": round(annual, 8),
            "readings": readings,
            "reading_s": st.th.funding_reading_s,
            "crowded_side": side.value,
        },
    )
