"""Known geometry in, known geometry out: spheres at known patient positions, written as DICOM
with an oblique orientation and as NIfTI, meshed, and read back from the GLB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.gltf import build_glb, gltf_to_lps_mm, read_glb_meshes
from medverse.imaging.io import read_dicom, read_nifti, write_nifti
from medverse.imaging.labelmap import LabelMap, StructureInfo
from medverse.imaging.mesh import mesh_label_map
from medverse.imaging.volume import Volume
from tests.imaging.conftest import rotation, sphere_phantom, write_series

SPACING = (1.2, 1.0, 1.5)
SHAPE = (56, 64, 44)
SPHERES = [  # centre (LPS mm), radius (mm), HU
    (np.array([12.0, -8.0, 30.0]), 12.0, 400.0),
    (np.array([-14.0, 10.0, 18.0]), 10.0, 200.0),
]


def _oblique_affine() -> np.ndarray:
    a = np.eye(4)
    rot = rotation("z", 20) @ rotation("x", -30) @ rotation("y", 12)
    a[:3, :3] = rot @ np.diag(SPACING)
    centre = np.array([0.0, 0.0, 24.0])
    a[:3, 3] = centre - a[:3, :3] @ (np.array(SHAPE) / 2.0)
    return a


def _labels(volume: Volume) -> LabelMap:
    arr = np.zeros(volume.shape, np.uint8)
    arr[volume.array >= 300] = 1
    arr[(volume.array >= 100) & (volume.array < 300)] = 2
    table = {1: StructureInfo(1, "ball_a", (255, 0, 0, 1.0)), 2: StructureInfo(2, "ball_b", (0, 255, 0, 1.0))}
    return LabelMap(arr, volume.affine, table, "test")


def _check(volume: Volume) -> None:
    meshes = mesh_label_map(_labels(volume), smooth_iterations=5)
    assert [m.name for m in meshes] == ["ball_a", "ball_b"]
    voxel = max(volume.spacing)
    for m, (centre, radius, _hu) in zip(meshes, SPHERES, strict=False):
        expected_ml = 4 / 3 * np.pi * radius**3 / 1000
        assert np.linalg.norm(np.array(m.centroid_lps_mm) - centre) < voxel
        assert m.volume_ml == pytest.approx(expected_ml, rel=0.05)
        assert m.voxel_volume_ml == pytest.approx(expected_ml, rel=0.05)
    # the GLB keeps them in place (glTF patient frame, metres)
    nodes = {n.name: n for n in read_glb_meshes(build_glb(meshes))}
    for (centre, _r, _hu), name in zip(SPHERES, ["ball_a", "ball_b"], strict=False):
        pts = gltf_to_lps_mm(nodes[name].vertices)
        assert np.linalg.norm(pts.mean(axis=0) - centre) < voxel
        assert nodes[name].extras["volume_ml"] > 0


@pytest.fixture(scope="module")
def phantom() -> Volume:
    affine = _oblique_affine()
    hu = sphere_phantom(SHAPE, affine, SPHERES)
    return Volume(hu.astype(np.int16), affine, {"modality": "CT"})


def test_spheres_from_oblique_dicom_keep_centroids_and_volumes(phantom: Volume, tmp_path: Path) -> None:
    write_series(tmp_path, phantom.array.astype(np.float32), phantom.affine)
    v = read_dicom(tmp_path)
    assert np.allclose(v.affine, phantom.affine, atol=1e-3)
    _check(v)


def test_spheres_from_nifti_keep_centroids_and_volumes(phantom: Volume, tmp_path: Path) -> None:
    path = write_nifti(phantom, tmp_path / "phantom.nii.gz")
    v = read_nifti(path)
    assert np.allclose(v.affine, phantom.affine, atol=1e-4)
    _check(v)


def test_nifti_stores_ras_and_reads_back_lps(tmp_path: Path) -> None:
    nib = pytest.importorskip("nibabel")
    affine = np.diag([2.0, 3.0, 4.0, 1.0])
    affine[:3, 3] = [10, 20, 30]
    write_nifti(Volume(np.zeros((2, 2, 2), np.int16), affine), tmp_path / "x.nii")
    ras = nib.load(str(tmp_path / "x.nii")).affine
    assert np.allclose(ras[:3, 3], [-10, -20, 30])
    assert np.allclose(ras[0, 0], -2.0)


def test_mirrored_affine_still_gives_outward_faces() -> None:
    affine = np.diag([-1.0, 1.0, 1.0, 1.0])
    arr = np.zeros((20, 20, 20), np.uint8)
    ii, jj, kk = np.meshgrid(*[np.arange(20)] * 3, indexing="ij")
    arr[(ii - 10) ** 2 + (jj - 10) ** 2 + (kk - 10) ** 2 <= 36] = 1
    meshes = mesh_label_map(LabelMap(arr, affine, {1: StructureInfo(1, "b", (1, 1, 1, 1.0))}))
    assert meshes[0].mesh.signed_volume_mm3() > 0


def test_sheared_grid_survives_nifti_through_the_sform(tmp_path: Path) -> None:
    nib = pytest.importorskip("nibabel")
    affine = np.eye(4)
    affine[1, 2] = 0.5  # gantry tilt
    affine[2, 2] = 2.0
    path = write_nifti(Volume(np.zeros((3, 3, 3), np.int16), affine), tmp_path / "t.nii.gz")
    assert np.allclose(read_nifti(path).affine, affine)
    assert int(nib.load(str(path)).header["qform_code"]) == 0
