"""Health, the audit log (read only) and benchmark metrics."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from medverse import __version__
from medverse.app.deps import admin_user, services
from medverse.errors import NotFound
from medverse.store import User

router = APIRouter(prefix="/api", tags=["admin"])


@router.get("/health")
async def health() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@router.get("/audit")
async def audit(request: Request, limit: int = Query(200, ge=1, le=5000), _admin: User = Depends(admin_user)) -> dict[str, Any]:
    entries = await asyncio.to_thread(services(request).db.audit_entries, limit)
    return {"entries": entries}


def _metrics_enabled(request: Request) -> None:
    if not services(request).settings.metrics:
        raise NotFound("metrics are off (set MEDVERSE_METRICS=1)")


@router.get("/metrics")
async def metrics(request: Request) -> dict[str, Any]:
    _metrics_enabled(request)
    return services(request).metrics.summary()


@router.post("/metrics/reset")
async def reset_metrics(request: Request) -> dict[str, Any]:
    _metrics_enabled(request)
    services(request).metrics.reset()
    return {"reset": True}
