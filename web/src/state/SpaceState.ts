import { Emitter } from "../util/Emitter";
import { applyVoiceEvent, voiceFrom } from "../media/floor";
import { Ev } from "../net/Protocol";
import type { ChatMessage, CoreEventData, EditPolicy, Member, Role, SharedObject, SpaceSnapshotState, VoiceState, WireEvent } from "../net/Protocol";

/** A chat line: the message and the sequence number of its event (null when it came in a snapshot). */
export interface ChatEntry extends ChatMessage {
  seq: number | null;
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
  /** The floor (who may speak, zones) changed: `name` is the event's name. */
  voice: { name: string; data: Record<string, unknown> };
  /** Any event applied (after the specific one), including kind-specific events. */
  applied: WireEvent;
}

/** How many chat lines the client keeps (the server's snapshot holds the newest 200). */
const CHAT_KEEP = 500;

/** A core event's data, typed by its name (src/medverse/spaces/core.py). */
function data<K extends keyof CoreEventData>(ev: WireEvent, _name: K): CoreEventData[K] {
  return ev.data as unknown as CoreEventData[K];
}

/**
 * The client's copy of a space's authoritative state: it changes only by applying the server's
 * snapshot and events, in sequence order, the way the server's appliers do
 * (src/medverse/spaces/core.py). `seq` is the highest sequence number applied.
 */
export class SpaceState {
  readonly events = new Emitter<SpaceStateEvents>();
  readonly objects = new Map<string, SharedObject>();
  readonly chat: ChatEntry[] = [];
  /** The members by user id: role, name, muted. */
  readonly members = new Map<number, Member>();
  /** User ids an instructor removed. */
  readonly removed = new Set<number>();
  /**
   * The kind's own state as the latest snapshot carried it (null before the first snapshot). The
   * kind's client module keeps its own copy up to date by applying the kind's events.
   */
  kind: unknown = null;
  seq = 0;
  locked = false;
  editPolicy: EditPolicy = "instructor";
  /** Floor control: who is muted, has the floor, raised a hand; the zones (docs/media.md). */
  voice: VoiceState = voiceFrom(undefined);

  /** Replaces everything with a snapshot's state at sequence number `seq`. */
  loadSnapshot(state: SpaceSnapshotState, seq: number): void {
    this.objects.clear();
    for (const o of Object.values(state.objects)) this.objects.set(o.id, { ...o });
    this.chat.length = 0;
    for (const m of state.chat.slice(-CHAT_KEEP)) this.chat.push({ ...m, seq: null });
    this.members.clear();
    for (const [id, m] of Object.entries(state.members)) this.members.set(Number(id), { ...m });
    this.removed.clear();
    for (const id of state.removed) this.removed.add(id);
    this.locked = state.locked;
    this.editPolicy = state.policy.edit;
    this.kind = state.kind;
    this.voice = voiceFrom(state.voice);
    this.seq = seq;
    this.events.emit("reset", undefined);
  }

  /** Applies one event; returns false (and changes nothing) when it was already applied. */
  apply(ev: WireEvent): boolean {
    if (ev.seq <= this.seq) return false;
    this.seq = ev.seq;
    switch (ev.name) {
      case Ev.CHAT_MESSAGE: {
        const entry: ChatEntry = { ...data(ev, Ev.CHAT_MESSAGE), seq: ev.seq };
        this.chat.push(entry);
        if (this.chat.length > CHAT_KEEP) this.chat.splice(0, this.chat.length - CHAT_KEEP);
        this.events.emit("chat", entry);
        break;
      }
      case Ev.OBJECT_CREATED: {
        const o = { ...data(ev, Ev.OBJECT_CREATED).object };
        this.objects.set(o.id, o);
        this.events.emit("objectCreated", o);
        break;
      }
      case Ev.OBJECT_UPDATED: {
        const { id, changes } = data(ev, Ev.OBJECT_UPDATED);
        const current = this.objects.get(id);
        if (current) {
          const next = { ...current, ...changes };
          this.objects.set(id, next);
          this.events.emit("objectUpdated", next);
        }
        break;
      }
      case Ev.OBJECT_DELETED: {
        const { id } = data(ev, Ev.OBJECT_DELETED);
        if (this.objects.delete(id)) this.events.emit("objectDeleted", id);
        break;
      }
      case Ev.SPACE_LOCKED:
        this.locked = data(ev, Ev.SPACE_LOCKED).locked;
        this.events.emit("locked", this.locked);
        break;
      case Ev.SPACE_POLICY_CHANGED:
        this.editPolicy = data(ev, Ev.SPACE_POLICY_CHANGED).edit;
        this.events.emit("policy", this.editPolicy);
        break;
      case Ev.MEMBER_MUTED: {
        const { user_id, muted } = data(ev, Ev.MEMBER_MUTED);
        const member = this.members.get(user_id);
        if (member) member.muted = muted;
        this.events.emit("memberMuted", { user_id, muted });
        break;
      }
      case Ev.MEMBER_REMOVED: {
        const { user_id } = data(ev, Ev.MEMBER_REMOVED);
        this.members.delete(user_id);
        this.removed.add(user_id);
        this.events.emit("memberRemoved", { user_id });
        break;
      }
      case Ev.MEMBER_ROLE_CHANGED: {
        const { user_id, role, display_name } = data(ev, Ev.MEMBER_ROLE_CHANGED);
        const member = this.members.get(user_id);
        if (member) Object.assign(member, { role, display_name });
        else this.members.set(user_id, { role, display_name, muted: false });
        this.removed.delete(user_id);
        this.events.emit("memberRole", { user_id, role });
        break;
      }
      default:
        break;
    }
    if ((ev.name.startsWith("voice.") || ev.name === Ev.MEMBER_REMOVED) && applyVoiceEvent(this.voice, ev.name, ev.data)) {
      this.events.emit("voice", { name: ev.name, data: ev.data });
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
      members: Object.fromEntries([...this.members].map(([k, v]) => [String(k), { ...v }])),
      removed: [...this.removed],
      voice: voiceFrom(this.voice),
      kind: this.kind,
    };
  }
}
