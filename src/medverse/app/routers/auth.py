"""Sign in and out."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from medverse.app.deps import client_ip, current_user, services
from medverse.auth import COOKIE_NAME, verify_password
from medverse.auth.passwords import DUMMY_HASH
from medverse.errors import NotAuthenticated, RateLimited
from medverse.store import User

router = APIRouter(prefix="/api/auth", tags=["auth"])

FAILURE_WINDOW_S = 300.0
MAX_FAILURES = 10
_failures: dict[str, deque[float]] = defaultdict(deque)


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _throttle(key: str) -> None:
    q = _failures[key]
    now = time.monotonic()
    while q and now - q[0] > FAILURE_WINDOW_S:
        q.popleft()
    if len(q) >= MAX_FAILURES:
        raise RateLimited(f"too many failed sign-ins; try again in {int(FAILURE_WINDOW_S - (now - q[0])) + 1} s")


@router.post("/login")
async def login(body: Login, request: Request, response: Response) -> dict[str, object]:
    svc = services(request)
    ip = client_ip(request)
    key = f"{ip}:{body.username}"
    _throttle(key)
    found = await asyncio.to_thread(svc.db.user_by_username, body.username)
    ok = await asyncio.to_thread(verify_password, found[1] if found else DUMMY_HASH, body.password)
    if not found or not ok:
        _failures[key].append(time.monotonic())
        await asyncio.to_thread(
            svc.db.audit, "auth.login_failed", target=body.username, ip=ip
        )
        raise NotAuthenticated("wrong username or password")
    user = found[0]
    _failures.pop(key, None)
    _sid, cookie = await asyncio.to_thread(svc.sessions.start, user)
    response.set_cookie(
        COOKIE_NAME,
        cookie,
        max_age=svc.sessions.max_age_s,
        httponly=True,
        samesite="lax",
        secure=svc.settings.cookie_secure,
        path="/",
    )
    await asyncio.to_thread(svc.db.audit, "auth.login", actor=user, ip=ip)
    return {"user": user.public()}


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response) -> Response:
    svc = services(request)
    sid, user = await asyncio.to_thread(svc.sessions.user, request.cookies.get(COOKIE_NAME))
    await asyncio.to_thread(svc.sessions.end, sid)
    await asyncio.to_thread(svc.db.audit, "auth.logout", actor=user, ip=client_ip(request))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/")
    return response


@router.get("/me")
async def me(user: User = Depends(current_user)) -> dict[str, object]:
    return {"user": user.public()}
