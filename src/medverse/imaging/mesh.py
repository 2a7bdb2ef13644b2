"""Surface meshes of labelled structures.

Pipeline per structure (see docs/imaging.md for the measurements behind the choices):

1. crop the structure's mask to its bounding box (plus a 2-voxel margin, so every surface closes);
2. blur the mask with a small Gaussian (``smooth_sigma`` voxels) and extract the 0.5 iso-surface
   with marching cubes (scikit-image): the blur removes the voxel staircase without shrinking the
   structure the way mesh-only smoothing does;
3. map vertices through the label map's affine to patient LPS millimetres and orient the faces
   outwards (the affine may mirror);
4. decimate (quadric error, fast-simplification) so that the whole scene fits ``triangle_budget``,
   sharing the budget in proportion to each structure's raw triangle count;
5. a few Taubin smoothing passes (shrink-free) and area-weighted vertex normals.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.colors import RGBA
from medverse.imaging.labelmap import LabelMap

__all__ = ["Mesh", "StructureMesh", "decimate", "mesh_label_map", "surface_from_mask", "taubin_smooth", "vertex_normals"]


@dataclasses.dataclass
class Mesh:
    """A triangle mesh in patient LPS millimetres.

    Attributes
    ----------
    vertices : numpy.ndarray, shape (N, 3), float32
    faces : numpy.ndarray, shape (M, 3), uint32
        Counter-clockwise seen from outside (outward normals).
    normals : numpy.ndarray, shape (N, 3), float32, optional
    """

    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray | None = None

    @property
    def n_triangles(self) -> int:
        return int(self.faces.shape[0])

    def _tri(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        v = self.vertices.astype(np.float64)
        f = self.faces.astype(np.int64)
        return v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]

    def signed_volume_mm3(self) -> float:
        """Enclosed volume by the divergence theorem (positive for outward faces)."""
        if self.n_triangles == 0:
            return 0.0
        a, b, c = self._tri()
        return float(np.einsum("ij,ij->i", a, np.cross(b, c)).sum() / 6.0)

    def volume_ml(self) -> float:
        """Enclosed volume in millilitres."""
        return abs(self.signed_volume_mm3()) / 1000.0

    def area_mm2(self) -> float:
        """Surface area in square millimetres."""
        if self.n_triangles == 0:
            return 0.0
        a, b, c = self._tri()
        return float(np.linalg.norm(np.cross(b - a, c - a), axis=1).sum() / 2.0)

    def centroid_mm(self) -> np.ndarray:
        """Centroid of the enclosed solid (LPS mm), shape (3,)."""
        if self.n_triangles == 0:
            return np.zeros(3)
        a, b, c = self._tri()
        vol = np.einsum("ij,ij->i", a, np.cross(b, c)) / 6.0
        total = vol.sum()
        if abs(total) < 1e-12:
            return self.vertices.mean(axis=0).astype(np.float64)
        return ((a + b + c) / 4.0 * vol[:, None]).sum(axis=0) / total


@dataclasses.dataclass
class StructureMesh:
    """One structure ready for the scene.

    Attributes
    ----------
    label : int
    name : str
    color : tuple ``(r, g, b, opacity)``
    mesh : Mesh
    volume_ml : float
        Enclosed volume of the final mesh.
    voxel_volume_ml : float
        Voxel count times voxel volume (the mask's own measure).
    surface_area_cm2 : float
    centroid_lps_mm : list of float
    raw_triangles : int
        Before decimation.
    """

    label: int
    name: str
    color: RGBA
    mesh: Mesh
    volume_ml: float
    voxel_volume_ml: float
    surface_area_cm2: float
    centroid_lps_mm: list[float]
    raw_triangles: int

    def summary(self) -> dict[str, Any]:
        """JSON-ready row of the structure table."""
        return {
            "label": self.label,
            "name": self.name,
            "color": list(self.color),
            "volume_ml": round(self.volume_ml, 2),
            "voxel_volume_ml": round(self.voxel_volume_ml, 2),
            "surface_area_cm2": round(self.surface_area_cm2, 2),
            "centroid_lps_mm": [round(float(c), 2) for c in self.centroid_lps_mm],
            "triangles": self.mesh.n_triangles,
            "raw_triangles": self.raw_triangles,
        }


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Area-weighted unit vertex normals, shape (N, 3), float32."""
    v = vertices.astype(np.float64)
    f = faces.astype(np.int64)
    fn = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    n = np.zeros_like(v)
    for k in range(3):
        for axis in range(3):
            n[:, axis] += np.bincount(f[:, k], weights=fn[:, axis], minlength=len(v))
    norm = np.linalg.norm(n, axis=1)
    bad = norm < 1e-12  # unused vertices or only degenerate faces: glTF wants unit normals
    n[bad] = (0.0, 0.0, 1.0)
    norm[bad] = 1.0
    return (n / norm[:, None]).astype(np.float32)


def taubin_smooth(mesh: Mesh, iterations: int = 5, lam: float = 0.5, mu: float = -0.53) -> Mesh:
    """Taubin's lambda/mu smoothing (umbrella operator), which smooths without shrinking."""
    if iterations <= 0 or mesh.n_triangles == 0:
        return mesh
    sparse = optional_import("scipy.sparse", "imaging")
    v = mesh.vertices.astype(np.float64)
    f = mesh.faces.astype(np.int64)
    n = len(v)
    rows = np.concatenate([f[:, 0], f[:, 1], f[:, 2], f[:, 1], f[:, 2], f[:, 0]])
    cols = np.concatenate([f[:, 1], f[:, 2], f[:, 0], f[:, 0], f[:, 1], f[:, 2]])
    adjacency = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    adjacency.data[:] = 1.0  # an edge shared by two faces counts once
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    degree[degree == 0] = 1.0
    umbrella = sparse.diags(1.0 / degree) @ adjacency  # row-normalised: neighbour average
    for _ in range(iterations):
        for factor in (lam, mu):
            v = v + factor * (umbrella @ v - v)
    return Mesh(v.astype(np.float32), mesh.faces, None)


#: fast-simplification keeps its working mesh in process-global C++ state: two decimations at
#: once (two imports on two worker threads) silently swap results. One at a time.
_DECIMATE_LOCK = threading.Lock()


def decimate(mesh: Mesh, target_triangles: int) -> Mesh:
    """Quadric-error decimation to about ``target_triangles`` (no-op when already below).

    Thread-safe: calls are serialised, because the underlying library is not re-entrant."""
    if mesh.n_triangles <= target_triangles or mesh.n_triangles == 0:
        return mesh
    fs = optional_import("fast_simplification", "imaging")
    reduction = 1.0 - max(4, target_triangles) / mesh.n_triangles
    with _DECIMATE_LOCK:
        v, f = fs.simplify(
            mesh.vertices.astype(np.float32),
            mesh.faces.astype(np.int32),
            target_reduction=float(min(0.999, max(0.0, reduction))),
            agg=10,
        )
    return Mesh(np.asarray(v, dtype=np.float32), np.asarray(f, dtype=np.uint32), None)


_MC_SIGN: list[float] = []


def _marching_cubes_sign() -> float:
    """+1 when scikit-image's faces are counter-clockwise seen from outside in index space."""
    if not _MC_SIGN:
        measure = optional_import("skimage.measure", "imaging")
        g = np.zeros((7, 7, 7), np.float32)
        g[2:5, 2:5, 2:5] = 1.0
        v, f, _n, _v = measure.marching_cubes(g, level=0.5)
        _MC_SIGN.append(1.0 if Mesh(v, f.astype(np.uint32)).signed_volume_mm3() > 0 else -1.0)
    return _MC_SIGN[0]


def surface_from_mask(mask: np.ndarray, affine: np.ndarray, smooth_sigma: float = 0.7, step: int = 1) -> Mesh:
    """Closed iso-surface of a binary mask, in LPS mm.

    Parameters
    ----------
    mask : numpy.ndarray, shape (I, J, K), bool
    affine : numpy.ndarray, shape (4, 4)
        Voxel -> LPS mm.
    smooth_sigma : float
        Gaussian blur in voxels before extraction (0 for a raw voxel surface).
    step : int
        Marching-cubes step in voxels: 2 gives about 4x fewer triangles, for large structures
        that decimation would cut down anyway.
    """
    ndi = optional_import("scipy.ndimage", "imaging")
    measure = optional_import("skimage.measure", "imaging")
    if not mask.any():
        return Mesh(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint32))
    pad = 2 + int(np.ceil(2 * smooth_sigma))
    idx = np.nonzero(mask.any(axis=(1, 2)))[0], np.nonzero(mask.any(axis=(0, 2)))[0], np.nonzero(mask.any(axis=(0, 1)))[0]
    lo = np.array([i[0] for i in idx])
    hi = np.array([i[-1] + 1 for i in idx])
    crop = mask[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]]
    field = np.pad(crop.astype(np.float32), pad)
    if smooth_sigma > 0:
        field = ndi.gaussian_filter(field, smooth_sigma, truncate=2.5)
    if field.max() <= 0.5:  # a structure thinner than the blur: fall back to its raw surface
        field = np.pad(crop.astype(np.float32), pad)
    if step > 1 and min(field.shape) < 4 * step:
        step = 1
    verts, faces, _n, _v = measure.marching_cubes(field, level=0.5, step_size=step, allow_degenerate=False)
    verts = verts + (lo - pad)
    pts = verts @ affine[:3, :3].T + affine[:3, 3]
    faces = faces.astype(np.uint32)
    if _marching_cubes_sign() * np.linalg.det(affine[:3, :3]) < 0:
        faces = faces[:, ::-1].copy()  # the affine mirrors: keep the faces outward
    return Mesh(pts.astype(np.float32), faces)


