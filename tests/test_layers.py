"""The layers import one way: the spaces layer knows no kind and no web app; engines know no server."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "medverse"


def imported_modules(package: str) -> dict[str, set[str]]:
    """Module file -> the medverse modules it imports (at any depth, lazily or not)."""
    out: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        out[str(path.relative_to(SRC))] = {n for n in names if n.startswith("medverse")}
    return out


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        (
            "spaces",
            ("medverse.anatomy", "medverse.commons", "medverse.kinds", "medverse.app", "medverse.imaging", "medverse.physiology"),
        ),
        ("anatomy", ("medverse.kinds", "medverse.commons")),
        ("imaging", ("medverse.spaces", "medverse.app", "medverse.store", "medverse.anatomy", "medverse.bus")),
        ("physiology", ("medverse.spaces", "medverse.app", "medverse.store", "medverse.anatomy", "medverse.bus")),
    ],
)
def test_a_layer_imports_nothing_above_it(package: str, forbidden: tuple[str, ...]) -> None:
    wrong = {
        module: sorted(n for n in names if n.startswith(forbidden))
        for module, names in imported_modules(package).items()
        if any(n.startswith(forbidden) for n in names)
    }
    assert wrong == {}, f"{package} imports what it must not: {wrong}"


def test_the_check_sees_imports() -> None:
    """The walker finds lazy imports inside functions (so the test above can fail)."""
    found = imported_modules("app")
    assert any("medverse.kinds" in names for names in found.values())  # factory.py imports it lazily
