import { Emitter } from "../util/Emitter";
import { Bin, Close, LocalClose, Msg, PROTOCOL_VERSION } from "./Protocol";
import type { ClientFrame, ErrorFrame, Participant, ServerFrame, SignalKind, SpaceSnapshotState, WireEvent, Welcome } from "./Protocol";
import { PoseCodec } from "./PoseCodec";
import type { PoseBatch } from "./PoseCodec";
import { protocolMismatch } from "./ProtocolCheck";

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface SpaceConnectionEvents {
  status: ConnectionStatus;
  welcome: Welcome;
  snapshot: { seq: number; state: SpaceSnapshotState };
  event: WireEvent;
  /** Catch-up finished (after a snapshot or an `events` frame): the client is in sync. */
  synced: void;
  participants: Participant[];
  participantJoined: Participant;
  participantLeft: { pid: number };
  participantUpdated: Participant;
  poses: PoseBatch;
  ack: { id: string; seq: number; duplicate: boolean };
  /** A refused command (with its id) or a frame-level error (id null). */
  error: ErrorFrame;
  /** The socket closed for good; `code` says why (4000, 4001, 4003 or 4004). */
  ended: { code: number; reason: string };
  /** The server speaks another protocol version: the connection stopped; `message` says what to do. */
  outdated: { message: string; server: unknown };
  /** Any other server message (e.g. `job.progress`), for kind modules. */
  message: ServerFrame;
  /** A kind's binary stream chunk (first byte KIND_STREAM), e.g. the simulation bay's monitor. */
  stream: ArrayBuffer;
}

/** The part of a WebSocket the connection uses (a fake one stands in for it in unit tests). */
export interface SocketLike {
  binaryType: BinaryType;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((e: Event) => void) | null;
  onmessage: ((e: MessageEvent) => void) | null;
  onclose: ((e: CloseEvent) => void) | null;
  onerror: ((e: Event) => void) | null;
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

/** What the connection needs from the browser; tests hand in fakes. */
export interface ConnectionEnv {
  /** Opens a socket to a path of this site (e.g. `/ws/spaces/anatomy-101`). */
  openSocket(path: string): SocketLike;
  /** Calls `cb` when the browser comes back online; returns the unsubscribe function. */
  onOnline(cb: () => void): () => void;
}

/** The browser: a real WebSocket to this page's host, and the window's `online` event. */
export const browserEnv: ConnectionEnv = {
  openSocket(path) {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return new WebSocket(`${scheme}//${location.host}${path}`);
  },
  onOnline(cb) {
    window.addEventListener("online", cb);
    return () => window.removeEventListener("online", cb);
  },
};

const OPEN = 1; // WebSocket.OPEN

interface Pending {
  id: string;
  name: string;
  args: Record<string, unknown>;
  resolve: (seq: number) => void;
  reject: (err: CommandError) => void;
}

/** A command the server refused (an `error` frame naming the command id), or dropped by a close. */
export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly commandId: string,
  ) {
    super(message);
    this.name = "CommandError";
  }
}

const BACKOFF_BASE_MS = 300;
const BACKOFF_MAX_MS = 5000;
const PING_EVERY_MS = 10000;
const PONG_TIMEOUT_MS = 8000;
/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSES: ReadonlySet<number> = new Set([Close.PROTOCOL, Close.UNAUTHENTICATED, Close.FORBIDDEN, Close.NO_SPACE]);

/**
 * One WebSocket to one space (docs/protocol.md): hello/welcome with the protocol version check,
 * catch-up, commands with client-chosen ids re-sent after a reconnect, events, presence frames,
 * and reconnection with exponential backoff and jitter.
 */
export class SpaceConnection {
  readonly events = new Emitter<SpaceConnectionEvents>();
  status: ConnectionStatus = "connecting";
  welcome: Welcome | null = null;
  /** True once catch-up after the latest hello is complete. */
  synced = false;
  /** Counters for the test hook and diagnostics. */
  readonly stats = { posesSent: 0, batchesReceived: 0, reconnects: 0, snapshots: 0, catchUps: 0, resent: 0 };
  private holdUntil = 0;

  private ws: SocketLike | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly codec = new PoseCodec();
  private attempt = 0;
  private failuresWithoutWelcome = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private pongDeadline: number | null = null;
  private stopped = false;
  private counter = 0;
  private readonly sessionTag = Math.random().toString(36).slice(2, 10);
  private offOnline: (() => void) | null = null;

