"""Compilation shim: the kernels are compiled with numba when it is installed.

Without numba the same functions run as plain Python (correct but roughly 100x slower); the
``physiology`` extra installs numba. Compiled code is cached on disk; the cache is dropped when
any physiology source file changes (numba alone only notices changes to the calling file).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

try:  # pragma: no cover - exercised implicitly
    import numba as _numba

    HAVE_NUMBA = os.environ.get("MEDVERSE_PHYSIOLOGY_NO_JIT", "") != "1"
except ImportError:  # pragma: no cover
    _numba = None  # type: ignore[assignment]
    HAVE_NUMBA = False

_PKG = Path(__file__).resolve().parent


def _source_digest() -> str:
    h = hashlib.sha256()
    for path in sorted(_PKG.rglob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _drop_stale_cache() -> None:
    cache = _PKG / "__pycache__"
    stamp = cache / "medverse-jit.stamp"
    digest = _source_digest()
    try:
        if stamp.exists() and stamp.read_text() == digest:
            return
        cache.mkdir(exist_ok=True)
        for pattern in ("*.nbi", "*.nbc"):
            for f in cache.glob(pattern):
                f.unlink(missing_ok=True)
        stamp.write_text(digest)
    except OSError:  # read-only install: numba falls back to its own cache location
        pass


if HAVE_NUMBA:
    _drop_stale_cache()


def njit(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile ``fn`` in nopython mode (cached) when numba is available."""
    if not HAVE_NUMBA:
        return fn
    return _numba.njit(cache=True, fastmath=False, error_model="numpy")(fn)  # type: ignore[no-any-return]
