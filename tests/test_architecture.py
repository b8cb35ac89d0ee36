"""The layers stay apart: the core imports no UI and no exchange library."""

from __future__ import annotations

import subprocess
import sys

import pytest

FORBIDDEN = {
    "scalptui.detector": ("textual", "ccxt"),
    "scalptui.models": ("textual", "ccxt", "numpy"),
    "scalptui.feed": ("textual",),
}


def _imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {line.split(".")[0] for line in out.splitlines()}


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_layer_does_not_import_forbidden_packages(module: str) -> None:
    loaded = _imported_after(module)
    for forbidden in FORBIDDEN[module]:
        assert forbidden not in loaded, f"{module} pulls in {forbidden}"


def test_headless_and_the_formatter_import_no_ui_module() -> None:
    """The text mode writes its numbers with ``scalptui.numfmt``, never through ``scalptui.ui``."""
    code = "import sys, scalptui.headless; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.split()
    assert "scalptui.numfmt" in out
    assert [m for m in out if m == "scalptui.ui" or m.startswith("scalptui.ui.")] == []
