"""Shared spaces: authoritative state + event log, kinds, presence and the WebSocket gateway."""

from medverse.spaces.commit import CommandResult
from medverse.spaces.host import KindHost
from medverse.spaces.kinds import Actor, Command, KindPlugin, KindSet, RulesOnly, SpaceKind, Viewer
from medverse.spaces.manager import SpaceManager
from medverse.spaces.space import Space

__all__ = [
    "Actor",
    "Command",
    "CommandResult",
    "KindHost",
    "KindPlugin",
    "KindSet",
    "RulesOnly",
    "Space",
    "SpaceKind",
    "SpaceManager",
    "Viewer",
]