  /**
   * @param spaceName the space's URL slug
   * @param since returns the highest sequence number the client has applied (null: none yet)
   * @param checkSession asked after repeated failed attempts: resolves false when signed out
   * @param env the socket and browser events (the browser's by default)
   */
  constructor(
    readonly spaceName: string,
    private readonly since: () => number | null,
    private readonly checkSession: () => Promise<boolean>,
    private readonly env: ConnectionEnv = browserEnv,
  ) {}

  start(): void {
    this.offOnline = this.env.onOnline(() => {
      if (this.status === "reconnecting") this.reconnectNow();
    });
    this.open();
  }

  /** Closes the socket for good (normal close); pending commands are dropped. */
  stop(): void {
    this.stopped = true;
    this.offOnline?.();
    this.offOnline = null;
    this.clearTimers();
    this.closeSocket(Close.NORMAL, "leaving");
    this.setStatus("closed");
    this.events.clear();
  }

  get connected(): boolean {
    return this.status === "open" && this.synced;
  }

  /**
   * Sends a command; resolves with the sequence number of its (first) event, rejects with a
   * CommandError when the server refuses it. Survives reconnects: unacknowledged commands are
   * re-sent with the same id.
   */
  command(name: string, args: Record<string, unknown>): Promise<number> {
    const id = `c-${this.sessionTag}-${(++this.counter).toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { id, name, args, resolve, reject });
      if (this.connected) this.send({ type: Msg.COMMAND, id, name, args });
    });
  }

  /**
   * Sends a WebRTC signal to participant `to` (0: the media server); false when not connected
   * (the media layer renegotiates after a reconnect). Refusals come back as `error` frames.
   */
  signal(to: number, kind: SignalKind, data: Record<string, unknown>, id?: string): boolean {
    if (!this.connected) return false;
    this.send({ type: Msg.SIGNAL, to, kind, data, id });
    return true;
  }

  /** Sends the own pose (dropped silently while not in sync). */
  sendPose(flags: number, values: ArrayLike<number>): void {
    if (!this.connected || !this.ws || this.ws.bufferedAmount > 64 * 1024) return;
    this.ws.send(this.codec.encode(flags, values));
    this.stats.posesSent++;
  }

  /** Drops the current socket and reconnects at once (used by tests and the "retry" button). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.clearTimers();
    this.closeSocket(LocalClose.RECONNECT, "reconnect");
    this.synced = false;
    this.open();
  }

  /** Test hook: closes the socket as if the network dropped; reconnects after `holdMs` at least. */
  dropForTest(holdMs = 0): void {
    this.holdUntil = performance.now() + holdMs;
    this.closeSocket(LocalClose.RECONNECT, "test drop");
    this.onClosed(LocalClose.ABNORMAL, "test drop");
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private open(): void {
    if (this.stopped) return;
    this.synced = false;
    this.setStatus(this.attempt === 0 && !this.welcome ? "connecting" : "reconnecting");
    const ws = this.env.openSocket(`/ws/spaces/${encodeURIComponent(this.spaceName)}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.send({ type: Msg.HELLO, since: this.since(), protocol: PROTOCOL_VERSION });
      this.startPing();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (ws !== this.ws) return;
      this.pongDeadline = null;
      if (typeof e.data === "string") this.onText(e.data);
      else if (e.data instanceof ArrayBuffer && e.data.byteLength > 0 && new Uint8Array(e.data, 0, 1)[0] === Bin.KIND_STREAM) {
        this.events.emit("stream", e.data);
      } else if (e.data instanceof ArrayBuffer) {
        const batch = this.codec.decodeBatch(e.data);
        if (batch) {
          this.stats.batchesReceived++;
          this.events.emit("poses", batch);
        }
      }
    };
    ws.onclose = (e: CloseEvent) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.onClosed(e.code, e.reason);
    };
    ws.onerror = () => {
      /* onclose follows and decides */
    };
  }

  /** Forgets the current socket and closes it (its late callbacks are ignored). */
  private closeSocket(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    try {
      ws.close(code, reason);
    } catch {
      /* already closed */
    }
  }

  private onClosed(code: number, reason: string): void {
    this.synced = false;
    this.clearTimers();
    if (this.stopped) return;
    if (FINAL_CLOSES.has(code)) {
      this.end(code, reason);
      return;
    }
    if (this.welcome === null || this.status !== "open") this.failuresWithoutWelcome++;
    this.setStatus("reconnecting");
    if (this.failuresWithoutWelcome >= 3 && this.failuresWithoutWelcome % 3 === 0) {
      // The handshake itself may be refused (HTTP 401/403 before the socket opens): ask REST.
      void this.checkSession().then((ok) => {
        if (!ok && !this.stopped) this.end(Close.UNAUTHENTICATED, "not signed in");
      });
    }
    const slow = code === Close.FLOOD || code === Close.TOO_MANY ? 4 : 1;
    const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt) * slow;
    const jittered = Math.min(BACKOFF_MAX_MS * slow, exp * (0.5 + Math.random() * 0.5));
    const delay = Math.max(jittered, this.holdUntil - performance.now());
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  /** Stops for good: no more reconnecting; pending commands are refused. */
  private halt(): void {
    this.stopped = true;
    this.offOnline?.();
    this.offOnline = null;
    this.clearTimers();
    this.setStatus("closed");
    for (const p of this.pending.values()) p.reject(new CommandError("closed", "the connection closed", p.id));
    this.pending.clear();
  }

  private end(code: number, reason: string): void {
    this.halt();
    this.events.emit("ended", { code, reason });
  }

  private onText(text: string): void {
    const msg = JSON.parse(text) as ServerFrame;
    switch (msg.type) {
      case Msg.WELCOME: {
        const mismatch = protocolMismatch(msg.protocol);
        if (mismatch) {
          this.closeSocket(Close.NORMAL, "protocol mismatch");
          this.halt();
          this.events.emit("outdated", { message: mismatch, server: msg.protocol });
          return;
        }
        if (this.welcome) this.stats.reconnects++;
        this.welcome = msg;
        this.attempt = 0;
        this.failuresWithoutWelcome = 0;
        this.events.emit("welcome", msg);
        break;
      }
      case Msg.SNAPSHOT:
        this.stats.snapshots++;
        this.events.emit("snapshot", { seq: msg.seq, state: msg.state });
        this.onSynced();
        break;
      case Msg.EVENTS:
        this.stats.catchUps++;
        for (const ev of msg.events) this.events.emit("event", ev);
        this.onSynced();
        break;
      case Msg.EVENT:
        this.events.emit("event", msg);
        break;
      case Msg.ACK: {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        this.events.emit("ack", { id: msg.id, seq: msg.seq, duplicate: msg.duplicate === true });
        p?.resolve(msg.seq);
        break;
      }
      case Msg.ERROR: {
        const p = msg.id === null ? undefined : this.pending.get(msg.id);
        if (p) this.pending.delete(p.id);
        this.events.emit("error", msg);
        p?.reject(new CommandError(msg.code, msg.message, p.id));
        break;
      }
      case Msg.PARTICIPANTS:
        this.events.emit("participants", msg.participants);
        break;
      case Msg.PARTICIPANT_JOINED:
        this.events.emit("participantJoined", msg.participant);
        break;
      case Msg.PARTICIPANT_LEFT:
        this.events.emit("participantLeft", msg.participant);
        break;
      case Msg.PARTICIPANT_UPDATED:
        this.events.emit("participantUpdated", msg.participant);
        break;
      case Msg.PONG:
        break;
      default:
        this.events.emit("message", msg);
        break;
    }
  }

  private onSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.setStatus("open");
    // Re-send every command that was not acknowledged, with the same id (idempotent retry).
    for (const p of this.pending.values()) {
      this.send({ type: Msg.COMMAND, id: p.id, name: p.name, args: p.args });
      this.stats.resent++;
    }
    this.events.emit("synced", undefined);
  }

  private send(msg: ClientFrame): void {
    if (this.ws && this.ws.readyState === OPEN) this.ws.send(JSON.stringify(msg));
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = setInterval(() => {
      if (!this.ws || this.ws.readyState !== OPEN) return;
      const now = performance.now();
      if (this.pongDeadline !== null && now > this.pongDeadline) {
        // Nothing heard for a while: the network is gone; drop the socket and reconnect.
        this.closeSocket(LocalClose.RECONNECT, "no answer");
        this.onClosed(LocalClose.ABNORMAL, "no answer");
        return;
      }
      if (this.pongDeadline === null) this.pongDeadline = now + PONG_TIMEOUT_MS;
      this.send({ type: Msg.PING, t: Math.round(now) });
    }, PING_EVERY_MS);
  }

  private stopPing(): void {
    if (this.pingTimer !== null) clearInterval(this.pingTimer);
    this.pingTimer = null;
    this.pongDeadline = null;
  }

  private clearTimers(): void {
    this.stopPing();
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private setStatus(s: ConnectionStatus): void {
    if (this.status === s) return;
    this.status = s;
    this.events.emit("status", s);
  }
}
