"""Label maps: integer volumes whose values name structures.

A :class:`LabelMap` comes from the model-free segmentation (:mod:`medverse.imaging.segment`) or
from a file made elsewhere: a NIfTI label volume with a name table (TSV ``label<TAB>name``, as
TotalSegmentator's), or a DICOM Segmentation object (binary segments). A label map meant for an
image must lie on the image's grid: the same voxel centres, possibly with axes flipped or
permuted (the 20-slice sample's TotalSegmentator map is stored LAS while the DICOM is LPS). Any
other difference is refused with :class:`LabelGridMismatch`.
"""

from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.colors import RGBA, color_for
from medverse.imaging.errors import InvalidStudy, LabelGridMismatch, redact_paths
from medverse.imaging.volume import Volume

__all__ = [
    "LabelMap",
    "StructureInfo",
    "align_to_grid",
    "read_dicom_seg",
    "read_label_map",
    "read_label_table",
]


@dataclasses.dataclass
class StructureInfo:
    """One entry of a label table.

    Attributes
    ----------
    label : int
        Voxel value.
    name : str
        Anatomical name (``liver``, ``bone``...).
    color : tuple
        ``(r, g, b, opacity)``, see :mod:`medverse.imaging.colors`.
    envelope : bool
        Mesh the union of every label instead of this label alone (the body/skin surface,
        which encloses all other structures).
    """

    label: int
    name: str
    color: RGBA
    envelope: bool = False


@dataclasses.dataclass
class LabelMap:
    """Integer labels on a grid, with their names.

    Parameters
    ----------
    array : numpy.ndarray, shape (I, J, K), integer
        0 is background.
    affine : numpy.ndarray, shape (4, 4)
        Voxel index -> patient LPS mm.
    structures : dict of int -> StructureInfo
    source : str
        Where the labels came from (``segment_ct``, ``nifti``, ``dicom-seg``...; never a file
        name).
    """

    array: np.ndarray
    affine: np.ndarray
    structures: dict[int, StructureInfo]
    source: str = ""

    def __post_init__(self) -> None:
        if self.array.ndim != 3:
            raise InvalidStudy(f"a label map must be 3D (got shape {self.array.shape})")
        if self.array.dtype.kind not in "iub":
            rounded = np.rint(self.array)
            if not np.array_equal(rounded, self.array):
                raise InvalidStudy("a label map must hold whole numbers (got fractional values)")
            self.array = rounded.astype(np.int32)
        self.affine = np.asarray(self.affine, dtype=np.float64)

    @property
    def volume(self) -> Volume:
        """The labels as a :class:`Volume` (same array and affine)."""
        return Volume(self.array, self.affine, {"modality": "SEG", "source": self.source})

    def present_labels(self) -> list[int]:
        """Labels that occur at least once (background excluded), ascending."""
        counts = np.bincount(self.array.ravel().astype(np.int64)) if self.array.min() >= 0 else None
        if counts is None:
            return sorted(int(v) for v in np.unique(self.array) if v > 0)
        return [int(v) for v in np.nonzero(counts)[0] if v > 0]

    def table(self) -> list[dict[str, Any]]:
        """The label table as JSON-ready rows."""
        return [
            {"label": s.label, "name": s.name, "color": list(s.color), "envelope": s.envelope}
            for s in sorted(self.structures.values(), key=lambda s: s.label)
        ]


def read_label_table(source: str | Path | dict[int, str] | None) -> dict[int, str]:
    """Read a label table: TSV/CSV lines ``label<TAB>name`` with an optional header row.

    A dict is returned as is; ``None`` gives an empty table (labels are then called
    ``label_<n>``).
    """
    if source is None:
        return {}
    if isinstance(source, dict):
        return {int(k): str(v) for k, v in source.items()}
    text = Path(source).read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = [p.strip() for p in (line.split("\t") if "\t" in line else line.split(","))]
        if len(parts) < 2:
            raise InvalidStudy(f"label table line {n}: expected 'label<TAB>name' (got {line!r})")
        try:
            table[int(parts[0])] = parts[1]
        except ValueError:
            if n == 1:
                continue  # header
            raise InvalidStudy(f"label table line {n}: label must be an integer (got {parts[0]!r})") from None
    return table


# a structure name: plain text of at most 64 characters without person-name separators (^, =)
_STRUCTURE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._+\-/(),:'&]{0,63}")


