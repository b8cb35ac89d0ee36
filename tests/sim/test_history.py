"""The simulated exchange's bar book stays in time order whoever touches it first."""

from __future__ import annotations

from scalptui.feed.sim.history import BarBook

MINUTE = 60_000


def test_a_request_running_ahead_of_the_model_keeps_the_book_sorted() -> None:
    book = BarBook(tick=0.1)
    book.add_trade(10, 100.0, 1.0, True)  # minute 0, from the model
    book.touch(MINUTE + 20, 101.0)  # a klines request already in minute 1
    book.add_trade(MINUTE - 50, 99.0, 1.0, False)  # the model's late step in minute 0
    book.add_trade(MINUTE + 30, 102.0, 1.0, True)
    opens = [bar.open_ms for bar in book.bars]
    assert opens == sorted(opens) == [0, MINUTE]
    candles = book.candles(MINUTE, start_ms=0, end_ms=None, limit=10)
    assert [c.open_ms for c in candles] == [0, MINUTE]
