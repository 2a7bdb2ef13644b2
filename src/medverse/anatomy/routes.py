"""The anatomy lab's REST routes: imports into a space, job status, a study's files and slices.

Every route checks the caller's role in the space it names (through
:meth:`~medverse.spaces.manager.SpaceManager.access`, the one source of truth), and every study
route checks that the study belongs to that space's library. Uploads are checked (session, role,
size announced, a free import place) before a byte of the body is read, and their size is capped
while it streams to disk.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from medverse.anatomy.studies import SERVED_FILES, UPLOAD_SUFFIXES
from medverse.app.deps import client_ip, current_user
from medverse.auth.roles import INSTRUCTOR, OBSERVER
from medverse.errors import Forbidden, InvalidInput, NotFound, TooLarge
from medverse.spaces.space import Space
from medverse.store import User

if TYPE_CHECKING:
    from medverse.anatomy.plugin import AnatomyPlugin

log = logging.getLogger("medverse.anatomy")

Plane = Literal["axial", "coronal", "sagittal"]
Preset = Literal["soft_tissue", "bone", "lung", "brain"]


class SampleBody(BaseModel):
    sample: str = Field(min_length=1, max_length=64)
    title: str = Field(default="", max_length=200)


def upload_suffix(filename: str) -> str:
    """The kind of file an upload is, from its name's ending (the name itself is not kept)."""
    low = filename.lower()
    for suffix in sorted(UPLOAD_SUFFIXES, key=len, reverse=True):
        if low.endswith(suffix):
            return suffix
    raise InvalidInput("upload a .zip of DICOM files, a .dcm file or a NIfTI file (.nii, .nii.gz)")


def build_router(plugin: AnatomyPlugin) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["anatomy"])

    async def lab(name: str, user: User, need: str = OBSERVER) -> Space:
        return await plugin.host.spaces.access(name, user, need, kind="anatomy")

    def in_library(space: Space, study_id: str) -> None:
        if study_id not in space.state["kind"].get("library", {}):
            raise NotFound(f"no study {study_id!r} in this space")

    @router.get("/studies/samples")
    async def sample_studies(_user: User = Depends(current_user)) -> dict[str, Any]:
        return {"samples": await asyncio.to_thread(plugin.library.samples)}

    @router.post("/spaces/{name}/studies", status_code=202)
    async def import_sample(name: str, body: SampleBody, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
        space = await lab(name, user, INSTRUCTOR)
        record = plugin.imports.start_sample(space, user, body.sample, body.title.strip())
        await asyncio.to_thread(
            plugin.host.db.audit,
            "study.import",
            actor=user,
            target=name,
            detail={"sample": body.sample, "job": record.job.id},
            ip=client_ip(request),
        )
        return {"job": record.view()}

    @router.post("/spaces/{name}/studies/upload", status_code=202)
    async def import_upload(
        name: str,
        request: Request,
        filename: str = Query(min_length=1, max_length=255, description="the file's name (only its ending is used)"),
        title: str = Query("", max_length=200, description="the study's title"),
        user: User = Depends(current_user),
    ) -> dict[str, Any]:
        """The file is the request body (``Content-Type: application/octet-stream``)."""
        space = await lab(name, user, INSTRUCTOR)
        suffix = upload_suffix(filename)
        cap = plugin.host.settings.upload_max_bytes
        if request.headers.get("content-type", "").startswith("multipart/"):
            raise InvalidInput("send the file itself as the request body (application/octet-stream), not a form")
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > cap):
            raise TooLarge(f"an upload may be at most {cap // 2**20} MiB")
        plugin.imports.reserve()
        folder: Path | None = None
        try:
            folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="upload-", dir=plugin.upload_dir))
            size = await _receive(request, folder / f"upload{suffix}", cap)
        except BaseException:
            plugin.imports.release()
            if folder is not None:
                await asyncio.to_thread(shutil.rmtree, folder, True)
            raise
        record = plugin.imports.start_upload(space, user, folder / f"upload{suffix}", title.strip())
        await asyncio.to_thread(
            plugin.host.db.audit,
            "study.upload",
            actor=user,
            target=name,
            detail={"kind": suffix, "bytes": size, "job": record.job.id},
            ip=client_ip(request),
        )
        return {"job": record.view()}

    @router.get("/jobs/{job_id}")
    async def job_status(job_id: str, user: User = Depends(current_user)) -> dict[str, Any]:
        record = plugin.imports.get(job_id)
        try:
            await lab(record.space_name, user)
        except NotFound:
            raise NotFound(f"no job {job_id!r}") from None
        return {"job": record.view()}

    @router.delete("/jobs/{job_id}")
    async def cancel_job(job_id: str, user: User = Depends(current_user)) -> dict[str, Any]:
        record = plugin.imports.get(job_id)
        try:
            space = await lab(record.space_name, user)
        except NotFound:
            raise NotFound(f"no job {job_id!r}") from None
        if record.owner != user.id and space.role_of(user) != INSTRUCTOR:
            raise Forbidden("only whoever started an import or an instructor of its space may cancel it")
        record.job.cancel()
        return {"job": record.view()}

    @router.get("/spaces/{name}/studies/{study_id}/slice.png")
    async def slice_png(
        name: str,
        study_id: str,
        plane: Plane = "axial",
        position_mm: float | None = Query(None, allow_inf_nan=False),
        preset: Preset = "soft_tissue",
        overlay: bool = False,
        user: User = Depends(current_user),
    ) -> Response:
        """A slice image; with ``overlay`` the structures are drawn over it in their colours."""
        in_library(await lab(name, user), study_id)
        image = await plugin.render(plugin.library.render_slice, study_id, plane, position_mm, preset, overlay)
        return Response(
            image.png,
            media_type="image/png",
            headers={"X-Slice-Placement": json.dumps(image.placement()), "Cache-Control": "private, max-age=3600"},
        )

    @router.get("/spaces/{name}/studies/{study_id}/slice.json")
    async def slice_placement(
        name: str,
        study_id: str,
        plane: Plane = "axial",
        position_mm: float | None = Query(None, allow_inf_nan=False),
        preset: Preset = "soft_tissue",
        user: User = Depends(current_user),
    ) -> dict[str, Any]:
        in_library(await lab(name, user), study_id)
        image = await plugin.render(plugin.library.render_slice, study_id, plane, position_mm, preset)
        return {"slice": image.placement()}

    @router.get("/spaces/{name}/studies/{study_id}/{filename}")
    async def study_file(name: str, study_id: str, filename: str, user: User = Depends(current_user)) -> FileResponse:
        in_library(await lab(name, user), study_id)
        path = await asyncio.to_thread(plugin.library.file, study_id, filename)
        return FileResponse(path, media_type=SERVED_FILES[filename], headers={"Cache-Control": "private, max-age=86400"})

    return router


async def _receive(request: Request, dest: Path, cap: int) -> int:
    """Stream the request body to ``dest``; TooLarge past ``cap`` bytes."""
    size = 0
    fh = await asyncio.to_thread(dest.open, "wb")
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > cap:
                raise TooLarge(f"an upload may be at most {cap // 2**20} MiB")
            await asyncio.to_thread(fh.write, chunk)
    finally:
        await asyncio.to_thread(fh.close)
    if size == 0:
        raise InvalidInput("the upload is empty")
    return size
