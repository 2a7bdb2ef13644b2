import { Emitter } from "../util/Emitter";
import { Close, Msg, PROTOCOL_VERSION } from "./Protocol";
import type { ErrorFrame, Participant, WireEvent, Welcome } from "./Protocol";
import { PoseCodec } from "./PoseCodec";
import type { PoseBatch } from "./PoseCodec";

export type ConnectionStatus = "connecting" | "open" | "reconnecting" | "closed";

export interface SpaceConnectionEvents {
  status: ConnectionStatus;
  welcome: Welcome;
  snapshot: { seq: number; state: Record<string, unknown> };
  event: WireEvent;
  /** Catch-up finished (after a snapshot or an `events` frame): the client is in sync. */
  synced: void;
  participants: Participant[];
  participantJoined: Participant;
  participantLeft: Participant;
  participantUpdated: Participant;
  poses: PoseBatch;
  ack: { id: string; seq: number; duplicate: boolean };
  /** A refused command (with its id) or a frame-level error (id null). */
  error: ErrorFrame;
  /** The socket closed for good; `code` says why (4001, 4003, 4004 or 1000). */
  ended: { code: number; reason: string };
  /** Any other JSON message (e.g. `job.progress`), for kind modules. */
  message: Record<string, unknown>;
}

interface Pending {
  id: string;
  name: string;
  args: Record<string, unknown>;
  resolve: (seq: number) => void;
  reject: (err: CommandError) => void;
}

/** A command the server refused (an `error` frame naming the command id). */
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

