// The medverse wire protocol (docs/protocol.md). Every name and number comes from the generated
// contract (./contract.gen.ts, written by `medverse protocol ts` from the server's code); this
// module adds the shapes of the messages, which TypeScript cannot learn from Python.

import type { ClientMsg, CoreEvName, Ev, ErrorCodeValue, JobStateValue, Role, ServerMsg, Shape } from "./contract.gen";

export * from "./contract.gen";

/**
 * Close codes the browser itself reports or uses (never sent by the server): 1006 when a socket
 * drops without a close frame, 3000 when the client drops its own socket to reconnect.
 */
export const LocalClose = {
  ABNORMAL: 1006,
  RECONNECT: 3000,
} as const;

/** Who may change shared objects in a space (`policy.edit`). */
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
  created_by: number;
}

/** A chat message, in the state's `chat` list and as a `chat.message` event's data. */
export interface ChatMessage {
  user_id: number;
  display_name: string;
  text: string;
  ts: number;
}

/** A member of the space, in the state's `members` (keyed by user id as a string). */
export interface Member {
  role: Role;
  display_name: string;
  muted: boolean;
}

/** The space's whole state, as a snapshot carries it (src/medverse/spaces/core.py). */
export interface SpaceSnapshotState {
  objects: Record<string, SharedObject>;
  chat: ChatMessage[];
  members: Record<string, Member>;
  removed: number[];
  locked: boolean;
  policy: { edit: EditPolicy };
  /** Floor control (absent in snapshots of spaces whose log predates it; read as the initial state). */
  voice?: VoiceState;
  /** The kind's own state; each kind's client module knows its layout. */
  kind: unknown;
}

/** Floor control: who may speak (src/medverse/spaces/voice.py); lists of user ids. */
export interface VoiceState {
  muted: number[];
  muted_all: boolean;
  locked: boolean;
  hands: number[];
  floor: number[];
  self_muted: number[];
  /** Areas whose voices stay inside (absent in older snapshots). */
  zones: VoiceZone[];
  /** Instructors heard everywhere, across zones. */
  broadcast: number[];
}

/** An area of the floor whose voices stay inside: `rect` is [x0, z0, x1, z1] in metres. */
export interface VoiceZone {
  id: string;
  name: string;
  rect: [number, number, number, number];
}

/** The data of each core event (src/medverse/spaces/core.py). */
export interface CoreEventData {
  [Ev.CHAT_MESSAGE]: ChatMessage;
  [Ev.OBJECT_CREATED]: { object: SharedObject };
  [Ev.OBJECT_UPDATED]: { id: string; changes: Partial<Omit<SharedObject, "id" | "shape" | "created_by">> };
  [Ev.OBJECT_DELETED]: { id: string };
  [Ev.MEMBER_ROLE_CHANGED]: { user_id: number; role: Role; display_name: string };
  [Ev.MEMBER_MUTED]: { user_id: number; muted: boolean };
  [Ev.MEMBER_REMOVED]: { user_id: number };
  [Ev.SPACE_LOCKED]: { locked: boolean };
  [Ev.SPACE_POLICY_CHANGED]: { edit: EditPolicy };
  [Ev.VOICE_MUTED]: { user_id: number; muted: boolean };
  [Ev.VOICE_MUTED_ALL]: { muted: boolean };
  [Ev.VOICE_LOCKED]: { locked: boolean };
  [Ev.VOICE_HAND_RAISED]: { user_id: number; raised: boolean };
  [Ev.VOICE_FLOOR_GIVEN]: { user_id: number; allowed: boolean };
  [Ev.VOICE_SELF_MUTED]: { user_id: number; muted: boolean };
  [Ev.VOICE_ZONES_SET]: { zones: VoiceZone[] };
  [Ev.VOICE_BROADCAST_SET]: { user_id: number; on: boolean };
}

// Every core event of the contract has its data typed above (a new one fails the type check here).
export type UntypedCoreEvents = Exclude<CoreEvName, keyof CoreEventData>;
const everyEventTyped: [UntypedCoreEvents] extends [never] ? true : UntypedCoreEvents = true;
void everyEventTyped;

export interface WireEvent {
  type: typeof ServerMsg.EVENT;
  seq: number;
  name: string;
  data: Record<string, unknown>;
  /** The user id of whoever issued the command (null for events the server made itself). */
  actor: number | null;
  /** The id of the command that made the event (null when none did). */
  cmd: string | null;
  ts: number;
}

// ---- client -> server ------------------------------------------------------------------------

export interface HelloFrame {
  type: typeof ClientMsg.HELLO;
  since: number | null;
  protocol: number;
}

export interface CommandFrame {
  type: typeof ClientMsg.COMMAND;
  id: string;
  name: string;
  args: Record<string, unknown>;
}

export interface PingFrame {
  type: typeof ClientMsg.PING;
  t: number;
}

