"""Floor control: who may speak in a space, as core commands and events every kind accepts.

State layout, under the ``voice`` key of the core state (spaces whose log predates it have no such
key: the appliers create it, :func:`voice_state` reads a missing one as the initial state):

``muted``       user ids whose microphone an instructor muted (``voice.mute``)
``muted_all``   everyone but instructors is muted (``voice.mute_all``)
``locked``      students may not unmute themselves (``voice.lock``)
``hands``       user ids with a raised hand, in the order they raised it
``floor``       user ids an instructor let speak even while muted-all or locked
``self_muted``  user ids who muted themselves (what the others see; not a permission)
``zones``       areas whose voices stay inside: ``[{id, name, rect: [x0, z0, x1, z1]}]`` on the floor
``broadcast``   user ids (instructors) heard everywhere, whatever the zones

:func:`speak_refusal` / :func:`may_speak` answer "may this person send audio now" for the rules
and for the signalling (docs/media.md). The media never pass through the log; the decisions do.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from medverse.auth.roles import INSTRUCTOR, OBSERVER
from medverse.errors import Conflict, Forbidden, NotFound
from medverse.spaces.kinds import Actor, Applier, Command, EventSpec, State


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=False)


def initial_voice() -> dict[str, Any]:
    return {
        "muted": [],
        "muted_all": False,
        "locked": False,
        "hands": [],
        "floor": [],
        "self_muted": [],
        "zones": [],
        "broadcast": [],
    }


def voice_state(state: State) -> dict[str, Any]:
    """The voice state, read-only (the initial one for a space whose log predates floor control)."""
    voice = state.get("voice")
    return voice if voice is not None else initial_voice()


def _voice(state: State) -> dict[str, Any]:
    """The voice state for an applier to change (created when the log predates it)."""
    voice: dict[str, Any] = state.setdefault("voice", initial_voice())
    for key, value in initial_voice().items():
        voice.setdefault(key, value)
    return voice


def _role(state: State, user_id: int) -> str | None:
    member = state["members"].get(str(user_id))
    return member["role"] if member else None


def speak_refusal(state: State, user_id: int, role: str | None = None) -> str | None:
    """Why ``user_id`` may not send audio in this space now, or None when they may.

    ``role``: their effective role when known (an admin is an instructor without being a
    member); otherwise read from the members. Muting oneself is a choice, not a refusal.
    """
    role = role or _role(state, user_id)
    if role is None:
        return "you are not a member of this space"
    if role == INSTRUCTOR:
        return None
    if role == OBSERVER:
        return "observers listen only"
    voice = voice_state(state)
    if user_id in voice["muted"]:
        return "an instructor muted your microphone"
    if user_id in voice["floor"]:
        return None
    if voice["muted_all"]:
        return "an instructor muted everyone; raise your hand to ask for the floor"
    return None


def may_speak(state: State, user_id: int, role: str | None = None) -> bool:
    """True when ``user_id`` may send audio now (see :func:`speak_refusal`)."""
    return speak_refusal(state, user_id, role) is None


def unmute_refusal(state: State, user_id: int, role: str | None = None) -> str | None:
    """Why ``user_id`` may not unmute themselves now, or None."""
    refusal = speak_refusal(state, user_id, role)
    if refusal:
        return refusal
    role = role or _role(state, user_id)
    voice = voice_state(state)
    if role != INSTRUCTOR and voice["locked"] and user_id not in voice["floor"]:
        return "an instructor blocked unmuting; raise your hand to ask for the floor"
    return None


# --- commands --------------------------------------------------------------------------------
class MuteArgs(_Args):
    user_id: int
    muted: bool


class MuteAllArgs(_Args):
    muted: bool


class LockArgs(_Args):
    locked: bool


class RaiseHandArgs(_Args):
    raised: bool


class FloorArgs(_Args):
    user_id: int
    allowed: bool


class SelfMuteArgs(_Args):
    muted: bool


MAX_ZONES = 16
ZONE_EXTENT = 500.0  # metres from the origin a zone's corners may lie


class Zone(_Args):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")
    name: str = Field(min_length=1, max_length=40)
    rect: tuple[float, float, float, float]

    @field_validator("rect")
    @classmethod
    def _finite(cls, rect: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        if not all(-ZONE_EXTENT <= v <= ZONE_EXTENT for v in rect):  # NaN fails too
            raise ValueError(f"a zone's corners lie within {ZONE_EXTENT:.0f} m of the origin")
        if rect[0] == rect[2] or rect[1] == rect[3]:
            raise ValueError("a zone needs an area (x0 != x1 and z0 != z1)")
        return rect


class ZonesArgs(_Args):
    zones: list[Zone] = Field(max_length=MAX_ZONES)

    @field_validator("zones")
    @classmethod
    def _unique(cls, zones: list[Zone]) -> list[Zone]:
        if len({z.id for z in zones}) != len(zones):
            raise ValueError("zone ids must be unique")
        return zones


class BroadcastArgs(_Args):
    on: bool


def _member(state: State, user_id: int) -> str:
    role = _role(state, user_id)
    if role is None:
        raise NotFound(f"user {user_id} is not a member of this space")
    return role


def _can_raise_hand(state: State, actor: Actor) -> str | None:
    if actor.role == OBSERVER:
        return "observers listen only and cannot raise a hand"
    return None


def _anyone(state: State, actor: Actor) -> str | None:
    return None


def _mute(state: State, args: MuteArgs, actor: Actor) -> list[EventSpec]:
    _member(state, args.user_id)
    if actor.user_id == args.user_id and not actor.is_admin:
        raise Forbidden("you cannot mute yourself this way (use voice.set_self_muted)")
    return [("voice.muted", {"user_id": args.user_id, "muted": args.muted})]


def _mute_all(state: State, args: MuteAllArgs, actor: Actor) -> list[EventSpec]:
    return [("voice.muted_all", {"muted": args.muted})]


def _lock(state: State, args: LockArgs, actor: Actor) -> list[EventSpec]:
    return [("voice.locked", {"locked": args.locked})]


def _raise_hand(state: State, args: RaiseHandArgs, actor: Actor) -> list[EventSpec]:
    return [("voice.hand_raised", {"user_id": actor.user_id, "raised": args.raised})]


def _give_floor(state: State, args: FloorArgs, actor: Actor) -> list[EventSpec]:
    role = _member(state, args.user_id)
    if args.allowed and role == OBSERVER:
        raise Conflict(f"user {args.user_id} is an observer; observers listen only")
    return [("voice.floor_given", {"user_id": args.user_id, "allowed": args.allowed})]


def _set_self_muted(state: State, args: SelfMuteArgs, actor: Actor) -> list[EventSpec]:
    if not args.muted:
        refusal = unmute_refusal(state, actor.user_id, actor.role)
        if refusal:
            raise Forbidden(refusal)
    return [("voice.self_muted", {"user_id": actor.user_id, "muted": args.muted})]


def _set_zones(state: State, args: ZonesArgs, actor: Actor) -> list[EventSpec]:
    return [("voice.zones_set", {"zones": [z.model_dump(mode="json") for z in args.zones]})]


def _broadcast(state: State, args: BroadcastArgs, actor: Actor) -> list[EventSpec]:
    return [("voice.broadcast_set", {"user_id": actor.user_id, "on": args.on})]


# --- appliers --------------------------------------------------------------------------------
def _toggle(items: list[int], user_id: int, on: bool) -> None:
    if on and user_id not in items:
        items.append(user_id)
    elif not on and user_id in items:
        items.remove(user_id)


def _apply_muted(state: State, data: dict[str, Any]) -> None:
    voice = _voice(state)
    _toggle(voice["muted"], data["user_id"], data["muted"])
    if data["muted"]:  # an instructor's mute takes the floor back
        _toggle(voice["floor"], data["user_id"], False)


def _apply_muted_all(state: State, data: dict[str, Any]) -> None:
    voice = _voice(state)
    voice["muted_all"] = data["muted"]
    if data["muted"]:  # muting everyone takes back every floor given before
        voice["floor"] = []


def _apply_locked(state: State, data: dict[str, Any]) -> None:
    _voice(state)["locked"] = data["locked"]


def _apply_hand(state: State, data: dict[str, Any]) -> None:
    _toggle(_voice(state)["hands"], data["user_id"], data["raised"])


def _apply_floor(state: State, data: dict[str, Any]) -> None:
    voice = _voice(state)
    _toggle(voice["floor"], data["user_id"], data["allowed"])
    if data["allowed"]:  # the floor lifts an individual mute and answers a raised hand
        _toggle(voice["muted"], data["user_id"], False)
        _toggle(voice["hands"], data["user_id"], False)


def _apply_self_muted(state: State, data: dict[str, Any]) -> None:
    _toggle(_voice(state)["self_muted"], data["user_id"], data["muted"])


def _apply_zones(state: State, data: dict[str, Any]) -> None:
    _voice(state)["zones"] = [dict(z, rect=list(z["rect"])) for z in data["zones"]]


def _apply_broadcast(state: State, data: dict[str, Any]) -> None:
    _toggle(_voice(state)["broadcast"], data["user_id"], data["on"])


def forget(state: State, user_id: int) -> None:
    """A member was removed: drop their hand and floor (their mute stays, should they come back)."""
    if "voice" in state:
        voice = _voice(state)
        _toggle(voice["hands"], user_id, False)
        _toggle(voice["floor"], user_id, False)
        _toggle(voice["broadcast"], user_id, False)


COMMANDS: dict[str, Command] = {
    c.name: c
    for c in (
        Command("voice.mute", MuteArgs, INSTRUCTOR, _mute, "mute or unmute one person's microphone"),
        Command("voice.mute_all", MuteAllArgs, INSTRUCTOR, _mute_all, "mute or unmute everyone but instructors"),
        Command("voice.lock", LockArgs, INSTRUCTOR, _lock, "block or allow students unmuting themselves"),
        Command("voice.raise_hand", RaiseHandArgs, _can_raise_hand, _raise_hand, "raise or lower your hand"),
        Command("voice.give_floor", FloorArgs, INSTRUCTOR, _give_floor, "let one person speak, or take the floor back"),
        Command("voice.set_self_muted", SelfMuteArgs, _anyone, _set_self_muted, "mute or unmute yourself"),
        Command("voice.set_zones", ZonesArgs, INSTRUCTOR, _set_zones, "set the areas whose voices stay inside"),
        Command("voice.broadcast", BroadcastArgs, INSTRUCTOR, _broadcast, "speak to the whole space, across zones"),
    )
}

APPLIERS: dict[str, Applier] = {
    "voice.muted": _apply_muted,
    "voice.muted_all": _apply_muted_all,
    "voice.locked": _apply_locked,
    "voice.hand_raised": _apply_hand,
    "voice.floor_given": _apply_floor,
    "voice.self_muted": _apply_self_muted,
    "voice.zones_set": _apply_zones,
    "voice.broadcast_set": _apply_broadcast,
}

# the instructor's floor decisions, audited like the other moderation events
AUDITED_EVENTS = frozenset(
    {"voice.muted", "voice.muted_all", "voice.locked", "voice.floor_given", "voice.zones_set", "voice.broadcast_set"}
)
# events after which someone may have lost the right to speak: their client is told to stop sending
SILENCING_EVENTS = frozenset({"voice.muted", "voice.muted_all", "voice.floor_given", "member.role_changed"})


# events after which who may speak may have changed, either way: an SFU re-applies its decisions
FLOOR_EVENTS = SILENCING_EVENTS | frozenset({"voice.locked", "member.removed"})


def affected(name: str, data: dict[str, Any]) -> set[int] | None:
    """The user ids whose right to speak the floor event ``name`` may have changed (None: anyone)."""
    user_id = data.get("user_id")
    if name in ("voice.muted_all", "voice.locked") or not isinstance(user_id, int):
        return None
    return {user_id}


def concerns(name: str, data: dict[str, Any], user_id: int) -> bool:
    """Whether the silencing event ``name`` may have silenced ``user_id``."""
    if name == "voice.muted_all":
        return bool(data["muted"])
    if name == "voice.muted":
        return bool(data["muted"]) and data["user_id"] == user_id
    if name == "voice.floor_given":
        return not data["allowed"] and data["user_id"] == user_id
    return bool(data.get("user_id") == user_id)


# --- signalling ------------------------------------------------------------------------------
_SENDING = frozenset({"sendrecv", "sendonly"})


def sends_audio(data: dict[str, Any]) -> bool:
    """Whether an offer's or answer's ``data`` would send audio: its ``media.audio`` flag, or an
    ``m=audio`` section of its SDP with a port and a sending direction (sendrecv by default).

    Reading the SDP as well as the flag means a client cannot send audio by leaving the flag out.
    """
    media = data.get("media")
    if isinstance(media, dict) and media.get("audio"):
        return True
    sdp = data.get("sdp")
    if not isinstance(sdp, str):
        return False
    sections: list[tuple[bool, str]] = []  # (is a live audio section, its direction)
    for line in sdp.splitlines():
        if line.startswith("m="):
            parts = line[2:].split()
            live = len(parts) > 1 and parts[0] == "audio" and parts[1] != "0"
            sections.append((live, "sendrecv"))
        elif sections and line.strip() in ("a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"):
            sections[-1] = (sections[-1][0], line.strip()[2:])
    return any(live and direction in _SENDING for live, direction in sections)
