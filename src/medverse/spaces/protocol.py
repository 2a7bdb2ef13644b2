"""Every name and number of the wire protocol, in one place (see docs/protocol.md)."""

from __future__ import annotations

import struct
from typing import Final

PROTOCOL_VERSION: Final = 1

# --- client -> server text messages ---
HELLO: Final = "hello"
COMMAND: Final = "command"
PING: Final = "ping"
SIGNAL: Final = "signal"  # WebRTC signalling for one participant; relayed to them as a `signal` too
CLIENT_TYPES: Final = frozenset({HELLO, COMMAND, PING, SIGNAL})
RELAYED_TYPES: Final = frozenset({SIGNAL})  # client messages the server also sends (relayed)

# --- server -> client text messages ---
WELCOME: Final = "welcome"
SNAPSHOT: Final = "snapshot"
EVENTS: Final = "events"
EVENT: Final = "event"
ACK: Final = "ack"
ERROR: Final = "error"
PONG: Final = "pong"
PARTICIPANTS: Final = "participants"
PARTICIPANT_JOINED: Final = "participant.joined"
PARTICIPANT_LEFT: Final = "participant.left"
PARTICIPANT_UPDATED: Final = "participant.updated"
JOB_PROGRESS: Final = "job.progress"  # a long job (e.g. a study import) moved on; not an event
MEDIA_STOP: Final = "media.stop"  # stop sending this media (the floor was taken away); not an event
MEDIA_MODE: Final = "media.mode"  # the media server came or went: reconnect media in this mode

# --- error codes in error frames ---
E_BAD_MESSAGE: Final = "bad-message"
E_UNKNOWN_TYPE: Final = "unknown-type"
E_UNKNOWN_COMMAND: Final = "unknown-command"
E_INVALID: Final = "invalid"
E_FORBIDDEN: Final = "forbidden"
E_NOT_FOUND: Final = "not-found"
E_CONFLICT: Final = "conflict"
E_RATE_LIMITED: Final = "rate-limited"
E_UNAVAILABLE: Final = "unavailable"  # the change could not be stored now; try again
E_INTERNAL: Final = "internal"  # a bug stopped this command; it was not applied

# --- close codes ---
CLOSE_NORMAL: Final = 1000
CLOSE_TOO_BIG: Final = 1009
CLOSE_RESTART: Final = 1012
CLOSE_PROTOCOL: Final = 4000
CLOSE_UNAUTHENTICATED: Final = 4001
CLOSE_FORBIDDEN: Final = 4003
CLOSE_NO_SPACE: Final = 4004
CLOSE_TOO_MANY: Final = 4008  # this user has too many sockets open already
CLOSE_FLOOD: Final = 4029

# --- states of a long job (e.g. a study import), in `job.progress` messages and REST answers ---
JOB_QUEUED: Final = "queued"
JOB_RUNNING: Final = "running"
JOB_SUCCEEDED: Final = "succeeded"
JOB_FAILED: Final = "failed"
JOB_CANCELLED: Final = "cancelled"
JOB_STATES: Final = (JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED)
JOB_FINAL_STATES: Final = frozenset({JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED})

HELLO_TIMEOUT_S: Final = 10.0
MAX_COMMAND_ID: Final = 64

# --- WebRTC signalling (`signal` messages; docs/media.md) ---
SIGNAL_KINDS: Final = ("offer", "answer", "candidate", "bye")
SIGNAL_MAX_SDP_BYTES: Final = 16 * 1024  # the JSON of an offer's or answer's `data`
SIGNAL_MAX_CANDIDATE_BYTES: Final = 1024  # the JSON of a candidate's or bye's `data`
SIGNALS_PER_S: Final = 50.0  # signalling messages per connection per second...
SIGNAL_BURST: Final = 100  # ...with bursts of this many

# --- binary presence ---
POSE: Final = 1
POSE_BATCH: Final = 2
KIND_STREAM: Final = 3  # a kind's own binary stream (e.g. the simulation bay's monitor); its client module decodes it
POSE_FLOATS: Final = 27  # head (7), left hand (7), right hand (7), ray (6)
POSE_SIZE: Final = 4 + 4 * POSE_FLOATS  # 112 bytes: type, flags, reserved u16, floats
ENTRY_SIZE: Final = 4 + 4 + 4 * POSE_FLOATS  # 116 bytes: pid, flags + 3 reserved, floats
BATCH_HEADER: Final = struct.Struct("<BBHI")  # type, reserved, count, tick
POSE_STRUCT: Final = struct.Struct("<BBH27f")
ENTRY_PREFIX: Final = struct.Struct("<IB3x")
FLAG_LEFT: Final = 1
FLAG_RIGHT: Final = 2
FLAG_RAY: Final = 4
FLAG_VR: Final = 8
