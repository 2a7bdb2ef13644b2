"""Request dependencies: the services of the running app and the signed-in user."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from fastapi import Request

from medverse.auth import COOKIE_NAME, SessionManager
from medverse.config import Settings
from medverse.errors import Forbidden
from medverse.spaces.kinds import KindSet
from medverse.spaces.manager import SpaceManager
from medverse.spaces.metrics import Metrics
from medverse.store import Database, User


@dataclass
class Services:
    settings: Settings
    db: Database
    sessions: SessionManager
    spaces: SpaceManager
    metrics: Metrics
    kinds: KindSet


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def current_user(request: Request) -> User:
    svc = services(request)
    _sid, user = await asyncio.to_thread(svc.sessions.user, request.cookies.get(COOKIE_NAME))
    return user


async def admin_user(request: Request) -> User:
    user = await current_user(request)
    if not user.is_admin:
        raise Forbidden("only a site admin may do this")
    return user


def client_ip(request: Request) -> str | None:
    """The client's address: the direct peer, or what a trusted proxy forwarded (see app/security.py,
    whose middleware rewrote ``request.client`` before any route runs)."""
    return request.client.host if request.client else None
