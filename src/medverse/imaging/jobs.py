"""Studies and the background jobs that build them.

:func:`build_scene` turns a volume (and optionally a label map) into the scene: GLB bytes plus the
structure table. :func:`import_study` runs the whole import - read, de-identify, segment (or take
the given label map), mesh, write - into a study folder, atomically: everything is written into a
hidden temporary folder beside the destination and renamed into place at the end, so a failed or
cancelled import leaves nothing behind. :func:`start_import` runs it as a :class:`Job` on a
worker thread with progress (stage and percent) and cancellation.

Study folder layout (``STUDY_FILES``)::

    study.json        manifest: id, modality, grid, frame conventions, stages, credit, files
    volume.nii.gz     the de-identified image (NIfTI, RAS on disk; LPS in memory)
    labels.nii.gz     the label map the meshes were made from
    structures.json   one row per structure (label, name, colour, volume, area, centroid...)
    scene.glb         glTF 2.0 binary, one named node per structure, glTF patient frame
    deid.json         what de-identification removed (attribute names only)
    originals/        the imported series' files, only with ``keep_originals=True``: named
                      original-0001.dcm... (never the uploaded names) and de-identified like the
                      rest unless ``deid=False``

Nothing in a study folder or in a job's error message comes from a file name, a server path or
an identifying attribute: the title is the importer's (or a neutral default), metadata are the
allow-listed technical facts of the de-identified series, and messages name files by position.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from medverse.errors import MedverseError
from medverse.imaging.errors import Cancelled, InvalidStudy, redact_paths
from medverse.imaging.labelmap import LabelMap, read_label_map
from medverse.imaging.volume import Volume

_log = logging.getLogger("medverse.imaging")

__all__ = ["STUDY_FILES", "Job", "JobContext", "JobUpdate", "Scene", "build_scene", "import_study", "start_import", "study_title"]

STUDY_FILES = ("study.json", "volume.nii.gz", "labels.nii.gz", "structures.json", "scene.glb", "deid.json")

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class JobUpdate:
    """A snapshot of a job, passed to listeners.

    ``state`` is one of ``queued``, ``running``, ``succeeded``, ``failed``, ``cancelled``;
    ``percent`` 0..100; ``error_code`` a stable name (``not-dicom``, ``mixed-series``...).
    """

    job_id: str
    state: str
    stage: str
    percent: float
    error: str | None = None
    error_code: str | None = None


class JobContext:
    """Handed to the work function: report progress by stage, and check for cancellation.

    Stages are declared with weights; ``progress(fraction)`` reports within the current stage,
    and the job's percent is the weighted sum.
    """

    def __init__(
        self, on_progress: Callable[[str, float], None] | None = None, cancel_event: threading.Event | None = None
    ) -> None:
        self._on_progress = on_progress
        self.cancel_event = cancel_event or threading.Event()
        self._weights: dict[str, float] = {}
        self._done = 0.0
        self._stage = "queued"
        self._stage_weight = 0.0
        self._last = 0.0

    def plan(self, stages: dict[str, float]) -> None:
        """Declare the stages and their relative weights."""
        total = sum(stages.values()) or 1.0
        self._weights = {k: v / total for k, v in stages.items()}

    def stage(self, name: str) -> None:
        """Enter a stage (completing the previous one)."""
        self.check_cancelled()
        self._done += self._stage_weight
        self._stage = name
        self._stage_weight = self._weights.get(name, 0.0)
        self._emit(self._done)

    def progress(self, fraction: float) -> None:
        """Report progress within the current stage (0..1); also checks for cancellation."""
        self.check_cancelled()
        value = self._done + self._stage_weight * min(1.0, max(0.0, fraction))
        if value - self._last >= 0.005 or fraction >= 1.0:
            self._emit(value)

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` when cancellation was requested."""
        if self.cancel_event.is_set():
            raise Cancelled(f"cancelled during {self._stage}")

    def _emit(self, value: float) -> None:
        self._last = value
        if self._on_progress is not None:
            self._on_progress(self._stage, min(1.0, value))


