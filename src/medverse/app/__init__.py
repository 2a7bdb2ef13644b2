"""The medverse web application (FastAPI)."""

from medverse.app.factory import create_app

__all__ = ["create_app"]
