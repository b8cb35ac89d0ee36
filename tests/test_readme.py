"""The README keeps its promises: the two first commands, and a current config table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
