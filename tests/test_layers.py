"""Imports flow one way, floor by floor (DESIGN.md's "house"; COMMON.md's chain).

Ground: config, errors, schemas, vocabulary, and ``features`` (pure Polars stage functions: every
floor may use them, they use only the ground). Then sources -> store -> models -> forecasts ->
exports -> jobs -> CLI / app / pipelines. ``models`` stay pure (no store); the app never imports
features, models or forecasts (it reads through ``dash_app/queries``). Every ``import`` in the
package, ``dash_app`` and ``pipelines`` (function-level ones included) is checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GROUND = {"config", "errors", "schemas", "vocabulary", "roadsafety"}
BELOW_EXPORTS = {"sources", "store", "features", "models", "forecasts"}
ALLOWED = {
    "ground": set(),
    "features": set(),  # pure Polars: the ground floor only
    "sources": {"features"},
    "store": {"sources", "features"},
    "models": {"features"},  # pure too: no store
    "forecasts": {"sources", "store", "features", "models"},
    "exports": BELOW_EXPORTS,
    "jobs": BELOW_EXPORTS | {"exports"},
    "commands": BELOW_EXPORTS | {"exports", "jobs", "dash_app"},
    "cli": {"commands"},
    "dash_app": {"store", "exports"},  # never features, models or forecasts
    "pipelines": {"jobs"},
}


def part_of(module: str) -> str | None:
    """The floor a dotted module name belongs to (None for third-party modules)."""
    head, _, rest = module.partition(".")
    if head in ("dash_app", "pipelines"):
        return head
    if head != "roadsafety":
        return None
    name = rest.split(".")[0] or "roadsafety"
    return "ground" if name in GROUND else name


def imports(path: Path) -> list[str]:
    """Absolute module names imported anywhere in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return found


def source_files(repo: Path = REPO) -> list[tuple[str, Path]]:
    """``(dotted module, path)`` of every Python file of the package, the app and the pipelines."""
    package = repo / "src"
    files = [(p.relative_to(package), p) for p in (package / "roadsafety").rglob("*.py")]
    for top in ("dash_app", "pipelines"):
        files += [(p.relative_to(repo), p) for p in (repo / top).rglob("*.py")]
    return [(".".join(rel.with_suffix("").parts), path) for rel, path in files]


def violations(files: list[tuple[str, Path]]) -> list[str]:
    """``module (floor) imports name`` for every import a floor may not make."""
    found = []
    for module, path in files:
        own = part_of(module)
        for name in imports(path):
            dep = part_of(name)
            if dep not in (None, "ground", own) and dep not in ALLOWED[own]:
                found.append(f"{module} ({own}) imports {name}")
    return found


def test_imports_respect_the_floors() -> None:
    files = source_files()
    assert len(files) > 100
    assert not violations(files)


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    features = tmp_path / "src" / "roadsafety" / "features"
    features.mkdir(parents=True)
    (features / "bad.py").write_text("def f():\n    from roadsafety.store import units\n")
    assert violations(source_files(tmp_path)) == [
        "roadsafety.features.bad (features) imports roadsafety.store"
    ]