class Job(Generic[T]):
    """Runs ``work(context)`` on a worker thread with progress, cancellation and one outcome.

    Listeners (``on_update``) are called on the worker thread; an asyncio server should hop to
    its loop with ``loop.call_soon_threadsafe``.

    Examples
    --------
    >>> job = start_import("scan.zip", "studies/abc", on_update=print)   # doctest: +SKIP
    >>> job.cancel(); job.wait()                                          # doctest: +SKIP
    """

    def __init__(
        self, work: Callable[[JobContext], T], *, name: str = "job", on_update: Callable[[JobUpdate], None] | None = None
    ) -> None:
        self.id = uuid.uuid4().hex[:12]
        self.name = name
        self._work = work
        self._listeners: list[Callable[[JobUpdate], None]] = [on_update] if on_update else []
        self._cancel = threading.Event()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.state = "queued"
        self.stage = "queued"
        self.percent = 0.0
        self.result: T | None = None
        self.error: str | None = None
        self.error_code: str | None = None
        self.exception: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> Job[T]:
        """Start the worker thread (once)."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"job {self.id} was already started")
            self._thread = threading.Thread(target=self.run, name=f"medverse-{self.name}-{self.id}", daemon=True)
        self._thread.start()
        return self

    def run(self) -> None:
        """Run in the calling thread (what :meth:`start` does on the worker)."""
        ctx = JobContext(self._progress, self._cancel)
        self.state = "running"
        self._notify()
        try:
            self.result = self._work(ctx)
            self.state, self.stage, self.percent = "succeeded", "done", 100.0
        except Cancelled as exc:
            self.state, self.error, self.error_code, self.exception = ("cancelled", str(exc), exc.code, exc)
        except MedverseError as exc:
            self.state, self.error, self.error_code, self.exception = ("failed", redact_paths(str(exc)), exc.code, exc)
        except Exception as exc:  # a job reports every failure, it never dies silently
            # the message of an unexpected error may hold paths or data: it goes to the log only
            _log.error("job %s (%s) failed", self.id, self.name, exc_info=exc)
            self.state, self.error, self.error_code, self.exception = (
                "failed",
                f"internal error ({type(exc).__name__}); the server log has the details",
                "internal",
                exc,
            )
        finally:
            self._done.set()
            self._notify()

    def cancel(self) -> None:
        """Ask the job to stop; it ends in state ``cancelled`` at its next check."""
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends; False on timeout."""
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def add_listener(self, callback: Callable[[JobUpdate], None]) -> None:
        self._listeners.append(callback)

    def snapshot(self) -> JobUpdate:
        return JobUpdate(self.id, self.state, self.stage, round(self.percent, 1), self.error, self.error_code)

    def _progress(self, stage: str, fraction: float) -> None:
        self.stage, self.percent = stage, 100.0 * fraction
        self._notify()

    def _notify(self) -> None:
        update = self.snapshot()
        for cb in list(self._listeners):
            with contextlib.suppress(Exception):  # a listener's bug must not kill the job
                cb(update)


# -- the scene ---------------------------------------------------------------------------
@dataclasses.dataclass
class Scene:
    """The product of :func:`build_scene`.

    Attributes
    ----------
    glb : bytes
        glTF 2.0 binary (glTF patient frame, metres).
    structures : list of dict
        The structure table (``StructureMesh.summary()`` rows).
    labels : LabelMap or None
        The label map the meshes came from.
    timings_s : dict
    """

    glb: bytes
    structures: list[dict[str, Any]]
    labels: LabelMap | None
    timings_s: dict[str, float]

    @property
    def triangles(self) -> int:
        return int(sum(s["triangles"] for s in self.structures))


