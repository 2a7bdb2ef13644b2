"""Site accounts (admins only)."""

from __future__ import annotations

import asyncio
import re

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator

from medverse.app.deps import admin_user, client_ip, services
from medverse.app.security import sign_in_guard
from medverse.store import User

router = APIRouter(prefix="/api/users", tags=["users"])

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class NewUser(BaseModel):
    username: str
    display_name: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=8, max_length=1024)
    is_admin: bool = False

    @field_validator("username")
    @classmethod
    def _username(cls, v: str) -> str:
        if not USERNAME.match(v):
            raise ValueError("a username is 2-64 lowercase letters, digits or . _ - (starting with a letter or digit)")
        return v


@router.get("")
async def list_users(request: Request, _admin: User = Depends(admin_user)) -> dict[str, object]:
    users = await asyncio.to_thread(services(request).db.users)
    return {"users": [u.public() for u in users]}


@router.post("", status_code=201)
async def create_user(body: NewUser, request: Request, admin: User = Depends(admin_user)) -> dict[str, object]:
    svc = services(request)
    pw_hash = await sign_in_guard(request).pool.hash(body.password)
    user = await asyncio.to_thread(svc.db.create_user, body.username, body.display_name, pw_hash, body.is_admin)
    await asyncio.to_thread(
        svc.db.audit,
        "user.create",
        actor=admin,
        target=user.username,
        detail={"is_admin": user.is_admin},
        ip=client_ip(request),
    )
    return {"user": user.public()}
