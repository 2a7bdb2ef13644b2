"""The lobby, spaces, members and kinds."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from medverse.app.deps import admin_user, client_ip, current_user, services
from medverse.auth.roles import INSTRUCTOR
from medverse.errors import Forbidden, NotFound
from medverse.spaces.kinds import Actor
from medverse.store import SpaceRow, User

router = APIRouter(prefix="/api", tags=["spaces"])

Role = Literal["instructor", "participant", "observer"]


class Member(BaseModel):
    username: str
    role: Role


class NewSpace(BaseModel):
    name: str = Field(min_length=2, max_length=40)
    kind: str
    title: str = Field(default="", max_length=200)
    members: list[Member] = Field(default_factory=list, max_length=500)


class RoleBody(BaseModel):
    role: Role


@router.get("/kinds")
async def kinds(request: Request, _user: User = Depends(current_user)) -> dict[str, Any]:
    return {"kinds": [{**p.rules.describe(), "client_module": p.client_module} for p in services(request).kinds]}


async def _space_view(request: Request, row: SpaceRow, role: str) -> dict[str, Any]:
    space = services(request).spaces.loaded(row.id)
    online = []
    locked = False
    if space is not None:
        locked = bool(space.state["locked"])
        online = [{"user_id": p["user_id"], "display_name": p["display_name"], "role": p["role"]} for p in space.participants()]
    return {**row.public(), "my_role": role, "locked": locked, "online": online}


@router.get("/spaces")
async def lobby(request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    db = services(request).db
    rows = await asyncio.to_thread(db.spaces)
    roles = {} if user.is_admin else await asyncio.to_thread(db.memberships, user.id)
    out = []
    for row in rows:
        role = INSTRUCTOR if user.is_admin else roles.get(row.id)
        if role is not None:
            out.append(await _space_view(request, row, role))
    return {"spaces": out}


@router.post("/spaces", status_code=201)
async def create_space(body: NewSpace, request: Request, admin: User = Depends(admin_user)) -> dict[str, Any]:
    svc = services(request)
    members: list[tuple[User, str]] = []
    for m in body.members:
        found = await asyncio.to_thread(svc.db.user_by_username, m.username)
        if found is None:
            raise NotFound(f"no user named {m.username!r}")
        members.append((found[0], m.role))
    row = await svc.spaces.create(body.name, body.kind, body.title, admin, members)
    return {"space": await _space_view(request, row, INSTRUCTOR)}


async def _row_and_role(request: Request, name: str, user: User) -> tuple[SpaceRow, str]:
    """The space and the caller's role in it, as the space's state says (non-members: 404)."""
    space = await services(request).spaces.access(name, user)
    role = space.role_of(user)
    assert role is not None
    return space.row, role


@router.get("/spaces/{name}")
async def get_space(name: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    row, role = await _row_and_role(request, name, user)
    view = await _space_view(request, row, role)
    members = await asyncio.to_thread(services(request).db.members, row.id)
    view["members"] = [{**u.public(), "role": r} for u, r in members]
    return {"space": view}


@router.put("/spaces/{name}/members/{username}")
async def set_member(
    name: str, username: str, body: RoleBody, request: Request, user: User = Depends(current_user)
) -> dict[str, Any]:
    svc = services(request)
    row, role = await _row_and_role(request, name, user)
    if role != INSTRUCTOR:
        raise Forbidden(f"changing members needs role instructor (you are {role})")
    found = await asyncio.to_thread(svc.db.user_by_username, username)
    if found is None:
        raise NotFound(f"no user named {username!r}")
    target = found[0]
    actor = Actor(user.id, user.display_name, INSTRUCTOR, user.is_admin)
    result = await svc.spaces.execute(
        row,
        actor,
        "member.set_role",
        {"user_id": target.id, "role": body.role, "display_name": target.display_name},
    )
    await asyncio.to_thread(
        svc.db.audit,
        "space.member_role",
        actor=user,
        target=f"{name}/{username}",
        detail={"role": body.role, "seq": result.seq},
        ip=client_ip(request),
    )
    return {"member": {**target.public(), "role": body.role}}


@router.delete("/spaces/{name}/members/{username}", status_code=200)
async def remove_member(name: str, username: str, request: Request, user: User = Depends(current_user)) -> dict[str, Any]:
    svc = services(request)
    row, role = await _row_and_role(request, name, user)
    if role != INSTRUCTOR:
        raise Forbidden(f"removing members needs role instructor (you are {role})")
    found = await asyncio.to_thread(svc.db.user_by_username, username)
    if found is None:
        raise NotFound(f"no user named {username!r}")
    actor = Actor(user.id, user.display_name, INSTRUCTOR, user.is_admin)
    await svc.spaces.execute(row, actor, "member.remove", {"user_id": found[0].id})
    await asyncio.to_thread(
        svc.db.audit,
        "space.member_remove",
        actor=user,
        target=f"{name}/{username}",
        ip=client_ip(request),
    )
    return {"removed": username}