def build_scene(
    volume: Volume,
    labels: LabelMap | None = None,
    *,
    triangle_budget: int = 300_000,
    working_mm: float = 1.5,
    credit: str | None = None,
    context: JobContext | None = None,
) -> Scene:
    """Segment (unless ``labels`` is given) and mesh ``volume`` into one GLB.

    Parameters
    ----------
    volume : Volume
    labels : LabelMap, optional
        Structures made elsewhere, on ``volume``'s grid (see :func:`read_label_map`).
    triangle_budget : int
        Triangles for the whole scene.
    working_mm : float
        Working-grid voxel size for the model-free segmentation.
    credit : str, optional
        Stored in the scene's extras.
    context : JobContext, optional
        Progress and cancellation; stages ``segment`` and ``mesh`` when planned by the caller.

    Returns
    -------
    Scene
    """
    from medverse.imaging.gltf import build_glb
    from medverse.imaging.mesh import mesh_label_map
    from medverse.imaging.segment import segment

    ctx = context or JobContext()
    if not ctx._weights:
        ctx.plan({"segment": 0.45, "mesh": 0.5, "encode": 0.05})
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    ctx.stage("segment")
    if labels is None:
        labels = segment(volume, working_mm=working_mm, progress=ctx.progress, cancel=ctx.check_cancelled)
    timings["segment"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctx.stage("mesh")
    meshes = mesh_label_map(labels, triangle_budget=triangle_budget, progress=ctx.progress, cancel=ctx.check_cancelled)
    timings["mesh"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ctx.stage("encode")
    extras: dict[str, Any] = {"modality": volume.modality, "label_source": labels.source}
    if credit:
        extras["credit"] = credit
    glb = build_glb(meshes, scene_extras=extras)
    timings["encode"] = time.perf_counter() - t0
    return Scene(glb, [m.summary() for m in meshes], labels, timings)


# -- import ------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def study_title(title: str | None, modality: str, body_part: str = "") -> str:
    """The study's title: the importer's ``title`` (control characters dropped, whitespace
    collapsed, at most 120 characters) or, without one, a neutral default built from the
    modality and body part - never a file name.

    >>> study_title(None, "CT", "ABDOMEN")
    'Uploaded CT study (abdomen)'
    """
    if title is not None:
        cleaned = " ".join(_CONTROL.sub(" ", str(title)).split())[:120].strip()
        if cleaned:
            return cleaned
    kind = modality if modality and modality != "OT" else "imaging"
    part = f" ({body_part.lower()})" if body_part else ""
    return f"Uploaded {kind} study{part}"


def _keep_nifti_original(source: Any, dest: Path, deid: bool, limits: Any) -> int:
    from medverse.imaging.io.nifti import NiftiLimits, deidentified_nifti_bytes

    dest.mkdir()
    if isinstance(source, (bytes, bytearray)):
        raw_head = bytes(source[:2])
    else:
        with open(source, "rb") as fh:
            raw_head = fh.read(2)
    if deid:
        data = deidentified_nifti_bytes(source, compress=True, limits=limits or NiftiLimits())
        (dest / "original-0001.nii.gz").write_bytes(data)
    else:
        name = "original-0001.nii.gz" if raw_head == b"\x1f\x8b" else "original-0001.nii"
        if isinstance(source, (bytes, bytearray)):
            (dest / name).write_bytes(bytes(source))
        else:
            shutil.copyfile(Path(source), dest / name)
    return 1


def import_study(
    source: str | Path | bytes | Sequence[str | Path],
    out_dir: str | Path,
    *,
    title: str | None = None,
    series: str | int | None = None,
    label_map: str | Path | bytes | None = None,
    label_names: str | Path | dict[int, str] | None = None,
    deid: bool = True,
    allow_burned_in: bool = False,
    keep_originals: bool = False,
    triangle_budget: int = 300_000,
    working_mm: float = 1.5,
    modality: str | None = None,
    nifti_limits: Any = None,
    overwrite: bool = False,
    context: JobContext | None = None,
) -> dict[str, Any]:
    """Import a scan into a study folder (see the module docstring for the layout).

    Parameters
    ----------
    source : path, bytes or list of paths
        DICOM folder/zip/files or a NIfTI file.
    out_dir : path
        The study folder to create; it must not exist unless ``overwrite``.
    title : str, optional
        The study's title, as the importer named it. Without one the title is neutral
        ("Uploaded CT study (abdomen)"), built from the modality and body part: never from a
        file name, which often is the patient's name.
    series : str or int, optional
        Which DICOM series, when several are present: an index (see
        :class:`~medverse.imaging.errors.MixedSeries`).
    label_map, label_names : optional
        Use these structures instead of the model-free segmentation; the label map must be on
        the image's grid (:class:`LabelGridMismatch` otherwise).
    deid : bool
        De-identify (default). ``False`` keeps the series description and UID in the manifest;
        only for data already cleared.
    allow_burned_in : bool
        Import a series whose pixels carry text (``BurnedInAnnotation`` YES, or a secondary
        capture not marked NO), refused by default; the de-identification record says so.
    keep_originals : bool
        Also keep the imported series' files in ``originals/`` as ``original-0001.dcm``... (or
        ``original-0001.nii.gz``): de-identified copies unless ``deid=False``.
    triangle_budget, working_mm : see :func:`build_scene`
    modality : str, optional
        Override the modality (``CT``/``MR``), e.g. for NIfTI files which do not carry one.
    nifti_limits : NiftiLimits, optional
        Size limits for a NIfTI source (default :class:`~medverse.imaging.io.NiftiLimits`).
    overwrite : bool
        Replace an existing study folder.
    context : JobContext, optional

    Returns
    -------
    dict
        The manifest written to ``study.json``.
    """
    from medverse.imaging.io import is_nifti_source, load_volume
    from medverse.imaging.io.nifti import nifti_bytes

    ctx = context or JobContext()
    ctx.plan({"read": 0.2, "segment": 0.3, "mesh": 0.35, "encode": 0.02, "write": 0.13})
    out = Path(out_dir)
    known_paths = [str(out), str(out.parent)]
    if isinstance(source, (str, Path)):
        known_paths += [str(Path(source)), str(Path(source).parent)]
    if out.exists() and not overwrite:
        raise InvalidStudy(f"the study folder {out.name!r} already exists (overwrite=True replaces it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    started = time.perf_counter()
    try:
        ctx.stage("read")
        t0 = time.perf_counter()
        nifti = is_nifti_source(source)
        options: dict[str, Any] = {
            "series": series,
            "deid": deid,
            "allow_burned_in": allow_burned_in,
            "nifti_limits": nifti_limits,
        }
        if keep_originals and not nifti:
            options["originals"] = tmp / "originals"
        volume = load_volume(source, progress=ctx.progress, **options)
        originals = 0
        if keep_originals:
            originals = (
                _keep_nifti_original(source, tmp / "originals", deid, nifti_limits)
                if nifti
                else sum(1 for _ in (tmp / "originals").glob("original-*"))
            )
        if modality:
            volume.metadata["modality"] = modality.upper()
        elif volume.modality == "OT":  # NIfTI carries no modality: HU-like values mean CT
            volume.metadata["modality"] = "CT" if float(volume.array.min()) <= -500 else "MR"
            volume.metadata["modality_guessed"] = True
        read_s = time.perf_counter() - t0
        labels = None
        if label_map is not None:
            labels = read_label_map(label_map, label_names, reference=volume)
        scene = build_scene(volume, labels, triangle_budget=triangle_budget, working_mm=working_mm, context=ctx)
        ctx.stage("write")
        t0 = time.perf_counter()
        deid_record = volume.metadata.pop("deid", None)
        (tmp / "volume.nii.gz").write_bytes(nifti_bytes(volume))
        ctx.progress(0.5)
        assert scene.labels is not None
        (tmp / "labels.nii.gz").write_bytes(nifti_bytes(scene.labels.volume))
        (tmp / "scene.glb").write_bytes(scene.glb)
        (tmp / "structures.json").write_text(json.dumps(scene.structures, indent=1))
        (tmp / "deid.json").write_text(
            json.dumps(
                deid_record
                if deid_record is not None
                else {
                    "applied": deid,
                    "note": "NIfTI input carries no DICOM attributes; header text and extensions dropped"
                    if deid
                    else "not de-identified",
                },
                indent=1,
            )
        )
        manifest = {
            "id": out.name,
            "kind": "scan",
            "title": study_title(title, volume.modality, str(volume.metadata.get("body_part", ""))),
            "modality": volume.modality,
            "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "deidentified": bool(deid),
            "originals_kept": originals,
            "originals_deidentified": bool(originals) and bool(deid),
            "volume": {k: v for k, v in volume.describe().items() if k != "metadata"},
            "metadata": volume.metadata,
            "coordinates": {
                "volume_affine": "voxel (i, j, k) -> patient LPS millimetres",
                "scene": "glTF patient frame: +X patient left, +Y superior, +Z anterior; metres",
            },
            "labels": {
                "source": scene.labels.source,
                "shape": list(scene.labels.array.shape),
                "affine_lps": np.round(scene.labels.affine, 6).tolist(),
                "table": scene.labels.table(),
            },
            "triangles": scene.triangles,
            "structures": len(scene.structures),
            "timings_s": {"read": round(read_s, 3), **{k: round(v, 3) for k, v in scene.timings_s.items()}},
            "files": list(STUDY_FILES) + (["originals/"] if keep_originals else []),
        }
        timings: dict[str, float] = manifest["timings_s"]  # type: ignore[assignment]
        timings["write"] = round(time.perf_counter() - t0, 3)
        timings["total"] = round(time.perf_counter() - started, 3)
        (tmp / "study.json").write_text(json.dumps(manifest, indent=1, default=str))
        ctx.progress(1.0)
        ctx.check_cancelled()
        if out.exists():  # overwrite: move the old study aside, then swap
            trash = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(out, trash)
            os.replace(tmp, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(tmp, out)
        return manifest
    except MedverseError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        # messages reach every client: no server paths, not even from a wrapped library error
        if exc.args and isinstance(exc.args[0], str):
            known = [k for k in [*known_paths, str(tmp)] if "/" in k or os.sep in k]
            exc.args = (redact_paths(exc.args[0], known), *exc.args[1:])
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def start_import(
    source: str | Path | bytes | Sequence[str | Path],
    out_dir: str | Path,
    *,
    on_update: Callable[[JobUpdate], None] | None = None,
    **options: Any,
) -> Job[dict[str, Any]]:
    """Start :func:`import_study` on a worker thread and return its :class:`Job`.

    ``options`` are :func:`import_study`'s keyword arguments. ``job.result`` is the manifest.
    """
    job: Job[dict[str, Any]] = Job(
        lambda ctx: import_study(source, out_dir, context=ctx, **options), name="import", on_update=on_update
    )
    return job.start()