def _structures(labels: list[int], names: dict[int, str]) -> dict[int, StructureInfo]:
    """Structures for ``labels``; a name that is not plain anatomical text (a DICOM SEG's free
    text may hold anything) becomes ``label_<n>``."""
    out = {}
    for lab in labels:
        name = str(names.get(lab, "")).strip()
        if not _STRUCTURE_NAME.fullmatch(name):
            name = f"label_{lab}"
        out[lab] = StructureInfo(lab, name, color_for(name, lab))
    return out


def align_to_grid(array: np.ndarray, affine: np.ndarray, reference: Volume, what: str = "label map") -> np.ndarray:
    """Re-index ``array`` (placed by ``affine``) onto ``reference``'s grid.

    Only exact reorientations are accepted: axis flips and permutations, and a sub-grid padded
    with zeros. Anything needing interpolation raises :class:`LabelGridMismatch`.

    Returns
    -------
    numpy.ndarray, shape reference.shape
    """
    m = np.linalg.inv(reference.affine) @ np.asarray(affine, dtype=np.float64)
    r, t = m[:3, :3], m[:3, 3]
    perm = np.argmax(np.abs(r), axis=0)  # label axis a -> reference axis perm[a]
    ok = (
        sorted(perm.tolist()) == [0, 1, 2]
        and np.allclose(np.abs(r[perm, [0, 1, 2]]), 1.0, atol=1e-3)
        and np.allclose(np.abs(r).sum(axis=0), 1.0, atol=1e-3)
        and np.allclose(t, np.rint(t), atol=1e-2)
    )
    if ok:
        signs = np.sign(r[perm, [0, 1, 2]])
        # transpose so reference axis b holds label axis a with perm[a] == b
        arr = np.transpose(array, axes=np.argsort(perm))
        signs_ref = signs[np.argsort(perm)]
        shape_ref = arr.shape
        start = np.zeros(3, dtype=int)
        for b in range(3):
            origin = round(float(t[b]))
            if signs_ref[b] < 0:
                arr = np.flip(arr, axis=b)
                start[b] = origin - (shape_ref[b] - 1)
            else:
                start[b] = origin
        end = start + np.array(arr.shape)
        if np.all(start >= 0) and np.all(end <= np.array(reference.shape)):
            out = np.zeros(reference.shape, dtype=array.dtype)
            out[start[0] : end[0], start[1] : end[1], start[2] : end[2]] = arr
            return out
    spacing = np.linalg.norm(np.asarray(affine)[:3, :3], axis=0)
    raise LabelGridMismatch(
        f"the {what} must lie on the image grid (same voxel centres; flips allowed): image "
        f"{reference.shape} voxels of {np.round(reference.spacing, 3).tolist()} mm at "
        f"{np.round(reference.affine[:3, 3], 2).tolist()} LPS, {what} {tuple(array.shape)} "
        f"voxels of {np.round(spacing, 3).tolist()} mm at "
        f"{np.round(np.asarray(affine)[:3, 3], 2).tolist()} LPS"
    )


def read_label_map(
    source: str | Path | bytes, names: str | Path | dict[int, str] | None = None, reference: Volume | None = None
) -> LabelMap:
    """Read a label map from NIfTI or DICOM SEG, optionally aligned to ``reference``.

    Parameters
    ----------
    source : path or bytes
        ``.nii``/``.nii.gz`` label volume, or a DICOM Segmentation file.
    names : path or dict, optional
        Label table (see :func:`read_label_table`); DICOM SEG carries its own names.
    reference : Volume, optional
        The image the labels belong to; the result is put on its grid or refused with
        :class:`LabelGridMismatch`.

    Returns
    -------
    LabelMap
    """
    from medverse.imaging.io.nifti import LABEL_MAP_LIMITS, is_nifti, read_nifti

    if isinstance(source, (bytes, bytearray)):
        head = bytes(source[:4096])
    else:
        with open(source, "rb") as fh:
            head = fh.read(4096)
    if head[:2] == b"\x1f\x8b" or is_nifti(bytes(head)):
        vol = read_nifti(source, limits=LABEL_MAP_LIMITS)
        arr = vol.array
        if arr.dtype.kind == "f":
            rounded = np.rint(arr)
            if not np.array_equal(rounded, arr):
                raise InvalidStudy("a label map must hold whole numbers (got fractional values)")
            arr = rounded.astype(np.int32)
        if arr.min() < 0:
            raise InvalidStudy(f"labels must be >= 0 (got {int(arr.min())})")
        affine = vol.affine
        if reference is not None:
            arr = align_to_grid(arr, affine, reference)
            affine = reference.affine.copy()
        table = read_label_table(names)
        lm = LabelMap(arr, affine, {}, source="nifti")  # never the file's name
        lm.structures = _structures(lm.present_labels(), table)
        return lm
    return read_dicom_seg(source, reference=reference)


