"""Sign in and out.

A sign-in attempt is first checked against the throttle (cheap; a throttled attempt never reaches
argon2), then the password is checked in the argon2 pool (:mod:`medverse.auth.hashpool`). The
design is in docs/security.md.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from medverse.app.deps import client_ip, current_user, services
from medverse.app.security import is_https, sign_in_guard
from medverse.auth import COOKIE_NAME
from medverse.auth.devices import DEVICE_COOKIE, DEVICE_COOKIE_PATH
from medverse.auth.passwords import DUMMY_HASH
from medverse.errors import NotAuthenticated
from medverse.store import User

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _secure(request: Request) -> bool:
    return services(request).settings.cookie_secure or is_https(request)


@router.post("/login")
async def login(body: Login, request: Request, response: Response) -> dict[str, object]:
    svc = services(request)
    guard = sign_in_guard(request)
    ip = client_ip(request)
    device = guard.devices.token_for(request.cookies.get(DEVICE_COOKIE), body.username)
    guard.throttle.check(ip, body.username, device)
    found = await asyncio.to_thread(svc.db.user_by_username, body.username)
    # a missing user costs the same argon2 check as a wrong password
    ok = await guard.pool.verify(found[1] if found else DUMMY_HASH, body.password)
    if not found or not ok:
        guard.throttle.failed(ip, body.username, device)
        await asyncio.to_thread(svc.db.audit, "auth.login_failed", target=body.username, ip=ip)
        raise NotAuthenticated("wrong username or password")
    user = found[0]
    guard.throttle.succeeded(ip, body.username, device)
    _sid, cookie = await asyncio.to_thread(svc.sessions.start, user)
    secure = _secure(request)
    response.set_cookie(
        COOKIE_NAME, cookie, max_age=svc.sessions.max_age_s, httponly=True, samesite="lax", secure=secure, path="/"
    )
    response.set_cookie(
        DEVICE_COOKIE,
        guard.devices.issue(user.username),
        max_age=guard.devices.max_age_s,
        httponly=True,
        samesite="strict",
        secure=secure,
        path=DEVICE_COOKIE_PATH,
    )
    await asyncio.to_thread(svc.db.audit, "auth.login", actor=user, ip=ip)
    return {"user": user.public()}


@router.post("/logout", status_code=204)
async def logout(request: Request, response: Response) -> Response:
    svc = services(request)
    sid, user = await asyncio.to_thread(svc.sessions.user, request.cookies.get(COOKIE_NAME))
    await asyncio.to_thread(svc.sessions.end, sid)
    request.app.state.gateway.session_ended(sid)  # its open sockets close now (4001)
    await asyncio.to_thread(svc.db.audit, "auth.logout", actor=user, ip=client_ip(request))
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/me")
async def me(user: User = Depends(current_user)) -> dict[str, object]:
    return {"user": user.public()}
