"""UI test fixtures: every app gets tmp data/config dirs, a frozen clock and a seeded market.

The repository-wide conftest already points the user's config and data dirs
at a tmp home; ``_harness.build`` also passes explicit tmp dirs to the app.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ._harness import Harness, build


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    return build(tmp_path)
