"""The sample-data registry: real, redistributable scans, meshes and waveforms by name.

Each sample has a file list with SHA-256 digests and sizes, its source and its license (from the
mirror's MANIFEST.md). Files are never committed to the project; they are resolved from a local
mirror folder, found in this order:

1. ``MEDVERSE_SAMPLES_DIR`` (environment variable), when set;
2. a ``shared/data`` folder beside the checkout: walking up from the current directory and from
   this package's location, the first ``<ancestor>/shared/data`` holding ``SHA256SUMS`` or
   ``MANIFEST.md``.

:func:`path` verifies digests (once per process and file) before handing a path out. Tests that
need a sample skip, with the reason, only when no mirror exists (:class:`SampleNotAvailable`); a
mirror whose files are corrupt fails loudly (:class:`SampleCorrupt`).
"""

# ruff: noqa: E501
from __future__ import annotations

import dataclasses
import hashlib
import os
from pathlib import Path

from medverse.errors import InvalidInput, NotFound

__all__ = [
    "Sample",
    "SampleCorrupt",
    "SampleFile",
    "SampleNotAvailable",
    "files",
    "get",
    "names",
    "path",
    "samples_dir",
    "verify",
]

ENV_VAR = "MEDVERSE_SAMPLES_DIR"


class SampleNotAvailable(NotFound):
    """No mirror holds the sample (or the name is unknown)."""

    code = "sample-not-available"


class SampleCorrupt(InvalidInput):
    """A mirrored file is missing or its SHA-256 does not match the registry."""

    code = "sample-corrupt"


@dataclasses.dataclass(frozen=True)
class SampleFile:
    """One file of a sample: path relative to the mirror root, SHA-256 hex digest, size in bytes."""

    relpath: str
    sha256: str
    size: int


@dataclasses.dataclass(frozen=True)
class Sample:
    """A named sample.

    Attributes
    ----------
    name : str
    relpath : str
        The file or folder relative to the mirror root.
    source : str
        Where it comes from (repository@commit:path or a package).
    license : str
    description : str
    files : tuple of SampleFile
    """

    name: str
    relpath: str
    source: str
    license: str
    description: str
    files: tuple[SampleFile, ...]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def is_folder(self) -> bool:
        return not (len(self.files) == 1 and self.files[0].relpath == self.relpath)


