import type { EditPolicy, Participant, Role } from "../net/Protocol";
import { ROLES } from "../net/Protocol";
import { ROLE_LABEL, colourFor, h, replace } from "./dom";
import { icon } from "./icons";

export interface ParticipantActions {
  mute(userId: number, muted: boolean): void;
  remove(userId: number, name: string): void;
  setRole(userId: number, role: Role): void;
  lock(locked: boolean): void;
  setPolicy(edit: EditPolicy): void;
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

  constructor(private readonly actions: ParticipantActions) {
    this.title = h("h2.panel-title#people-title", null, "People");
    this.list = h("ul.people-list#participants", { "aria-labelledby": "people-title" });
    this.spaceControls = h("div.space-controls");
    this.el = h("section.panel.people-panel", { "aria-labelledby": "people-title" }, this.title, this.spaceControls, this.list);
  }

  update(participants: Participant[], myPid: number | null, instructor: boolean, locked: boolean, policy: EditPolicy): void {
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
        const controls =
          this.instructor && !me
            ? h(
                "div.person-controls",
                null,
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
          h("span.person-name", null, p.display_name, me ? h("span.muted", null, " (you)") : null, p.muted ? h("span.muted-flag", { title: "chat muted", role: "img", "aria-label": "chat muted" }, icon("mute", 14)) : null),
          h("span.role-tag", { class: `role-${p.role}` }, ROLE_LABEL[p.role] ?? p.role),
          controls,
        );
      }),
    );
  }
}
