"""Colour themes as TOML data files, validated before use.

Built-in themes ship inside the package (``scalptui/themes``, force-included in
the wheel); an editable install reads the repository's ``themes/`` instead.
User themes are ``*.toml`` files in ``<config dir>/themes``. A file with a bad
colour or an unknown key is skipped and reported by file and key; the app then
starts with the default theme. A theme file looks like::

    name = "scalptui-dark"
    dark = true
    [colors]          # Textual's base colours
    primary = "#4c9be8"
    [variables]       # scalptui's own, used as $long-liq etc. in DEFAULT_CSS
    long-liq = "#e05a4f"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

DEFAULT_THEME = "scalptui-dark"
BUILTIN_ORDER: tuple[str, ...] = ("scalptui-dark", "scalptui-light", "scalptui-cb")

BASE_COLOURS: tuple[str, ...] = (
    "primary",
    "secondary",
    "warning",
    "error",
    "success",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)

# Last resort when even the default theme file is unreadable: named colours,
# so that no hex literal lives outside themes/.
FALLBACK_VARIABLES: dict[str, str] = {
    "long-liq": "crimson",
    "short-liq": "dodgerblue",
    "realized-liq": "gold",
    "hit-flash": "white",
    "price-row": "gold",
    "up": "seagreen",
    "down": "crimson",
    "alert-cascade": "crimson",
    "alert-squeeze": "dodgerblue",
    "alert-exhausted": "gold",
    "alert-funding": "orchid",
    "alert-oi": "darkcyan",
    "badge-simulated": "darkorange",
    "badge-replay": "mediumpurple",
    "feed-live": "seagreen",
    "feed-stale": "darkorange",
    "feed-down": "crimson",
    "divider": "gray",
}
THEME_VARIABLES: frozenset[str] = frozenset(FALLBACK_VARIABLES)


@dataclass(frozen=True, slots=True)
class ThemeSet:
    """Every theme that loaded, in cycling order, and one line per problem."""

    themes: tuple[Theme, ...]
    errors: tuple[str, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.themes)

    def variable_defaults(self) -> dict[str, str]:
        """The default theme's variables: fallbacks for themes that omit some."""
        for theme in self.themes:
            if theme.name == DEFAULT_THEME:
                return {**FALLBACK_VARIABLES, **theme.variables}
        return dict(FALLBACK_VARIABLES)


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and key."""


def builtin_theme_dir() -> Path:
    """Themes inside the installed package, or the repository's ``themes/``."""
    packaged = files("scalptui") / "themes"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "themes"


def load_themes(config_dir: Path | None) -> ThemeSet:
    """Built-in themes first (in BUILTIN_ORDER), then the user's, by file name."""
    paths = sorted(builtin_theme_dir().glob("*.toml"), key=_builtin_rank)
    if config_dir is not None:
        paths += sorted((config_dir / "themes").glob("*.toml"))
    themes: dict[str, Theme] = {}
    given_by: dict[str, Path] = {}
    errors: list[str] = []
    for path in paths:
        try:
            theme = parse_theme_file(path)
        except ThemeFileError as exc:
            errors.append(str(exc))
            continue
        if theme.name in given_by:
            # One name, one theme: a file named as a built-in replaced it without a word
            # (the dark theme drew light), and --theme FILE-STEM read as unknown.
            errors.append(_name_taken(path, theme.name, given_by[theme.name]))
            continue
        themes[theme.name] = theme
        given_by[theme.name] = path
    return ThemeSet(tuple(themes.values()), tuple(errors))


def _name_taken(path: Path, name: str, first: Path) -> str:
    taken = "a built-in theme's" if first.parent == builtin_theme_dir() else f"that of {first}"
    return (
        f"{path}: name {name!r} is {taken}: skipped "
        "(give it a name of its own, and choose it with --theme or ui.theme)"
    )


def _builtin_rank(path: Path) -> tuple[int, str]:
    stem = path.stem
    rank = BUILTIN_ORDER.index(stem) if stem in BUILTIN_ORDER else len(BUILTIN_ORDER)
    return (rank, stem)


def parse_theme_file(path: Path) -> Theme:
    """Read and validate one theme file (raises ThemeFileError, never anything else)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ThemeFileError(f"{path}: not valid TOML: nested too deeply") from None
    return theme_from_mapping(data, str(path))


def theme_from_mapping(data: dict[str, Any], origin: str) -> Theme:
    unknown = set(data) - {"name", "dark", "colors", "variables"}
    if unknown:
        raise ThemeFileError(f"{origin}: unknown key {sorted(unknown)[0]!r}")
    name = data.get("name", Path(origin).stem)
    if not isinstance(name, str) or not name:
        raise ThemeFileError(f"{origin}: name: expected a non-empty string")
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{origin}: dark: expected true or false")
    colours = _colour_table(data, "colors", origin, allowed=frozenset(BASE_COLOURS))
    if "primary" not in colours:
        raise ThemeFileError(f"{origin}: colors.primary: missing (every theme needs one)")
    variables = _colour_table(data, "variables", origin, allowed=THEME_VARIABLES)
    theme = Theme(name=name, primary=colours["primary"], dark=dark, variables=variables)
    for key, value in colours.items():
        setattr(theme, key, value)
    return theme


def _colour_table(
    data: dict[str, Any], table: str, origin: str, *, allowed: frozenset[str]
) -> dict[str, str]:
    raw = data.get(table, {})
    if not isinstance(raw, dict):
        raise ThemeFileError(f"{origin}: {table}: expected a table")
    out: dict[str, str] = {}
    for key, value in raw.items():
        where = f"{origin}: {table}.{key}"
        if key not in allowed:
            raise ThemeFileError(
                f"{where}: unknown key (expected one of {', '.join(sorted(allowed))})"
            )
        if not isinstance(value, str):
            raise ThemeFileError(f"{where}: expected a colour string, got {value!r}")
        try:
            Color.parse(value)
        except ColorParseError:
            raise ThemeFileError(f"{where}: {value!r} is not a colour") from None
        out[key] = value
    return out
