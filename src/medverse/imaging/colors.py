"""The colour table: tissue and organ colours used for meshes and label overlays.

Colours are sRGB 0-255 with an opacity 0-1. Tissue classes of the model-free segmentation have
fixed entries; structure names from other label maps (e.g. TotalSegmentator) are matched by the
first keyword rule that appears in the name; anything else gets a stable colour from a
12-colour palette chosen by label id. docs/imaging.md prints this table.
"""

from __future__ import annotations

__all__ = ["KEYWORD_COLORS", "PALETTE", "TISSUE_COLORS", "color_for"]

RGBA = tuple[int, int, int, float]

#: Tissue classes of :func:`medverse.imaging.segment.segment_ct` / ``segment_mri_head``.
TISSUE_COLORS: dict[str, RGBA] = {
    "body": (232, 190, 172, 0.35),  # skin surface, translucent so the inside shows
    "fat": (245, 222, 120, 0.6),
    "soft_tissue": (200, 90, 80, 0.8),  # muscle and organs together
    "bone": (241, 236, 218, 1.0),
    "lungs_airways": (170, 205, 235, 0.6),
    "vessels": (200, 30, 40, 1.0),  # contrast-enhanced vessels and blood pool
    "head": (232, 190, 172, 0.35),
    "brain": (231, 175, 180, 1.0),
}

#: (keyword in the structure name, colour); the first match wins, so specific words come first.
KEYWORD_COLORS: list[tuple[str, RGBA]] = [
    ("kidney_cyst", (180, 220, 240, 1.0)),
    ("vena", (50, 80, 200, 1.0)),
    ("vein", (50, 80, 200, 1.0)),
    ("portal", (60, 90, 190, 1.0)),
    ("aorta", (205, 30, 40, 1.0)),
    ("artery", (205, 30, 40, 1.0)),
    ("trunk", (205, 30, 40, 1.0)),
    ("heart", (170, 40, 50, 1.0)),
    ("atrial_appendage", (170, 40, 50, 1.0)),
    ("liver", (150, 60, 45, 1.0)),
    ("spleen", (130, 60, 110, 1.0)),
    ("kidney", (180, 90, 70, 1.0)),
    ("adrenal", (230, 180, 80, 1.0)),
    ("pancrea", (235, 190, 120, 1.0)),
    ("gallbladder", (90, 150, 60, 1.0)),
    ("bladder", (230, 210, 110, 1.0)),
    ("prostate", (210, 150, 130, 1.0)),
    ("stomach", (225, 150, 140, 1.0)),
    ("esophagus", (225, 150, 140, 1.0)),
    ("duodenum", (235, 165, 140, 1.0)),
    ("intestin", (240, 175, 150, 1.0)),
    ("colon", (220, 160, 120, 1.0)),
    ("lung", (170, 205, 235, 0.7)),
    ("trachea", (150, 200, 230, 1.0)),
    ("brain", (231, 175, 180, 1.0)),
    ("spinal_cord", (250, 230, 150, 1.0)),
    ("thyroid", (200, 100, 110, 1.0)),
    ("vertebra", (241, 236, 218, 1.0)),
    ("sacrum", (241, 236, 218, 1.0)),
    ("rib", (241, 236, 218, 1.0)),
    ("sternum", (241, 236, 218, 1.0)),
    ("costal_cartilage", (200, 225, 230, 1.0)),
    ("femur", (241, 236, 218, 1.0)),
    ("humerus", (241, 236, 218, 1.0)),
    ("hip", (241, 236, 218, 1.0)),
    ("scapula", (241, 236, 218, 1.0)),
    ("clavicula", (241, 236, 218, 1.0)),
    ("skull", (241, 236, 218, 1.0)),
    ("bone", (241, 236, 218, 1.0)),
    ("gluteus", (180, 70, 60, 1.0)),
    ("iliopsoas", (180, 70, 60, 1.0)),
    ("autochthon", (180, 70, 60, 1.0)),
    ("muscle", (180, 70, 60, 1.0)),
    ("skin", (232, 190, 172, 0.35)),
    ("fat", (245, 222, 120, 0.6)),
]

#: Fallback palette (Tableau-like), indexed by label id modulo 12.
PALETTE: list[RGBA] = [
    (78, 121, 167, 1.0),
    (242, 142, 43, 1.0),
    (225, 87, 89, 1.0),
    (118, 183, 178, 1.0),
    (89, 161, 79, 1.0),
    (237, 201, 72, 1.0),
    (176, 122, 161, 1.0),
    (255, 157, 167, 1.0),
    (156, 117, 95, 1.0),
    (186, 176, 172, 1.0),
    (134, 188, 182, 1.0),
    (211, 114, 149, 1.0),
]


def color_for(name: str, label_id: int = 0) -> RGBA:
    """Colour of a structure: exact tissue class, else first keyword rule, else the palette.

    Parameters
    ----------
    name : str
        Structure name (case-insensitive; spaces and underscores are equivalent).
    label_id : int
        Used to pick the palette colour when nothing matches.

    Returns
    -------
    tuple
        ``(r, g, b, opacity)`` with r, g, b in 0..255 and opacity in 0..1.
    """
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    if key in TISSUE_COLORS:
        return TISSUE_COLORS[key]
    for word, rgba in KEYWORD_COLORS:
        if word in key:
            return rgba
    return PALETTE[label_id % len(PALETTE)]
