"""Axial, coronal and sagittal slice images at any position, aligned with the meshes.

Planes are patient-aligned (not voxel-aligned), so an oblique or tilted acquisition still gives
true axial/coronal/sagittal images. Display follows the radiological convention:

==========  ======================  =====================  ==========================
plane       position is LPS ...     image right (+col)     image down (+row)
==========  ======================  =====================  ==========================
axial       z (superior, mm)        patient left (+x)      posterior (+y)
coronal     y (posterior, mm)       patient left (+x)      inferior (-z)
sagittal    x (left, mm)            posterior (+y)         inferior (-z)
==========  ======================  =====================  ==========================

Every :class:`SliceImage` carries its placement: ``pixel_to_lps`` (4x4, pixel centre ``(col,
row, 0, 1)`` -> LPS mm) and the image's four corners in LPS mm and in the glTF patient frame,
so a client can put the picture exactly where it cuts the meshes.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any, Literal

import numpy as np

from medverse.errors import optional_import
from medverse.imaging.errors import InvalidStudy
from medverse.imaging.gltf import lps_mm_to_gltf
from medverse.imaging.labelmap import LabelMap
from medverse.imaging.volume import Volume

__all__ = ["PRESETS", "Plane", "SliceImage", "render_slice"]

Plane = Literal["axial", "coronal", "sagittal"]

#: name -> (window width, window level); CT presets in HU. ``auto`` uses the 1st-99th percentile.
PRESETS: dict[str, tuple[float, float]] = {
    "soft_tissue": (400.0, 40.0),
    "bone": (1800.0, 400.0),
    "lung": (1500.0, -600.0),
    "brain": (80.0, 40.0),
    "liver": (150.0, 60.0),
}

# plane -> (normal axis, u direction, v direction) in LPS
_PLANES: dict[str, tuple[int, np.ndarray, np.ndarray]] = {
    "axial": (2, np.array([1.0, 0, 0]), np.array([0, 1.0, 0])),
    "coronal": (1, np.array([1.0, 0, 0]), np.array([0, 0, -1.0])),
    "sagittal": (0, np.array([0, 1.0, 0]), np.array([0, 0, -1.0])),
}

_MAX_SIDE = 2048


@dataclasses.dataclass
class SliceImage:
    """A rendered slice and where it lies.

    Attributes
    ----------
    png : bytes
        8-bit grayscale (or RGB with a label overlay) PNG.
    pixels : numpy.ndarray, shape (rows, cols) or (rows, cols, 3), uint8
    plane : str
    position_mm : float
        LPS coordinate along the plane's normal axis.
    pixel_mm : float
        Pixel size in mm (square pixels).
    pixel_to_lps : numpy.ndarray, shape (4, 4)
    corners_lps_mm, corners_gltf : numpy.ndarray, shape (4, 3)
        Outer corners top-left, top-right, bottom-right, bottom-left.
    window, level : float
    """

    png: bytes
    pixels: np.ndarray
    plane: str
    position_mm: float
    pixel_mm: float
    pixel_to_lps: np.ndarray
    corners_lps_mm: np.ndarray
    corners_gltf: np.ndarray
    window: float
    level: float

    def placement(self) -> dict[str, Any]:
        """JSON-ready placement (everything but the pixels)."""
        return {
            "plane": self.plane,
            "position_mm": round(self.position_mm, 3),
            "width": int(self.pixels.shape[1]),
            "height": int(self.pixels.shape[0]),
            "pixel_mm": self.pixel_mm,
            "pixel_to_lps": np.round(self.pixel_to_lps, 6).tolist(),
            "corners_lps_mm": np.round(self.corners_lps_mm, 3).tolist(),
            "corners_gltf": np.round(self.corners_gltf, 6).tolist(),
            "window": self.window,
            "level": self.level,
        }


def render_slice(
    volume: Volume,
    plane: Plane = "axial",
    position_mm: float | None = None,
    *,
    preset: str = "soft_tissue",
    window: float | None = None,
    level: float | None = None,
    pixel_mm: float | None = None,
    labels: LabelMap | None = None,
    overlay_opacity: float = 0.4,
) -> SliceImage:
    """Resample ``volume`` on a patient-aligned plane and window it into a PNG.

    Parameters
    ----------
    volume : Volume
    plane : {"axial", "coronal", "sagittal"}
    position_mm : float, optional
        LPS coordinate along the plane normal (z for axial, y for coronal, x for sagittal);
        the centre of the volume when omitted. Must lie within the volume's extent.
    preset : str
        A key of :data:`PRESETS` (Hounsfield windows, used for CT and unknown modalities) or
        ``"auto"`` (1st-99th percentile of the slice, always used for MR); ``window``/``level``
        override it.
    pixel_mm : float, optional
        Output pixel size; the volume's smallest spacing when omitted.
    labels : LabelMap, optional
        Drawn over the image in the colour table's colours.
    overlay_opacity : float

    Returns
    -------
    SliceImage
    """
    ndi = optional_import("scipy.ndimage", "imaging")
    image_mod = optional_import("PIL.Image", "imaging")
    if plane not in _PLANES:
        raise InvalidStudy(f"plane must be one of axial, coronal, sagittal (got {plane!r})")
    axis, u, v = _PLANES[plane]
    lo, hi = volume.bounds_mm()
    if position_mm is None:
        position_mm = float((lo[axis] + hi[axis]) / 2)
    tol = max(volume.spacing) / 2
    if not lo[axis] - tol <= position_mm <= hi[axis] + tol:
        raise InvalidStudy(f"{plane} position must lie within {lo[axis]:.1f}..{hi[axis]:.1f} mm (got {position_mm:.1f} mm)")
    px = float(pixel_mm or min(volume.spacing))
    if px <= 0:
        raise InvalidStudy(f"pixel_mm must be positive (got {px})")
    u_axis, v_axis = int(np.argmax(np.abs(u))), int(np.argmax(np.abs(v)))
    u0 = lo[u_axis] if u[u_axis] > 0 else hi[u_axis]
    v0 = lo[v_axis] if v[v_axis] > 0 else hi[v_axis]
    width = int(np.floor((hi[u_axis] - lo[u_axis]) / px)) + 1
    height = int(np.floor((hi[v_axis] - lo[v_axis]) / px)) + 1
    if max(width, height) > _MAX_SIDE:
        px *= max(width, height) / _MAX_SIDE
        width = int(np.floor((hi[u_axis] - lo[u_axis]) / px)) + 1
        height = int(np.floor((hi[v_axis] - lo[v_axis]) / px)) + 1
    origin = np.zeros(3)
    origin[axis] = position_mm
    origin[u_axis] = u0
    origin[v_axis] = v0
    pixel_to_lps = np.eye(4)
    pixel_to_lps[:3, 0] = u * px
    pixel_to_lps[:3, 1] = v * px
    pixel_to_lps[:3, 2] = np.eye(3)[axis]
    pixel_to_lps[:3, 3] = origin

    cols, rows = np.meshgrid(np.arange(width), np.arange(height))
    pts = origin[None, :] + cols.reshape(-1, 1) * (u * px)[None, :] + rows.reshape(-1, 1) * (v * px)[None, :]
    ijk = volume.patient_to_index(pts).T
    fill = float(volume.array.min())
    values = (
        ndi.map_coordinates(volume.array, ijk, order=1, mode="constant", cval=fill, prefilter=False)
        .reshape(height, width)
        .astype(np.float32)
    )

    if window is None or level is None:
        if preset in PRESETS and volume.modality not in ("CT", "OT"):
            preset = "auto"  # the presets are Hounsfield windows; MR intensities have no scale
        if preset == "auto":
            p1, p99 = np.percentile(values, [1, 99]) if values.size else (0.0, 1.0)
            w0, l0 = float(max(p99 - p1, 1e-3)), float((p99 + p1) / 2)
        elif preset in PRESETS:
            w0, l0 = PRESETS[preset]
        else:
            raise InvalidStudy(f"preset must be one of {', '.join(PRESETS)} or auto (got {preset!r})")
        window = float(window if window is not None else w0)
        level = float(level if level is not None else l0)
    if window <= 0:
        raise InvalidStudy(f"window must be positive (got {window})")
    gray = np.clip((values - (level - window / 2)) / window * 255.0 + 0.5, 0, 255).astype(np.uint8)
    pixels: np.ndarray = gray
    if labels is not None:
        inv = np.linalg.inv(labels.affine)
        lijk = (pts @ inv[:3, :3].T + inv[:3, 3]).T
        lab = ndi.map_coordinates(labels.array, lijk, order=0, mode="constant", cval=0, prefilter=False).reshape(height, width)
        rgb = np.repeat(gray[:, :, None], 3, axis=2).astype(np.float32)
        for s in labels.structures.values():
            if s.envelope:
                continue
            m = lab == s.label
            if m.any():
                rgb[m] = rgb[m] * (1 - overlay_opacity) + np.array(s.color[:3]) * overlay_opacity
        pixels = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    image_mod.fromarray(pixels).save(buf, format="PNG", compress_level=3)
    corners_px = np.array([[-0.5, -0.5], [width - 0.5, -0.5], [width - 0.5, height - 0.5], [-0.5, height - 0.5]])
    corners = origin[None, :] + corners_px[:, :1] * (u * px) + corners_px[:, 1:] * (v * px)
    return SliceImage(
        png=buf.getvalue(),
        pixels=pixels,
        plane=plane,
        position_mm=float(position_mm),
        pixel_mm=px,
        pixel_to_lps=pixel_to_lps,
        corners_lps_mm=corners,
        corners_gltf=lps_mm_to_gltf(corners),
        window=float(window),
        level=float(level),
    )
