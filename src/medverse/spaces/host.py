"""What a kind plug-in may use of the running server (handed to :meth:`KindPlugin.start`)."""

from __future__ import annotations

from dataclasses import dataclass

from medverse.config import Settings
from medverse.spaces.manager import SpaceManager
from medverse.store import Database


@dataclass(frozen=True)
class KindHost:
    """The services a kind's routes and jobs use.

    ``spaces`` loads spaces, runs commands on someone's behalf and answers access questions
    (:meth:`SpaceManager.access`); a space's :meth:`~medverse.spaces.space.Space.announce` sends
    non-event messages (e.g. job progress) to everyone in it on every server process.
    """

    spaces: SpaceManager
    db: Database
    settings: Settings
