"""glTF 2.0 binary (GLB) writing and reading, written here because the format is small.

**Frame.** glTF is +Y up and metres. Our scenes use the *glTF patient frame*: +X = patient left,
+Y = superior, +Z = anterior, in metres, i.e. LPS millimetres rotated (no mirror) and scaled:

    x_gltf = x_lps / 1000,   y_gltf = z_lps / 1000,   z_gltf = -y_lps / 1000

(:data:`LPS_MM_TO_GLTF`). It is also the frame of the HRA reference-body meshes, so both load
into the same viewer the same way. The scene's ``extras`` repeat the matrix.

Each structure is one node with one mesh of one primitive (one draw call), named after the
structure, with ``extras``: ``label``, ``volume_ml``, ``surface_area_cm2``, ``color`` (sRGB
0-255 and opacity), ``centroid_lps_mm``, ``triangles``.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from typing import Any

import numpy as np

from medverse.imaging.errors import InvalidStudy
from medverse.imaging.mesh import Mesh, StructureMesh

__all__ = ["LPS_MM_TO_GLTF", "GltfNodeMesh", "build_glb", "gltf_to_lps_mm", "lps_mm_to_gltf", "read_glb", "read_glb_meshes"]

#: Homogeneous 4x4: LPS millimetres -> glTF patient frame metres.
LPS_MM_TO_GLTF = np.array([[0.001, 0, 0, 0], [0, 0, 0.001, 0], [0, -0.001, 0, 0], [0, 0, 0, 1.0]])

_FLOAT, _UINT16, _UINT32, _UINT8 = 5126, 5123, 5125, 5121
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963


def lps_mm_to_gltf(points: np.ndarray) -> np.ndarray:
    """LPS mm, shape (N, 3) -> glTF patient frame metres, shape (N, 3)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return np.stack([p[:, 0], p[:, 2], -p[:, 1]], axis=1) / 1000.0


