"""Label maps made elsewhere: name tables, grid alignment, DICOM SEG, and the real series with
its TotalSegmentator map lining up with our own segmentation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medverse.imaging.errors import LabelGridMismatch
from medverse.imaging.io import write_nifti
from medverse.imaging.labelmap import (
    align_to_grid,
    read_dicom_seg,
    read_label_map,
    read_label_table,
)
from medverse.imaging.mesh import mesh_label_map
from medverse.imaging.segment import segment_ct
from medverse.imaging.volume import Volume
from tests.imaging.conftest import sample_path


def test_totalsegmentator_tables_are_read() -> None:
    v1 = read_label_table(sample_path("labels_totalseg_v1"))
    v2 = read_label_table(sample_path("labels_totalseg_v2"))
    assert v1[5] == "liver" and len(v1) == 104
    assert len(v2) == 117


def test_label_table_rejects_non_integer_labels(tmp_path: Path) -> None:
    (tmp_path / "t.tsv").write_text("label\tname\n1\tliver\nx\tspleen\n")
    with pytest.raises(ValueError, match="integer"):
        read_label_table(tmp_path / "t.tsv")


def test_real_series_and_its_label_map_line_up(dicom20_j2k: Volume) -> None:
    labels = read_label_map(
        sample_path("ct_abdomen_20slices_seg_totalseg_v2"), sample_path("labels_totalseg_v2"), reference=dicom20_j2k
    )
    assert labels.array.shape == dicom20_j2k.shape
    liver_id = next(k for k, s in labels.structures.items() if s.name == "liver")
    liver = labels.array == liver_id
    # the map is stored LAS: after alignment the liver sits on the patient's right (x < 0 in LPS)
    centre = dicom20_j2k.index_to_patient(np.argwhere(liver).mean(axis=0))[0]
    body_centre = dicom20_j2k.index_to_patient(np.argwhere(dicom20_j2k.array > -300).mean(axis=0))[0]
    assert centre[0] < body_centre[0] - 30
    # liver voxels are soft tissue in the CT
    assert 20 < float(np.median(dicom20_j2k.array[liver])) < 120

    own = segment_ct(dicom20_j2k)
    meshes = {m.name: m for m in mesh_label_map(labels, triangle_budget=100_000)}
    liver_mesh = meshes["liver"].mesh
    body = own.array > 0
    idx = np.rint(np.linalg.solve(own.affine, np.c_[liver_mesh.vertices, np.ones(len(liver_mesh.vertices))].T)[:3].T)
    idx = np.clip(idx.astype(int), 0, np.array(body.shape) - 1)
    inside = body[idx[:, 0], idx[:, 1], idx[:, 2]]
    assert inside.mean() > 0.99


def test_label_map_on_another_grid_is_refused(dicom20_j2k: Volume, tmp_path: Path) -> None:
    affine = dicom20_j2k.affine.copy()
    affine[:3, 3] += [0.5, 0, 0]  # half a voxel off
    write_nifti(Volume(np.ones((512, 512, 20), np.uint8), affine), tmp_path / "off.nii.gz")
    with pytest.raises(LabelGridMismatch, match="must lie on the image grid"):
        read_label_map(tmp_path / "off.nii.gz", reference=dicom20_j2k)
    small = Volume(np.ones((10, 10, 10), np.uint8), np.diag([3.0, 3.0, 3.0, 1.0]))
    write_nifti(small, tmp_path / "coarse.nii.gz")
    with pytest.raises(LabelGridMismatch):
        read_label_map(tmp_path / "coarse.nii.gz", reference=dicom20_j2k)


def test_align_handles_flips_permutations_and_sub_grids() -> None:
    ref = Volume(np.zeros((4, 5, 6), np.int16), np.eye(4))
    arr = np.arange(4 * 5 * 6).reshape(4, 5, 6)
    flipped = np.flip(arr, axis=1).transpose(2, 0, 1)  # stored (k, i, -j)
    affine = np.zeros((4, 4))
    affine[0, 1] = 1.0
    affine[1, 2] = -1.0
    affine[2, 0] = 1.0
    affine[1, 3] = 4.0
    affine[3, 3] = 1.0
    assert np.array_equal(align_to_grid(flipped, affine, ref), arr)
    sub = np.ones((2, 2, 2), np.uint8)
    shifted = np.eye(4)
    shifted[:3, 3] = [1, 2, 3]
    out = align_to_grid(sub, shifted, ref)
    assert out.sum() == 8 and out[1, 2, 3] == 1


def _seg_dataset(reference: Volume, masks: dict[int, np.ndarray], names: dict[int, str]):
    pytest.importorskip("pydicom")
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.pixels import pack_bits
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.66.4"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "SEG"
    ds.SegmentationType = "BINARY"
    cols, rows, _nk = reference.shape
    ds.Rows, ds.Columns = rows, cols
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelRepresentation = 0
    segs = []
    for num, name in names.items():
        item = Dataset()
        item.SegmentNumber = num
        item.SegmentLabel = name
        segs.append(item)
    ds.SegmentSequence = Sequence(segs)
    shared = Dataset()
    orient = Dataset()
    a = reference.affine
    orient.ImageOrientationPatient = list(a[:3, 0] / np.linalg.norm(a[:3, 0])) + list(a[:3, 1] / np.linalg.norm(a[:3, 1]))
    measures = Dataset()
    measures.PixelSpacing = [float(np.linalg.norm(a[:3, 1])), float(np.linalg.norm(a[:3, 0]))]
    measures.SliceThickness = float(np.linalg.norm(a[:3, 2]))
    shared.PlaneOrientationSequence = Sequence([orient])
    shared.PixelMeasuresSequence = Sequence([measures])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    frames, groups = [], []
    for num, mask in masks.items():
        for k in range(mask.shape[2]):
            if not mask[:, :, k].any():
                continue
            g = Dataset()
            pos = Dataset()
            pos.ImagePositionPatient = list(reference.index_to_patient([[0, 0, k]])[0])
            ident = Dataset()
            ident.ReferencedSegmentNumber = num
            g.PlanePositionSequence = Sequence([pos])
            g.SegmentIdentificationSequence = Sequence([ident])
            groups.append(g)
            frames.append(mask[:, :, k].T.astype(np.uint8))
    ds.PerFrameFunctionalGroupsSequence = Sequence(groups)
    ds.NumberOfFrames = len(frames)
    ds.PixelData = pack_bits(np.stack(frames))
    return ds


def test_dicom_seg_segments_land_on_the_reference_grid(tmp_path: Path) -> None:
    ref = Volume(np.zeros((16, 12, 6), np.int16), np.diag([0.7, 0.7, 2.5, 1.0]))
    a = np.zeros(ref.shape, bool)
    a[2:6, 3:7, 1:3] = True
    b = np.zeros(ref.shape, bool)
    b[9:14, 1:4, 4] = True
    ds = _seg_dataset(ref, {1: a, 2: b}, {1: "tumour", 2: "cyst"})
    ds.save_as(tmp_path / "seg.dcm", enforce_file_format=True)
    lm = read_label_map(tmp_path / "seg.dcm", reference=ref)
    assert np.array_equal(lm.array == 1, a) and np.array_equal(lm.array == 2, b)
    assert {s.name for s in lm.structures.values()} == {"tumour", "cyst"}
    standalone = read_dicom_seg(tmp_path / "seg.dcm")
    assert standalone.present_labels() == [1, 2]
