"""medverse.imaging: CT/MR volumes -> de-identified volumes, segments, meshes, slices."""
