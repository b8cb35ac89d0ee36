"""The layers stay apart: the core imports no UI and no exchange library.

Each check imports, in a fresh interpreter, every module of the package it
covers (found with ``pkgutil.walk_packages``, so a new module is covered the day
it is added) and then looks at ``sys.modules``. ``lint-imports`` checks the
same layers statically (``[tool.importlinter]`` in pyproject.toml); this test
also catches what a static graph cannot see, such as a dependency that pulls in
a forbidden package on its own.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

FORBIDDEN = {
    "scalptui.detector": ("textual", "ccxt"),
    "scalptui.models": ("textual", "ccxt", "numpy"),
    "scalptui.feed": ("textual",),
}
"""Every module of each package (or the module itself) and what it must not load."""

WITHOUT_CCXT = (
    "scalptui.feed.recording",
    "scalptui.feed.scripted",
    "scalptui.runtime",
    "scalptui.headless",
    "scalptui.cli",
)
"""Replay and the headless modes start without ccxt (nor textual): ccxt is imported only
when a live or simulated feed is opened (docs/design.md § Architecture; ``scalptui.runtime``)."""


def modules_of(package: str) -> list[str]:
    """The package and every module under it, or just the module."""
    root = importlib.import_module(package)
    path = getattr(root, "__path__", None)
    if path is None:
        return [package]
    found = [info.name for info in pkgutil.walk_packages(path, prefix=f"{package}.")]
    return [package, *sorted(found)]


def _top_level_after_importing(modules: list[str]) -> set[str]:
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {line.split(".")[0] for line in out.splitlines()}


def test_module_discovery_covers_the_feed_modules() -> None:
    feed = modules_of("scalptui.feed")
    assert {"scalptui.feed.ccxt_feed", "scalptui.feed.venues", "scalptui.feed.sim.server"} <= set(
        feed
    )
    assert "scalptui.detector.detector" in modules_of("scalptui.detector")


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_does_not_import_forbidden_packages(package: str) -> None:
    loaded = _top_level_after_importing(modules_of(package))
    for forbidden in FORBIDDEN[package]:
        assert forbidden not in loaded, f"a module of {package} pulls in {forbidden}"


def test_replay_and_headless_start_without_ccxt() -> None:
    loaded = _top_level_after_importing(list(WITHOUT_CCXT))
    assert "ccxt" not in loaded
    assert "textual" not in loaded


def test_headless_and_the_formatter_import_no_ui_module() -> None:
    """The text mode writes its numbers with ``scalptui.numfmt``, never through ``scalptui.ui``."""
    code = "import sys, scalptui.headless; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    assert "scalptui.numfmt" in out
    assert [m for m in out if m == "scalptui.ui" or m.startswith("scalptui.ui.")] == []
