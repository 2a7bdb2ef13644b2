"""Where a space's media go: between the browsers (peer-to-peer) or through a media server (SFU).

The spaces layer only knows the :class:`MediaPlane` protocol; the Janus bridge
(:mod:`medverse.media`) implements it. The default, :class:`PeerToPeer`, needs no other service:
browsers connect to each other and the server only relays their signalling (docs/media.md).

What travels where:

- signalling for another participant (``signal {to: pid}``) is relayed by the gateway;
- signalling for the media server (``signal {to: 0}``, :data:`SFU_PID`) goes to
  :meth:`MediaPlane.signal`, after the same checks (size, who may send audio);
- each floor decision calls :meth:`MediaPlane.floor_changed`, so an SFU can stop forwarding a
  silenced person's audio whatever their client does;
- when the media server comes or goes, the plane announces ``media.mode`` to the space and the
  clients rebuild their connections in the new mode.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import TYPE_CHECKING, Any, Protocol

from medverse.config import Settings
from medverse.spaces import protocol as P

if TYPE_CHECKING:
    from medverse.spaces.connection import Connection
    from medverse.spaces.manager import SpaceManager
    from medverse.spaces.space import Space

SFU_PID = 0  # the `to`/`from` of signalling with the media server
# the media server's subscribe offer lists every stream in the room: the browser's answer grows
# with it (about 1 KiB per publisher with audio and video), so it may be larger than a peer's
SFU_ANSWER_MAX_BYTES = 60 * 1024
P2P = "p2p"
SFU = "sfu"
TURN_CREDENTIAL_TTL_S = 12 * 3600


class SignalRefused(Exception):
    """A `signal` message refused, with the protocol's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class MediaPlane(Protocol):
    """The media side of every space of this process."""

    def mode(self, space: Space) -> str:
        """``"sfu"`` when the media server carries this space's media now, else ``"p2p"``."""
        ...

    async def signal(self, space: Space, conn: Connection, kind: str, data: dict[str, Any], sig_id: str | None = None) -> None:
        """A checked signal from ``conn`` for the media server (raise SignalRefused to refuse at
        once; a later refusal is an error frame naming ``sig_id``)."""
        ...

    async def joined(self, space: Space, conn: Connection) -> None:
        """``conn`` joined the space (e.g. offer it what is published there)."""
        ...

    async def left(self, space: Space, conn: Connection) -> None:
        """``conn`` left the space: drop what the media server holds for it."""
        ...

    def floor_changed(self, space: Space, user_ids: set[int] | None) -> None:
        """Who may speak changed for ``user_ids`` (None: possibly everyone); enforce it."""
        ...

    async def start(self, spaces: SpaceManager) -> None:
        """Called once by the space manager's start (``spaces.loaded_spaces()`` are the spaces of
        this process, e.g. to announce ``media.mode`` in each when the media server comes or goes)."""
        ...

    async def stop(self) -> None: ...


class PeerToPeer:
    """The embedded default: no media server; browsers send their media to each other."""

    def mode(self, space: Space) -> str:
        return P2P

    async def signal(self, space: Space, conn: Connection, kind: str, data: dict[str, Any], sig_id: str | None = None) -> None:
        raise SignalRefused(P.E_UNAVAILABLE, "this server has no media server (SFU); send media peer-to-peer")

    async def joined(self, space: Space, conn: Connection) -> None:
        return None

    async def left(self, space: Space, conn: Connection) -> None:
        return None

    def floor_changed(self, space: Space, user_ids: set[int] | None) -> None:
        return None

    async def start(self, spaces: SpaceManager) -> None:
        return None

    async def stop(self) -> None:
        return None


def ice_servers(settings: Settings, user_id: int, now: float | None = None) -> list[dict[str, Any]]:
    """The ICE servers a browser should use (RTCConfiguration.iceServers).

    ``MEDVERSE_ICE_SERVERS`` lists STUN/TURN URLs, comma-separated. With ``MEDVERSE_TURN_SECRET``
    (coturn's ``static-auth-secret``), each user gets time-limited TURN credentials by coturn's
    REST scheme: username ``<expiry>:<user id>``, credential base64(HMAC-SHA1(secret, username)).
    Empty (the default): no ICE servers; enough on one machine or one LAN.
    """
    urls = [u.strip() for u in settings.ice_servers.split(",") if u.strip()]
    stun = [u for u in urls if not u.startswith(("turn:", "turns:"))]
    turn = [u for u in urls if u.startswith(("turn:", "turns:"))]
    servers: list[dict[str, Any]] = []
    if stun:
        servers.append({"urls": stun})
    if turn:
        entry: dict[str, Any] = {"urls": turn}
        if settings.turn_secret:
            expiry = int((time.time() if now is None else now) + TURN_CREDENTIAL_TTL_S)
            username = f"{expiry}:{user_id}"
            mac = hmac.new(str(settings.turn_secret).encode(), username.encode(), hashlib.sha1).digest()
            entry["username"] = username
            entry["credential"] = base64.b64encode(mac).decode()
        servers.append(entry)
    return servers
