"""Who is in a space and what each of them is sent: local connections, participants on other
server processes, and the fan-out of events and messages (each viewer gets the view of an event
the kind allows them, e.g. no other student's quiz answer before the reveal).

Everything here runs on the event loop; sends never block (each connection has its own queue).
"""

from __future__ import annotations

import json
from typing import Any

from medverse.spaces import protocol as P
from medverse.spaces.connection import Connection
from medverse.spaces.kinds import SpaceKind, State, Viewer
from medverse.store import StoredEvent


def dumps(msg: dict[str, Any]) -> str:
    return json.dumps(msg, separators=(",", ":"))


def event_message(ev: StoredEvent, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": P.EVENT,
        "seq": ev.seq,
        "name": ev.name,
        "data": ev.data if data is None else data,
        "actor": ev.actor_id,
        "cmd": ev.cmd_id,
        "ts": ev.ts,
    }


class Room:
    def __init__(self, kind: SpaceKind) -> None:
        self.kind = kind
        self.conns: dict[int, Connection] = {}
        self.remote: dict[int, dict[str, Any]] = {}  # participants on other server processes

    # --- who is here --------------------------------------------------------------------------
    def add(self, conn: Connection) -> None:
        self.conns[conn.pid] = conn

    def remove(self, conn: Connection) -> bool:
        return self.conns.pop(conn.pid, None) is not None

    def __bool__(self) -> bool:
        return bool(self.conns or self.remote)

    def of_user(self, user_id: int) -> list[Connection]:
        return [c for c in self.conns.values() if c.user.id == user_id]

    @staticmethod
    def viewer(conn: Connection) -> Viewer:
        return Viewer(conn.user.id, conn.role)

    def participant(self, conn: Connection, state: State) -> dict[str, Any]:
        member = state["members"].get(str(conn.user.id), {})
        return conn.participant(muted=bool(member.get("muted")))

    def participants(self, state: State) -> list[dict[str, Any]]:
        return [self.participant(c, state) for c in self.conns.values()] + list(self.remote.values())

    # --- what they are sent -------------------------------------------------------------------
    def snapshot_for(self, conn: Connection, seq: int, state: State) -> str:
        return dumps({"type": P.SNAPSHOT, "seq": seq, "state": self.kind.state_for(state, self.viewer(conn))})

    def events_for(self, conn: Connection, evs: list[StoredEvent]) -> str:
        viewer = self.viewer(conn)
        return dumps(
            {"type": P.EVENTS, "events": [event_message(ev, self.kind.event_for(ev.name, ev.data, viewer)) for ev in evs]}
        )

    def send_events(self, evs: list[StoredEvent]) -> None:
        """Each event to every local connection, as that connection's viewer may see it."""
        for ev in evs:
            plain = dumps(event_message(ev))
            if self.kind.view_event is None:
                for conn in self.conns.values():
                    conn.send_text(plain)
                continue
            cache: dict[Viewer, str] = {}
            for conn in self.conns.values():
                viewer = self.viewer(conn)
                text = cache.get(viewer)
                if text is None:
                    data = self.kind.event_for(ev.name, ev.data, viewer)
                    text = plain if data is ev.data else dumps(event_message(ev, data))
                    cache[viewer] = text
                conn.send_text(text)

    def broadcast(self, msg: dict[str, Any], exclude: int | None = None) -> None:
        text = dumps(msg)
        for pid, conn in self.conns.items():
            if pid != exclude:
                conn.send_text(text)

    def close_all(self, code: int, reason: str) -> None:
        for conn in list(self.conns.values()):
            conn.close(code, reason)
