"""The commands every space kind accepts: chat, shared objects, membership and moderation.

State layout (JSON):

``objects``  id -> {id, shape, position, rotation, scale, color, label, created_by}
``chat``     the newest CHAT_KEEP messages {user_id, display_name, text, ts}
``members``  str(user_id) -> {role, display_name, muted}
``removed``  user ids removed by an instructor (they may not come back unless re-added)
``locked``   only instructors may enter
``policy``   {"edit": "instructor" | "participant"}: who may change shared objects
``voice``    floor control: who may speak (see :mod:`medverse.spaces.voice`)
``kind``     the kind's own state
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medverse.auth.roles import INSTRUCTOR, at_least
from medverse.errors import Conflict, Forbidden, InvalidInput, NotFound
from medverse.spaces import voice
from medverse.spaces.kinds import Actor, Applier, Command, EventSpec, State

CHAT_KEEP = 200
MAX_OBJECTS = 500
SHAPES = ("box", "sphere", "cylinder", "cone", "pin")

Coord = Annotated[float, Field(ge=-1000.0, le=1000.0, allow_inf_nan=False)]
ScaleV = Annotated[float, Field(ge=0.01, le=100.0, allow_inf_nan=False)]
QuatV = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False)]
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


def initial_state() -> State:
    return {
        "objects": {},
        "chat": [],
        "members": {},
        "removed": [],
        "locked": False,
        "policy": {"edit": INSTRUCTOR},
        "voice": voice.initial_voice(),
    }


# --- role checks ------------------------------------------------------------------------
def _can_edit(state: State, actor: Actor) -> str | None:
    needed = state["policy"]["edit"]
    if at_least(actor.role, needed):
        return None
    return f"changing shared objects needs role {needed} in this space (you are {actor.role})"


def _can_chat(state: State, actor: Actor) -> str | None:
    member = state["members"].get(str(actor.user_id))
    if member and member.get("muted") and not actor.is_admin:
        return "an instructor has muted your chat in this space"
    return None


# --- chat ---------------------------------------------------------------------------------
class ChatArgs(_Args):
    text: str = Field(min_length=1, max_length=2000)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("a message cannot be blank")
        return v


def _chat(state: State, args: ChatArgs, actor: Actor) -> list[EventSpec]:
    return [
        (
            "chat.message",
            {
                "user_id": actor.user_id,
                "display_name": actor.display_name,
                "text": args.text.strip(),
                "ts": time.time(),
            },
        )
    ]


def _apply_chat(state: State, data: dict[str, Any]) -> None:
    state["chat"].append(data)
    del state["chat"][:-CHAT_KEEP]


# --- shared objects -------------------------------------------------------------------------
class _ObjectFields(_Args):
    position: tuple[Coord, Coord, Coord] | None = None
    rotation: tuple[QuatV, QuatV, QuatV, QuatV] | None = None
    scale: tuple[ScaleV, ScaleV, ScaleV] | None = None
    color: str | None = None
    label: str | None = Field(default=None, max_length=200)

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        if v is not None and not _COLOR.match(v):
            raise ValueError("colour must look like #rrggbb")
        return v

    @field_validator("rotation")
    @classmethod
    def _unit(cls, v: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if v is None:
            return v
        n = sum(x * x for x in v) ** 0.5
        if not 0.9 < n < 1.1:
            raise ValueError(f"rotation must be a unit quaternion (length {n:.3f})")
        return tuple(x / n for x in v)


class CreateObjectArgs(_ObjectFields):
    id: str | None = None
    shape: Literal["box", "sphere", "cylinder", "cone", "pin"]
    position: tuple[Coord, Coord, Coord]

    @field_validator("id")
    @classmethod
    def _id(cls, v: str | None) -> str | None:
        if v is not None and not _ID.match(v):
            raise ValueError("id must be 1-64 letters, digits or _.:-")
        return v


class UpdateObjectArgs(_ObjectFields):
    id: str


class DeleteObjectArgs(_Args):
    id: str


def _create(state: State, args: CreateObjectArgs, actor: Actor) -> list[EventSpec]:
    oid = args.id or f"o-{uuid.uuid4().hex[:12]}"
    if oid in state["objects"]:
        raise Conflict(f"an object with id {oid!r} exists already")
    if len(state["objects"]) >= MAX_OBJECTS:
        raise Conflict(f"a space holds at most {MAX_OBJECTS} objects")
    obj = {
        "id": oid,
        "shape": args.shape,
        "position": list(args.position),
        "rotation": list(args.rotation or (0.0, 0.0, 0.0, 1.0)),
        "scale": list(args.scale or (1.0, 1.0, 1.0)),
        "color": args.color or ("#e4572e" if args.shape == "pin" else "#4f86c6"),
        "label": args.label or "",
        "created_by": actor.user_id,
    }
    return [("object.created", {"object": obj})]


def _update(state: State, args: UpdateObjectArgs, actor: Actor) -> list[EventSpec]:
    if args.id not in state["objects"]:
        raise NotFound(f"no object with id {args.id!r} in this space")
    changes = args.model_dump(exclude={"id"}, exclude_none=True)
    if not changes:
        raise InvalidInput("object.update needs at least one of position, rotation, scale, color, label")
    changes = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
    return [("object.updated", {"id": args.id, "changes": changes})]


def _delete(state: State, args: DeleteObjectArgs, actor: Actor) -> list[EventSpec]:
    if args.id not in state["objects"]:
        raise NotFound(f"no object with id {args.id!r} in this space")
    return [("object.deleted", {"id": args.id})]


def _apply_created(state: State, data: dict[str, Any]) -> None:
    obj = data["object"]
    state["objects"][obj["id"]] = obj


def _apply_updated(state: State, data: dict[str, Any]) -> None:
    state["objects"][data["id"]].update(data["changes"])


def _apply_deleted(state: State, data: dict[str, Any]) -> None:
    state["objects"].pop(data["id"], None)


# --- membership and moderation ----------------------------------------------------------------
class SetRoleArgs(_Args):
    user_id: int
    role: Literal["instructor", "participant", "observer"]
    display_name: str | None = Field(default=None, max_length=128)


class MuteArgs(_Args):
    user_id: int
    muted: bool


class RemoveArgs(_Args):
    user_id: int


class LockArgs(_Args):
    locked: bool


class PolicyArgs(_Args):
    edit: Literal["instructor", "participant"]


def _member(state: State, user_id: int) -> dict[str, Any]:
    member = state["members"].get(str(user_id))
    if member is None:
        raise NotFound(f"user {user_id} is not a member of this space")
    return member


def _not_self(actor: Actor, user_id: int, what: str) -> None:
    if actor.user_id == user_id and not actor.is_admin:
        raise Forbidden(f"you cannot {what} yourself")


def _set_role(state: State, args: SetRoleArgs, actor: Actor) -> list[EventSpec]:
    existing = state["members"].get(str(args.user_id))
    if existing is None and not args.display_name:
        raise NotFound(f"user {args.user_id} is not a member of this space")
    if existing is not None:
        _not_self(actor, args.user_id, "change the role of")
        if existing["role"] == args.role:
            raise Conflict(f"user {args.user_id} is {args.role} already")
    name = args.display_name or existing["display_name"]  # type: ignore[index]
    return [("member.role_changed", {"user_id": args.user_id, "role": args.role, "display_name": name})]


def _mute(state: State, args: MuteArgs, actor: Actor) -> list[EventSpec]:
    _member(state, args.user_id)
    _not_self(actor, args.user_id, "mute")
    return [("member.muted", {"user_id": args.user_id, "muted": args.muted})]


def _remove(state: State, args: RemoveArgs, actor: Actor) -> list[EventSpec]:
    _member(state, args.user_id)
    _not_self(actor, args.user_id, "remove")
    return [("member.removed", {"user_id": args.user_id})]


def _lock(state: State, args: LockArgs, actor: Actor) -> list[EventSpec]:
    return [("space.locked", {"locked": args.locked})]


def _policy(state: State, args: PolicyArgs, actor: Actor) -> list[EventSpec]:
    return [("space.policy_changed", {"edit": args.edit})]


def _apply_role(state: State, data: dict[str, Any]) -> None:
    key = str(data["user_id"])
    member = state["members"].setdefault(key, {"muted": False})
    member["role"] = data["role"]
    member["display_name"] = data["display_name"]
    if data["user_id"] in state["removed"]:
        state["removed"].remove(data["user_id"])


def _apply_muted(state: State, data: dict[str, Any]) -> None:
    state["members"][str(data["user_id"])]["muted"] = data["muted"]


def _apply_removed(state: State, data: dict[str, Any]) -> None:
    state["members"].pop(str(data["user_id"]), None)
    if data["user_id"] not in state["removed"]:
        state["removed"].append(data["user_id"])
    voice.forget(state, data["user_id"])


def _apply_locked(state: State, data: dict[str, Any]) -> None:
    state["locked"] = data["locked"]


def _apply_policy(state: State, data: dict[str, Any]) -> None:
    state["policy"]["edit"] = data["edit"]


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("chat.send", ChatArgs, _can_chat, _chat, "post a chat message"),
        Command("object.create", CreateObjectArgs, _can_edit, _create, "place a shared object or pin"),
        Command("object.update", UpdateObjectArgs, _can_edit, _update, "move, rotate, scale, recolour or relabel"),
        Command("object.delete", DeleteObjectArgs, _can_edit, _delete, "delete a shared object"),
        Command("member.set_role", SetRoleArgs, INSTRUCTOR, _set_role, "add a member or change a role"),
        Command("member.mute", MuteArgs, INSTRUCTOR, _mute, "mute or unmute a member's chat"),
        Command("member.remove", RemoveArgs, INSTRUCTOR, _remove, "remove a member from the space"),
        Command("space.lock", LockArgs, INSTRUCTOR, _lock, "lock or unlock the space"),
        Command("space.set_policy", PolicyArgs, INSTRUCTOR, _policy, "who may change shared objects"),
    )
}
COMMANDS.update(voice.COMMANDS)

APPLIERS: dict[str, Applier] = {
    "chat.message": _apply_chat,
    "object.created": _apply_created,
    "object.updated": _apply_updated,
    "object.deleted": _apply_deleted,
    "member.role_changed": _apply_role,
    "member.muted": _apply_muted,
    "member.removed": _apply_removed,
    "space.locked": _apply_locked,
    "space.policy_changed": _apply_policy,
    **voice.APPLIERS,
}

# events that change who may enter: the store keeps a membership table in step with them
MEMBERSHIP_EVENTS = frozenset({"member.role_changed", "member.removed"})
# security-relevant events: each also lands in the audit log, in the same transaction
AUDITED_EVENTS = (
    frozenset({"member.role_changed", "member.removed", "member.muted", "space.locked", "space.policy_changed"})
    | voice.AUDITED_EVENTS
)
