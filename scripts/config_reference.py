"""Print the README's configuration reference, generated from the settings dataclasses.

Each key's documentation is the docstring under its field in
``scalptui/config.py`` and ``scalptui/detector/params.py``, so the README
cannot drift from the code: ``tests/test_readme.py`` fails when the README's
table differs from this script's output. Run ``python scripts/config_reference.py``
and paste the result between the markers in README.md (``make readme`` does it).
"""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scalptui.config import FeedSettings, UiSettings  # noqa: E402
from scalptui.detector.params import (  # noqa: E402
    ALT_DEFAULTS,
    MAJOR_DEFAULTS,
    DetectorParams,
    LadderParams,
)

BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"


def field_docs(path: Path) -> dict[tuple[str, str], str]:
    """(class name, field name) → the docstring placed under the field."""
    docs: dict[tuple[str, str], str] = {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        body = node.body
        for i, stmt in enumerate(body[:-1]):
            nxt = body[i + 1]
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and isinstance(nxt, ast.Expr)
                and isinstance(nxt.value, ast.Constant)
                and isinstance(nxt.value.value, str)
            ):
                docs[(node.name, stmt.target.id)] = " ".join(nxt.value.value.split())
    return docs


def render_value(value: Any) -> str:
    if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
        inner = ", ".join(
            "{" + ", ".join(f"{k} = {v:g}" for k, v in dataclasses.asdict(x).items()) + "}"
            for x in value
        )
        return f"[{inner}]"
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {v:g}" for k, v in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "unset"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def rows(section: str, instance: Any, docs: dict[tuple[str, str], str]) -> list[str]:
    out = []
    for f in dataclasses.fields(instance):
        value = getattr(instance, f.name)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            continue  # nested sections get their own table rows
        if f.name == "config_path":
            continue
        doc = docs.get((type(instance).__name__, f.name), "")
        default = render_value(value).replace("|", "\\|")
        doc = doc.replace("|", "\\|").replace("``", "`")
        out.append(f"| `{section}.{f.name}` | `{default}` | {doc} |")
    return out


def reference() -> str:
    docs = field_docs(ROOT / "scalptui" / "config.py")
    docs.update(field_docs(ROOT / "scalptui" / "detector" / "params.py"))
    lines = ["| key | default | meaning |", "|---|---|---|"]
    lines += rows("feed", FeedSettings(), docs)
    lines += rows("ui", UiSettings(), docs)
    lines += rows("detector", DetectorParams(), docs)
    lines += rows("detector.ladder", LadderParams(), docs)
    lines += rows("detector.majors", MAJOR_DEFAULTS, docs)
    alt_rows = rows("detector.alts", ALT_DEFAULTS, docs)
    major_rows = rows("detector.majors", MAJOR_DEFAULTS, docs)
    # Alts share the majors' meanings; list only the keys whose default differs.
    lines += [
        a for a, m in zip(alt_rows, major_rows, strict=True) if a.split("|")[2] != m.split("|")[2]
    ]
    return "\n".join(lines)


def main() -> int:
    if "--write" in sys.argv:
        readme = ROOT / "README.md"
        text = readme.read_text(encoding="utf-8")
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        readme.write_text(f"{head}{BEGIN}\n{reference()}\n{END}{tail}", encoding="utf-8")
    else:
        print(reference())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
