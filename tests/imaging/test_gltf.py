"""GLB encoding: container validity, one node per structure, frame, budget."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from medverse.imaging.gltf import (
    LPS_MM_TO_GLTF,
    build_glb,
    gltf_to_lps_mm,
    lps_mm_to_gltf,
    read_glb,
)
from medverse.imaging.labelmap import LabelMap, StructureInfo
from medverse.imaging.mesh import mesh_label_map


def _labels(n: int = 3) -> LabelMap:
    arr = np.zeros((40, 40, 40), np.uint8)
    for k in range(1, n + 1):
        arr[4 + 10 * (k - 1) : 12 + 10 * (k - 1), 5:30, 8:33] = k
    table = {k: StructureInfo(k, f"s{k}", (200, 100, 50, 1.0 if k != 2 else 0.5)) for k in range(1, n + 1)}
    return LabelMap(arr, np.diag([1.5, 1.5, 1.5, 1.0]), table)


def test_glb_container_and_nodes() -> None:
    meshes = mesh_label_map(_labels())
    glb = build_glb(meshes, scene_extras={"credit": "test"})
    magic, version, length = struct.unpack_from("<III", glb, 0)
    assert (magic, version, length) == (0x46546C67, 2, len(glb)) and len(glb) % 4 == 0
    doc, blob = read_glb(glb)
    assert [n["name"] for n in doc["nodes"]] == ["s1", "s2", "s3"]
    assert all(len(m["primitives"]) == 1 for m in doc["meshes"])  # one draw call each
    extras = doc["nodes"][0]["extras"]
    assert set(extras) >= {"label", "volume_ml", "surface_area_cm2", "color"}
    assert extras["volume_ml"] == pytest.approx(8 * 25 * 25 * 1.5**3 / 1000, rel=0.1)
    assert doc["materials"][1]["alphaMode"] == "BLEND"
    assert doc["scenes"][0]["extras"]["credit"] == "test"
    assert doc["buffers"][0]["byteLength"] == len(blob)
    for acc in doc["accessors"]:
        view = doc["bufferViews"][acc["bufferView"]]
        assert view["byteOffset"] % 4 == 0


def test_triangle_budget_is_shared_across_structures() -> None:
    meshes = mesh_label_map(_labels(), triangle_budget=3000, smooth_iterations=0)
    assert sum(m.mesh.n_triangles for m in meshes) <= 3000 * 1.1
    assert all(m.raw_triangles > m.mesh.n_triangles for m in meshes)


def test_frame_conversion_is_a_rotation_and_inverts() -> None:
    assert np.linalg.det(LPS_MM_TO_GLTF[:3, :3] * 1000) == pytest.approx(1.0)
    pts = np.array([[10.0, 20.0, 30.0]])
    assert np.allclose(lps_mm_to_gltf(pts), [[0.01, 0.03, -0.02]])  # left, superior, anterior
    assert np.allclose(gltf_to_lps_mm(lps_mm_to_gltf(pts)), pts)


def test_invalid_glb_is_refused() -> None:
    with pytest.raises(ValueError, match="glTF"):
        read_glb(b"not a glb at all, really")


def test_at_most_100_structures_keeping_the_largest() -> None:
    arr = np.zeros((110, 8, 8), np.uint16)
    for k in range(1, 106):
        arr[k - 1, 2 : 2 + (2 if k > 5 else 6), 2:6] = k  # labels 1-5 are bigger
    table = {k: StructureInfo(k, f"s{k}", (1, 2, 3, 1.0)) for k in range(1, 106)}
    meshes = mesh_label_map(LabelMap(arr, np.eye(4), table), smooth_sigma=0.0)
    assert len(meshes) == 100
    assert {"s1", "s2", "s3", "s4", "s5"} <= {m.name for m in meshes}


def test_decimation_is_safe_from_two_threads_at_once() -> None:
    import threading

    from medverse.imaging.mesh import decimate, surface_from_mask

    def ball(r: int):
        ii, jj, kk = np.meshgrid(*[np.arange(60)] * 3, indexing="ij")
        mask = (ii - 30) ** 2 + (jj - 30) ** 2 + (kk - 30) ** 2 < r * r
        return surface_from_mask(mask, np.eye(4), 0.0)

    meshes = [ball(25), ball(12)]
    targets = [3000, 600]
    serial = [decimate(m, t).n_triangles for m, t in zip(meshes, targets, strict=False)]
    for _ in range(3):
        results: dict[int, int] = {}

        def run(i: int, results: dict[int, int] = results) -> None:
            results[i] = decimate(meshes[i], targets[i]).n_triangles

        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert [results[0], results[1]] == serial


def test_normals_are_unit_length_even_for_unused_vertices() -> None:
    from medverse.imaging.mesh import vertex_normals

    verts = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [5, 5, 5]], np.float32)  # last one unused
    normals = vertex_normals(verts, np.array([[0, 1, 2]], np.uint32))
    assert np.allclose(np.linalg.norm(normals, axis=1), 1.0)
    assert np.allclose(normals[0], [0, 0, 1])
