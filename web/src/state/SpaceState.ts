import { Emitter } from "../util/Emitter";
import { Ev, SHAPES } from "../net/Protocol";
import type { Actor, EditPolicy, Quat, Role, Shape, SharedObject, Vec3, WireEvent } from "../net/Protocol";

export interface ChatEntry {
  seq: number;
  text: string;
  actor: Actor | null;
  ts: number;
}

export interface SpaceStateEvents {
  /** The whole state was replaced (snapshot). */
  reset: void;
  objectCreated: SharedObject;
  objectUpdated: SharedObject;
  objectDeleted: string;
  chat: ChatEntry;
  locked: boolean;
  policy: EditPolicy;
  memberMuted: { user_id: number; muted: boolean };
  memberRemoved: { user_id: number };
  memberRole: { user_id: number; role: Role };
  /** Any event applied (after the specific one), including kind-specific events. */
  applied: WireEvent;
}

const CHAT_KEEP = 500;

function vec3(v: unknown, fallback: Vec3): Vec3 {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number") ? [v[0], v[1], v[2]] : fallback;
}

function quat(v: unknown, fallback: Quat): Quat {
  return Array.isArray(v) && v.length === 4 && v.every((x) => typeof x === "number") ? [v[0], v[1], v[2], v[3]] : fallback;
}

/**
 * The client's copy of a space's authoritative state: it changes only by applying the server's
 * snapshot and events, in sequence order. `seq` is the highest sequence number applied.
 */
export class SpaceState {
  readonly events = new Emitter<SpaceStateEvents>();
  readonly objects = new Map<string, SharedObject>();
  readonly chat: ChatEntry[] = [];
  /** Kind-specific state (anything in the snapshot the generic client does not model). */
  extra: Record<string, unknown> = {};
  /** Mutes and roles learnt from events and the snapshot, by user id. */
  readonly muted = new Map<number, boolean>();
  readonly roles = new Map<number, Role>();
  seq = 0;
  locked = false;
  editPolicy: EditPolicy = "instructor";

  /**
   * The author of an event: protocol.md describes `actor` as {user_id, display_name}; a bare user
   * id is accepted too (the name then comes from the event data, as chat messages carry it).
   */
  static actorOf(actor: unknown, data: Record<string, unknown>): Actor | null {
    if (actor && typeof actor === "object" && "user_id" in actor) {
      const a = actor as Actor;
      return { user_id: Number(a.user_id), display_name: String(a.display_name ?? data.display_name ?? "") };
    }
    const id = typeof actor === "number" ? actor : typeof data.user_id === "number" ? data.user_id : null;
    return id === null ? null : { user_id: id, display_name: String(data.display_name ?? "") };
  }

  /** Normalises an object as the server sends it (missing fields get their defaults). */
  static normaliseObject(raw: Record<string, unknown>): SharedObject {
    const shape = SHAPES.includes(raw.shape as Shape) ? (raw.shape as Shape) : "box";
    return {
      id: String(raw.id),
      shape,
      position: vec3(raw.position, [0, 0, 0]),
      rotation: quat(raw.rotation, [0, 0, 0, 1]),
      scale: vec3(raw.scale, [1, 1, 1]),
      color: typeof raw.color === "string" && raw.color ? raw.color : "#4fb3bf",
      label: typeof raw.label === "string" ? raw.label : "",
    };
  }

