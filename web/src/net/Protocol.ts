// The medverse wire protocol, version 1 (docs/protocol.md).
// Mirrors src/medverse/spaces/protocol.py: every message type, command, event name and code the
// client uses is defined here and only here.

export const PROTOCOL_VERSION = 1;

/** JSON message types (the `type` field of a text frame). */
export const Msg = {
  HELLO: "hello",
  WELCOME: "welcome",
  SNAPSHOT: "snapshot",
  EVENTS: "events",
  EVENT: "event",
  PARTICIPANTS: "participants",
  PARTICIPANT_JOINED: "participant.joined",
  PARTICIPANT_LEFT: "participant.left",
  PARTICIPANT_UPDATED: "participant.updated",
  COMMAND: "command",
  ACK: "ack",
  ERROR: "error",
  PING: "ping",
  PONG: "pong",
} as const;

/** Commands every kind of space accepts. */
export const Cmd = {
  CHAT_SEND: "chat.send",
  OBJECT_CREATE: "object.create",
  OBJECT_UPDATE: "object.update",
  OBJECT_DELETE: "object.delete",
  MEMBER_MUTE: "member.mute",
  MEMBER_REMOVE: "member.remove",
  MEMBER_SET_ROLE: "member.set_role",
  SPACE_LOCK: "space.lock",
  SPACE_SET_POLICY: "space.set_policy",
} as const;

/** Event names (the `name` field of an event). */
export const Ev = {
  CHAT_MESSAGE: "chat.message",
  OBJECT_CREATED: "object.created",
  OBJECT_UPDATED: "object.updated",
  OBJECT_DELETED: "object.deleted",
  MEMBER_MUTED: "member.muted",
  MEMBER_REMOVED: "member.removed",
  MEMBER_ROLE_CHANGED: "member.role_changed",
  SPACE_LOCKED: "space.locked",
  SPACE_POLICY_CHANGED: "space.policy_changed",
} as const;

/** WebSocket close codes. */
export const Close = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  TOO_BIG: 1009,
  RESTARTING: 1012,
  PROTOCOL: 4000,
  UNAUTHENTICATED: 4001,
  FORBIDDEN: 4003,
  NO_SUCH_SPACE: 4004,
  FLOODING: 4029,
} as const;

/** Error codes of an `error` frame. */
export const ErrorCode = {
  BAD_MESSAGE: "bad-message",
  UNKNOWN_TYPE: "unknown-type",
  UNKNOWN_COMMAND: "unknown-command",
  INVALID: "invalid",
  FORBIDDEN: "forbidden",
  NOT_FOUND: "not-found",
  CONFLICT: "conflict",
  RATE_LIMITED: "rate-limited",
} as const;

/** Binary presence frames (little-endian). */
export const Bin = {
  POSE: 1,
  POSE_BATCH: 2,
  POSE_BYTES: 112,
  BATCH_HEADER_BYTES: 8,
  BATCH_ENTRY_BYTES: 116,
  /** f32 values in a pose: head(7) + left(7) + right(7) + ray(6). */
  POSE_FLOATS: 27,
  HEAD: 0,
  LEFT: 7,
  RIGHT: 14,
  RAY: 21,
} as const;

/** Flags byte of a pose. */
export const PoseFlag = {
  LEFT_VALID: 1,
  RIGHT_VALID: 2,
  RAY_ACTIVE: 4,
  IN_VR: 8,
} as const;

export const SHAPES = ["box", "sphere", "cylinder", "cone", "pin"] as const;
export type Shape = (typeof SHAPES)[number];

export const ROLES = ["instructor", "participant", "observer"] as const;
export type Role = (typeof ROLES)[number];

export type EditPolicy = "instructor" | "participant";

export type Vec3 = [number, number, number];
export type Quat = [number, number, number, number];

export interface User {
  id: number;
  username: string;
  display_name: string;
  is_admin: boolean;
}

export interface Participant {
  pid: number;
  user_id: number;
  display_name: string;
  role: Role;
  muted: boolean;
}

export interface SharedObject {
  id: string;
  shape: Shape;
  position: Vec3;
  rotation: Quat;
  scale: Vec3;
  color: string;
  label: string;
}

export interface Actor {
  user_id: number;
  display_name: string;
}

export interface WireEvent {
  type?: "event";
  seq: number;
  name: string;
  data: Record<string, unknown>;
  actor?: Actor | number | null;
  cmd?: string | null;
  ts?: number;
}

export interface Welcome {
  type: "welcome";
  you: { pid: number; user_id: number; display_name: string; role: Role };
  space: { name: string; kind: string; title: string };
  seq: number;
  presence_hz?: number;
  client_pose_hz?: number;
}

export interface ErrorFrame {
  type: "error";
  id?: string | null;
  code: string;
  message: string;
}

export interface LobbySpace {
  id: number;
  name: string;
  kind: string;
  title: string;
  my_role: Role | null;
  locked: boolean;
  online: { user_id: number; display_name: string; role: Role }[];
}

export interface KindInfo {
  name: string;
  title: string;
  description: string;
  roles: string[];
  commands: unknown;
}