def read_dicom_seg(source: str | Path | bytes, reference: Volume | None = None) -> LabelMap:
    """Read a binary/fractional DICOM Segmentation (SOP class 1.2.840.10008.5.1.4.1.1.66.4).

    Each frame is placed by its PlanePositionSequence; with ``reference`` the frames must fall on
    the reference's slices (else :class:`LabelGridMismatch`), without it a grid is built from
    the frame positions. Overlapping segments: the higher segment number wins.
    """
    pydicom = optional_import("pydicom", "imaging")
    try:
        ds = pydicom.dcmread(io.BytesIO(source) if isinstance(source, bytes) else str(source))
        if str(ds.get("SOPClassUID", "")) != "1.2.840.10008.5.1.4.1.1.66.4" and str(ds.get("Modality", "")) != "SEG":
            from medverse.imaging.deid import modality_of

            raise InvalidStudy(f"expected a DICOM Segmentation (Modality SEG), got {modality_of(ds)}")
        frames = ds.pixel_array
        if frames.ndim == 2:
            frames = frames[None]
        shared = ds.SharedFunctionalGroupsSequence[0]
        iop = np.array([float(v) for v in shared.PlaneOrientationSequence[0].ImageOrientationPatient])
        measures = shared.PixelMeasuresSequence[0]
        spacing = np.array([float(v) for v in measures.PixelSpacing])
        per_frame = ds.PerFrameFunctionalGroupsSequence
        positions = np.array([[float(v) for v in f.PlanePositionSequence[0].ImagePositionPatient] for f in per_frame])
        seg_numbers = [int(f.SegmentIdentificationSequence[0].ReferencedSegmentNumber) for f in per_frame]
        names = {int(s.SegmentNumber): str(s.get("SegmentLabel", f"segment_{s.SegmentNumber}")) for s in ds.SegmentSequence}
        seg_type = str(ds.get("SegmentationType", "BINARY"))
    except InvalidStudy:
        raise
    except Exception as exc:
        known = [] if isinstance(source, bytes) else [str(source), Path(source).name]
        raise InvalidStudy(
            "expected a DICOM Segmentation object; it could not be read "
            f"({type(exc).__name__}: {redact_paths(str(exc), known)[:300]})"
        ) from exc
    if len(per_frame) != frames.shape[0]:
        raise InvalidStudy(f"DICOM SEG declares {len(per_frame)} frames but holds {frames.shape[0]}")
    threshold = 0.5 * (255 if seg_type == "FRACTIONAL" else 1)
    row_dir, col_dir = iop[:3], iop[3:]
    normal = np.cross(row_dir, col_dir)
    rows, cols = frames.shape[1], frames.shape[2]
    if reference is None:
        d = positions @ normal
        uniq = np.unique(np.round(d, 3))
        step = float(np.min(np.diff(uniq))) if len(uniq) > 1 else float(getattr(measures, "SliceThickness", 1.0) or 1.0)
        origin = positions[int(np.argmin(d))]
        affine = np.eye(4)
        affine[:3, 0] = row_dir * spacing[1]
        affine[:3, 1] = col_dir * spacing[0]
        affine[:3, 2] = normal * step
        affine[:3, 3] = origin
        nk = round(float((uniq[-1] - uniq[0]) / step)) + 1 if len(uniq) > 1 else 1
        reference = Volume(np.zeros((cols, rows, nk), np.uint8), affine)
    frame_affine = np.eye(4)
    frame_affine[:3, 0] = row_dir * spacing[1]
    frame_affine[:3, 1] = col_dir * spacing[0]
    frame_affine[:3, 2] = reference.affine[:3, 2]  # a frame is one slice thick: use the grid's step
    out = np.zeros(reference.shape, dtype=np.uint16)
    for f, (pos, seg) in enumerate(zip(positions, seg_numbers, strict=False)):
        fa = frame_affine.copy()
        fa[:3, 3] = pos
        mask = (threshold <= frames[f].T)[:, :, None]
        placed = align_to_grid(mask.astype(np.uint8), fa, reference, what="DICOM SEG frame")
        out[placed > 0] = np.maximum(out[placed > 0], seg)
    lm = LabelMap(out, reference.affine.copy(), {}, source="dicom-seg")
    lm.structures = _structures(lm.present_labels(), names)
    return lm
