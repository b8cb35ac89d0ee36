"""The TUI on the in-process simulated exchange, as ``scalptui --demo`` opens it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from scalptui.config import FeedSettings, Settings
from scalptui.runtime import RunOptions, feed_opener
from scalptui.ui.app import ScalpApp, make_app


def demo_app(tmp_path: Path, feed: FeedSettings, options: RunOptions) -> ScalpApp:
    settings = Settings(feed=feed, demo=True)
    return make_app(
        settings,
        feed_opener(settings, options),
        data_dir=tmp_path / "data",
        config_dir=tmp_path / "config",
        environ={},
    )


async def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll ``condition`` until it holds; a timeout fails the test."""

    async def poll() -> None:
        while not condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout)
