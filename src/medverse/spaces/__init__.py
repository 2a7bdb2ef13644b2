"""Shared spaces: authoritative state + event log, kinds, presence and the WebSocket gateway."""

from medverse.spaces.kinds import Actor, Command, SpaceKind, all_kinds, get_kind, register
from medverse.spaces.manager import SpaceManager
from medverse.spaces.space import CommandResult, Space

__all__ = [
    "Actor",
    "Command",
    "CommandResult",
    "Space",
    "SpaceKind",
    "SpaceManager",
    "all_kinds",
    "get_kind",
    "register",
]
