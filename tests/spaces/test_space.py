"""A space's command path against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic import BaseModel

from medverse.bus import LocalBus
from medverse.commons import commons_plugin
from medverse.config import load_settings
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound, ServerError
from medverse.spaces import Actor, Command, KindSet, RulesOnly, SpaceKind, SpaceManager
from medverse.spaces.kinds import UnknownCommand
from medverse.spaces.metrics import Metrics
from medverse.store import Database, User

ADMIN = User(1, "admin", "Admin", True)
KINDS = KindSet([commons_plugin()])


@pytest.fixture
async def env(database_url: str, tmp_path) -> AsyncIterator[tuple[Database, SpaceManager]]:
    db = Database(database_url)
    db.upgrade()
    admin = db.create_user("admin", "Admin", "h", True)
    db.create_user("ana", "Ana", "h")
    db.create_user("bo", "Bo", "h")
    settings = load_settings({}, data_dir=tmp_path, snapshot_every=5)
    manager = SpaceManager(db, settings, LocalBus(), Metrics(), KINDS)
    await manager.start()
    users = {u.username: u for u in db.users()}
    await manager.create("lab", "commons", "Lab", admin, [(users["ana"], "instructor"), (users["bo"], "participant")])
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
    result = await space.execute(
        actor(db, "ana", "instructor"), "c1", "object.create", {"shape": "box", "position": [1, 2, 3], "id": "b1"}
    )
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
    await space.execute(
        actor(db, "bo", "participant"),
        None,
        "object.create",
        {"shape": "pin", "position": [0, 1, 0], "label": "here", "id": "p1"},
    )
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
        await space.execute(ana, f"m{i}", "object.create", {"shape": "sphere", "position": [i, 0, 0], "id": f"s{i}"})
    await space.execute(ana, None, "object.update", {"id": "s3", "position": [9, 9, 9]})
    await space.execute(ana, None, "object.delete", {"id": "s4"})
    before, seq = space.state, space.seq
    await manager.stop()  # waits for the snapshot being written in the background
    snap = db.latest_snapshot(space.row.id)
    assert snap is not None and 0 < snap[0] < seq
    other = SpaceManager(db, manager.settings, LocalBus(), Metrics(), KINDS)
    await other.start()
    reloaded = await other.get("lab")
    assert reloaded.seq == seq
    assert reloaded.state == before
    await other.stop()


async def test_a_restart_starts_from_the_snapshot_not_from_the_first_event(env) -> None:
    """A marker that only the snapshot holds survives a reload: the snapshot is what was read."""
    db, manager = env
    space = await manager.get("lab")
    ana = actor(db, "ana", "instructor")
    for i in range(6):
        await space.execute(ana, None, "chat.send", {"text": f"m{i}"})
    await space.execute(ana, None, "chat.send", {"text": "after"})
    await manager.stop()
    seq, state = db.latest_snapshot(space.row.id)  # type: ignore[misc]
    assert seq < space.seq
    state["objects"]["only-in-snapshot"] = {
        "id": "only-in-snapshot",
        "shape": "box",
        "position": [0, 0, 0],
        "rotation": [0, 0, 0, 1],
        "scale": [1, 1, 1],
        "color": "#000000",
        "label": "",
        "created_by": ana.user_id,
    }
    db.save_snapshot(space.row.id, seq + 1, state)  # a newer snapshot only this test wrote
    other = SpaceManager(db, manager.settings, LocalBus(), Metrics(), KINDS)
    await other.start()
    reloaded = await other.get("lab")
    assert "only-in-snapshot" in reloaded.state["objects"]
    assert reloaded.state["chat"][-1]["text"] == "after"  # the events after it were replayed
    await other.stop()


async def test_two_processes_on_one_database_never_share_a_sequence_number(env) -> None:
    """Two managers (as two server processes would) append to the same space concurrently."""
    db, manager = env
    db2 = Database(db.url)
    second = SpaceManager(db2, manager.settings, LocalBus(), Metrics(), KINDS)
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


async def test_the_same_command_id_from_two_users_is_two_commands(env) -> None:
    db, manager = env
    space = await manager.get("lab")
    await space.execute(actor(db, "ana", "instructor"), None, "space.set_policy", {"edit": "participant"})
    first = await space.execute(actor(db, "ana", "instructor"), "c-1", "chat.send", {"text": "from ana"})
    second = await space.execute(actor(db, "bo", "participant"), "c-1", "chat.send", {"text": "from bo"})
    assert not second.duplicate and second.seq == first.seq + 1
    assert [m["text"] for m in space.state["chat"]][-2:] == ["from ana", "from bo"]


# a kind with bugs, to show that one failing command never takes its batch down with it
class _Text(BaseModel):
    text: str


def _buggy_kind() -> SpaceKind:
    kind = SpaceKind("buggy", "Buggy", "a kind with a broken handler and a broken applier")

    def crash(state, args, actor):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError("a bug in a handler")

    def half_apply(state, data):  # type: ignore[no-untyped-def]
        state["kind"]["seen"] = [*state["kind"].get("seen", []), data["text"]]
        raise KeyError("a bug in an applier, after it changed the state")

    kind.command(Command("buggy.crash", _Text, "participant", crash))
    long_name = "buggy." + "x" * 100  # longer than the log's event-name column: PostgreSQL refuses it
    kind.command(Command("buggy.long", _Text, "participant", lambda s, a, ac: [(long_name, {"text": a.text})]))
    kind.appliers[long_name] = lambda state, data: None
    kind.command(Command("buggy.half", _Text, "participant", lambda s, a, ac: [("buggy.halved", {"text": a.text})]))
    kind.appliers["buggy.halved"] = half_apply
    return kind


async def test_a_failing_command_is_refused_alone_and_its_batch_is_committed(database_url, tmp_path) -> None:
    db = Database(database_url)
    db.upgrade()
    admin = db.create_user("admin", "Admin", "h", True)
    manager = SpaceManager(
        db, load_settings({}, data_dir=tmp_path), LocalBus(), Metrics(), KindSet([commons_plugin(), RulesOnly(_buggy_kind())])
    )
    await manager.start()
    try:
        await manager.create("bug", "buggy", "Bug", admin, [])
        space = await manager.get("bug")
        me = Actor(admin.id, "Admin", "instructor", True)
        head = space.seq
        calls = [space.execute(me, f"ok{i}", "chat.send", {"text": f"t{i}"}) for i in range(4)]
        calls.insert(1, space.execute(me, "bad-handler", "buggy.crash", {"text": "x"}))
        calls.insert(3, space.execute(me, "bad-applier", "buggy.half", {"text": "y"}))
        results = await asyncio.gather(*calls, return_exceptions=True)
        failed = [r for r in results if isinstance(r, Exception)]
        assert len(failed) == 2 and all(isinstance(r, ServerError) for r in failed), results
        assert "failed on the server" in str(results[1]) and "failed on the server" in str(results[3])
        assert [m["text"] for m in space.state["chat"]] == ["t0", "t1", "t2", "t3"]
        assert "seen" not in space.state["kind"]  # the half-applied change was undone
        logged = db.events_since(space.row.id, head)
        assert [e.name for e in logged] == ["chat.message"] * 4
        assert [e.seq for e in logged] == list(range(head + 1, head + 5))
        # a value the database will not store, in the middle of a batch
        head = space.seq
        calls = [space.execute(me, None, "chat.send", {"text": f"u{i}"}) for i in range(3)]
        calls.insert(1, space.execute(me, None, "buggy.long", {"text": "z"}))
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert [m["text"] for m in space.state["chat"]][-3:] == ["u0", "u1", "u2"]
        if db.engine.dialect.name == "postgresql":
            assert isinstance(results[1], InvalidInput) and "could not be stored" in str(results[1])
            assert [e.name for e in db.events_since(space.row.id, head)] == ["chat.message"] * 3
        assert [e.seq for e in db.events_since(space.row.id, head)] == list(range(head + 1, space.seq + 1))
    finally:
        await manager.stop()
        db.close()


async def test_a_late_present_does_not_bring_back_someone_who_left(env) -> None:
    """Another process answers a join with `present` for its people; when that message is
    delivered after the same person's `left`, the roster must not show them again."""
    _db, manager = env
    space = await manager.get("lab")
    info = {"pid": 9001, "user_id": 3, "display_name": "Bo", "role": "participant", "muted": False}
    space.remote_participant("joined", info)
    assert 9001 in space.room.remote
    space.remote_participant("left", {"pid": 9001})
    space.remote_participant("present", info)  # sent before the leave, delivered after it
    assert 9001 not in space.room.remote
    assert all(p["pid"] != 9001 for p in space.participants())
