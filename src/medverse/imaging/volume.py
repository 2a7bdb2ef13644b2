"""The :class:`Volume`: a 3D image that always travels with its affine and metadata.

Conventions (see docs/imaging.md):

* ``array[i, j, k]``: ``i`` runs along a row of the original image (DICOM column index), ``j``
  down the rows, ``k`` across slices. This is the nibabel order.
* ``affine`` is a 4x4 matrix mapping voxel indices ``(i, j, k, 1)`` to **patient LPS**
  coordinates in millimetres (+x = patient left, +y = posterior, +z = superior), the DICOM
  patient coordinate system. NIfTI files (RAS) are converted on reading and writing.
* The affine may be sheared (gantry tilt): it is still exact, and every step uses it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from medverse.imaging.errors import InvalidStudy

__all__ = ["LPS_TO_RAS", "MAX_VOXELS", "Volume", "downsample_factors"]

#: Most voxels a volume read from an upload may have (2**29 = 512x512x2048): 2 GiB as float32,
#: the largest intermediate the DICOM reader builds; well within a server's memory, far above a
#: real CT (512x512x1000 is a long whole-body scan).
MAX_VOXELS = 2**29

#: Multiply an LPS point (homogeneous) by this to get RAS, and vice versa (it is its own inverse).
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])


@dataclasses.dataclass
class Volume:
    """A 3D scalar image on a grid placed in patient space.

    Parameters
    ----------
    array : numpy.ndarray, shape (I, J, K)
        Voxel values; CT in Hounsfield units (int16 when integral, else float32), MR in scanner
        units.
    affine : numpy.ndarray, shape (4, 4)
        Voxel index -> patient LPS millimetres.
    metadata : dict
        JSON-serialisable, de-identified facts about the image (``modality``, ``source``,
        ``series_description``, ...). Never patient identifiers.
    """

    array: np.ndarray
    affine: np.ndarray
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.array = np.asarray(self.array)
        self.affine = np.asarray(self.affine, dtype=np.float64)
        if self.array.ndim != 3:
            raise InvalidStudy(f"a volume must be 3D (got an array of shape {self.array.shape})")
        if min(self.array.shape) < 1:
            raise InvalidStudy(f"a volume needs at least one voxel per axis (got {self.array.shape})")
        if self.affine.shape != (4, 4):
            raise InvalidStudy(f"the affine must be 4x4 (got {self.affine.shape})")
        if not np.all(np.isfinite(self.affine)) or abs(np.linalg.det(self.affine[:3, :3])) < 1e-9:
            raise InvalidStudy("the affine must be finite and invertible")

    # -- geometry -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid size ``(I, J, K)`` in voxels."""
        return tuple(int(s) for s in self.array.shape)  # type: ignore[return-value]

    @property
    def spacing(self) -> tuple[float, float, float]:
        """Distance in mm between neighbouring voxels along i, j and k."""
        return tuple(float(v) for v in np.linalg.norm(self.affine[:3, :3], axis=0))  # type: ignore[return-value]

    @property
    def modality(self) -> str:
        """``CT``, ``MR``, ... or ``OT`` when unknown."""
        return str(self.metadata.get("modality") or "OT")

    @property
    def voxel_volume_ml(self) -> float:
        """Volume of one voxel in millilitres (cm^3)."""
        return abs(float(np.linalg.det(self.affine[:3, :3]))) / 1000.0

    def index_to_patient(self, ijk: np.ndarray) -> np.ndarray:
        """Map voxel indices, shape (N, 3), to LPS millimetres, shape (N, 3)."""
        ijk = np.asarray(ijk, dtype=np.float64).reshape(-1, 3)
        return ijk @ self.affine[:3, :3].T + self.affine[:3, 3]

    def patient_to_index(self, xyz: np.ndarray) -> np.ndarray:
        """Map LPS millimetres, shape (N, 3), to (fractional) voxel indices, shape (N, 3)."""
        inv = np.linalg.inv(self.affine)
        xyz = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
        return xyz @ inv[:3, :3].T + inv[:3, 3]

    def bounds_mm(self) -> np.ndarray:
        """Axis-aligned LPS bounding box of the voxel centres, shape (2, 3): min and max."""
        corners = np.array(
            [[i, j, k] for i in (0, self.shape[0] - 1) for j in (0, self.shape[1] - 1) for k in (0, self.shape[2] - 1)],
            dtype=np.float64,
        )
        pts = self.index_to_patient(corners)
        return np.stack([pts.min(axis=0), pts.max(axis=0)])

    def same_grid(self, other: Volume, tol_mm: float = 0.01) -> bool:
        """True when ``other`` has the same shape and an affine within ``tol_mm``."""
        if self.shape != other.shape:
            return False
        return bool(np.allclose(self.affine, other.affine, atol=tol_mm, rtol=0))

    def downsample(self, factors: tuple[int, int, int]) -> Volume:
        """Block-average by integer ``factors`` along (i, j, k); edges that do not fill a block
        are dropped. Returns a float32 volume whose affine places each block at its centre."""
        fi, fj, fk = (max(1, int(f)) for f in factors)
        if (fi, fj, fk) == (1, 1, 1):
            return Volume(self.array.astype(np.float32, copy=False), self.affine.copy(), dict(self.metadata))
        ni, nj, nk = (self.shape[0] // fi, self.shape[1] // fj, self.shape[2] // fk)
        if min(ni, nj, nk) < 1:
            raise InvalidStudy(f"cannot downsample a {self.shape} volume by {factors}")
        a = self.array[: ni * fi, : nj * fj, : nk * fk]
        out = np.zeros((ni, nj, nk), dtype=np.float32)
        for di in range(fi):  # sum the block members one strided view at a time (low memory)
            for dj in range(fj):
                for dk in range(fk):
                    out += a[di::fi, dj::fj, dk::fk]
        out /= fi * fj * fk
        scale = np.diag([fi, fj, fk, 1.0])
        shift = np.eye(4)
        shift[:3, 3] = [(fi - 1) / 2.0, (fj - 1) / 2.0, (fk - 1) / 2.0]
        return Volume(out, self.affine @ shift @ scale, dict(self.metadata))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready summary: shape, spacing, dtype, value range, LPS bounds and affine."""
        arr = self.array
        return {
            "shape": list(self.shape),
            "spacing_mm": [round(s, 4) for s in self.spacing],
            "dtype": str(arr.dtype),
            "min": float(arr.min()),
            "max": float(arr.max()),
            "bounds_lps_mm": np.round(self.bounds_mm(), 2).tolist(),
            "affine_lps": np.round(self.affine, 6).tolist(),
            "metadata": self.metadata,
        }


def downsample_factors(spacing: tuple[float, float, float], target_mm: float) -> tuple[int, int, int]:
    """Integer block factors bringing ``spacing`` (mm) closest to ``target_mm`` without going
    coarser than 1.5x the target along any axis."""
    out = []
    for s in spacing:
        f = max(1, int(target_mm / s + 0.5 + 1e-3))  # halves round up (1.5 mm on 1 mm -> 2)
        while f > 1 and f * s > 1.5 * target_mm:
            f -= 1
        out.append(f)
    return tuple(out)  # type: ignore[return-value]
