"""Reading a study folder written by :func:`~medverse.imaging.jobs.import_study` or
:func:`~medverse.imaging.atlas.write_reference_study`.

:class:`StudyFolder` is what a server keeps per study: the manifest and structure table are read
once, the volume and label map load lazily (and are cached) the first time a slice is asked for.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from medverse.imaging.errors import InvalidStudy
from medverse.imaging.labelmap import LabelMap
from medverse.imaging.volume import Volume

__all__ = ["StudyFolder"]


class StudyFolder:
    """A finished study on disk.

    Parameters
    ----------
    path : path
        The folder holding ``study.json`` and ``scene.glb``.

    Attributes
    ----------
    manifest : dict
        ``study.json``.
    structures : list of dict
        ``structures.json`` rows (label, name, color, volume_ml, surface_area_cm2, ...).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        manifest = self.path / "study.json"
        if not manifest.is_file() or not self.glb_path.is_file():
            raise InvalidStudy(f"expected a study folder with study.json and scene.glb (study {self.path.name!r})")
        self.manifest: dict[str, Any] = json.loads(manifest.read_text())
        table = self.path / "structures.json"
        self.structures: list[dict[str, Any]] = json.loads(table.read_text()) if table.is_file() else []
        self._lock = threading.Lock()
        self._volume: Volume | None = None
        self._labels: LabelMap | None = None

    @property
    def glb_path(self) -> Path:
        """``scene.glb``: serve it as ``model/gltf-binary``."""
        return self.path / "scene.glb"

    @property
    def has_volume(self) -> bool:
        """False for mesh-only studies (the reference body), which have no slices."""
        return (self.path / "volume.nii.gz").is_file()

    def volume(self) -> Volume:
        """The de-identified image (loaded once, then cached)."""
        from medverse.imaging.io.nifti import LABEL_MAP_LIMITS, read_nifti

        with self._lock:
            if self._volume is None:
                if not self.has_volume:
                    raise InvalidStudy(f"study {self.path.name!r} has no image volume (mesh only)")
                # written by import_study: bounded in size, not by compression ratio
                v = read_nifti(self.path / "volume.nii.gz", limits=LABEL_MAP_LIMITS)
                v.metadata["modality"] = self.manifest.get("modality", "OT")
                self._volume = v
            return self._volume

    def labels(self) -> LabelMap | None:
        """The label map the meshes were made from, with its table (cached), or None."""
        from medverse.imaging.colors import RGBA
        from medverse.imaging.io.nifti import LABEL_MAP_LIMITS, read_nifti
        from medverse.imaging.labelmap import StructureInfo

        with self._lock:
            if self._labels is None and (self.path / "labels.nii.gz").is_file():
                v = read_nifti(self.path / "labels.nii.gz", limits=LABEL_MAP_LIMITS)
                table = self.manifest.get("labels", {}).get("table", [])
                structures = {}
                for row in table:
                    color: RGBA = tuple(row["color"])  # type: ignore[assignment]
                    structures[int(row["label"])] = StructureInfo(
                        int(row["label"]), row["name"], color, bool(row.get("envelope"))
                    )
                self._labels = LabelMap(v.array, v.affine, structures, source="study")
            return self._labels

    def render_slice(
        self,
        plane: str = "axial",
        position_mm: float | None = None,
        *,
        preset: str = "soft_tissue",
        overlay: bool = False,
        **options: Any,
    ) -> Any:
        """:func:`~medverse.imaging.slices.render_slice` on this study's volume (optionally with
        its labels drawn over); returns a :class:`~medverse.imaging.slices.SliceImage`."""
        from medverse.imaging.slices import render_slice

        labels = self.labels() if overlay else None
        return render_slice(
            self.volume(),
            plane,  # type: ignore[arg-type]
            position_mm,
            preset=preset,  # type: ignore[arg-type]
            labels=labels,
            **options,
        )
