import { initialVoice, speakRefusal } from "../media/floor";
import type { EditPolicy, Participant, Role, VoiceState } from "../net/Protocol";
import { ROLES } from "../net/Protocol";
import { ROLE_LABEL, colourFor, h, replace } from "./dom";
import { icon } from "./icons";

export interface ParticipantActions {
  mute(userId: number, muted: boolean): void;
  remove(userId: number, name: string): void;
  setRole(userId: number, role: Role): void;
  lock(locked: boolean): void;
  setPolicy(edit: EditPolicy): void;
  /** Floor control (instructors): one person's microphone, everyone's, unmuting, the floor. */
  voiceMute(userId: number, muted: boolean): void;
  voiceMuteAll(muted: boolean): void;
  voiceLock(locked: boolean): void;
  giveFloor(userId: number, allowed: boolean): void;
  broadcast(on: boolean): void;
  /** Adds a voice zone around the instructor's position; removes one. */
  addZone(): void;
  removeZone(id: string): void;
}

/**
 * Who is in the space, with roles; for instructors, controls per participant (mute chat, change
 * role, remove) and for the space (lock, who may edit objects). Buttons are only hidden for
 * others: the server decides.
 */
export class ParticipantPanel {
  readonly el: HTMLElement;
  private readonly list: HTMLElement;
  private readonly title: HTMLElement;
  private readonly spaceControls: HTMLElement;
  private participants: Participant[] = [];
  private myPid: number | null = null;
  private instructor = false;
  private locked = false;
  private policy: EditPolicy = "instructor";
  private voice: VoiceState = initialVoice();
  private myUserId: number | null = null;
  private poor: ReadonlySet<number> = new Set();

  constructor(private readonly actions: ParticipantActions) {
    this.title = h("h2.panel-title#people-title", null, "People");
    this.list = h("ul.people-list#participants", { "aria-labelledby": "people-title" });
    this.spaceControls = h("div.space-controls");
    this.el = h("section.panel.people-panel", { "aria-labelledby": "people-title" }, this.title, this.spaceControls, this.list);
  }

  update(participants: Participant[], myPid: number | null, instructor: boolean, locked: boolean, policy: EditPolicy, voice: VoiceState, poor: ReadonlySet<number>): void {
    this.voice = voice;
    this.poor = poor;
    this.myUserId = participants.find((p) => p.pid === myPid)?.user_id ?? null;
    this.participants = participants;
    this.myPid = myPid;
    this.instructor = instructor;
    this.locked = locked;
    this.policy = policy;
    this.render();
  }

