"""The study library: imported studies on disk, the import jobs that make them, and slices.

Studies live in ``<data_dir>/studies/<id>/`` in the layout of :mod:`medverse.imaging.jobs`.
Sample studies (built from the sample-data registry) get the id ``sample-<name>`` and are built
once; uploads get a random id. Imports run as imaging jobs on worker threads.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medverse.errors import Conflict, InvalidInput, NotFound

STUDY_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SERVED_FILES = {"scene.glb": "model/gltf-binary", "structures.json": "application/json", "study.json": "application/json"}
UPLOAD_SUFFIXES = (".zip", ".nii", ".nii.gz", ".dcm")


@dataclass(frozen=True)
class SampleStudy:
    name: str
    title: str
    sample: str | None = None  # the scan in the sample registry
    label_map: str | None = None
    label_names: str | None = None
    reference: bool = False  # the reference body meshes


SAMPLE_STUDIES = {
    s.name: s
    for s in (
        SampleStudy("abdomen-ct", "Abdomen CT, 3 mm (tissue classes)", sample="ct_abdomen_3mm"),
        SampleStudy(
            "abdomen-ct-organs",
            "Abdomen CT, 3 mm (TotalSegmentator organs)",
            sample="ct_abdomen_3mm",
            label_map="ct_abdomen_3mm_seg_totalseg_v1",
            label_names="labels_totalseg_v1",
        ),
        SampleStudy(
            "upper-abdomen-dicom", "Upper abdomen CT, DICOM series (20 slices)", sample="ct_abdomen_20slices_uncompressed"
        ),
        SampleStudy("head-mri", "Head MRI, T1 (skin and brain)", sample="head_mr_t1"),
        SampleStudy("reference-body", "Reference male body (HRA, Visible Human)", reference=True),
    )
}


class StudyLibrary:
    def __init__(self, root: Path, triangle_budget: int = 300_000) -> None:
        self.root = root
        self.triangle_budget = triangle_budget
        self._open: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        root.mkdir(parents=True, exist_ok=True)

    # --- catalogue -------------------------------------------------------------------------
    def samples(self) -> list[dict[str, Any]]:
        from medverse import samples

        out = []
        for s in SAMPLE_STUDIES.values():
            reg = samples.get(s.sample or "reference_body_hra_vh_male")
            try:
                samples.path(reg.name, check=False)
                available, why = True, None
            except Exception as exc:  # no mirror on this machine
                available, why = False, str(exc)
            out.append(
                {
                    "name": s.name,
                    "title": s.title,
                    "available": available,
                    "reason": why,
                    "license": reg.license,
                    "source": reg.source,
                    "built": (self.root / f"sample-{s.name}" / "study.json").exists(),
                }
            )
        return out

    def folder(self, study_id: str) -> Path:
        if not STUDY_ID.match(study_id):
            raise InvalidInput(f"not a study id: {study_id!r}")
        path = self.root / study_id
        if not (path / "study.json").exists():
            raise NotFound(f"no study {study_id!r}")
        return path

    def study(self, study_id: str) -> Any:
        """The study's :class:`~medverse.imaging.StudyFolder` (a few are kept open, with their
        volumes, for slicing)."""
        from medverse.imaging.study import StudyFolder

        with self._lock:
            if study_id in self._open:
                self._open.move_to_end(study_id)
                return self._open[study_id]
        study = StudyFolder(self.folder(study_id))
        with self._lock:
            self._open[study_id] = study
            while len(self._open) > 3:
                self._open.popitem(last=False)
        return study

    def file(self, study_id: str, name: str) -> Path:
        if name not in SERVED_FILES:
            raise NotFound(f"a study has no file {name!r}")
        return self.folder(study_id) / name

    def summary(self, study_id: str) -> dict[str, Any]:
        """What a space needs to show a study: its manifest and a slim structure table."""
        study = self.study(study_id)
        manifest = study.manifest
        structures = [
            {
                "label": int(r["label"]),
                "name": str(r["name"]),
                "color": list(r["color"]),
                "volume_ml": r.get("volume_ml"),
                "area_cm2": r.get("surface_area_cm2"),
                "triangles": int(r.get("triangles", 0)),
            }
            for r in study.structures
        ]
        return {
            "id": study_id,
            "title": manifest.get("title") or study_id,
            "modality": manifest.get("modality"),
            "credit": manifest.get("credit"),
            "has_volume": study.has_volume,
            "triangles": sum(s["triangles"] for s in structures),
            "structures": structures,
        }

    # --- imports (unstarted jobs; :mod:`medverse.anatomy.imports` runs and tracks them) -------
    def sample_job(self, name: str, on_update: Callable[[Any], None]) -> tuple[str, Any]:
        """(study id, job) building the sample study ``name`` (a job that ends at once when it
        was built before)."""
        from medverse import imaging, samples

        spec = SAMPLE_STUDIES.get(name)
        if spec is None:
            raise NotFound(f"no sample study {name!r} (known: {', '.join(SAMPLE_STUDIES)})")
        study_id = f"sample-{name}"
        out = self.root / study_id
        if (out / "study.json").exists():  # built before: a job that finishes at once
            return study_id, imaging.Job(
                lambda ctx: json.loads((out / "study.json").read_text()), name="sample", on_update=on_update
            )
        if spec.reference:
            folder = samples.path("reference_body_hra_vh_male")
            return study_id, imaging.Job(
                lambda ctx: _titled(
                    imaging.write_reference_study(out, folder, triangle_budget=self.triangle_budget), out, spec.title
                ),
                name="reference",
                on_update=on_update,
            )
        source = samples.path(spec.sample)  # type: ignore[arg-type]
        options: dict[str, Any] = {"triangle_budget": self.triangle_budget}
        if spec.label_map:
            options["label_map"] = samples.path(spec.label_map)
            options["label_names"] = samples.path(spec.label_names)  # type: ignore[arg-type]
        reg = samples.get(spec.sample)  # type: ignore[arg-type]

        def work(ctx: Any) -> dict[str, Any]:
            manifest = imaging.import_study(source, out, context=ctx, **options)
            return _titled(manifest, out, spec.title, credit=f"{reg.source} ({reg.license})")

        return study_id, imaging.Job(work, name="import", on_update=on_update)

    def upload_job(self, upload: Path, title: str | None, on_update: Callable[[Any], None]) -> tuple[str, Any]:
        """(study id, job) importing an uploaded file. The study's title is the one its importer
        gave, never the file's name (file names often carry the patient's name); without one it is
        named after its modality. The upload's folder is removed when the job ends, however it ends.
        """
        from medverse import imaging

        study_id = uuid.uuid4().hex[:12]
        out = self.root / study_id

        def work(ctx: Any) -> dict[str, Any]:
            try:  # without a title the engine names it after modality and body part
                return imaging.import_study(upload, out, title=title, context=ctx, triangle_budget=self.triangle_budget)
            finally:
                shutil.rmtree(upload.parent, ignore_errors=True)

        return study_id, imaging.Job(work, name="upload", on_update=on_update)

    # --- slices ----------------------------------------------------------------------------
    def render_slice(self, study_id: str, plane: str, position_mm: float | None, preset: str, overlay: bool = False) -> Any:
        study = self.study(study_id)
        if not study.has_volume:
            raise Conflict(f"study {study_id!r} has meshes only: there is no image to slice")
        return study.render_slice(plane, position_mm, preset=preset, overlay=overlay)


def _titled(manifest: dict[str, Any], out: Path, title: str, credit: str | None = None) -> dict[str, Any]:
    """Record the study's title (and, when it has none yet, its credit) in ``study.json``."""
    manifest["title"] = title
    if credit is not None:
        manifest.setdefault("credit", credit)
    (out / "study.json").write_text(json.dumps(manifest, indent=1, default=str))
    return manifest