  /**
   * Replaces everything with a snapshot. The snapshot's `state` is read leniently: objects as a
   * list or a map by id, the edit policy as `policy.edit`, `edit_policy` or `edit`.
   */
  loadSnapshot(state: Record<string, unknown>, seq: number): void {
    this.objects.clear();
    this.chat.length = 0;
    this.muted.clear();
    this.roles.clear();
    const objects = state.objects;
    const list: unknown[] = Array.isArray(objects) ? objects : objects && typeof objects === "object" ? Object.values(objects) : [];
    for (const raw of list) {
      if (raw && typeof raw === "object" && "id" in raw) {
        const o = SpaceState.normaliseObject(raw as Record<string, unknown>);
        this.objects.set(o.id, o);
      }
    }
    this.locked = Boolean(state.locked);
    const policy = state.policy as Record<string, unknown> | string | undefined;
    const edit =
      typeof policy === "object" && policy !== null ? policy.edit : (policy ?? state.edit_policy ?? state.edit);
    this.editPolicy = edit === "participant" ? "participant" : "instructor";
    const chat = state.chat;
    if (Array.isArray(chat)) {
      for (const c of chat.slice(-CHAT_KEEP)) {
        if (c && typeof c === "object") {
          const m = c as Record<string, unknown>;
          this.chat.push({
            seq: Number(m.seq ?? 0),
            text: String(m.text ?? ""),
            actor: SpaceState.actorOf(m.actor, m),
            ts: Number(m.ts ?? 0),
          });
        }
      }
    }
    const members = state.members;
    if (members && typeof members === "object") {
      const entries: unknown[] = Array.isArray(members) ? members : Object.entries(members).map(([k, v]) => ({ user_id: Number(k), ...(v as object) }));
      for (const e of entries) {
        const m = e as Record<string, unknown>;
        if (typeof m.user_id !== "number") continue;
        if (typeof m.muted === "boolean") this.muted.set(m.user_id, m.muted);
        if (typeof m.role === "string") this.roles.set(m.user_id, m.role as Role);
      }
    }
    const known = new Set(["objects", "locked", "policy", "edit_policy", "edit", "chat", "members"]);
    this.extra = Object.fromEntries(Object.entries(state).filter(([k]) => !known.has(k)));
    this.seq = seq;
    this.events.emit("reset", undefined);
  }

  /** Applies one event; returns false (and changes nothing) when it was already applied. */
  apply(ev: WireEvent): boolean {
    if (typeof ev.seq !== "number" || ev.seq <= this.seq) return false;
    this.seq = ev.seq;
    const d = ev.data ?? {};
    switch (ev.name) {
      case Ev.CHAT_MESSAGE: {
        const actor = SpaceState.actorOf(ev.actor, d);
        const entry: ChatEntry = { seq: ev.seq, text: String(d.text ?? ""), actor, ts: Number(d.ts ?? ev.ts ?? Date.now() / 1000) };
        this.chat.push(entry);
        if (this.chat.length > CHAT_KEEP) this.chat.splice(0, this.chat.length - CHAT_KEEP);
        this.events.emit("chat", entry);
        break;
      }
      case Ev.OBJECT_CREATED: {
        const raw = (d.object ?? d) as Record<string, unknown>;
        const o = SpaceState.normaliseObject(raw);
        this.objects.set(o.id, o);
        this.events.emit("objectCreated", o);
        break;
      }
      case Ev.OBJECT_UPDATED: {
        const id = String(d.id ?? "");
        const current = this.objects.get(id);
        if (current) {
          const changes = (d.changes ?? {}) as Record<string, unknown>;
          const next = SpaceState.normaliseObject({ ...current, ...changes, id });
          this.objects.set(id, next);
          this.events.emit("objectUpdated", next);
        }
        break;
      }
      case Ev.OBJECT_DELETED: {
        const id = String(d.id ?? "");
        if (this.objects.delete(id)) this.events.emit("objectDeleted", id);
        break;
      }
      case Ev.SPACE_LOCKED:
        this.locked = Boolean(d.locked);
        this.events.emit("locked", this.locked);
        break;
      case Ev.SPACE_POLICY_CHANGED:
        this.editPolicy = d.edit === "participant" ? "participant" : "instructor";
        this.events.emit("policy", this.editPolicy);
        break;
      case Ev.MEMBER_MUTED:
        this.muted.set(Number(d.user_id), Boolean(d.muted));
        this.events.emit("memberMuted", { user_id: Number(d.user_id), muted: Boolean(d.muted) });
        break;
      case Ev.MEMBER_REMOVED:
        this.events.emit("memberRemoved", { user_id: Number(d.user_id) });
        break;
      case Ev.MEMBER_ROLE_CHANGED:
        this.roles.set(Number(d.user_id), d.role as Role);
        this.events.emit("memberRole", { user_id: Number(d.user_id), role: d.role as Role });
        break;
      default:
        break;
    }
    this.events.emit("applied", ev);
    return true;
  }

  /** A plain copy for the test hook and debugging. */
  toJSON(): Record<string, unknown> {
    return {
      seq: this.seq,
      locked: this.locked,
      policy: { edit: this.editPolicy },
      objects: Object.fromEntries([...this.objects].map(([k, v]) => [k, { ...v }])),
      chat: this.chat.map((c) => ({ ...c })),
      extra: this.extra,
    };
  }
}
