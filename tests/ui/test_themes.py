"""Themes are data: validated, reported by file and key, never a crash."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from textual.color import Color

from scalptui.models import Source
from scalptui.runtime import theme_names
from scalptui.ui import state as persist
from scalptui.ui.themes import (
    BUILTIN_ORDER,
    THEME_VARIABLES,
    ThemeFileError,
    builtin_theme_dir,
    load_themes,
    parse_theme_file,
)

from ._harness import FIXTURES, build, drained

REPO = Path(__file__).resolve().parents[2]


def test_builtin_themes_are_complete_and_valid() -> None:
    themes = load_themes(None)
    assert themes.errors == ()
    assert themes.names[:3] == BUILTIN_ORDER
    for theme in themes.themes:
        assert set(theme.variables) == THEME_VARIABLES, theme.name
    assert [t.dark for t in themes.themes] == [True, False, True]


def _hue(colour: str) -> float:
    h, _, _ = Color.parse(colour).hsl
    return h * 360.0


def test_colour_blind_theme_does_not_use_red_and_green_for_long_and_short() -> None:
    cb = {t.name: t for t in load_themes(None).themes}["scalptui-cb"]
    for key in ("long-liq", "short-liq", "up", "down"):
        hue = _hue(cb.variables[key])
        assert not (hue < 20 or hue > 340), f"{key} is red"
        assert not (90 < hue < 150), f"{key} is green"
    long_l = Color.parse(cb.variables["long-liq"]).brightness
    short_l = Color.parse(cb.variables["short-liq"]).brightness
    assert (
        abs(long_l - short_l) > 0.05
        or abs(_hue(cb.variables["long-liq"]) - _hue(cb.variables["short-liq"])) > 90
    )


def test_no_hex_colours_in_tcss_or_default_css() -> None:
    import re

    ui = REPO / "scalptui" / "ui"
    hex_colour = re.compile(r"#[0-9a-fA-F]{3,8}\b")
    for path in [*ui.rglob("*.tcss"), *ui.rglob("*.py")]:
        text = path.read_text()
        if path.suffix == ".py":
            blocks = re.findall(r'DEFAULT_CSS[^=]*=\s*"""(.*?)"""', text, re.S)
            text = "\n".join(blocks)
        assert not hex_colour.search(text), path


def test_builtin_themes_are_found_in_the_repository_for_an_editable_install() -> None:
    assert {p.stem for p in builtin_theme_dir().glob("*.toml")} >= set(BUILTIN_ORDER)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad-colour.toml", "variables.long-liq: 'not-a-colour' is not a colour"),
        ("unknown-key.toml", "variables.longliq: unknown key"),
        ("not-toml.toml", "not valid TOML"),
    ],
)
def test_a_bad_theme_file_names_the_file_and_key(name: str, expected: str) -> None:
    path = FIXTURES / "themes" / name
    with pytest.raises(ThemeFileError) as info:
        parse_theme_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_a_theme_file_nested_too_deeply_is_reported_not_raised(tmp_path: Path) -> None:
    """One such file broke every mode (a RecursionError from the TOML parser, headless
    runs included, which list the theme names for --theme)."""
    (tmp_path / "themes").mkdir()
    deep = tmp_path / "themes" / "deep.toml"
    deep.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (tmp_path / "themes" / "number.toml").write_text("name = 5\n")
    with pytest.raises(ThemeFileError, match="nested too deeply"):
        parse_theme_file(deep)
    assert any("deep.toml" in e for e in load_themes(tmp_path).errors)
    names = theme_names(tmp_path)
    assert "scalptui-dark" in names and "5" not in names  # a name the TUI would refuse


def test_user_themes_load_from_the_config_dir_and_bad_ones_are_reported(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "themes", tmp_path / "themes")
    themes = load_themes(tmp_path)
    assert "ocean" in themes.names
    assert len(themes.errors) == 3
    assert any("bad-colour.toml" in e and "long-liq" in e for e in themes.errors)


def test_a_user_theme_named_as_a_built_in_is_skipped_not_put_in_its_place(
    tmp_path: Path,
) -> None:
    """It replaced the built-in without a word: the dark theme drew on white."""
    (tmp_path / "themes").mkdir()
    for stem in ("shadow", "twin"):
        (tmp_path / "themes" / f"{stem}.toml").write_text(
            'name = "scalptui-dark"\ndark = false\n[colors]\nprimary = "red"\n'
        )
    (tmp_path / "themes" / "mine.toml").write_text('[colors]\nprimary = "red"\n')
    (tmp_path / "themes" / "mine2.toml").write_text('name = "mine"\n[colors]\nprimary = "blue"\n')
    themes = load_themes(tmp_path)
    dark = next(t for t in themes.themes if t.name == "scalptui-dark")
    assert dark.dark and themes.names.count("scalptui-dark") == 1
    assert [t.primary for t in themes.themes if t.name == "mine"] == ["red"]
    assert len(themes.errors) == 3
    assert any("shadow.toml" in e and "a built-in theme's" in e for e in themes.errors)
    assert any("mine2.toml" in e and "mine.toml" in e for e in themes.errors)
    assert theme_names(tmp_path).count("mine") == 1


async def test_the_app_starts_with_the_default_theme_when_the_chosen_one_is_bad(
    tmp_path: Path,
) -> None:
    config = tmp_path / "cfg"
    shutil.copytree(FIXTURES / "themes", config / "themes")
    h = build(tmp_path, theme="bad-colour", config_dir=config)
    async with h.app.run_test(size=(100, 30), message_hook=h.hear) as pilot:
        await drained(h)
        await pilot.pause()
        assert h.app.theme == "scalptui-dark"
        messages = h.notices
        assert any("bad-colour.toml" in m and "long-liq" in m for m in messages)
        assert any("unknown theme 'bad-colour'" in m for m in messages)


async def test_a_chosen_theme_whose_file_broke_is_still_the_one_saved(tmp_path: Path) -> None:
    """A run on the fallback theme saved the fallback at quit: the theme chosen was gone
    once its file was mended."""
    config = tmp_path / "cfg"
    shutil.copytree(FIXTURES / "themes", config / "themes")
    persist.save_state(
        tmp_path / "data",
        persist.UiState(theme="bad-colour", theme_over="scalptui-dark"),
        Source.SIMULATED,
    )
    h = build(tmp_path, config_dir=config)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()
        assert h.app.theme == "scalptui-dark"
        await pilot.press("q")
        await pilot.pause()
    assert persist.load_state(tmp_path / "data", Source.SIMULATED).theme == "bad-colour"


async def test_a_user_theme_can_be_chosen_and_inherits_missing_variables(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    (config / "themes").mkdir(parents=True)
    shutil.copy(FIXTURES / "themes" / "ocean.toml", config / "themes")
    h = build(tmp_path, theme="ocean", config_dir=config)
    async with h.app.run_test(size=(100, 30)) as pilot:
        await drained(h)
        await pilot.pause()
        assert h.app.theme == "ocean"
        variables = h.app.theme_variables
        assert variables["long-liq"].lower() == "#dc322f"
        assert variables["realized-liq"]  # from the default theme
