"""Model-free segmentation: CT tissue classes from Hounsfield ranges, MRI head and brain from
intensity, each cleaned by morphology and connected components.

Both work on a *working grid*: the image block-averaged to about ``working_mm`` (1.5 mm by
default). At that size a whole-body CT segments in a few seconds on two cores and the meshes it
yields are as fine as a VR scene can draw; the full-resolution image stays available for slices.

CT classes (label, name, rule after block averaging):

====  ==============  ================================================================
1     body            HU > -500, opened twice (detaches the table), components of >= 50 mL
                      and >= 2 % of the largest (trunk, and arms apart from it), holes filled
                      per slice
2     fat             -190..-30 HU inside the body, opened (drops the one-voxel partial-volume
                      rims around organs and gas), specks < 1 mL dropped
3     soft_tissue     -30..180 HU inside the body and nothing else, opened, >= 5 mL parts
4     bone            components of >= 180 HU that are not vessel-like (below), marrow
                      filled by closing and hole filling, >= 2 mL
5     lungs_airways   < -400 HU inside the body, components >= 5 mL with median > -920 HU
                      (aerated lung; bowel gas is purer air, median ~ -950..-1000, and stays out)
6     vessels         components of >= 180 HU that are homogeneous (10th-90th percentile
                      spread < 150 HU) and never cortical-bone dense (99th percentile < 600 HU):
                      contrast-enhanced vessels and blood pool, >= 1 mL. Empty without contrast.
====  ==============  ================================================================

The body label (an *envelope*) is meshed from the union of all labels: the skin surface.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.colors import color_for
from medverse.imaging.errors import InvalidStudy
from medverse.imaging.labelmap import LabelMap, StructureInfo
from medverse.imaging.volume import Volume, downsample_factors

__all__ = ["CT_CLASSES", "MR_CLASSES", "segment", "segment_ct", "segment_mri_head"]

CT_CLASSES: dict[int, str] = {1: "body", 2: "fat", 3: "soft_tissue", 4: "bone", 5: "lungs_airways", 6: "vessels"}
MR_CLASSES: dict[int, str] = {1: "head", 2: "brain"}

Progress = Callable[[float], None] | None

#: Most voxels of a working grid; larger scans are segmented on a coarser grid.
MAX_WORKING_VOXELS = 6_000_000


def _ndi() -> Any:
    return optional_import("scipy.ndimage", "imaging")


def _axial_axis(affine: np.ndarray) -> int:
    """The voxel axis closest to the patient's superior-inferior axis."""
    cols = affine[:3, :3] / np.linalg.norm(affine[:3, :3], axis=0)
    return int(np.argmax(np.abs(cols[2])))


def _fill_holes_2d(mask: np.ndarray, axis: int) -> np.ndarray:
    """Fill holes slice by slice across ``axis`` (a 3D fill would miss cavities open at an end)."""
    ndi = _ndi()
    structure = np.zeros((3, 3, 3), dtype=bool)
    index = [slice(None)] * 3
    index[axis] = 1  # type: ignore[call-overload]
    structure[tuple(index)] = ndi.generate_binary_structure(2, 1)
    # background components (connected within a slice only) that touch the slice border are
    # outside; every other background component is a hole. One labelling pass, no iteration.
    lab, _n = ndi.label(~mask, structure=structure)
    border = np.zeros_like(mask)
    for ax in range(3):
        if ax == axis:
            continue
        index = [slice(None)] * 3
        index[ax] = 0  # type: ignore[call-overload]
        border[tuple(index)] = True
        index[ax] = -1  # type: ignore[call-overload]
        border[tuple(index)] = True
    outside = np.zeros(_n + 1, dtype=bool)
    outside[np.unique(lab[border & ~mask])] = True
    outside[0] = True
    return mask | ~outside[lab]