def gltf_to_lps_mm(points: np.ndarray) -> np.ndarray:
    """glTF patient frame metres, shape (N, 3) -> LPS mm, shape (N, 3)."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    return np.stack([p[:, 0], -p[:, 2], p[:, 1]], axis=1) * 1000.0


def _srgb_to_linear(c: float) -> float:
    c = c / 255.0
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


class _Builder:
    def __init__(self) -> None:
        self.blob = bytearray()
        self.views: list[dict[str, Any]] = []
        self.accessors: list[dict[str, Any]] = []

    def add(self, data: np.ndarray, component: int, kind: str, target: int, minmax: bool = False) -> int:
        while len(self.blob) % 4:
            self.blob.append(0)
        raw = np.ascontiguousarray(data).tobytes()
        self.views.append({"buffer": 0, "byteOffset": len(self.blob), "byteLength": len(raw), "target": target})
        self.blob.extend(raw)
        acc: dict[str, Any] = {
            "bufferView": len(self.views) - 1,
            "componentType": component,
            "count": int(data.shape[0]) if kind != "SCALAR" else int(data.size),
            "type": kind,
        }
        if minmax:
            acc["min"] = [float(v) for v in data.min(axis=0)]
            acc["max"] = [float(v) for v in data.max(axis=0)]
        self.accessors.append(acc)
        return len(self.accessors) - 1


def build_glb(
    structures: Sequence[StructureMesh], *, scene_name: str = "study", scene_extras: dict[str, Any] | None = None
) -> bytes:
    """Encode structures as one GLB (one named node and one draw call per structure).

    Parameters
    ----------
    structures : sequence of StructureMesh
        Vertices in LPS mm; written in the glTF patient frame (metres).
    scene_name : str
    scene_extras : dict, optional
        Added to the scene's ``extras`` (credit, source, ...).

    Returns
    -------
    bytes
        A valid glTF 2.0 binary.
    """
    b = _Builder()
    nodes, meshes, materials = [], [], []
    for s in structures:
        m = s.mesh
        if m.n_triangles == 0:
            continue
        pos = lps_mm_to_gltf(m.vertices).astype(np.float32)
        normals = m.normals if m.normals is not None else _normals(m)
        nrm = np.stack([normals[:, 0], normals[:, 2], -normals[:, 1]], axis=1).astype(np.float32)
        faces = m.faces.astype(np.uint32)
        if len(pos) < 65536:
            idx_acc = b.add(faces.astype(np.uint16).ravel(), _UINT16, "SCALAR", _ELEMENT_ARRAY_BUFFER)
        else:
            idx_acc = b.add(faces.ravel(), _UINT32, "SCALAR", _ELEMENT_ARRAY_BUFFER)
        pos_acc = b.add(pos, _FLOAT, "VEC3", _ARRAY_BUFFER, minmax=True)
        nrm_acc = b.add(nrm, _FLOAT, "VEC3", _ARRAY_BUFFER)
        r, g, bl, a = s.color
        material = {
            "name": s.name,
            "pbrMetallicRoughness": {
                "baseColorFactor": [_srgb_to_linear(r), _srgb_to_linear(g), _srgb_to_linear(bl), float(a)],
                "metallicFactor": 0.0,
                "roughnessFactor": 0.6,
            },
            "alphaMode": "BLEND" if a < 1.0 else "OPAQUE",
        }
        materials.append(material)
        meshes.append(
            {
                "name": s.name,
                "primitives": [
                    {
                        "attributes": {"POSITION": pos_acc, "NORMAL": nrm_acc},
                        "indices": idx_acc,
                        "material": len(materials) - 1,
                        "mode": 4,
                    }
                ],
            }
        )
        nodes.append(
            {
                "name": s.name,
                "mesh": len(meshes) - 1,
                "extras": {
                    "label": int(s.label),
                    "name": s.name,
                    "volume_ml": round(float(s.volume_ml), 3),
                    "surface_area_cm2": round(float(s.surface_area_cm2), 3),
                    "color": [int(r), int(g), int(bl), float(a)],
                    "centroid_lps_mm": [round(float(c), 3) for c in s.centroid_lps_mm],
                    "triangles": m.n_triangles,
                },
            }
        )
    extras = {
        "frame": "glTF patient frame: +X patient left, +Y superior, +Z anterior; metres",
        "lps_mm_to_gltf": LPS_MM_TO_GLTF.tolist(),
    }
    extras.update(scene_extras or {})
    doc: dict[str, Any] = {
        "asset": {"version": "2.0", "generator": "medverse.imaging"},
        "scene": 0,
        "scenes": [{"name": scene_name, "nodes": list(range(len(nodes))), "extras": extras}],
        "nodes": nodes,
        "meshes": meshes,
        "materials": materials,
        "accessors": b.accessors,
        "bufferViews": b.views,
    }
    if b.blob:
        while len(b.blob) % 4:
            b.blob.append(0)
        doc["buffers"] = [{"byteLength": len(b.blob)}]
    else:
        doc.pop("accessors")
        doc.pop("bufferViews")
    js = json.dumps(doc, separators=(",", ":")).encode("utf-8")
    js += b" " * (-len(js) % 4)
    chunks = struct.pack("<II", len(js), 0x4E4F534A) + js
    if b.blob:
        chunks += struct.pack("<II", len(b.blob), 0x004E4942) + bytes(b.blob)
    return struct.pack("<III", 0x46546C67, 2, 12 + len(chunks)) + chunks


def _normals(m: Mesh) -> np.ndarray:
    from medverse.imaging.mesh import vertex_normals

    return vertex_normals(m.vertices, m.faces)


def read_glb(data: bytes) -> tuple[dict[str, Any], bytes]:
    """Split a GLB into its JSON document and binary chunk (validating the container)."""
    if len(data) < 20 or data[:4] != b"glTF":
        raise InvalidStudy("expected a glTF binary (magic 'glTF')")
    _magic, version, length = struct.unpack_from("<III", data, 0)
    if version != 2 or length > len(data):
        raise InvalidStudy(f"expected glTF 2.0 of {length} bytes (got version {version}, {len(data)} bytes)")
    offset, doc, blob = 12, None, b""
    while offset + 8 <= length:
        clen, ctype = struct.unpack_from("<II", data, offset)
        chunk = data[offset + 8 : offset + 8 + clen]
        if ctype == 0x4E4F534A:
            doc = json.loads(chunk.decode("utf-8"))
        elif ctype == 0x004E4942:
            blob = bytes(chunk)
        offset += 8 + clen
    if doc is None:
        raise InvalidStudy("glTF binary has no JSON chunk")
    return doc, blob


_NP = {_FLOAT: np.float32, _UINT32: np.uint32, _UINT16: np.uint16, _UINT8: np.uint8}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def _accessor(doc: dict[str, Any], blob: bytes, index: int) -> np.ndarray:
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype = np.dtype(_NP[acc["componentType"]])
    width = _WIDTH[acc["type"]]
    start = view.get("byteOffset", 0) + acc.get("byteOffset", 0)
    stride = view.get("byteStride") or dtype.itemsize * width
    count = acc["count"]
    raw = np.frombuffer(blob, dtype=np.uint8, count=stride * (count - 1) + dtype.itemsize * width, offset=start)
    rows = np.lib.stride_tricks.as_strided(raw, shape=(count, dtype.itemsize * width), strides=(stride, 1))
    return np.ascontiguousarray(rows).view(dtype).reshape(count, width)


def _node_matrix(node: dict[str, Any]) -> np.ndarray:
    if "matrix" in node:
        return np.array(node["matrix"], dtype=np.float64).reshape(4, 4).T
    t = np.eye(4)
    t[:3, 3] = node.get("translation", [0, 0, 0])
    x, y, z, w = node.get("rotation", [0, 0, 0, 1])
    r = np.eye(4)
    r[:3, :3] = [
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ]
    s = np.diag([*list(node.get("scale", [1, 1, 1])), 1.0])
    return t @ r @ s


class GltfNodeMesh:
    """A mesh read back from a GLB: node name, world-space vertices (glTF frame), faces, extras."""

    def __init__(self, name: str, vertices: np.ndarray, faces: np.ndarray, extras: dict[str, Any]) -> None:
        self.name = name
        self.vertices = vertices
        self.faces = faces
        self.extras = extras


def read_glb_meshes(data: bytes) -> list[GltfNodeMesh]:
    """Every mesh node of a GLB with node transforms applied (triangles only).

    Returns
    -------
    list of GltfNodeMesh
        Vertices shape (N, 3) float64 in the file's world frame (metres), faces (M, 3) int64.
    """
    doc, blob = read_glb(data)
    nodes = doc.get("nodes", [])
    scene = doc.get("scenes", [{}])[doc.get("scene", 0)] if doc.get("scenes") else {"nodes": list(range(len(nodes)))}
    out: list[GltfNodeMesh] = []
    stack = [(i, np.eye(4)) for i in scene.get("nodes", [])]
    seen = 0
    while stack:
        i, parent = stack.pop()
        seen += 1
        if seen > 100_000:
            raise InvalidStudy("glTF node hierarchy is cyclic or too large")
        node = nodes[i]
        world = parent @ _node_matrix(node)
        if "mesh" in node:
            verts_all, faces_all, base = [], [], 0
            for prim in doc["meshes"][node["mesh"]]["primitives"]:
                if prim.get("mode", 4) != 4:
                    continue
                pos = _accessor(doc, blob, prim["attributes"]["POSITION"]).astype(np.float64)
                if "indices" in prim:
                    idx = _accessor(doc, blob, prim["indices"]).astype(np.int64).reshape(-1, 3)
                else:
                    idx = np.arange(len(pos), dtype=np.int64).reshape(-1, 3)
                verts_all.append(pos @ world[:3, :3].T + world[:3, 3])
                faces_all.append(idx + base)
                base += len(pos)
            if verts_all:
                out.append(
                    GltfNodeMesh(
                        node.get("name", f"node_{i}"),
                        np.concatenate(verts_all),
                        np.concatenate(faces_all),
                        dict(node.get("extras", {})),
                    )
                )
        for c in node.get("children", []):
            stack.append((c, world))
    return out
