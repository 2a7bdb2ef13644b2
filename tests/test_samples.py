"""The sample-data registry: entries, mirror resolution, hash verification."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from medverse import samples


def test_every_entry_has_files_hashes_source_and_license() -> None:
    assert "ct_abdomen_20slices_j2k" in samples.names()
    for name in samples.names():
        s = samples.get(name)
        assert s.files and s.source and s.license and s.description
        for f in s.files:
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.size > 0
            assert f.relpath.startswith(s.relpath)
    assert len(samples.get("ct_abdomen_20slices_j2k").files) == 20


def test_unknown_sample_is_not_available() -> None:
    with pytest.raises(samples.SampleNotAvailable, match="unknown sample"):
        samples.get("nope")


def test_no_mirror_means_not_available(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(samples.ENV_VAR, str(tmp_path / "absent"))
    assert samples.samples_dir() is None
    with pytest.raises(samples.SampleNotAvailable, match="needs a mirror"):
        samples.path("ct_abdomen_3mm")


def _mirror_with(name: str, root: Path) -> Path:
    try:
        src = samples.path(name)
    except samples.SampleNotAvailable as exc:
        pytest.skip(f"no sample mirror here: {exc}")
    dest = root / samples.get(name).relpath
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dest)
    (root / "SHA256SUMS").write_text("")
    return dest


def test_env_var_mirror_is_used_and_verified(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dest = _mirror_with("labels_totalseg_v1", tmp_path)
    monkeypatch.setenv(samples.ENV_VAR, str(tmp_path))
    assert samples.path("labels_totalseg_v1") == dest
    assert samples.verify("labels_totalseg_v1") == []
    with pytest.raises(samples.SampleNotAvailable, match="not in the mirror"):
        samples.path("ct_abdomen_3mm")


def test_altered_file_is_reported_corrupt(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    dest = _mirror_with("labels_totalseg_v2", tmp_path)
    data = bytearray(dest.read_bytes())
    data[10] ^= 0xFF
    dest.write_bytes(bytes(data))
    monkeypatch.setenv(samples.ENV_VAR, str(tmp_path))
    with pytest.raises(samples.SampleCorrupt, match="SHA-256 mismatch"):
        samples.path("labels_totalseg_v2")


def test_default_mirror_is_found_beside_the_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(samples.ENV_VAR, raising=False)
    root = samples.samples_dir()
    if root is None:
        pytest.skip("no shared/data beside this checkout")
    assert root.name == "data" and root.parent.name == "shared"