def _components(mask: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    ndi = _ndi()
    lab, n = ndi.label(mask)
    sizes = np.bincount(lab.ravel(), minlength=n + 1)
    sizes[0] = 0
    return lab, n, sizes


def _largest(mask: np.ndarray) -> np.ndarray:
    lab, n, sizes = _components(mask)
    if n == 0:
        return mask
    return lab == int(np.argmax(sizes))


def _major_parts(mask: np.ndarray, min_ml: float, fraction: float) -> np.ndarray:
    """Components of at least ``min_ml`` voxels and ``fraction`` of the largest one."""
    lab, n, sizes = _components(mask)
    if n == 0:
        return mask
    keep = sizes >= max(min_ml, fraction * sizes.max())
    keep[0] = False
    return keep[lab]


def _drop_small(mask: np.ndarray, min_voxels: int) -> np.ndarray:
    lab, n, sizes = _components(mask)
    if n == 0:
        return mask
    return (sizes >= max(1, min_voxels))[lab]


def _vessel_like(cortical_fraction: np.ndarray, std_hu: np.ndarray) -> np.ndarray:
    """True for dense components that look like contrast-filled lumen: homogeneous (standard
    deviation < 55 HU, i.e. a 10th-90th percentile spread under ~140 HU) and almost never as
    dense as cortical bone (< 1 % of voxels >= 600 HU). Bone is heterogeneous: cortex, marrow."""
    return (cortical_fraction < 0.01) & (std_hu < 55.0)


def _closing(mask: np.ndarray, iterations: int) -> np.ndarray:
    """Binary closing that does not erode where the mask touches the edge of the grid."""
    ndi = _ndi()
    padded = np.pad(mask, iterations)
    closed = ndi.binary_closing(padded, iterations=iterations)
    sl = tuple(slice(iterations, -iterations) for _ in range(3))
    return closed[sl]


def _working_factors(volume: Volume, working_mm: float, max_voxels: int) -> tuple[int, int, int]:
    target = working_mm
    while True:
        f = downsample_factors(volume.spacing, target)
        n = np.prod([s // k for s, k in zip(volume.shape, f, strict=False)], dtype=np.int64)
        if n <= max_voxels or target > 20:
            return f
        target *= 1.15


def _check_cancel(cancel: Callable[[], None] | None) -> None:
    if cancel is not None:
        cancel()


def segment_ct(
    volume: Volume,
    *,
    working_mm: float = 1.5,
    max_working_voxels: int = MAX_WORKING_VOXELS,
    progress: Progress = None,
    cancel: Callable[[], None] | None = None,
) -> LabelMap:
    """Segment a CT (HU) into the six tissue classes of :data:`CT_CLASSES`.

    Parameters
    ----------
    volume : Volume
        CT in Hounsfield units, any orientation.
    working_mm : float
        Target voxel size of the working grid (integer block averaging).
    max_working_voxels : int
        The working grid is coarsened further until it has at most this many voxels (keeps a
        512x512x300+ CT within the time and memory targets).
    progress : callable(fraction), optional
    cancel : callable, optional
        Called between steps; raises to stop (see :mod:`medverse.imaging.jobs`).

    Returns
    -------
    LabelMap
        On the working grid (its own affine), labels 1..6.
    """
    ndi = _ndi()
    if volume.array.dtype.kind not in "iuf":
        raise InvalidStudy(f"expected a numeric CT volume (got dtype {volume.array.dtype})")
    work = volume.downsample(_working_factors(volume, working_mm, max_working_voxels))
    hu = work.array
    ml = work.voxel_volume_ml
    axis = _axial_axis(work.affine)
    report = progress or (lambda f: None)

    body = hu > -500
    body = ndi.binary_opening(body, iterations=2)  # cuts the table's thin plates off
    body = _major_parts(body, min_ml=50.0 / ml, fraction=0.02)  # trunk, and arms or legs apart
    body = _fill_holes_2d(body, axis)
    report(0.2)
    _check_cancel(cancel)

    air = (hu < -400) & body
    air = ndi.binary_opening(air)
    lab, n, sizes = _components(air)
    lungs = np.zeros_like(body)
    if n:
        # median > -920 HU  <=>  fewer than half of the voxels below -920 HU (one bincount)
        pure = np.bincount(lab.ravel(), weights=(hu < -920).ravel(), minlength=n + 1)
        keep = (sizes * ml >= 5.0) & (pure < 0.5 * np.maximum(sizes, 1))
        keep[0] = False
        lungs = keep[lab]
    del lab
    report(0.35)
    _check_cancel(cancel)

    dense = (hu >= 180) & body
    lab, n, sizes = _components(dense)
    bone = np.zeros_like(body)
    vessels = np.zeros_like(body)
    if n:
        big = sizes >= max(1, int(1.0 / ml))
        big[0] = False
        flat = lab.ravel()
        values = hu.ravel().astype(np.float64)
        count = np.maximum(sizes, 1)
        mean = np.bincount(flat, weights=values, minlength=n + 1) / count
        var = np.bincount(flat, weights=values * values, minlength=n + 1) / count - mean**2
        cortical = np.bincount(flat, weights=(values >= 600), minlength=n + 1) / count
        vessel_like = _vessel_like(cortical, np.sqrt(np.maximum(var, 0)))
        bone = (big & ~vessel_like)[lab]
        vessels = (big & vessel_like)[lab]
        del flat, values
    del lab
    bone = _closing(bone, 1)
    bone = _fill_holes_2d(bone, axis) & body
    bone = _drop_small(bone, int(2.0 / ml))
    vessels &= ~bone
    vessels = _drop_small(ndi.binary_opening(vessels), int(1.0 / ml))
    report(0.6)
    _check_cancel(cancel)

    fat = (hu >= -190) & (hu <= -30) & body & ~lungs
    fat = _drop_small(ndi.binary_opening(fat), int(1.0 / ml))  # no partial-volume rims
    report(0.7)
    soft = (hu > -30) & (hu < 180) & body & ~(bone | vessels | lungs | fat)
    soft = _drop_small(ndi.binary_opening(soft), int(5.0 / ml))
    report(0.85)
    _check_cancel(cancel)

    labels = np.zeros(hu.shape, dtype=np.uint8)
    labels[body] = 1
    labels[fat] = 2
    labels[soft] = 3
    labels[vessels] = 6
    labels[lungs] = 5
    labels[bone] = 4
    structures = {k: StructureInfo(k, name, color_for(name, k), envelope=(k == 1)) for k, name in CT_CLASSES.items()}
    present = set(np.unique(labels).tolist())
    structures = {k: v for k, v in structures.items() if k in present}
    report(1.0)
    return LabelMap(labels, work.affine, structures, source="segment_ct")


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of a 1D sample (256-bin histogram)."""
    hist, edges = np.histogram(values, bins=256)
    centers = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist).astype(np.float64)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centers) / np.maximum(w0, 1)
    m1 = (np.sum(hist * centers) - np.cumsum(hist * centers)) / np.maximum(w1, 1)
    between = w0 * w1 * (m0 - m1) ** 2
    return float(centers[int(np.argmax(between[:-1]))])


def segment_mri_head(
    volume: Volume, *, working_mm: float = 1.5, progress: Progress = None, cancel: Callable[[], None] | None = None
) -> LabelMap:
    """Segment a head MRI (T1-weighted works best) into the head surface and the brain.

    The head is the largest component above Otsu's threshold, closed and hole-filled. The brain
    is found inside the head eroded by 8 mm (past scalp and skull), above a second Otsu
    threshold, opened by 2 voxels to cut its bridges to the scalp and muscles, largest
    component, hole-filled. An image whose foreground is under 2 L is taken as already
    skull-stripped: its brain is the whole foreground.

    Returns
    -------
    LabelMap
        Labels 1 (head, an envelope; absent for skull-stripped images) and 2 (brain) on the
        working grid.
    """
    ndi = _ndi()
    work = volume.downsample(_working_factors(volume, working_mm, MAX_WORKING_VOXELS))
    v = work.array
    report = progress or (lambda f: None)
    axis = _axial_axis(work.affine)
    sample = v[:: max(1, v.shape[0] // 64), :: max(1, v.shape[1] // 64), ::2].ravel()
    t1 = _otsu(sample)
    head = v > 0.5 * t1
    head = _closing(head, 2)
    head = _largest(head)
    head = _fill_holes_2d(head, axis)
    report(0.4)
    _check_cancel(cancel)
    dist = ndi.distance_transform_edt(head, sampling=work.spacing)
    inner = dist >= 8.0
    brain = np.zeros_like(head)
    if inner.any():
        t2 = _otsu(v[inner])
        cand = inner & (v > t2 * 0.85)
        cand = ndi.binary_opening(cand, iterations=2)
        if cand.any():
            brain = _largest(cand)
            brain = _closing(brain, 2)
            brain = _fill_holes_2d(brain, axis)
    # an adult head with scalp and skull is > 2 L; a foreground smaller than that is a brain
    # that was already extracted, and its whole foreground is the brain
    stripped = float(head.sum()) * work.voxel_volume_ml < 2000.0
    if stripped or not brain.any():
        brain = head.copy()
    report(0.9)
    labels = np.zeros(v.shape, dtype=np.uint8)
    labels[head] = 1
    labels[brain] = 2
    structures = {2: StructureInfo(2, "brain", color_for("brain", 2))}
    if not stripped:  # a skull-stripped image has no head surface apart from the brain's
        structures[1] = StructureInfo(1, "head", color_for("head", 1), envelope=True)
    report(1.0)
    return LabelMap(labels, work.affine, structures, source="segment_mri_head")


def segment(volume: Volume, **options: Any) -> LabelMap:
    """Segment by modality: CT -> :func:`segment_ct`, MR -> :func:`segment_mri_head`. Volumes
    of unknown modality count as CT when their values look like HU (minimum <= -500)."""
    modality = volume.modality.upper()
    if modality == "CT" or (modality not in ("MR",) and float(volume.array.min()) <= -500):
        return segment_ct(volume, **options)
    return segment_mri_head(volume, **options)
