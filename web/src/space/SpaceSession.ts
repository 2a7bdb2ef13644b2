import { SpaceConnection } from "../net/SpaceConnection";
import type { ConnectionEnv } from "../net/SpaceConnection";
import type { Participant, Role, Welcome } from "../net/Protocol";
import { SpaceState } from "../state/SpaceState";
import { ROLE_LABEL } from "../ui/dom";
import { Emitter } from "../util/Emitter";

export interface SpaceSessionEvents {
  /** A welcome arrived (`first`: the first since the page opened). */
  welcome: { welcome: Welcome; first: boolean };
  /** The own role changed (`announce`: tell the user, it did not just come with a welcome). */
  role: { role: Role; announce: boolean };
  /** Someone came, left, or changed (role, mute). */
  people: void;
  /** A line for the chat log that is not part of the space's history ("Sam joined"). */
  notice: string;
}

/**
 * One visit to a space, without its view: the connection, the state it keeps in step, who is
 * here, and the own role. The page, the 3D world and the kind's module all read it.
 */
export class SpaceSession {
  readonly events = new Emitter<SpaceSessionEvents>();
  readonly state = new SpaceState();
  readonly connection: SpaceConnection;
  /** Everyone connected, by pid (the own connection included). */
  readonly participants = new Map<number, Participant>();
  welcome: Welcome | null = null;
  role: Role = "observer";
  private hasState = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    readonly spaceName: string,
    checkSession: () => Promise<boolean>,
    env?: ConnectionEnv,
  ) {
    this.connection = new SpaceConnection(spaceName, () => (this.hasState ? this.state.seq : null), checkSession, env);
    const c = this.connection.events;
    const s = this.state.events;
    this.unsubscribe.push(
      c.on("welcome", (w) => {
        const first = this.welcome === null;
        this.welcome = w;
        this.setRole(w.you.role, false);
        this.events.emit("welcome", { welcome: w, first });
      }),
      c.on("snapshot", ({ seq, state }) => {
        this.state.loadSnapshot(state, seq);
        this.hasState = true;
      }),
      c.on("synced", () => {
        this.hasState = true;
      }),
      c.on("event", (ev) => {
        this.state.apply(ev);
      }),
      c.on("participants", (list) => {
        this.participants.clear();
        for (const p of list) this.participants.set(p.pid, { ...p });
        this.events.emit("people", undefined);
      }),
      c.on("participantJoined", (p) => {
        this.participants.set(p.pid, { ...p });
        if (p.pid !== this.welcome?.you.pid) this.events.emit("notice", `${p.display_name} joined as ${ROLE_LABEL[p.role]}`);
        this.events.emit("people", undefined);
      }),
      c.on("participantLeft", ({ pid }) => {
        const p = this.participants.get(pid);
        this.participants.delete(pid);
        if (p) this.events.emit("notice", `${p.display_name} left`);
        this.events.emit("people", undefined);
      }),
      c.on("participantUpdated", (p) => {
        this.participants.set(p.pid, { ...p });
        if (p.pid === this.welcome?.you.pid) this.setRole(p.role, true);
        this.events.emit("people", undefined);
      }),
      s.on("memberMuted", ({ user_id, muted }) => {
        for (const p of this.participants.values()) if (p.user_id === user_id) p.muted = muted;
        this.events.emit("people", undefined);
      }),
      s.on("memberRole", ({ user_id, role }) => {
        for (const p of this.participants.values()) if (p.user_id === user_id) p.role = role;
        if (user_id === this.welcome?.you.user_id) this.setRole(role, true);
        this.events.emit("people", undefined);
      }),
    );
  }

  start(): void {
    this.connection.start();
  }

  get myUserId(): number | null {
    return this.welcome?.you.user_id ?? null;
  }

  get myPid(): number | null {
    return this.welcome?.you.pid ?? null;
  }

  /** The own participant entry (null before the participant list arrives). */
  get me(): Participant | null {
    return this.myPid === null ? null : (this.participants.get(this.myPid) ?? null);
  }

  /** Whether the own role may change shared objects under the space's edit policy. */
  canEdit(): boolean {
    if (this.role === "instructor") return true;
    return this.role === "participant" && this.state.editPolicy === "participant";
  }

  /** The display name of someone connected, by user id (null when not here). */
  displayName(userId: number): string | null {
    for (const p of this.participants.values()) if (p.user_id === userId) return p.display_name;
    return null;
  }

  /** Sends a command; refusals also arrive as `error` frames on the connection. */
  send(name: string, args: Record<string, unknown>): Promise<number> {
    return this.connection.command(name, args);
  }

  private setRole(role: Role, announce: boolean): void {
    const changed = role !== this.role;
    this.role = role;
    this.events.emit("role", { role, announce: announce && changed });
  }

  dispose(): void {
    this.unsubscribe.forEach((u) => u());
    this.connection.stop();
    this.events.clear();
  }
}
