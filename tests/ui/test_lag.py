"""The screen says when it reads the market seconds late (a starved core, a backlog)."""

from __future__ import annotations

from scalptui.models import StreamState
from scalptui.ui.lag import FLOOR_BUCKET_MS, FRESH_MS, LagGauge
from scalptui.ui.widgets.header import HeaderBar, HeaderInfo

T0 = 1_767_225_600_000


def test_the_delay_above_the_usual_one_is_how_far_behind() -> None:
    """The usual delay is latency plus skew (here 2.5 s of clock skew); only what the
    monitor adds on top of it counts."""
    gauge = LagGauge()
    for i in range(120):  # two minutes read on time
        gauge.observe("binanceusdm", T0 + i * 1000, T0 + i * 1000 + 2_500 + (i % 3) * 40)
    assert gauge.behind_ms(T0 + 120_000) < 100
    for i in range(120, 130):  # then each event read further behind: a backlog grows
        gauge.observe("binanceusdm", T0 + i * 1000, T0 + 120_000 + 2_500 + (i - 119) * 1_600)
    assert gauge.behind_ms(T0 + 136_000) == 10 * 1_600 - 9 * 1_000


def test_a_backlog_of_minutes_is_still_one() -> None:
    gauge = LagGauge()
    gauge.observe("bybit", T0, T0 + 200)
    for minute in range(1, 8):  # seven minutes 6 s behind throughout
        wall = T0 + minute * FLOOR_BUCKET_MS
        gauge.observe("bybit", wall - 6_200, wall)
    assert gauge.behind_ms(T0 + 7 * FLOOR_BUCKET_MS) == 6_000


def test_a_venue_that_went_quiet_says_nothing_of_the_lag_now() -> None:
    gauge = LagGauge()
    gauge.observe("okx", T0, T0 + 100)
    gauge.observe("okx", T0 + 1_000, T0 + 9_100)  # read 8 s late, then nothing more
    assert gauge.behind_ms(T0 + 9_100) == 8_000
    assert gauge.behind_ms(T0 + 9_100 + FRESH_MS + 1) == 0


def test_the_header_says_behind_at_the_narrowest() -> None:
    info = HeaderInfo(
        exchange="binanceusdm",
        symbol="BTC/USDT:USDT",
        state=StreamState.LIVE,
        age_s=0.4,
        clock_s=T0 / 1000,
        behind_s=6.4,
    )
    for width in (70, 120):
        line = HeaderBar()._compose_line(info, width)
        assert " 6 s BEHIND " in line.plain and line.cell_len <= width
