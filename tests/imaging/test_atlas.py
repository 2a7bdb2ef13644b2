"""The reference body (HRA Visible Human male) as a study."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from medverse.imaging.atlas import CREDIT, load_reference_body, write_reference_study
from medverse.imaging.gltf import read_glb, read_glb_meshes
from tests.imaging.conftest import sample_path


def test_reference_body_is_one_credited_node_per_organ_within_budget(tmp_path: Path) -> None:
    folder = sample_path("reference_body_hra_vh_male")
    glb, table = load_reference_body(folder, triangle_budget=200_000)
    doc, _ = read_glb(glb)
    assert len(doc["nodes"]) == len(table) == 20
    assert doc["scenes"][0]["extras"]["credit"] == CREDIT
    assert sum(r["triangles"] for r in table) <= 200_000 * 1.05
    nodes = {n.name: n for n in read_glb_meshes(glb)}
    skin = nodes["skin"].vertices
    lo, hi = skin.min(axis=0), skin.max(axis=0)
    for organ in ("liver", "heart", "kidney_left", "spleen", "urinary_bladder", "pancreas"):
        c = nodes[organ].vertices.mean(axis=0)
        assert np.all(c > lo) and np.all(c < hi), organ
    # patient left is +X: the left kidney and the spleen are on the +X side, the liver on -X
    assert nodes["kidney_left"].vertices[:, 0].mean() > 0 > nodes["kidney_right"].vertices[:, 0].mean()
    assert nodes["spleen"].vertices[:, 0].mean() > nodes["liver"].vertices[:, 0].mean()


def test_reference_study_folder(tmp_path: Path) -> None:
    manifest = write_reference_study(tmp_path / "ref", sample_path("reference_body_hra_vh_male"), triangle_budget=100_000)
    assert manifest["license"] == "CC-BY-4.0" and "HuBMAP" in manifest["credit"]
    assert json.loads((tmp_path / "ref" / "study.json").read_text())["kind"] == "reference"
