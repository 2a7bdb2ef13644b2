"""medverse: a self-hosted healthcare metaverse."""

__version__ = "0.1.0"

__all__ = ["__version__"]
