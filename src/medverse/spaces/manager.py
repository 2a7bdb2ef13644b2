"""The spaces this process serves: loaded on first use, stopped together; and the one place that
answers "may this user do this in this space" for REST routes and kinds."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from medverse.auth.roles import INSTRUCTOR, OBSERVER, at_least
from medverse.bus import Bus
from medverse.config import Settings
from medverse.errors import Forbidden, InvalidInput, NotFound
from medverse.spaces.commit import CommandResult
from medverse.spaces.kinds import Actor, KindSet
from medverse.spaces.media import MediaPlane, PeerToPeer
from medverse.spaces.metrics import Metrics
from medverse.spaces.space import Space
from medverse.store import Database, SpaceRow, User

SPACE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")


class SpaceManager:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        bus: Bus,
        metrics: Metrics,
        kinds: KindSet,
        media: MediaPlane | None = None,
    ) -> None:
        self.db = db
        self.media: MediaPlane = media or PeerToPeer()
        self.settings = settings
        self.bus = bus
        self.metrics = metrics
        self.kinds = kinds
        # the log's database work runs in a pool of its own (from start to stop), apart from the
        # default pool that REST routes and kinds use: a flood of slow requests never delays a commit
        self.commit_pool: ThreadPoolExecutor | None = None
        self._spaces: dict[int, Space] = {}
        self._loading: dict[int, asyncio.Lock] = {}
        self._started = False

    async def start(self) -> None:
        if self._started:
            raise RuntimeError("the space manager is started already")
        await self.bus.start(self)
        await self.media.start(self)
        self.commit_pool = ThreadPoolExecutor(max_workers=self.settings.commit_workers, thread_name_prefix="medverse-commit")
        self._started = True

    async def stop(self) -> None:
        for space in list(self._spaces.values()):
            await space.stop()
        self._spaces.clear()
        await self.media.stop()
        await self.bus.stop()
        if self.commit_pool is not None:
            self.commit_pool.shutdown(wait=True)
            self.commit_pool = None
        self._started = False

    async def get(self, name: str) -> Space:
        row = await asyncio.to_thread(self.db.space, name)
        if row is None:
            raise NotFound(f"no space named {name!r}")
        return await self.load(row)

    async def load(self, row: SpaceRow) -> Space:
        space = self._spaces.get(row.id)
        if space is not None:
            return space
        lock = self._loading.setdefault(row.id, asyncio.Lock())
        async with lock:
            space = self._spaces.get(row.id)
            if space is None:
                space = Space(
                    row, self.kinds.get(row.kind), self.db, self.settings, self.metrics, self.bus, self.commit_pool, self.media
                )
                await space.start()
                self._spaces[row.id] = space
        return space

    def loaded(self, space_id: int) -> Space | None:
        return self._spaces.get(space_id)

    def loaded_spaces(self) -> list[Space]:
        return list(self._spaces.values())

    async def access(self, name: str, user: User, need: str = OBSERVER, kind: str | None = None) -> Space:
        """The space ``name`` if ``user`` holds at least role ``need`` in it, as its state says.

        Non-members get NotFound (a space's existence is not revealed to them); members with too
        small a role get Forbidden. ``kind``: the space must be of this kind.
        """
        try:
            space = await self.get(name)
        except NotFound:
            raise NotFound(f"no space named {name!r}") from None
        role = space.role_of(user)
        if role is None:
            raise NotFound(f"no space named {name!r}")
        if kind is not None and space.kind.name != kind:
            raise InvalidInput(f"this needs a space of kind {kind} ({name!r} is a {space.kind.name} space)")
        if not at_least(role, need):
            raise Forbidden(f"this needs role {need} in {name!r} (you are {role})")
        return space

    async def execute(self, row: SpaceRow, actor: Actor, name: str, args: Any) -> CommandResult:
        """Run a command on behalf of a REST call, a kind's job or the CLI (no client command id;
        trusted: the server itself issues it)."""
        space = await self.load(row)
        return await space.execute(actor, None, name, args, trusted=True)

    async def create(self, name: str, kind: str, title: str, by: User, members: list[tuple[User, str]]) -> SpaceRow:
        """Create a space of a kind this server runs and add its first members (as commands)."""
        if not SPACE_NAME.match(name):
            raise InvalidInput(f"a space name is 2-40 lowercase letters, digits or '-' (got {name!r})")
        kind_ = self.kinds.get(kind)
        row = await asyncio.to_thread(self.db.create_space, name, kind_.name, title or kind_.title)
        actor = Actor(by.id, by.display_name, INSTRUCTOR, by.is_admin)
        for user, role in members:
            await self.execute(
                row,
                actor,
                "member.set_role",
                {"user_id": user.id, "role": role, "display_name": user.display_name},
            )
        await asyncio.to_thread(
            self.db.audit,
            "space.create",
            actor=by,
            target=name,
            detail={"kind": kind, "members": {u.username: r for u, r in members}},
        )
        return row

    # --- BusHandler --------------------------------------------------------------------------
    async def bus_events(self, space_id: int, head: int) -> None:
        space = self._spaces.get(space_id)
        if space is not None:
            await space.on_remote_head(head)

    def bus_participant(self, space_id: int, what: str, info: dict[str, Any]) -> None:
        space = self._spaces.get(space_id)
        if space is not None:
            space.remote_participant(what, info)

    def bus_poses(self, space_id: int, entries: list[bytes]) -> None:
        space = self._spaces.get(space_id)
        if space is not None:
            space.on_remote_poses(entries)

    def bus_message(self, space_id: int, msg: dict[str, Any]) -> None:
        space = self._spaces.get(space_id)
        if space is not None:
            space.broadcast(msg)

    def bus_direct(self, space_id: int, pid: int, msg: dict[str, Any]) -> None:
        space = self._spaces.get(space_id)
        if space is not None:
            space.deliver(pid, msg)
