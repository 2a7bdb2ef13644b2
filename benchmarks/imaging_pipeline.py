"""Imaging engine figures: end-to-end time and peak memory, triangles and GLB sizes.

1. **512x512x300 CT, end to end** (read DICOM -> segment -> mesh -> GLB). The input is built by
   resampling the real sample CT (``ct_abdomen_3mm``, 122x101x112 at 3 mm, trilinear) to
   512x512x300 and writing it as an uncompressed 300-file DICOM series; building it is not timed.
   The pipeline then runs in a fresh child process so its peak RSS is its own. Target: <= 15 s,
   <= 3 GB peak RSS, <= 500k triangles.
2. **Baseline in the same run**: the same read followed by plain scikit-image marching cubes at
   full resolution on two iso-levels (body at -300 HU, bone at +300 HU), no segmentation
   clean-up, no smoothing, no decimation, same GLB writer. Printed as a ratio.
3. **Abdomen sample end to end** (NIfTI 3 mm, in-process, imports warmed): target <= 3 s.
4. **GLB size and triangle count per study** (every sample study we can build).

Run: ``.venv/bin/python benchmarks/imaging_pipeline.py [--quick]`` (``--quick`` skips 1-2).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f} at start"
    )


def build_big_series(folder: Path) -> None:
    """Resample the sample CT to 512x512x300 and write it as a DICOM series (not timed)."""
    import scipy.ndimage as ndi
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    from medverse import samples
    from medverse.imaging.io import read_nifti

    v = read_nifti(samples.path("ct_abdomen_3mm"))
    shape = (512, 512, 300)
    zoom = [n / s for n, s in zip(shape, v.shape, strict=False)]
    big = ndi.zoom(v.array.astype(np.int16), zoom, order=1)
    scale = np.diag([1 / z for z in zoom] + [1.0])
    affine = v.affine @ scale
    # the NIfTI is RAS-stored; make the DICOM rows/columns the usual LPS axial layout
    row_dir = affine[:3, 0] / np.linalg.norm(affine[:3, 0])
    col_dir = affine[:3, 1] / np.linalg.norm(affine[:3, 1])
    ps = (float(np.linalg.norm(affine[:3, 1])), float(np.linalg.norm(affine[:3, 0])))
    series, frame = generate_uid(), generate_uid()
    folder.mkdir(parents=True, exist_ok=True)
    for k in range(shape[2]):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = "CT"
        ds.SeriesInstanceUID = series
        ds.FrameOfReferenceUID = frame
        ds.ImagePositionPatient = [float(x) for x in affine[:3, :3] @ [0, 0, k] + affine[:3, 3]]
        ds.ImageOrientationPatient = [float(x) for x in np.concatenate([row_dir, col_dir])]
        ds.PixelSpacing = [ps[0], ps[1]]
        ds.Rows, ds.Columns = shape[1], shape[0]
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, 0
        ds.PixelData = np.ascontiguousarray(big[:, :, k].T).tobytes()
        ds.save_as(folder / f"CT{k:04d}.dcm", enforce_file_format=True)


CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np
from medverse.imaging.io import read_dicom
from medverse.imaging.segment import segment_ct
from medverse.imaging.mesh import mesh_label_map, surface_from_mask, StructureMesh
from medverse.imaging.gltf import build_glb
import skimage.measure, scipy.ndimage, fast_simplification  # imports are not timed
mode, folder = sys.argv[1], sys.argv[2]
out = {"imports_s": time.perf_counter() - t0}
cpu0 = time.process_time()
t = time.perf_counter(); v = read_dicom(folder); out["read_s"] = time.perf_counter() - t
if mode == "medverse":
    t = time.perf_counter(); labels = segment_ct(v); out["segment_s"] = time.perf_counter() - t
    t = time.perf_counter(); meshes = mesh_label_map(labels); out["mesh_s"] = time.perf_counter() - t
else:
    out["segment_s"] = 0.0
    t = time.perf_counter()
    meshes = []
    for n, (name, level) in enumerate((("body", -300), ("bone", 300)), 1):
        vv, ff, _a, _b = skimage.measure.marching_cubes(v.array, level=level)
        pts = vv @ v.affine[:3, :3].T + v.affine[:3, 3]
        from medverse.imaging.mesh import Mesh
        m = Mesh(pts.astype(np.float32), ff.astype(np.uint32))
        meshes.append(StructureMesh(n, name, (200, 200, 200, 1.0), m, 0.0, 0.0, 0.0, [0, 0, 0], m.n_triangles))
    out["mesh_s"] = time.perf_counter() - t
t = time.perf_counter(); glb = build_glb(meshes); out["glb_s"] = time.perf_counter() - t
out["total_s"] = out["read_s"] + out["segment_s"] + out["mesh_s"] + out["glb_s"]
out["cpu_s"] = time.process_time() - cpu0
out["triangles"] = int(sum(m.mesh.n_triangles for m in meshes))
out["structures"] = len(meshes)
out["glb_mb"] = len(glb) / 1e6
out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def run_child(mode: str, folder: Path) -> dict[str, float]:
    res = subprocess.run([sys.executable, "-c", CHILD, mode, str(folder)], capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def abdomen_end_to_end(repeats: int = 3) -> dict[str, float]:
    from medverse import samples
    from medverse.imaging.gltf import build_glb
    from medverse.imaging.io import read_nifti
    from medverse.imaging.mesh import mesh_label_map
    from medverse.imaging.segment import segment_ct

    path = samples.path("ct_abdomen_3mm")
    best: dict[str, float] | None = None
    for _ in range(repeats):
        r: dict[str, float] = {}
        t = time.perf_counter()
        v = read_nifti(path)
        r["read_s"] = time.perf_counter() - t
        t = time.perf_counter()
        lab = segment_ct(v)
        r["segment_s"] = time.perf_counter() - t
        t = time.perf_counter()
        ms = mesh_label_map(lab)
        r["mesh_s"] = time.perf_counter() - t
        t = time.perf_counter()
        glb = build_glb(ms)
        r["glb_s"] = time.perf_counter() - t
        r["total_s"] = sum(r.values())
        r["triangles"] = sum(m.mesh.n_triangles for m in ms)
        r["glb_mb"] = len(glb) / 1e6
        if best is None or r["total_s"] < best["total_s"]:
            best = r
    assert best is not None
    return best


def per_study_table(tmp: Path) -> list[tuple[str, int, int, float, float]]:
    from medverse import samples
    from medverse.imaging.atlas import write_reference_study
    from medverse.imaging.jobs import import_study

    rows = []
    cases = [
        ("abdomen CT 3 mm (NIfTI), tissue classes", samples.path("ct_abdomen_3mm"), {"modality": "CT"}),
        ("abdomen CT 20 slices (DICOM J2K), tissue classes", samples.path("ct_abdomen_20slices_j2k"), {}),
        (
            "abdomen CT 20 slices + TotalSegmentator labels",
            samples.path("ct_abdomen_20slices_j2k"),
            {"label_map": samples.path("ct_abdomen_20slices_seg_totalseg_v2"), "label_names": samples.path("labels_totalseg_v2")},
        ),
        (
            "abdomen CT 3 mm + TotalSegmentator labels",
            samples.path("ct_abdomen_3mm"),
            {
                "modality": "CT",
                "label_map": samples.path("ct_abdomen_3mm_seg_totalseg_v1"),
                "label_names": samples.path("labels_totalseg_v1"),
            },
        ),
        ("head MRI T1, head + brain", samples.path("head_mr_t1"), {"modality": "MR"}),
    ]
    for n, (name, src, opts) in enumerate(cases):
        t = time.perf_counter()
        m = import_study(src, tmp / f"s{n}", **opts)
        dt = time.perf_counter() - t
        size = (tmp / f"s{n}" / "scene.glb").stat().st_size / 1e6
        rows.append((name, m["structures"], m["triangles"], size, dt))
    t = time.perf_counter()
    m = write_reference_study(tmp / "ref")
    rows.append(
        (
            "reference body (HRA male, 20 organs)",
            m["structures"],
            m["triangles"],
            (tmp / "ref" / "scene.glb").stat().st_size / 1e6,
            time.perf_counter() - t,
        )
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 512x512x300 run")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    import scipy.ndimage  # noqa: F401
    import skimage.measure  # noqa: F401

    import medverse.imaging.mesh  # noqa: F401 - warm imports for the in-process runs

    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        if not args.quick:
            t = time.perf_counter()
            build_big_series(tmp / "big")
            print(
                f"built 512x512x300 DICOM series from the resampled sample CT in "
                f"{time.perf_counter() - t:.1f} s (not timed below)"
            )
            ours = run_child("medverse", tmp / "big")
            base = run_child("baseline", tmp / "big")
            print("\n512x512x300 CT, end to end (child process, imports not timed):")
            print(f"{'stage':<10}{'medverse':>12}{'baseline':>12}")
            for key in ("read_s", "segment_s", "mesh_s", "glb_s", "total_s"):
                print(f"{key[:-2]:<10}{ours[key]:>11.2f}s{base[key]:>11.2f}s")
            print(
                f"{'CPU time':<10}{ours['cpu_s']:>11.2f}s{base['cpu_s']:>11.2f}s"
                "   (user+system of the pipeline; less sensitive to other load)"
            )
            print(f"{'triangles':<10}{ours['triangles']:>12,}{base['triangles']:>12,}")
            print(f"{'GLB MB':<10}{ours['glb_mb']:>12.1f}{base['glb_mb']:>12.1f}")
            print(f"{'peak RSS':<10}{ours['peak_rss_mb']:>10.0f}MB{base['peak_rss_mb']:>10.0f}MB")
            print(
                f"ratio medverse/baseline: time {ours['total_s'] / base['total_s']:.2f}x, "
                f"triangles {ours['triangles'] / base['triangles']:.3f}x "
                f"(baseline: 2 raw iso-surfaces; medverse: {ours['structures']} cleaned, "
                "smoothed, decimated structures)"
            )
            print(
                f"targets: total <= 15 s -> {'met' if ours['total_s'] <= 15 else 'MISSED'}; "
                f"peak RSS <= 3 GB -> {'met' if ours['peak_rss_mb'] <= 3072 else 'MISSED'}; "
                f"<= 500k triangles -> {'met' if ours['triangles'] <= 500_000 else 'MISSED'}"
            )
        ab = abdomen_end_to_end()
        print("\nabdomen sample CT (122x101x112, 3 mm NIfTI), end to end, best of 3:")
        print("  " + ", ".join(f"{k[:-2]} {v:.2f} s" for k, v in ab.items() if k.endswith("_s")))
        print(
            f"  {ab['triangles']:,} triangles, GLB {ab['glb_mb']:.1f} MB; target <= 3 s -> "
            f"{'met' if ab['total_s'] <= 3 else 'MISSED'}"
        )
        print("\nper study (import_study: read, de-identify, segment or label map, mesh, write):")
        print(f"{'study':<52}{'nodes':>6}{'triangles':>11}{'GLB MB':>8}{'time':>8}")
        for name, nodes, tris, size, dt in per_study_table(tmp):
            print(f"{name:<52}{nodes:>6}{tris:>11,}{size:>8.1f}{dt:>7.1f}s")
    load = os.getloadavg()
    print(f"\nload average at the end {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    print(f"benchmark process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