export type SignalKind = "offer" | "answer" | "candidate" | "bye";

/** WebRTC signalling for one participant (`to`: their pid; 0: the media server). */
export interface SignalFrame {
  type: typeof ClientMsg.SIGNAL;
  to: number;
  kind: SignalKind;
  data: Record<string, unknown>;
  /** Names the message in an error frame (optional). */
  id?: string;
}

export type ClientFrame = HelloFrame | CommandFrame | PingFrame | SignalFrame;

// ---- server -> client ------------------------------------------------------------------------

export interface Welcome {
  type: typeof ServerMsg.WELCOME;
  /** The server's protocol version; a client of another version must not go on. */
  protocol: number;
  you: { pid: number; user_id: number; display_name: string; role: Role; is_admin: boolean };
  space: { id: number; name: string; kind: string; title: string };
  seq: number;
  presence_hz: number;
  client_pose_hz: number;
  /** How media travel (absent from servers before voice): docs/protocol.md. */
  media?: MediaInfo;
}

export type MediaMode = "p2p" | "sfu";

export interface MediaInfo {
  mode: MediaMode;
  ice_servers: RTCIceServer[];
  p2p_max_peers: number;
}

/** A relayed signal: `from` is the sender's pid (0: the media server). */
export interface SignalMessage {
  type: typeof ServerMsg.SIGNAL;
  from: number;
  from_user: number;
  kind: SignalKind;
  data: Record<string, unknown>;
}

/** Stop sending this media now (the floor was taken away). */
export interface MediaStopFrame {
  type: typeof ServerMsg.MEDIA_STOP;
  audio: boolean;
  reason: string;
}

/** The media server came or went: rebuild media connections in `mode`. */
export interface MediaModeFrame {
  type: typeof ServerMsg.MEDIA_MODE;
  mode: MediaMode;
  reason: string;
}

export interface SnapshotFrame {
  type: typeof ServerMsg.SNAPSHOT;
  seq: number;
  state: SpaceSnapshotState;
}

export interface EventsFrame {
  type: typeof ServerMsg.EVENTS;
  events: WireEvent[];
}

export interface AckFrame {
  type: typeof ServerMsg.ACK;
  id: string;
  seq: number;
  duplicate?: true;
}

export interface ErrorFrame {
  type: typeof ServerMsg.ERROR;
  /** The refused command's id; null for a frame-level error (e.g. a dropped pose frame). */
  id: string | null;
  /** One of `ErrorCode`, or a more specific code of a kind's refusal (show `message` then). */
  code: ErrorCodeValue | (string & Record<never, never>);
  message: string;
}

export interface PongFrame {
  type: typeof ServerMsg.PONG;
  t: number;
}

export interface ParticipantsFrame {
  type: typeof ServerMsg.PARTICIPANTS;
  participants: Participant[];
}

export interface ParticipantFrame {
  type: typeof ServerMsg.PARTICIPANT_JOINED | typeof ServerMsg.PARTICIPANT_UPDATED;
  participant: Participant;
}

/** Someone left: only their pid (their name is in the list the client keeps). */
export interface ParticipantLeftFrame {
  type: typeof ServerMsg.PARTICIPANT_LEFT;
  participant: { pid: number };
}

/** A long job's progress (not an event). */
export interface Job {
  id: string;
  state: JobStateValue;
  stage: string;
  percent: number;
  error: string | null;
  error_code: string | null;
}

export interface JobProgressFrame {
  type: typeof ServerMsg.JOB_PROGRESS;
  job: Job;
}

export type ServerFrame =
  | Welcome
  | SnapshotFrame
  | EventsFrame
  | (WireEvent & { type: typeof ServerMsg.EVENT })
  | AckFrame
  | ErrorFrame
  | PongFrame
  | ParticipantsFrame
  | ParticipantFrame
  | ParticipantLeftFrame
  | JobProgressFrame
  | SignalMessage
  | MediaStopFrame
  | MediaModeFrame;

/** Server messages that are not part of the space's history, by type: kind modules listen to these. */
export interface ServerMessages {
  [ServerMsg.JOB_PROGRESS]: JobProgressFrame;
  [ServerMsg.SIGNAL]: SignalMessage;
  [ServerMsg.MEDIA_STOP]: MediaStopFrame;
  [ServerMsg.MEDIA_MODE]: MediaModeFrame;
}

// ---- REST ------------------------------------------------------------------------------------

export interface LobbySpace {
  id: number;
  name: string;
  kind: string;
  title: string;
  my_role: Role | null;
  locked: boolean;
  online: { user_id: number; display_name: string; role: Role }[];
}

/** One kind of space as `GET /api/kinds` describes it. */
export interface KindInfo {
  name: string;
  title: string;
  description: string;
  /** Every command a space of this kind accepts (the core ones included), sorted. */
  commands: string[];
  /** The folder of the kind's client module under web/src/kinds/. */
  client_module: string;
}
