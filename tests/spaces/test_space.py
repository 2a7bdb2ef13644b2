"""A space's command path against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from medverse.bus import LocalBus
from medverse.config import load_settings
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.spaces import Actor, SpaceManager
from medverse.spaces.kinds import UnknownCommand
from medverse.spaces.metrics import Metrics
from medverse.store import Database, User

ADMIN = User(1, "admin", "Admin", True)


@pytest.fixture
async def env(database_url: str, tmp_path) -> AsyncIterator[tuple[Database, SpaceManager]]:
    db = Database(database_url)
    db.upgrade()
    admin = db.create_user("admin", "Admin", "h", True)
    db.create_user("ana", "Ana", "h")
    db.create_user("bo", "Bo", "h")
    settings = load_settings({}, data_dir=tmp_path, snapshot_every=5)
    manager = SpaceManager(db, settings, LocalBus(), Metrics())
    await manager.start()
    users = {u.username: u for u in db.users()}
    await manager.create("lab", "commons", "Lab", admin,
                         [(users["ana"], "instructor"), (users["bo"], "participant")])
    yield db, manager
    await manager.stop()
    db.close()


def actor(db: Database, username: str, role: str) -> Actor:
    found = db.user_by_username(username)
    assert found
    return Actor(found[0].id, found[0].display_name, role)


async def test_command_becomes_event_in_log_and_state(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    head = space.seq
    result = await space.execute(actor(db, "ana", "instructor"), "c1", "object.create",
                                 {"shape": "box", "position": [1, 2, 3], "id": "b1"})
    assert result.seq == head + 1 and not result.duplicate
    assert space.state["objects"]["b1"]["position"] == [1.0, 2.0, 3.0]
    logged = db.events_since(space.row.id, head)
    assert [(e.name, e.cmd_id) for e in logged] == [("object.created", "c1")]


async def test_retried_command_id_is_applied_once(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    ana = actor(db, "ana", "instructor")
    first = await space.execute(ana, "same", "chat.send", {"text": "hi"})
    again = await space.execute(ana, "same", "chat.send", {"text": "hi"})
    assert again.duplicate and again.seq == first.seq
    assert [m["text"] for m in space.state["chat"]] == ["hi"]


async def test_refusals_change_nothing(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    bo = actor(db, "bo", "participant")
    head = space.seq
    with pytest.raises(Forbidden, match="needs role instructor"):
        await space.execute(bo, "x1", "object.create", {"shape": "box", "position": [0, 0, 0]})
    with pytest.raises(Forbidden):
        await space.execute(bo, "x2", "space.lock", {"locked": True})
    with pytest.raises(NotFound, match="no object"):
        await space.execute(actor(db, "ana", "instructor"), "x3", "object.delete", {"id": "ghost"})
    with pytest.raises(InvalidInput, match="position"):
        await space.execute(actor(db, "ana", "instructor"), "x4", "object.create", {"shape": "box", "position": "up"})
    with pytest.raises(UnknownCommand):
        await space.execute(bo, "x5", "reactor.meltdown", {})
    assert space.seq == head
    assert db.head_seq(space.row.id) == head


async def test_role_is_checked_against_current_state_not_the_callers_claim(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    claims_instructor = actor(db, "bo", "instructor")  # bo is a participant in the state
    with pytest.raises(Forbidden):
        await space.execute(claims_instructor, "y1", "space.lock", {"locked": True})


async def test_policy_lets_participants_edit(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    await space.execute(actor(db, "ana", "instructor"), None, "space.set_policy", {"edit": "participant"})
    await space.execute(actor(db, "bo", "participant"), None, "object.create",
                        {"shape": "pin", "position": [0, 1, 0], "label": "here", "id": "p1"})
    assert space.state["objects"]["p1"]["label"] == "here"


async def test_conflicting_object_id(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    ana = actor(db, "ana", "instructor")
    await space.execute(ana, None, "object.create", {"shape": "box", "position": [0, 0, 0], "id": "dup"})
    with pytest.raises(Conflict):
        await space.execute(ana, None, "object.create", {"shape": "box", "position": [0, 0, 0], "id": "dup"})


async def test_restart_restores_state_exactly_from_snapshot_and_log(env, tmp_path) -> None:
    db, manager = env
    space = await manager.get("lab")
    ana = actor(db, "ana", "instructor")
    for i in range(12):  # crosses the snapshot interval (5) twice
        await space.execute(ana, f"m{i}", "object.create",
                            {"shape": "sphere", "position": [i, 0, 0], "id": f"s{i}"})
    await space.execute(ana, None, "object.update", {"id": "s3", "position": [9, 9, 9]})
    await space.execute(ana, None, "object.delete", {"id": "s4"})
    await asyncio.sleep(0.2)  # snapshots are written in the background
    before, seq = space.state, space.seq
    assert db.latest_snapshot(space.row.id) is not None
    await manager.stop()
    other = SpaceManager(db, manager.settings, LocalBus(), Metrics())
    await other.start()
    reloaded = await other.get("lab")
    assert reloaded.seq == seq
    assert reloaded.state == before
    await other.stop()


async def test_two_processes_on_one_database_never_share_a_sequence_number(env) -> None:
    """Two managers (as two server processes would) append to the same space concurrently."""
    db, manager = env
    db2 = Database(db.url)
    second = SpaceManager(db2, manager.settings, LocalBus(), Metrics())
    await second.start()
    s1, s2 = await manager.get("lab"), await second.get("lab")
    ana = actor(db, "ana", "instructor")

    async def write(space, prefix: str) -> None:
        for i in range(15):
            await space.execute(ana, f"{prefix}{i}", "chat.send", {"text": f"{prefix}{i}"})

    await asyncio.gather(write(s1, "a"), write(s2, "b"))
    seqs = [e.seq for e in db.events_since(s1.row.id, 0)]
    assert seqs == list(range(1, len(seqs) + 1))
    # each process caught up with the other's events before appending its own
    await s1.execute(ana, None, "chat.send", {"text": "last"})
    texts = {m["text"] for m in s1.state["chat"]}
    assert {f"a{i}" for i in range(15)} | {f"b{i}" for i in range(15)} <= texts
    await second.stop()
    db2.close()


async def test_double_start_is_refused(env) -> None:
    _db, manager = env
    space = await manager.get("lab")
    with pytest.raises(RuntimeError, match="started already"):
        await space.start()
    with pytest.raises(RuntimeError, match="started already"):
        await manager.start()


async def test_concurrent_commands_commit_together_and_refusals_stay_separate(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    ana, bo = actor(db, "ana", "instructor"), actor(db, "bo", "participant")
    head = space.seq
    calls = []
    for i in range(30):
        if i % 10 == 5:  # a refused command in the middle of a batch
            calls.append(space.execute(bo, f"bad{i}", "space.lock", {"locked": True}))
        else:
            calls.append(space.execute(ana, f"ok{i}", "chat.send", {"text": f"t{i}"}))
    calls.append(space.execute(ana, "ok0", "chat.send", {"text": "t0"}))  # a retry inside the batch
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 3 and all(isinstance(r, Forbidden) for r in refused)
    ok = [r for r in results[:-1] if not isinstance(r, Exception)]
    assert sorted(r.seq for r in ok) == list(range(head + 1, head + 28))
    assert results[-1].duplicate and results[-1].seq == results[0].seq
    assert [e.seq for e in db.events_since(space.row.id, head)] == list(range(head + 1, head + 28))
    assert space.state["locked"] is False
