"""The simulation bay's REST routes: the case library, and a case's record for the debrief
(JSON and CSV exports). Every route checks the caller's role in the space it names."""

from __future__ import annotations

import csv
import hashlib
import io
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from medverse.app.deps import current_user
from medverse.auth.roles import INSTRUCTOR, OBSERVER
from medverse.errors import TooLarge
from medverse.simbay.cases import MAX_CASE_BYTES, case_summaries, load_case_text
from medverse.spaces.kinds import Viewer
from medverse.store import User

if TYPE_CHECKING:
    from medverse.simbay.plugin import SimBayPlugin

VITAL_COLUMNS = ("hr", "sbp", "dbp", "map", "spo2", "etco2", "rr", "t_core", "ph", "lactate", "blood_volume")


def build_router(plugin: SimBayPlugin) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["simbay"])

    @router.get("/simbay/cases")
    async def cases(user: User = Depends(current_user)) -> list[dict[str, Any]]:
        """The case library (titles, summaries, objectives: what the case picker shows)."""
        return case_summaries()

    @router.post("/spaces/{name}/simbay/case")
    async def upload_case(name: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
        """A case file (YAML or JSON, the body itself, at most 200 kB) loaded into this bay: checked
        whole first (422 naming what is wrong), then loaded as ``sim.case_loaded``."""
        space = await plugin.host.spaces.access(name, user, INSTRUCTOR, kind="simbay")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_CASE_BYTES:
                raise TooLarge(f"a case file may be at most {MAX_CASE_BYTES // 1000} kB")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = "\x00"  # refused below as not YAML
        case_id = "upload-" + hashlib.sha256(body).hexdigest()[:10]
        case = load_case_text(text, case_id, "the uploaded case")
        result = await space.execute(space.actor(user), None, "sim.load_uploaded", {"case": case}, trusted=True)
        return {"case_id": case_id, "title": case["title"], "seq": result.seq}

    async def record(name: str, user: User) -> dict[str, Any]:
        space = await plugin.host.spaces.access(name, user, OBSERVER, kind="simbay")
        role = space.role_of(user) or OBSERVER
        kind = space.kind.state_for(space.state, Viewer(user.id, role))["kind"]
        return {
            "space": name,
            "case": kind["case"],
            "patients": kind["patients"],
            "finished": kind["finished"],
            "actions": kind["actions"],
            "labs": kind["labs"],
            "findings": kind["findings"],
            "said": kind["said"],
            "notes": kind["notes"],
            "score": kind["score"],
            "checkpoints": kind["checkpoints"],
        }

    @router.get("/spaces/{name}/simbay/record.json")
    async def record_json(name: str, user: User = Depends(current_user)) -> dict[str, Any]:
        """The case as it went: actions, results, the score (instructors), vital signs over time."""
        return await record(name, user)

    @router.get("/spaces/{name}/simbay/vitals.csv")
    async def vitals_csv(name: str, user: User = Depends(current_user)) -> Response:
        """The checkpoints' vital signs, one row per patient and time."""
        rec = await record(name, user)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["time_s", "patient", *VITAL_COLUMNS])
        for point in rec["checkpoints"]:
            for pid, vitals in point["vitals"].items():
                w.writerow([point["at_s"], pid, *(vitals.get(c, "") for c in VITAL_COLUMNS)])
        return Response(
            out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}-vitals.csv"'}
        )

    return router
