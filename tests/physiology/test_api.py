from __future__ import annotations

import ast
from pathlib import Path

import medverse.physiology as phys


def test_all_lists_the_public_names() -> None:
    public = {n for n in dir(phys) if not n.startswith("_")}
    assert set(phys.__all__) <= public
    for name in phys.__all__:
        assert getattr(phys, name) is not None


def test_engine_imports_nothing_from_the_server() -> None:
    root = Path(phys.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("medverse.app", "medverse.spaces", "medverse.store")), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("medverse.app", "medverse.spaces", "medverse.store")), path