_REGISTRY: dict[str, tuple[str, str, str, str, tuple[tuple[str, str, int], ...]]] = {
    "ct_abdomen_3mm": (
        "ct/abdomen_ct_3mm.nii.gz",
        "wasserth/TotalSegmentator@0e65a448d557382b1e925276212b3bec7f5aff83:tests/reference_files/example_ct.nii.gz",
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "Real CT, abdomen+pelvis (T11..femoral heads), HU (int32), 3 mm isotropic, contrast-enhanced",
        (("ct/abdomen_ct_3mm.nii.gz", "dbd3ae6d614d1d7ef3a46925c30c70038ed52da6b37fdd6afdc7b9b71387e3e1", 2206612),),
    ),
    "ct_abdomen_3mm_seg_totalseg_v1": (
        "ct/abdomen_ct_3mm_seg_totalseg_v1.nii.gz",
        "wasserth/TotalSegmentator@0effae9d718aab0c118ce1f8982dcd16b9e32a50:tests/reference_files/example_seg.nii.gz",
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "Organ/bone/muscle label map for abdomen_ct_3mm (same grid), TotalSegmentator v1 104-class scheme (59 labels present; model output, not manual GT); names in labels_totalseg_v1_104.tsv",
        (
            (
                "ct/abdomen_ct_3mm_seg_totalseg_v1.nii.gz",
                "6dd458d6d7ebee2b2812db2af5055081004b2b72a4faad8213e7f03c4547b6f8",
                107114,
            ),
        ),
    ),
    "labels_totalseg_v1": (
        "ct/labels_totalseg_v1_104.tsv",
        'generated from wasserth/TotalSegmentator@5de6e4d:totalsegmentator/map_to_binary.py class_map["total"]',
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "label-id -> structure name for the v1 (104 class) label map",
        (("ct/labels_totalseg_v1_104.tsv", "272fdd0bd4325f93232e75988c8ffab4a3df15f3bee5a836c32bc9492ea819ff", 1766),),
    ),
    "labels_totalseg_v2": (
        "ct/labels_totalseg_v2_117.tsv",
        'generated from wasserth/TotalSegmentator@0e65a448d557382b1e925276212b3bec7f5aff83:totalsegmentator/map_to_binary.py class_map["total"]',
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "label-id -> structure name for the v2 (117 class) label maps",
        (("ct/labels_totalseg_v2_117.tsv", "41f0e1e448797335563f0c00ca80f796c6556e95f4ce1d948ca4115a7ac4d8db", 2053),),
    ),
    "ct_abdomen_20slices_j2k": (
        "dicom/ct_abdomen_20slices_j2k",
        'wasserth/TotalSegmentator@0e65a448d557382b1e925276212b3bec7f5aff83:tests/reference_files/example_ct_dicom/* (".dcm" suffix added to file names)',
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "Real multi-file CT DICOM series, upper abdomen (liver/stomach/spine), Siemens Biograph mCT (PET/CT), JPEG2000-lossless, HU via RescaleIntercept -1024; quirk: dataset-level SOPClassUID/SOPInstanceUID/SeriesInstanceUID are blank (file meta has them); needs pylibjpeg-openjpeg or gdcm to decode",
        (
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573.dcm",
                "4c5633409fa4d3edf6871e5684e9e1b10325b4d0949997582f43b23a684d0dc4",
                156972,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016574.dcm",
                "9148f91127145497f4d6c6f0780f9452504cd7fe5088ec8f2bf2b21800c731ff",
                157216,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016575.dcm",
                "3edaccec892e0821440cbefe3d5465923bb5146c316cbaf58f578d962f120484",
                158102,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016576.dcm",
                "9b68685f0c5f9bfcfc2c397f4fadf431da288d7422ca72e7d9031d4e039418cd",
                158670,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016577.dcm",
                "c8d2c0dc05e414d47d3652c658d8fecc20c3cf7ce106c10d84ad033d39700bcc",
                158560,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016578.dcm",
                "0ee2c1d58e06cedd91483ca35c04da3c26fea0dbe88aaf1eaa950b57f38357d6",
                157844,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016579.dcm",
                "c76cf0818d4215b92883d109b8a0b62ae0a4d81637eed98738f9c62b6f49bb72",
                156996,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016580.dcm",
                "106e20514fd3ca66895e14dbfba96c01c1195e4ed890c035d4368dd71f3ee116",
                156574,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016581.dcm",
                "5804e6c4a50f4d5b20040ac82a1c6d79cba5f7267d71f10b0a1b49eda1bc13ff",
                156778,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016582.dcm",
                "bef219a16b22949224de4581a2d288863b2585d29556ac24021f03307378cb39",
                157400,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016583.dcm",
                "9de5a49e880417d5330fe299115fdb95831a98234216a31c5c0e9a0be9a6dcd3",
                158218,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016584.dcm",
                "fa00c8d81ec8aa0d0cfc4e05343782c3a75a4c60df8cccf9ff5db42ac454e61d",
                158648,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016585.dcm",
                "ebba0900b0f728db0c94c769db3e5ca38a0cd916386a727541eb3e56350770e5",
                158334,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016586.dcm",
                "f084ec95cfba25efb7cbe86e8b4966b051904037e8385f58fe398c5475693b89",
                157586,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016587.dcm",
                "20a9b88a30ea8a824ac65cb19c1ebf80964b41ff476497706ff2a286e5f27a25",
                157228,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016588.dcm",
                "2a515d3b60f3ff733aac1fc5414206c331e3ed2ccef8c2e0c30b844c538e3ed8",
                156964,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016589.dcm",
                "5880669f1bc36b09cad4bdf487992ec415da0afa014e927efc282e612f467574",
                157164,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016590.dcm",
                "7af4dd5b5766a87368939116b91f90d989820e7b2237fb9bcd10d47db0960875",
                157804,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016591.dcm",
                "671306f4462ae881976c18c6a2d8a1567279fb0166ef0e9e8a41271fac9c1cbb",
                158568,
            ),
            (
                "dicom/ct_abdomen_20slices_j2k/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016592.dcm",
                "fdb76ad5272f074e07cc81509604fd163f2f8a9903d34b16ba6f078250373c51",
                158614,
            ),
        ),
    ),
    "ct_abdomen_20slices_uncompressed": (
        "dicom/ct_abdomen_20slices_uncompressed",
        "derived: the j2k series above transcoded to Explicit VR Little Endian with pydicom 3.0.2 Dataset.decompress() (pixels verified identical)",
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "Same 20-slice CT series, uncompressed (no codec needed)",
        (
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016573.dcm",
                "3f3e024bffb3dabed5f297e5a4d4e8bb5364de580c2e2e727d32305c0a1f6062",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016574.dcm",
                "5019a171c20dcf2b7d4de2af3d9b9a92c74f4190274d5130f6f071e2d8746ee5",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016575.dcm",
                "c2429f8fe9f5293fdea1e41b5def115a2dc7f9591fa0dcdd66428184f1b68ebf",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016576.dcm",
                "dc0fb933e29424fec51d0cbc1b144a760bbacd19d3dcb43973c7685d21bafb1f",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016577.dcm",
                "b7de2ab348903fa745f7a0e89f0a6f59abc35f7fa615534117c1eea32640aee3",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016578.dcm",
                "fb579346dba05cc3bb32a0718bb551dadfdb42df01abfe73652ff4900b3a0165",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016579.dcm",
                "472ec678840b926184a15b4e73bae5e38a53d4b9c4485a65ad650e695ac91498",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016580.dcm",
                "ec315c52e6a95ba550e94c77b46eee943cf50db7867ee233dfcb959c96c9c4e5",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016581.dcm",
                "544fd02e007236138bc34c18592c3ae13e44a732b8403f3f90755ca7b4be7eea",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016582.dcm",
                "8638cdc346e22f209395465ad1fa59b22a5c9847ec34523d975b72a71bfea127",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016583.dcm",
                "4b9b8e2dbe702052a9dabaf0e84fbf80172393ff4d84a5ebbc5464299b2b8c94",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016584.dcm",
                "a77967446b07ed67ee795d132ce5d3a497e61e997fe362fbfbf9e0191764e7de",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016585.dcm",
                "89b2958f4da5c603fda074704b37934ca26f00db12a8343c3555fa7d1148e52f",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016586.dcm",
                "a0d09ccdcaac872bd4f113e4463411b13d24b8e7ad4c9b09dc8ffaa5bf629bbf",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016587.dcm",
                "760073fae936f962dbb3f5adc3491cfe9936dc6c8fbf427c6b7eb0a1744b1be0",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016588.dcm",
                "a8831e4b68d1b84886138ae09cb77e2391843dd1d4061d8c9b32e2c41986b527",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016589.dcm",
                "cef624ef41cf486446e363c28fb79a3d5fd9f9cba1c77aa3b15e4d0688f52157",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016590.dcm",
                "46f6be72faf074d658536df3a943c9c4ca25db1eb280814f9ac9f983ef83cf3d",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016591.dcm",
                "6c7a2b34e97d781ba28082290500aba5fb13db558b20d79f04731c2696bc289b",
                529194,
            ),
            (
                "dicom/ct_abdomen_20slices_uncompressed/CT.1.3.12.2.1107.5.1.4.60064.30000022120808113428000016592.dcm",
                "c63d27c6c666b87663426856dfe1e2b7361d08973852fb76313acfa4dba9e27b",
                529194,
            ),
        ),
    ),
    "ct_abdomen_20slices_seg_totalseg_v2": (
        "dicom/ct_abdomen_20slices_seg_totalseg_v2.nii.gz",
        "wasserth/TotalSegmentator@0e65a448d557382b1e925276212b3bec7f5aff83:tests/reference_files/example_seg_dicom.nii.gz",
        "Apache-2.0 (TotalSegmentator repo LICENSE covers the repo incl. tests/; scan provenance not documented upstream - CT from Univ. Hospital Basel, de-identified; the related TotalSegmentator CT dataset is CC-BY-4.0 on Zenodo)",
        "TotalSegmentator v2 (117-class) label map on the grid of the 20-slice CT DICOM series (31 labels present; model output)",
        (
            (
                "dicom/ct_abdomen_20slices_seg_totalseg_v2.nii.gz",
                "98af7f6536c316ff9084054f20956cd3e28af376b81d582d269fbea2744878fc",
                89531,
            ),
        ),
    ),
    "head_mr_t1": (
        "head/head_mr_t1_seg3d.nii.gz",
        "neurolabusc/VolumeRenderingData@d15be4d1863d1372270e38d8fe95bffaf80cce3a:seg3D/MR.nii.gz (from CIBC-Internal/Seg3DData)",
        "MIT (SCI Institute, Univ. of Utah 2015; see licenses/VolumeRenderingData_seg3D_README.md)",
        "Real T1-weighted MRI of whole head incl. skull/scalp/face (patient with subdural grid electrodes), cropped",
        (("head/head_mr_t1_seg3d.nii.gz", "56ac78228a4744aff9e3124977e4f35a3813a8ccd8719449321b8d1ef3b7e03a", 3308146),),
    ),
    "brain_stroke_t1": (
        "head/brain_stroke_T1.nii.gz",
        "neurolabusc/VolumeRenderingData@d15be4d1863d1372270e38d8fe95bffaf80cce3a:stroke/T1.nii.gz",
        "MIT (VolumeRenderingData LICENSE; C-STAR data, see stroke README)",
        "Real 3T T1w brain MRI, chronic left-hemisphere stroke, brain-extracted, 8-bit",
        (("head/brain_stroke_T1.nii.gz", "8e28e653578a2cd21d15064da5b089db16a205887c76baed8a65d01e8f2ab79e", 1057230),),
    ),
    "brain_stroke_flair": (
        "head/brain_stroke_FLAIR.nii.gz",
        "neurolabusc/VolumeRenderingData@d15be4d1863d1372270e38d8fe95bffaf80cce3a:stroke/FLAIR.nii.gz",
        "MIT (as above)",
        "Real 3T FLAIR brain MRI, same subject, brain-extracted, 8-bit",
        (("head/brain_stroke_FLAIR.nii.gz", "a50cf2bbc22875644fa7f49b3a7d58f0287427a6e37faed9d420ce3495346666", 988734),),
    ),
    "ecg_12lead_dicom": (
        "waveforms/ecg_12lead_pydicom.dcm",
        "PyPI pydicom==3.0.2 wheel: pydicom/data/test_files/waveform_ecg.dcm",
        "MIT (pydicom LICENSE); origin not documented in pydicom README",
        "Real 12-lead resting ECG, DICOM General ECG Waveform (Mortara), 2 multiplex groups: 12ch x 10000 samples @1000 Hz (10 s) + 12ch x 1200 @1000 Hz; residual tags: PatientBirthDate, InstitutionName",
        (("waveforms/ecg_12lead_pydicom.dcm", "72f1cb0e65e8023321acdaa5425c44125cd507f5aaa148f7fe10516e1d2e688a", 291088),),
    ),
    "ecg_mitdb_100": (
        "waveforms/mitdb_100",
        "MIT-LCP/wfdb-python@6850ad1aa0c1fcb2282b3625f767de98396cf740:sample-data/100.{hea,dat,atr}",
        "wfdb-python repo MIT; data = PhysioNet MIT-BIH Arrhythmia Database record 100, ODC-By-1.0 (cite Moody & Mark 2001, Goldberger 2000)",
        "Real 2-lead ambulatory ECG (MLII, V5), 360 Hz, 30 min, 212 format, with 2274 beat annotations (N,A,V,+); header has an extra test comment line added by wfdb-python",
        (
            ("waveforms/mitdb_100/100.atr", "8d8a5349fb16638ebbf649f1779d12e96d91b736b2aafe59db43719ae583d471", 4558),
            ("waveforms/mitdb_100/100.dat", "b2ea3c250e56e48f4b7b90697832b8ecd1afa1e0bb31f2dcfea4ed6e1075a639", 1950000),
            ("waveforms/mitdb_100/100.hea", "95fbdda0454fffae1a2dab1a5ac53e924ae97691c028cdd3ee82f2446b73c066", 166),
        ),
    ),
    "icu_challenge2015_a103l": (
        "waveforms/challenge2015_a103l",
        "MIT-LCP/wfdb-python@6850ad1aa0c1fcb2282b3625f767de98396cf740:sample-data/a103l.{hea,mat}",
        "wfdb-python repo MIT; data = PhysioNet/CinC Challenge 2015 (false ICU alarms) record a103l, ODC-By-1.0 (believed; verify on PhysioNet)",
        'Real ICU bedside-monitor record: ECG II, ECG V, PLETH (SpO2 pleth), 250 Hz, 330 s; label "Asystole / False alarm"',
        (
            ("waveforms/challenge2015_a103l/a103l.hea", "5616324d1378377cc5350ff267dff3baf6229034e5e1fef777ff16303c287e2e", 195),
            (
                "waveforms/challenge2015_a103l/a103l.mat",
                "0ade6ade6c10ad729a69daf3a19ffbb0a0ceea9a1dcb1a27319a9b7b5bd90e64",
                495024,
            ),
        ),
    ),
    "reference_body_hra_vh_male": (
        "meshes/hra_vh_male",
        "hubmapconsortium/ccf-releases v1.1-v1.4 models/*.glb",
        "CC-BY-4.0 (HuBMAP HRA 3D Reference Object Library; created from Visible Human Male data, NLM). Cite: Browne K. et al., HuBMAP CCF 3D Reference Object Library, humanatlas.io",
        "Human male reference organ surface meshes (HRA, Visible Human male), glTF binary, metres; +X patient left, +Y superior, +Z anterior (skin centred at the origin)",
        (
            ("meshes/hra_vh_male/3d-vh-m-larynx.glb", "f7073848c06ffabd084e5c56ba7bc613099a1f2d4bbcab729c4b485a48ed9cb2", 335444),
            (
                "meshes/hra_vh_male/3d-vh-m-main-bronchus.glb",
                "6db5b11213570514f9c2f637423cd1b369ed6a796fb2f661193b708aba1733fa",
                422208,
            ),
            (
                "meshes/hra_vh_male/3d-vh-m-trachea.glb",
                "0ba59ac521b0265dd70868e1b722f986a04fe3b4fcc1db950260219dcf978aae",
                1184804,
            ),
            (
                "meshes/hra_vh_male/SBU_M_Intestine_Large.glb",
                "84a66fb4e2dd07dffc284435da896284c3bddc5b6eb6f8e2f8c1b9130387b66b",
                686888,
            ),
            ("meshes/hra_vh_male/VH_M_Heart.glb", "b1237e7e765178e9357fd2ea7ccf19d55d0bf9ca55e187886635febe28244c70", 4071500),
            ("meshes/hra_vh_male/VH_M_Kidney_L.glb", "733eef9ec169796196470e538dc248c4397bce0ff7ed679f7b7eb0bb9f185612", 1536532),
            ("meshes/hra_vh_male/VH_M_Kidney_R.glb", "ff9821e0b8fb7fa6174a07b9cafb9f98bb25feca34ddc0e802beeefb24cd3779", 1546868),
            ("meshes/hra_vh_male/VH_M_Knee_L.glb", "f5c95095822db865bbd916d8b0d9e87a61c3fa97bdf53bd4b0dc04b4fffbdf43", 439648),
            ("meshes/hra_vh_male/VH_M_Knee_R.glb", "8d1153729d32184342bd7cff3cbe83b46395adc910037c2e9d95beb836d61e7d", 439704),
            ("meshes/hra_vh_male/VH_M_Liver.glb", "e94f18646d1b8f72cc45b92bdd67bbb4eb71d5bf954888bc8b8f8b52b3940b6a", 1135892),
            ("meshes/hra_vh_male/VH_M_Pancreas.glb", "ff05d94c539ec8f6ea4620d2a0128ce9911a2c3674330c8eafdb0c96b9999ea3", 265276),
            ("meshes/hra_vh_male/VH_M_Pelvis.glb", "06349b8c70a019b3fd36d4e059e02efed915bf305cf15f8e32547732c6865b09", 1348060),
            ("meshes/hra_vh_male/VH_M_Skin.glb", "7a87d4ac1837be56e666d9e64a66dd8dfcf2e4ac07f6eb490c76ab243d6e14b1", 1933420),
            (
                "meshes/hra_vh_male/VH_M_Small_Intestine.glb",
                "e9d05a22c0132d375f8c242ad491ea68365681904cb391e648187de5247b4570",
                618560,
            ),
            (
                "meshes/hra_vh_male/VH_M_Spinal_Cord.glb",
                "a7858d88c2237aa7d559c4c1d638923d213d2a9f46c575dea03d6ba67a9975c0",
                489992,
            ),
            ("meshes/hra_vh_male/VH_M_Spleen.glb", "572ca93068f6e7506d5653ca16292ec3048ad52957d34f389cb67c8961a7c8fb", 540236),
            ("meshes/hra_vh_male/VH_M_Thymus.glb", "fd048515346fce788ade60c618743c875d26dd837815ab83f555c1ee2ff0a10d", 74876),
            ("meshes/hra_vh_male/VH_M_Ureter_L.glb", "b6e27766b5e5663fe31d96052caa49cd4fab782eed39367c26fec517b3ba0ebb", 682796),
            ("meshes/hra_vh_male/VH_M_Ureter_R.glb", "be2d0331aed637f2f291a342ee760dda41d3418a9e2e9a4070e1e845e3b3e581", 540712),
            (
                "meshes/hra_vh_male/VH_M_Urinary_Bladder.glb",
                "43b7f17e3f498d5e494a7757ce86c183ae458f83724ceaf922f6bdd6a35ff339",
                198936,
            ),
        ),
    ),
}