/**
 * One WebSocket to one space (docs/protocol.md): hello/welcome, catch-up, commands with
 * client-chosen ids re-sent after a reconnect, events, presence frames, and reconnection with
 * exponential backoff and jitter.
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

  private ws: WebSocket | null = null;
  private readonly pending = new Map<string, Pending>();
  private readonly codec = new PoseCodec();
  private attempt = 0;
  private failuresWithoutWelcome = 0;
  private retryTimer: number | null = null;
  private pingTimer: number | null = null;
  private pongDeadline: number | null = null;
  private stopped = false;
  private counter = 0;
  private readonly sessionTag = Math.random().toString(36).slice(2, 10);
  private readonly onOnline = (): void => {
    if (this.status === "reconnecting") this.reconnectNow();
  };

  /**
   * @param spaceName the space's URL slug
   * @param since returns the highest sequence number the client has applied (null: none yet)
   * @param checkSession asked after repeated failed attempts: resolves false when signed out
   */
  constructor(
    readonly spaceName: string,
    private readonly since: () => number | null,
    private readonly checkSession: () => Promise<boolean>,
  ) {}

  start(): void {
    window.addEventListener("online", this.onOnline);
    this.open();
  }

  /** Closes the socket for good (normal close); pending commands are dropped. */
  stop(): void {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    this.clearTimers();
    if (this.ws) {
      try {
        this.ws.close(Close.NORMAL, "leaving");
      } catch {
        /* already closed */
      }
    }
    this.ws = null;
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
      if (this.connected) this.sendJson({ type: Msg.COMMAND, id, name, args });
    });
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
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(3000, "reconnect");
      } catch {
        /* already closed */
      }
    }
    this.synced = false;
    this.open();
  }

  /** Test hook: closes the socket as if the network dropped; reconnects after `holdMs` at least. */
  dropForTest(holdMs = 0): void {
    this.holdUntil = performance.now() + holdMs;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(3000, "test drop");
    this.onClosed(Close.ABNORMAL, "test drop");
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private open(): void {
    if (this.stopped) return;
    this.synced = false;
    this.setStatus(this.attempt === 0 && !this.welcome ? "connecting" : "reconnecting");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws/spaces/${encodeURIComponent(this.spaceName)}`);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      if (ws !== this.ws) return;
      this.sendJson({ type: Msg.HELLO, since: this.since(), protocol: PROTOCOL_VERSION });
      this.startPing();
    };
    ws.onmessage = (e: MessageEvent) => {
      if (ws !== this.ws) return;
      this.pongDeadline = null;
      if (typeof e.data === "string") this.onText(e.data);
      else if (e.data instanceof ArrayBuffer) {
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

  private onClosed(code: number, reason: string): void {
    this.synced = false;
    this.clearTimers();
    if (this.stopped) return;
    if (code === Close.UNAUTHENTICATED || code === Close.FORBIDDEN || code === Close.NO_SUCH_SPACE) {
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
    const slow = code === Close.FLOODING ? 4 : 1;
    const exp = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** this.attempt) * slow;
    const jittered = Math.min(BACKOFF_MAX_MS * slow, exp * (0.5 + Math.random() * 0.5));
    const delay = Math.max(jittered, this.holdUntil - performance.now());
    this.attempt++;
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      this.open();
    }, delay);
  }

  private end(code: number, reason: string): void {
    this.stopped = true;
    this.setStatus("closed");
    for (const p of this.pending.values()) p.reject(new CommandError("closed", "the connection closed", p.id));
    this.pending.clear();
    this.events.emit("ended", { code, reason });
  }

  private onText(text: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    switch (msg.type) {
      case Msg.WELCOME:
        if (this.welcome) this.stats.reconnects++;
        this.welcome = msg as unknown as Welcome;
        this.attempt = 0;
        this.failuresWithoutWelcome = 0;
        this.events.emit("welcome", this.welcome);
        break;
      case Msg.SNAPSHOT:
        this.stats.snapshots++;
        this.events.emit("snapshot", { seq: Number(msg.seq ?? 0), state: (msg.state ?? {}) as Record<string, unknown> });
        this.onSynced();
        break;
      case Msg.EVENTS: {
        const list = Array.isArray(msg.events) ? (msg.events as WireEvent[]) : [];
        this.stats.catchUps++;
        for (const ev of list) this.onEvent(ev);
        this.onSynced();
        break;
      }
      case Msg.EVENT:
        this.onEvent(msg as unknown as WireEvent);
        break;
      case Msg.ACK: {
        const id = String(msg.id ?? "");
        const p = this.pending.get(id);
        this.pending.delete(id);
        const seq = Number(msg.seq ?? 0);
        this.events.emit("ack", { id, seq, duplicate: Boolean(msg.duplicate) });
        p?.resolve(seq);
        break;
      }
      case Msg.ERROR: {
        const frame = msg as unknown as ErrorFrame;
        const id = frame.id ? String(frame.id) : "";
        const p = id ? this.pending.get(id) : undefined;
        if (p) this.pending.delete(id);
        this.events.emit("error", frame);
        p?.reject(new CommandError(String(frame.code), String(frame.message ?? frame.code), id));
        break;
      }
      case Msg.PARTICIPANTS:
        this.events.emit("participants", (msg.participants ?? []) as Participant[]);
        break;
      case Msg.PARTICIPANT_JOINED:
        this.events.emit("participantJoined", msg.participant as Participant);
        break;
      case Msg.PARTICIPANT_LEFT:
        this.events.emit("participantLeft", msg.participant as Participant);
        break;
      case Msg.PARTICIPANT_UPDATED:
        this.events.emit("participantUpdated", msg.participant as Participant);
        break;
      case Msg.PONG:
        break;
      default:
        this.events.emit("message", msg);
        break;
    }
  }

  private onEvent(ev: WireEvent): void {
    this.events.emit("event", ev);
  }

  private onSynced(): void {
    if (this.synced) return;
    this.synced = true;
    this.setStatus("open");
    // Re-send every command that was not acknowledged, with the same id (idempotent retry).
    for (const p of this.pending.values()) {
      this.sendJson({ type: Msg.COMMAND, id: p.id, name: p.name, args: p.args });
      this.stats.resent++;
    }
    this.events.emit("synced", undefined);
  }

  private sendJson(msg: Record<string, unknown>): void {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private startPing(): void {
    this.stopPing();
    this.pingTimer = window.setInterval(() => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      const now = performance.now();
      if (this.pongDeadline !== null && now > this.pongDeadline) {
        // Nothing heard for a while: the network is gone; drop the socket and reconnect.
        const ws = this.ws;
        this.ws = null;
        try {
          ws.close();
        } catch {
          /* ignore */
        }
        this.onClosed(Close.ABNORMAL, "no answer");
        return;
      }
      if (this.pongDeadline === null) this.pongDeadline = now + PONG_TIMEOUT_MS;
      this.sendJson({ type: Msg.PING, t: Math.round(now) });
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
