"""Test-wide isolation: the developer's own config and data never decide an outcome."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Wall-clock limits make property tests flaky on a loaded 2-core machine (CI shares it with
# the simulated exchange's tests): examples are judged on what they find, never on speed.
settings.register_profile("scalptui", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("scalptui")


@pytest.fixture(autouse=True)
def _isolated_user_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.delenv("SCALPTUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("HOME", str(home))
    assert Path(home).is_dir()
