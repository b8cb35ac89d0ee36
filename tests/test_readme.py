"""The README keeps its promises: the two first commands, a current config table, the keys."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from textual.binding import Binding
from textual.keys import format_key

from scalptui.ui.app import ScalpApp
from scalptui.ui.widgets.alert_log import AlertLog

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_first_lines_install_and_run_demo_and_tests() -> None:
    block = README.split("```sh", 1)[1].split("```", 1)[0]
    demo, tests = [line.split("#")[0].strip() for line in block.strip().splitlines()[:2]]
    assert demo.startswith("pip install") and demo.endswith("scalptui --demo")
    assert tests.startswith("pip install") and "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests.split("&&", 1)[1].strip() in ci, ".ci/run must run the README's test command"


def test_config_reference_is_current() -> None:
    generated = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "config_reference.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    section = README.split("<!-- config-reference:begin -->", 1)[1]
    section = section.split("<!-- config-reference:end -->", 1)[0].strip()
    assert section == generated, "run `make readme` to regenerate the config table"


def _readme_keys() -> list[str]:
    """Every key the README's key table names (first column; `1`–`9` is a range)."""
    table = README.split("| Key | Action |", 1)[1].split("\n\n", 1)[0]
    keys: list[str] = []
    for row in table.strip().splitlines()[1:]:  # under the |---| line
        column = row.split("|")[1]
        for first, last in re.findall(r"`(\d)`–`(\d)`", column):
            keys += [str(n) for n in range(int(first), int(last) + 1)]
        keys += re.findall(r"`([^`]+)`", re.sub(r"`\d`–`\d`", "", column))
    return keys


def test_key_table_lists_exactly_the_bound_keys() -> None:
    bindings = [*ScalpApp.BINDINGS, *AlertLog.BINDINGS]
    bound = [
        format_key(key)
        for binding in bindings
        if isinstance(binding, Binding)
        for key in binding.key.split(",")
    ]
    # "/,ctrl+p", "+,=", "up,k", "down,j" and "end,G" bind two keys each, "home,escape,g" three
    assert len(bound) == len(bindings) + 7
    named = {"Enter": "enter", "Home": "home", "Esc": "escape", "End": "end"}
    named |= {"PgUp": "pageup", "PgDn": "pagedown"}
    readme = [format_key(named[key]) if key in named else key for key in _readme_keys()]
    assert sorted(readme) == sorted(bound), "the README's key table and the app's BINDINGS differ"