def mesh_label_map(
    labels: LabelMap,
    *,
    triangle_budget: int = 300_000,
    smooth_sigma: float = 0.7,
    smooth_iterations: int = 5,
    max_structures: int = 100,
    min_triangles: int = 200,
    progress: Callable[[float], None] | None = None,
    cancel: Callable[[], None] | None = None,
) -> list[StructureMesh]:
    """Mesh every structure of a label map within one scene budget.

    Parameters
    ----------
    labels : LabelMap
    triangle_budget : int
        Most triangles for all structures together (the scene budget is 500k; 300k leaves room
        for the reference body and tools).
    smooth_sigma : float
        Mask blur in voxels before marching cubes.
    smooth_iterations : int
        Taubin passes after decimation.
    max_structures : int
        Most structures (one draw call each); the largest are kept.
    min_triangles : int
        Floor of each structure's share of the budget.
    progress : callable(fraction), optional
    cancel : callable, optional
        Called between structures; raises to stop.

    Returns
    -------
    list of StructureMesh
        In label order; structures whose mask is empty are skipped.
    """
    ndi = optional_import("scipy.ndimage", "imaging")
    arr = labels.array
    report = progress or (lambda f: None)
    voxel_ml = abs(float(np.linalg.det(labels.affine[:3, :3]))) / 1000.0
    counts = np.bincount(arr.ravel().astype(np.int64)) if arr.size else np.zeros(1, np.int64)
    wanted = [
        s
        for s in sorted(labels.structures.values(), key=lambda s: s.label)
        if s.envelope or (s.label < len(counts) and counts[s.label] > 0)
    ]
    if len(wanted) > max_structures:
        wanted = sorted(wanted, key=lambda s: -(counts[s.label] if s.label < len(counts) else 0))
        wanted = sorted(wanted[:max_structures], key=lambda s: s.label)
    boxes = ndi.find_objects(arr.astype(np.int32)) if arr.size else []
    masks: list[tuple[Any, np.ndarray, np.ndarray, int]] = []
    for s in wanted:
        if s.envelope:
            mask, affine = arr > 0, labels.affine
        else:
            box = boxes[s.label - 1] if s.label - 1 < len(boxes) else None
            if box is None:
                continue
            mask = arr[box] == s.label
            shift = np.eye(4)
            shift[:3, 3] = [sl.start for sl in box]
            affine = labels.affine @ shift
        # boundary faces between voxels: marching cubes gives about 2 triangles per face
        faces_est = sum(int(np.count_nonzero(np.diff(mask, axis=a))) for a in range(3))
        masks.append((s, mask, affine, faces_est))
    est_total = 2 * sum(m[3] for m in masks)
    raw: list[tuple[Any, Mesh, float]] = []
    for n, (s, mask, affine, faces_est) in enumerate(masks):
        if cancel is not None:
            cancel()
        est = 2 * faces_est
        share = triangle_budget * est / est_total if est_total > triangle_budget else est
        step = 2 if (est > 1.5 * share and faces_est > 20_000) else 1
        vox = float(mask.sum()) * voxel_ml
        mesh = surface_from_mask(mask, affine, smooth_sigma, step=step)
        if mesh.n_triangles:
            raw.append((s, mesh, vox))
        report(0.6 * (n + 1) / max(1, len(masks)))
    del masks
    total = sum(m.n_triangles for _, m, _ in raw)
    out: list[StructureMesh] = []
    for n, (s, mesh, vox) in enumerate(raw):
        if cancel is not None:
            cancel()
        raw_tris = mesh.n_triangles
        if total > triangle_budget:
            share = max(min_triangles, int(triangle_budget * raw_tris / total) - min_triangles)
            mesh = decimate(mesh, share)
        mesh = taubin_smooth(mesh, smooth_iterations)
        mesh.normals = vertex_normals(mesh.vertices, mesh.faces)
        out.append(
            StructureMesh(
                label=s.label,
                name=s.name,
                color=s.color,
                mesh=mesh,
                volume_ml=mesh.volume_ml(),
                voxel_volume_ml=vox,
                surface_area_cm2=mesh.area_mm2() / 100.0,
                centroid_lps_mm=[float(c) for c in mesh.centroid_mm()],
                raw_triangles=raw_tris,
            )
        )
        report(0.6 + 0.4 * (n + 1) / max(1, len(raw)))
    return out
