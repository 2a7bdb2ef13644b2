"""The command log of one space: commands in, committed events out (group commit).

Threads: the committed state (:attr:`CommandLog.state`, :attr:`CommandLog.seq`) belongs to the
event loop; nothing else mutates it, and it only ever changes by a swap on the loop, under the
space's lock. A batch of commands is decided and applied on a private working copy in a worker
thread, together with the database transaction that appends its events; when the transaction has
committed, the loop swaps the copy in. Readers on the loop therefore only ever see committed state.

Inside a batch each command is isolated: its events are applied to the working copy and appended
under a savepoint, and a command that fails in any way (refused, a bug in a handler or applier,
a value the database will not store) is rolled back alone; the others are committed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, TypeVar

from medverse.auth.roles import INSTRUCTOR
from medverse.errors import Forbidden, InvalidInput, MedverseError, ServerError, Unavailable
from medverse.spaces import core
from medverse.spaces.kinds import Actor, SpaceKind, State
from medverse.spaces.metrics import Metrics
from medverse.store import Database, StoredEvent

log = logging.getLogger("medverse.spaces")
T = TypeVar("T")


@dataclass(frozen=True)
class CommandResult:
    seq: int
    duplicate: bool = False


@dataclass
class _Pending:
    actor: Actor
    cmd_id: str | None
    name: str
    args: Any
    trusted: bool
    future: asyncio.Future[CommandResult]
    received: float


# per command of a batch: its new events, the error refusing it, or the seq of its earlier application
Outcome = list[StoredEvent] | Exception | int


def clone(state: State) -> State:
    """A deep copy of a JSON state (faster than copy.deepcopy for plain JSON)."""
    return json.loads(json.dumps(state))  # type: ignore[no-any-return]


class CommandLog:
    """Decides, stores and applies the commands of one space; see the module docstring."""

    def __init__(
        self,
        space_id: int,
        name: str,
        kind: SpaceKind,
        db: Database,
        metrics: Metrics,
        lock: asyncio.Lock,
        on_committed: Callable[[list[StoredEvent]], None],
        executor: Executor | None = None,
    ) -> None:
        """``executor``: where the database work runs (the space manager's commit pool, so that
        other work on worker threads, e.g. rendering slices, never delays a commit)."""
        self.space_id = space_id
        self.executor = executor
        self.name = name
        self.kind = kind
        self.db = db
        self.metrics = metrics
        self.lock = lock
        self.on_committed = on_committed
        self.state: State = kind.initial_state()
        self.seq = 0
        self._inbox: list[_Pending] = []
        self._task: asyncio.Task[None] | None = None

    # --- reading --------------------------------------------------------------------------------
    async def load(self) -> None:
        """(Re)build the committed state from the newest snapshot and the events after it."""
        state, seq = await self._in_pool(self._read_from_store)
        self.state, self.seq = state, seq

    def _read_from_store(self) -> tuple[State, int]:
        state, seq = self.kind.initial_state(), 0
        snap = self.db.latest_snapshot(self.space_id)
        if snap:
            seq, state = snap
        for ev in self.db.events_since(self.space_id, seq):
            seq = self._apply(state, seq, ev)
        return state, seq

    async def catch_up(self) -> list[StoredEvent]:
        """Read and apply what other processes appended to the log (call under the lock)."""
        evs = await self._in_pool(self.db.events_since, self.space_id, self.seq)
        if evs:
            work, seq = clone(self.state), self.seq
            for ev in evs:
                seq = self._apply(work, seq, ev)
            self.state, self.seq = work, seq
        return evs

    async def _in_pool(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def _apply(self, state: State, seq: int, ev: StoredEvent) -> int:
        if ev.seq != seq + 1:
            raise RuntimeError(f"event {ev.seq} does not follow {seq} in space {self.name}")
        self.kind.apply(state, ev.name, ev.data)
        return ev.seq

    # --- commands ------------------------------------------------------------------------------
    async def execute(self, actor: Actor, cmd_id: str | None, name: str, args: Any, trusted: bool = False) -> CommandResult:
        """Validate and apply a command; raises a MedverseError subclass when refused.

        Commands that arrive while a transaction is being committed wait and are then committed
        together in the next one (group commit): one disk flush for many commands.
        """
        fut: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._inbox.append(_Pending(actor, cmd_id, name, args, trusted, fut, time.perf_counter()))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._commit_loop(), name=f"commit-{self.name}")
        return await fut

    async def drain(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def _commit_loop(self) -> None:
        while self._inbox:
            batch, self._inbox = self._inbox, []
            async with self.lock:
                try:
                    state, seq, missed, outcomes = await self._in_pool(self._commit_batch, batch)
                except Exception:  # the transaction failed as a whole: nothing of it was stored
                    log.exception("space %s: commit failed", self.name)
                    error = Unavailable("the change could not be stored; try again")
                    for item in batch:
                        if not item.future.done():
                            item.future.set_exception(error)
                    continue
                self.state, self.seq = state, seq
                new = [ev for outcome in outcomes if isinstance(outcome, list) for ev in outcome]
                now = time.perf_counter()
                for item in batch:
                    self.metrics.command.add(now - item.received)
                if missed or new:
                    self.on_committed(missed + new)
            for item, outcome in zip(batch, outcomes, strict=True):
                if item.future.done():
                    continue
                if isinstance(outcome, Exception):
                    item.future.set_exception(outcome)
                elif isinstance(outcome, list):
                    item.future.set_result(CommandResult(outcome[-1].seq if outcome else self.seq))
                else:
                    item.future.set_result(CommandResult(outcome, duplicate=True))

    def _commit_batch(self, batch: list[_Pending]) -> tuple[State, int, list[StoredEvent], list[Outcome]]:
        """In a worker thread, holding the space's lock: one transaction for a batch of commands.

        The fast path appends the whole batch's events with one statement. Should the database
        refuse that (a value it will not store), the batch is done again with a savepoint per
        command, so that only the guilty command is refused.
        """
        try:
            return self._commit_once(batch, isolate=False)
        except _StoreRefused:
            return self._commit_once(batch, isolate=True)

    def _commit_once(self, batch: list[_Pending], isolate: bool) -> tuple[State, int, list[StoredEvent], list[Outcome]]:
        # the committed state is never mutated (only replaced), so it serves as the pristine base
        # to copy from; only a catch-up needs a base of its own
        base, seq = self.state, self.seq
        with self.db.write() as conn:
            head = self.db.lock_head(conn, self.space_id)
            missed: list[StoredEvent] = []
            if head > seq:  # another process appended: catch up before deciding
                missed = self.db.events_since(self.space_id, seq, conn=conn)
                base = clone(base)
                for ev in missed:
                    seq = self._apply(base, seq, ev)
            work = clone(base)
            start_seq = seq
            accepted: list[StoredEvent] = []
            outcomes: list[Outcome] = []
            seen: dict[tuple[int, str], int] = {}
            now = time.time()

            def rebuild() -> State:  # the copy may be half-changed: rebuild it from what was accepted
                fresh, replay = clone(base), start_seq
                for ev in accepted:
                    replay = self._apply(fresh, replay, ev)
                return fresh

            for item in batch:
                uid = item.actor.user_id
                if item.cmd_id is not None:
                    done = seen.get((uid, item.cmd_id)) or self.db.command_seq(conn, self.space_id, uid, item.cmd_id)
                    if done is not None:
                        outcomes.append(done)
                        continue
                try:
                    actor = Actor(uid, item.actor.display_name, _role(work, item.actor), item.actor.is_admin)
                    specs = self.kind.decide(work, item.name, item.args, actor, trusted=item.trusted)
                except MedverseError as exc:
                    outcomes.append(exc)
                    continue
                except RecursionError:
                    outcomes.append(InvalidInput("the command's arguments are nested too deeply"))
                    continue
                except Exception:  # a bug in a handler: refuse this command only
                    log.exception("space %s: %s failed", self.name, item.name)
                    outcomes.append(ServerError(f"{item.name} failed on the server; it was not applied"))
                    continue
                evs = [StoredEvent(seq + i + 1, ev_name, data, uid, item.cmd_id, now) for i, (ev_name, data) in enumerate(specs)]
                try:
                    for ev in evs:
                        self.kind.apply(work, ev.name, ev.data)
                except Exception as exc:  # a bug in an applier: undo this command only
                    log.warning("space %s: applying %s failed (%r); the others in its batch go on", self.name, item.name, exc)
                    work = rebuild()
                    outcomes.append(ServerError(f"{item.name} failed on the server; it was not applied"))
                    continue
                savepoint = conn.begin_nested() if isolate else None
                try:
                    for ev in evs:
                        if ev.name in core.MEMBERSHIP_EVENTS:
                            _project_membership(self.db, conn, self.space_id, ev)
                        if ev.name in core.AUDITED_EVENTS:
                            self.db.audit(
                                ev.name,
                                actor_id=uid,
                                actor_name=actor.display_name,
                                target=self.name,
                                detail={**ev.data, "seq": ev.seq},
                                conn=conn,
                            )
                    if savepoint is not None:
                        self.db.append_events(conn, self.space_id, evs)
                        savepoint.commit()
                except Exception as exc:
                    if savepoint is None:
                        raise
                    savepoint.rollback()
                    log.warning("space %s: %s could not be stored (%r); the others in its batch go on", self.name, item.name, exc)
                    work = rebuild()
                    outcomes.append(InvalidInput(f"{item.name} could not be stored: {_why(exc)}"))
                    continue
                seq = evs[-1].seq if evs else seq
                accepted.extend(evs)
                outcomes.append(evs)
                if item.cmd_id is not None and evs:
                    seen[(uid, item.cmd_id)] = evs[-1].seq
            if not isolate and accepted:
                try:
                    self.db.append_events(conn, self.space_id, accepted)
                except Exception as exc:
                    raise _StoreRefused() from exc
        return work, seq, missed, outcomes


class _StoreRefused(Exception):
    """The batch's events as a whole were refused by the database: do it again, one by one."""


def _why(exc: Exception) -> str:
    text = str(exc).lower()
    if "\\x00" in text or "\\u0000" in text or "nul" in text:
        return "text may not contain NUL characters"
    return "the database refused a value"


def _role(state: State, actor: Actor) -> str:
    """The sender's role, re-read from the state the command is decided against."""
    if actor.is_admin:
        return INSTRUCTOR
    member = state["members"].get(str(actor.user_id))
    if member is None:
        raise Forbidden("you are no longer a member of this space")
    return str(member["role"])


def _project_membership(db: Database, conn: Any, space_id: int, ev: StoredEvent) -> None:
    uid = int(ev.data["user_id"])
    if ev.name == "member.role_changed":
        db.set_member(space_id, uid, ev.data["role"], conn=conn)
    else:
        db.remove_member(space_id, uid, conn)
