"""Slice images: planes, presets, and placement that matches the volume and the meshes."""

from __future__ import annotations

import io

import numpy as np
import pytest

from medverse.imaging.errors import InvalidStudy
from medverse.imaging.gltf import lps_mm_to_gltf
from medverse.imaging.slices import PRESETS, render_slice
from medverse.imaging.volume import Volume
from tests.imaging.conftest import rotation


@pytest.fixture(scope="module")
def marker_volume() -> Volume:
    """A volume, obliquely placed, with one bright voxel block at a known LPS point."""
    a = np.eye(4)
    a[:3, :3] = rotation("z", 30) @ np.diag([1.0, 1.0, 2.0])
    a[:3, 3] = [-20.0, -20.0, -10.0]
    arr = np.full((40, 40, 20), -1000, np.int16)
    arr[24:28, 10:14, 8:11] = 1000
    return Volume(arr, a, {"modality": "CT"})


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_the_bright_block_appears_where_the_placement_says(marker_volume: Volume, plane: str) -> None:
    target = marker_volume.index_to_patient([[25.5, 11.5, 9]])[0]
    axis = {"axial": 2, "coronal": 1, "sagittal": 0}[plane]
    img = render_slice(marker_volume, plane, float(target[axis]), preset="bone")
    rows, cols = np.nonzero(img.pixels > 200)
    assert rows.size > 0
    centre_px = np.array([cols.mean(), rows.mean(), 0.0, 1.0])
    centre_lps = (img.pixel_to_lps @ centre_px)[:3]
    assert np.linalg.norm(centre_lps - target) < 2.5
    assert np.allclose(img.corners_gltf, lps_mm_to_gltf(img.corners_lps_mm))


def test_axial_images_follow_the_radiological_convention(marker_volume: Volume) -> None:
    img = render_slice(marker_volume, "axial")
    # +col is patient left (+x), +row is posterior (+y)
    assert np.allclose(img.pixel_to_lps[:3, 0] / img.pixel_mm, [1, 0, 0])
    assert np.allclose(img.pixel_to_lps[:3, 1] / img.pixel_mm, [0, 1, 0])
    sag = render_slice(marker_volume, "sagittal")
    assert np.allclose(sag.pixel_to_lps[:3, 1] / sag.pixel_mm, [0, 0, -1])


def test_png_decodes_and_presets_window_differently(marker_volume: Volume) -> None:
    pil = pytest.importorskip("PIL.Image")
    a = render_slice(marker_volume, "axial", preset="lung")
    b = render_slice(marker_volume, "axial", preset="brain")
    assert pil.open(io.BytesIO(a.png)).size == (a.pixels.shape[1], a.pixels.shape[0])
    assert (a.window, a.level) == PRESETS["lung"] and (b.window, b.level) == PRESETS["brain"]
    assert a.placement()["plane"] == "axial"


def test_out_of_range_position_and_unknown_preset_are_refused(marker_volume: Volume) -> None:
    with pytest.raises(InvalidStudy, match="position must lie within"):
        render_slice(marker_volume, "axial", 500.0)
    with pytest.raises(InvalidStudy, match="preset"):
        render_slice(marker_volume, "axial", preset="neon")
    with pytest.raises(InvalidStudy, match="plane"):
        render_slice(marker_volume, "oblique")  # type: ignore[arg-type]


def test_label_overlay_colours_the_structure(marker_volume: Volume) -> None:
    from medverse.imaging.labelmap import LabelMap, StructureInfo

    arr = (marker_volume.array > 0).astype(np.uint8)
    lm = LabelMap(arr, marker_volume.affine, {1: StructureInfo(1, "x", (255, 0, 0, 1.0))})
    target = marker_volume.index_to_patient([[25.5, 11.5, 9]])[0]
    img = render_slice(marker_volume, "axial", float(target[2]), labels=lm, preset="soft_tissue")
    assert img.pixels.ndim == 3
    red = (img.pixels[:, :, 0].astype(int) - img.pixels[:, :, 1]) > 60
    assert red.any()


def test_mr_slices_window_automatically() -> None:
    arr = np.random.default_rng(3).uniform(100, 900, (20, 20, 5)).astype(np.float32)
    img = render_slice(Volume(arr, np.eye(4), {"modality": "MR"}), "axial", preset="brain")
    assert img.window > 300  # not the 80-wide CT brain window
    assert 0 < img.pixels.mean() < 255