  private render(): void {
    const sorted = [...this.participants].sort((a, b) => (a.pid === this.myPid ? -1 : b.pid === this.myPid ? 1 : ROLES.indexOf(a.role) - ROLES.indexOf(b.role) || a.display_name.localeCompare(b.display_name)));
    this.title.textContent = `People (${sorted.length})`;
    if (this.instructor) {
      replace(
        this.spaceControls,
        h(
          "button.btn.btn-small#lock-space",
          { type: "button", "aria-pressed": String(this.locked), onclick: () => this.actions.lock(!this.locked), title: this.locked ? "Let members back in" : "Only instructors may enter while locked" },
          icon(this.locked ? "unlock" : "lock", 16),
          this.locked ? "Unlock space" : "Lock space",
        ),
        h(
          "label.toggle",
          { title: "Who may place, move and delete objects" },
          h("input#policy-toggle", { type: "checkbox", checked: this.policy === "participant", onchange: (e: Event) => this.actions.setPolicy((e.target as HTMLInputElement).checked ? "participant" : "instructor") }),
          h("span", null, "Participants may edit objects"),
        ),
        h(
          "div.voice-controls",
          null,
          h(
            "button.btn.btn-small#mute-all",
            { type: "button", "aria-pressed": String(this.voice.muted_all), onclick: () => this.actions.voiceMuteAll(!this.voice.muted_all), title: this.voice.muted_all ? "Let everyone speak again" : "Mute everyone but instructors" },
            icon(this.voice.muted_all ? "mic" : "micOff", 16),
            this.voice.muted_all ? "Unmute all" : "Mute all",
          ),
          h(
            "label.toggle",
            { title: "Students cannot unmute themselves unless given the floor" },
            h("input#voice-lock", { type: "checkbox", checked: this.voice.locked, onchange: (e: Event) => this.actions.voiceLock((e.target as HTMLInputElement).checked) }),
            h("span", null, "Block unmuting"),
          ),
          h("button.btn.btn-small#add-zone", { type: "button", onclick: () => this.actions.addZone(), title: "A 5 m square around you whose voices stay inside" }, "Add voice zone here"),
          this.voice.zones.length > 0
            ? h(
                "ul.zone-list#zone-list",
                null,
                this.voice.zones.map((z) =>
                  h(
                    "li",
                    { "data-zone": z.id },
                    h("span", null, z.name),
                    h("button.icon-btn", { type: "button", "aria-label": `Remove the zone ${z.name}`, title: "Remove this zone", onclick: () => this.actions.removeZone(z.id) }, icon("remove", 14)),
                  ),
                ),
              )
            : null,
          this.voice.zones.length > 0 && this.myUserId !== null
            ? h(
                "label.toggle",
                { title: "Be heard in every zone" },
                h("input#voice-broadcast", { type: "checkbox", checked: this.voice.broadcast.includes(this.myUserId), onchange: (e: Event) => this.actions.broadcast((e.target as HTMLInputElement).checked) }),
                h("span", null, "Broadcast to all zones"),
              )
            : null,
        ),
      );
    } else {
      replace(
        this.spaceControls,
        h("p.muted.small#space-status", null, this.locked ? [icon("lock", 14), " Locked · "] : "", this.policy === "participant" ? "Everyone may edit objects" : "Only instructors edit objects"),
      );
    }
    replace(
      this.list,
      sorted.map((p) => {
        const me = p.pid === this.myPid;
        const v = this.voice;
        const hand = v.hands.includes(p.user_id);
        const silenced = speakRefusal(v, p.user_id, p.role) !== null;
        const micMuted = v.muted.includes(p.user_id);
        const floor = v.floor.includes(p.user_id);
        const voiceControls =
          this.instructor && !me && p.role !== "instructor" && p.role !== "observer"
            ? [
                h(
                  "button.icon-btn.voice-mute-btn",
                  { type: "button", "aria-label": `${micMuted ? "Unmute" : "Mute"} ${p.display_name}'s microphone`, title: micMuted ? "Let them speak again" : "Mute their microphone", "aria-pressed": String(micMuted), onclick: () => this.actions.voiceMute(p.user_id, !micMuted) },
                  icon(micMuted ? "micOff" : "mic", 16),
                ),
                hand || floor || v.muted_all || v.locked
                  ? h(
                      "button.btn.btn-small.floor-btn",
                      { type: "button", "aria-pressed": String(floor), onclick: () => this.actions.giveFloor(p.user_id, !floor), title: floor ? "Take the floor back" : "Let them speak" },
                      floor ? "Take floor" : "Give floor",
                    )
                  : null,
              ]
            : [];
        const controls =
          this.instructor && !me
            ? h(
                "div.person-controls",
                null,
                ...voiceControls,
                h(
                  "button.icon-btn.mute-btn",
                  { type: "button", "aria-label": `${p.muted ? "Unmute" : "Mute"} ${p.display_name}`, title: p.muted ? "Allow chat again" : "Mute chat", "aria-pressed": String(p.muted), onclick: () => this.actions.mute(p.user_id, !p.muted) },
                  icon(p.muted ? "unmute" : "mute", 16),
                ),
                h(
                  "select.role-select",
                  { "aria-label": `Role of ${p.display_name}`, onchange: (e: Event) => this.actions.setRole(p.user_id, (e.target as HTMLSelectElement).value as Role) },
                  ROLES.map((r) => h("option", { value: r, selected: r === p.role }, ROLE_LABEL[r])),
                ),
                h("button.icon-btn.remove-btn", { type: "button", "aria-label": `Remove ${p.display_name}`, title: "Remove from the space", onclick: () => this.actions.remove(p.user_id, p.display_name) }, icon("remove", 16)),
              )
            : null;
        return h(
          "li.person",
          { "data-pid": String(p.pid), "data-user": String(p.user_id), class: me ? "me" : "" },
          h("span.dot", { style: { background: colourFor(p.user_id) }, "aria-hidden": "true" }),
          h(
            "span.person-name",
            null,
            p.display_name,
            me ? h("span.muted", null, " (you)") : null,
            p.muted ? h("span.muted-flag", { title: "chat muted", role: "img", "aria-label": "chat muted" }, icon("mute", 14)) : null,
            hand ? h("span.hand-flag", { title: "raised a hand", role: "img", "aria-label": "raised a hand" }, icon("hand", 14)) : null,
            this.poor.has(p.pid) ? h("span.badge.poor-badge", { title: "poor connection: their audio may break up" }, "poor connection") : null,
          ),
          h(
            "span.voice-flag",
            { role: "img", "aria-label": silenced ? "cannot speak now" : v.self_muted.includes(p.user_id) ? "microphone off" : "microphone on", title: silenced ? "cannot speak now" : v.self_muted.includes(p.user_id) ? "microphone off" : "microphone on" },
            icon(silenced || v.self_muted.includes(p.user_id) ? "micOff" : "mic", 14),
          ),
          h("span.role-tag", { class: `role-${p.role}` }, ROLE_LABEL[p.role] ?? p.role),
          controls,
        );
      }),
    );
  }

  /** Marks who is speaking (cheap: called many times a second, changes classes only). */
  setSpeaking(pids: ReadonlySet<number>): void {
    for (const li of this.list.querySelectorAll<HTMLElement>("li.person")) li.classList.toggle("speaking", pids.has(Number(li.dataset.pid)));
  }
}
