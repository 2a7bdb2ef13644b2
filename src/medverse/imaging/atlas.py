"""The reference body: the HuBMAP Human Reference Atlas male organ meshes as a study.

The meshes (``reference_body_hra_vh_male`` in :mod:`medverse.samples`) are CC BY 4.0 and must
be credited wherever they are shown: :data:`CREDIT` travels in the scene's extras, in every node's
extras and in the manifest.

Frame: the HRA files share the glTF patient frame we use (+X patient left, +Y superior,
+Z anterior, metres), except the skin, which the library centres at the origin. Its own centring
agrees with the organs within about 2 cm vertically (vertex of the skull at +0.915 m, the tibiae
end at -0.83 m); we centre it left-right and front-back on the trunk organs (spinal cord x, and
the middle of the spinal cord's back and the intestines' front), which puts every trunk organ
inside it.

Each file becomes one structure (its sub-meshes merged: one draw call per organ), decimated so
the whole body fits the triangle budget.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from medverse.imaging.colors import color_for
from medverse.imaging.errors import InvalidStudy
from medverse.imaging.gltf import build_glb, gltf_to_lps_mm, read_glb_meshes
from medverse.imaging.mesh import Mesh, StructureMesh, decimate, vertex_normals

__all__ = ["CREDIT", "REFERENCE_SAMPLE", "load_reference_body", "write_reference_study"]

REFERENCE_SAMPLE = "reference_body_hra_vh_male"

CREDIT = (
    "HuBMAP Human Reference Atlas 3D Reference Object Library (Visible Human Male), "
    "CC BY 4.0, https://humanatlas.io - Browne K. et al.; created from the Visible Human "
    "Project data of the U.S. National Library of Medicine."
)

_NAMES = {
    "3d-vh-m-larynx": "larynx",
    "3d-vh-m-main-bronchus": "main_bronchus",
    "3d-vh-m-trachea": "trachea",
    "SBU_M_Intestine_Large": "large_intestine",
    "VH_M_Heart": "heart",
    "VH_M_Kidney_L": "kidney_left",
    "VH_M_Kidney_R": "kidney_right",
    "VH_M_Knee_L": "knee_left",
    "VH_M_Knee_R": "knee_right",
    "VH_M_Liver": "liver",
    "VH_M_Pancreas": "pancreas",
    "VH_M_Pelvis": "pelvis",
    "VH_M_Skin": "skin",
    "VH_M_Small_Intestine": "small_intestine",
    "VH_M_Spinal_Cord": "spinal_cord",
    "VH_M_Spleen": "spleen",
    "VH_M_Thymus": "thymus",
    "VH_M_Ureter_L": "ureter_left",
    "VH_M_Ureter_R": "ureter_right",
    "VH_M_Urinary_Bladder": "urinary_bladder",
}


def _structure_name(path: Path) -> str:
    stem = path.name[:-4] if path.name.endswith(".glb") else path.stem
    return _NAMES.get(stem, stem.lower())


def load_reference_body(
    folder: str | Path | None = None, *, triangle_budget: int = 300_000
) -> tuple[bytes, list[dict[str, Any]]]:
    """Load the reference body as one scene.

    Parameters
    ----------
    folder : path, optional
        Folder of HRA ``.glb`` files; the sample registry's mirror when omitted.
    triangle_budget : int
        Triangles for the whole body.

    Returns
    -------
    (bytes, list of dict)
        The GLB (one node per organ, credit in extras) and the structure table.
    """
    if folder is None:
        from medverse import samples

        folder = samples.path(REFERENCE_SAMPLE)
    files = sorted(Path(folder).glob("*.glb"))
    if not files:
        raise InvalidStudy(f"expected HRA .glb files in the reference folder {Path(folder).name!r}, found none")
    parts: list[tuple[str, np.ndarray, np.ndarray]] = []
    for f in files:
        nodes = read_glb_meshes(f.read_bytes())
        if not nodes:
            continue
        verts, faces, base = [], [], 0
        for n in nodes:
            verts.append(n.vertices)
            faces.append(n.faces + base)
            base += len(n.vertices)
        parts.append((_structure_name(f), np.concatenate(verts), np.concatenate(faces)))
    parts = _align_skin(parts)
    total = sum(len(f) for _, _, f in parts)
    structures: list[StructureMesh] = []
    for label, (name, v_gltf, tris) in enumerate(parts, start=1):
        mesh = Mesh(gltf_to_lps_mm(v_gltf).astype(np.float32), tris.astype(np.uint32))
        raw = mesh.n_triangles
        if total > triangle_budget:
            mesh = decimate(mesh, max(200, int(triangle_budget * raw / total)))
        mesh.normals = vertex_normals(mesh.vertices, mesh.faces)
        structures.append(
            StructureMesh(
                label=label,
                name=name,
                color=color_for(name, label),
                mesh=mesh,
                volume_ml=mesh.volume_ml(),
                voxel_volume_ml=float("nan"),
                surface_area_cm2=mesh.area_mm2() / 100.0,
                centroid_lps_mm=[float(c) for c in mesh.vertices.mean(axis=0)],
                raw_triangles=raw,
            )
        )
    glb = build_glb(
        structures,
        scene_name="reference body (HRA Visible Human male)",
        scene_extras={"credit": CREDIT, "license": "CC-BY-4.0", "source": "HuBMAP HRA ccf-releases v1.1-v1.4"},
    )
    table = []
    for s in structures:
        row = s.summary()
        row.pop("voxel_volume_ml", None)
        row["credit"] = CREDIT
        table.append(row)
    return glb, table


def _align_skin(parts: list[tuple[str, np.ndarray, np.ndarray]]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    byname = {n: v for n, v, _ in parts}
    if "skin" not in byname or "spinal_cord" not in byname:
        return parts
    cord = byname["spinal_cord"]
    front = max(
        (byname[n][:, 2].max() for n in ("large_intestine", "small_intestine", "liver") if n in byname), default=cord[:, 2].max()
    )
    skin = byname["skin"]
    trunk = skin[(skin[:, 1] > cord[:, 1].min()) & (skin[:, 1] < cord[:, 1].max()) & (np.abs(skin[:, 0]) < 0.2)]
    if len(trunk) == 0:
        return parts
    shift = np.array(
        [
            cord[:, 0].mean() - (trunk[:, 0].min() + trunk[:, 0].max()) / 2,
            0.0,
            (cord[:, 2].min() + front) / 2 - (trunk[:, 2].min() + trunk[:, 2].max()) / 2,
        ]
    )
    return [(n, v + shift if n == "skin" else v, f) for n, v, f in parts]


def write_reference_study(
    out_dir: str | Path, folder: str | Path | None = None, *, triangle_budget: int = 300_000, overwrite: bool = False
) -> dict[str, Any]:
    """Write the reference body as a study folder (``scene.glb``, ``structures.json``,
    ``study.json`` with the credit), atomically like :func:`~medverse.imaging.jobs.import_study`.
    """
    out = Path(out_dir)
    if out.exists() and not overwrite:
        raise InvalidStudy(f"the study folder {out.name!r} already exists (overwrite=True replaces it)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        glb, table = load_reference_body(folder, triangle_budget=triangle_budget)
        (tmp / "scene.glb").write_bytes(glb)
        (tmp / "structures.json").write_text(json.dumps(table, indent=1))
        manifest = {
            "id": out.name,
            "kind": "reference",
            "modality": "MESH",
            "credit": CREDIT,
            "license": "CC-BY-4.0",
            "structures": len(table),
            "triangles": int(sum(r["triangles"] for r in table)),
            "coordinates": {"scene": "glTF patient frame: +X patient left, +Y superior, +Z anterior; metres"},
            "files": ["study.json", "structures.json", "scene.glb"],
        }
        (tmp / "study.json").write_text(json.dumps(manifest, indent=1))
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
        return manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
