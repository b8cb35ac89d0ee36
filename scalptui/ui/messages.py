"""Typed messages from the feed worker to the app (workers never touch widgets)."""

from __future__ import annotations

from textual.message import Message

from scalptui.models import Alert


class AlertRaised(Message):
    """One alert from the shared detector. Never coalesced, never dropped."""

    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert

    def can_replace(self, message: Message) -> bool:
        return False


class FeedOpened(Message):
    """The feed is up: its exchange and symbols. The app has already read the feed's
    ``source`` (the SIMULATED / REPLAY badges) before posting this."""

    def __init__(self, exchange: str, symbols: tuple[str, ...]) -> None:
        super().__init__()
        self.exchange = exchange
        self.symbols = symbols


class MarketsListed(Message):
    """Every symbol the venue offers, for the symbol search."""

    def __init__(self, symbols: tuple[str, ...]) -> None:
        super().__init__()
        self.symbols = symbols


class FeedFailed(Message):
    """The feed cannot go on (a FeedError): shown as an error, never a traceback."""

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class FeedEnded(Message):
    """The event stream finished (a replay ran out, or the feed was closed)."""