def _build() -> dict[str, Sample]:
    return {
        name: Sample(name, rel, source, lic, desc, tuple(SampleFile(*f) for f in file_rows))
        for name, (rel, source, lic, desc, file_rows) in _REGISTRY.items()
    }


SAMPLES: dict[str, Sample] = _build()


def names() -> list[str]:
    """Registered sample names, sorted."""
    return sorted(SAMPLES)


def get(name: str) -> Sample:
    """The registry entry for ``name``."""
    try:
        return SAMPLES[name]
    except KeyError:
        raise SampleNotAvailable(f"unknown sample {name!r}; known: {', '.join(names())}") from None


def _is_mirror(folder: Path) -> bool:
    return (folder / "SHA256SUMS").is_file() or (folder / "MANIFEST.md").is_file()


def samples_dir() -> Path | None:
    """The mirror folder in use, or None when there is none (see the module docstring)."""
    env = os.environ.get(ENV_VAR)
    if env:
        p = Path(env).expanduser()
        return p if p.is_dir() else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for ancestor in [start, *start.parents]:
            candidate = ancestor / "shared" / "data"
            if candidate.is_dir() and _is_mirror(candidate):
                return candidate
    return None


_VERIFIED: dict[tuple[str, int, int], str] = {}


def _digest(p: Path) -> str:
    st = p.stat()
    key = (str(p), st.st_size, st.st_mtime_ns)
    if key not in _VERIFIED:
        h = hashlib.sha256()
        with open(p, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _VERIFIED[key] = h.hexdigest()
    return _VERIFIED[key]


def verify(name: str, root: Path | None = None) -> list[str]:
    """Check a sample's files in the mirror; returns the problems found (empty when intact).

    Raises :class:`SampleNotAvailable` when there is no mirror at all.
    """
    sample = get(name)
    root = root or samples_dir()
    if root is None:
        raise SampleNotAvailable(f"no sample mirror: set {ENV_VAR} or place shared/data beside the checkout")
    problems = []
    for f in sample.files:
        p = root / f.relpath
        if not p.is_file():
            problems.append(f"{f.relpath}: missing")
        elif p.stat().st_size != f.size:
            problems.append(f"{f.relpath}: {p.stat().st_size} bytes, expected {f.size}")
        elif _digest(p) != f.sha256:
            problems.append(f"{f.relpath}: SHA-256 mismatch")
    return problems


def path(name: str, *, check: bool = True) -> Path:
    """Local path of a sample (its file, or its folder), verified against the registry.

    Raises
    ------
    SampleNotAvailable
        No mirror, or the mirror lacks the sample entirely.
    SampleCorrupt
        Some of its files are missing or altered.
    """
    sample = get(name)
    root = samples_dir()
    if root is None:
        raise SampleNotAvailable(f"sample {name!r} needs a mirror: set {ENV_VAR} or place shared/data beside the checkout")
    target = root / sample.relpath
    if not target.exists():
        raise SampleNotAvailable(f"sample {name!r} is not in the mirror {str(root)!r}")
    if check:
        problems = verify(name, root)
        if problems:
            raise SampleCorrupt(f"sample {name!r} in {str(root)!r} is damaged: " + "; ".join(problems))
    return target


def files(name: str, *, check: bool = True) -> list[Path]:
    """Local paths of every file of a sample, verified."""
    path(name, check=check)
    root = samples_dir()
    assert root is not None
    return [root / f.relpath for f in get(name).files]
