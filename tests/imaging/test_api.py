"""The public surface: ``medverse.imaging.__all__`` is exactly what the package exports."""

from __future__ import annotations

import importlib

from medverse import imaging


def test_all_names_resolve_and_nothing_else_is_exported() -> None:
    assert sorted(imaging.__all__) == sorted(imaging._EXPORTS)
    for name in imaging.__all__:
        assert getattr(imaging, name) is not None
    assert sorted(dir(imaging)) == sorted(imaging.__all__)


def test_engine_imports_nothing_from_the_server() -> None:
    import re
    from pathlib import Path

    root = Path(imaging.__file__).parent
    for source in root.rglob("*.py"):
        importlib.import_module(
            "medverse." + ".".join(source.relative_to(root.parent).with_suffix("").parts).replace(".__init__", "")
        )
        imports = re.findall(r"^\s*(?:from|import)\s+(medverse\.[\w.]+)", source.read_text(), re.MULTILINE)
        server = [m for m in imports if m.startswith(("medverse.app", "medverse.spaces", "medverse.store", "medverse.anatomy"))]
        assert server == [], (source.name, server)
