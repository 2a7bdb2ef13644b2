"""Anatomy studies: import (sample or upload) into a space, job progress, files and slices."""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel

from medverse.app.deps import client_ip, current_user, services
from medverse.auth.roles import INSTRUCTOR
from medverse.errors import Forbidden, InvalidInput, NotFound, TooLarge
from medverse.spaces import protocol as P
from medverse.spaces.kinds import Actor
from medverse.store import SpaceRow, User

router = APIRouter(prefix="/api", tags=["studies"])
log = logging.getLogger("medverse.studies")

MAX_UPLOAD_BYTES = 1024 * 1024 * 1024  # 1 GiB


class SampleBody(BaseModel):
    sample: str


def _job_view(job: Any) -> dict[str, Any]:
    u = job.snapshot()
    return {"id": u.job_id, "state": u.state, "stage": u.stage, "percent": u.percent,
            "error": u.error, "error_code": u.error_code}


async def _anatomy_space(request: Request, name: str, user: User) -> SpaceRow:
    db = services(request).db
    row = await asyncio.to_thread(db.space, name)
    role = None
    if row is not None:
        role = INSTRUCTOR if user.is_admin else await asyncio.to_thread(db.member_role, row.id, user.id)
    if row is None or role is None:
        raise NotFound(f"no space named {name!r}")
    if row.kind != "anatomy":
        raise InvalidInput(f"studies go into anatomy spaces ({name!r} is a {row.kind} space)")
    if role != INSTRUCTOR:
        raise Forbidden(f"importing a study needs role instructor (you are {role})")
    return row


def _follow(request: Request, row: SpaceRow, user: User) -> Any:
    """A job listener that reports progress to the space and loads the study when done."""
    svc = services(request)
    loop = asyncio.get_running_loop()
    actor = Actor(user.id, user.display_name, INSTRUCTOR, user.is_admin)

    async def report(update: Any) -> None:
        space = svc.spaces.loaded(row.id)
        view = {"id": update.job_id, "state": update.state, "stage": update.stage,
                "percent": update.percent, "error": update.error, "error_code": update.error_code}
        if space is not None:
            space.broadcast({"type": P.JOB_PROGRESS, "job": view})
        if update.state == "succeeded":
            job = svc.studies.job(update.job_id)
            study_id = Path(str(job.result.get("id"))).name if isinstance(job.result, dict) else None
            try:
                await svc.spaces.execute(row, actor, "anatomy.load_study", {"study_id": study_id})
            except Exception:
                log.exception("loading study %s into %s failed", study_id, row.name)

    last: dict[str, float] = {"percent": -10.0}

    def on_update(update: Any) -> None:  # on the job's worker thread
        final = update.state in ("succeeded", "failed", "cancelled")
        if final or update.percent - last["percent"] >= 1.0 or (update.state == "running" and last["percent"] < 0):
            last["percent"] = update.percent
            asyncio.run_coroutine_threadsafe(report(update), loop)

    return on_update


@router.get("/studies/samples")
async def sample_studies(request: Request, _user: User = Depends(current_user)) -> dict[str, Any]:
    return {"samples": await asyncio.to_thread(services(request).studies.samples)}


@router.post("/spaces/{name}/studies", status_code=202)
async def import_sample(name: str, body: SampleBody, request: Request,
                        user: User = Depends(current_user)) -> dict[str, Any]:
    svc = services(request)
    row = await _anatomy_space(request, name, user)
    await svc.spaces.load(row)
    job = svc.studies.start_sample(body.sample, _follow(request, row, user), owner=user.id)
    await asyncio.to_thread(svc.db.audit, "study.import", actor=user, target=name,
                            detail={"sample": body.sample, "job": job.id}, ip=client_ip(request))
    return {"job": _job_view(job)}


@router.post("/spaces/{name}/studies/upload", status_code=202)
async def import_upload(name: str, request: Request, file: UploadFile = File(...),
                        user: User = Depends(current_user)) -> dict[str, Any]:
    svc = services(request)
    row = await _anatomy_space(request, name, user)
    filename = Path(file.filename or "upload").name
    if not filename.lower().endswith((".zip", ".nii", ".nii.gz", ".dcm")):
        raise InvalidInput(f"upload a .zip of DICOM files, a .dcm file or a NIfTI file (got {filename!r})")
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=svc.settings.data_dir))
    dest = folder / filename
    size = 0
    with dest.open("wb") as fh:
        while chunk := await file.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                fh.close()
                await asyncio.to_thread(_rm, folder)
                raise TooLarge(f"an upload may be at most {MAX_UPLOAD_BYTES // 2**20} MiB")
            fh.write(chunk)
    await svc.spaces.load(row)
    job = svc.studies.start_upload(dest, filename, _follow(request, row, user), owner=user.id)
    await asyncio.to_thread(svc.db.audit, "study.upload", actor=user, target=name,
                            detail={"file": filename, "bytes": size, "job": job.id}, ip=client_ip(request))
    return {"job": _job_view(job)}


def _rm(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@router.get("/jobs/{job_id}")
async def job_status(job_id: str, request: Request, _user: User = Depends(current_user)) -> dict[str, Any]:
    return {"job": _job_view(services(request).studies.job(job_id))}


@router.delete("/jobs/{job_id}")
async def cancel_job(job_id: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    studies = services(request).studies
    job = studies.job(job_id)
    if not user.is_admin and studies.job_owner.get(job_id) != user.id:
        raise Forbidden("only whoever started an import (or an admin) may cancel it")
    job.cancel()
    return {"job": _job_view(job)}


@router.get("/studies/{study_id}/slice.png")
async def slice_png(study_id: str, request: Request,
                    plane: Literal["axial", "coronal", "sagittal"] = "axial",
                    position_mm: float | None = Query(None, allow_inf_nan=False),
                    preset: Literal["soft_tissue", "bone", "lung", "brain"] = "soft_tissue",
                    overlay: bool = False,
                    _user: User = Depends(current_user)) -> Response:
    """A slice image; with ``overlay`` the structures are drawn over it in their colours."""
    studies = services(request).studies
    image = await asyncio.to_thread(studies.render_slice, study_id, plane, position_mm, preset, overlay)
    return Response(image.png, media_type="image/png",
                    headers={"X-Slice-Placement": json.dumps(image.placement()),
                             "Cache-Control": "private, max-age=3600"})


@router.get("/studies/{study_id}/slice.json")
async def slice_placement(study_id: str, request: Request,
                          plane: Literal["axial", "coronal", "sagittal"] = "axial",
                          position_mm: float | None = Query(None, allow_inf_nan=False),
                          preset: Literal["soft_tissue", "bone", "lung", "brain"] = "soft_tissue",
                          _user: User = Depends(current_user)) -> dict[str, Any]:
    studies = services(request).studies
    image = await asyncio.to_thread(studies.render_slice, study_id, plane, position_mm, preset)
    return {"slice": image.placement()}


@router.get("/studies/{study_id}/{filename}")
async def study_file(study_id: str, filename: str, request: Request,
                     _user: User = Depends(current_user)) -> FileResponse:
    from medverse.anatomy.studies import SERVED_FILES

    path = await asyncio.to_thread(services(request).studies.file, study_id, filename)
    return FileResponse(path, media_type=SERVED_FILES[filename],
                        headers={"Cache-Control": "private, max-age=86400"})
