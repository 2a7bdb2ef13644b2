import type { App } from "../App";
import type { AuditEntry } from "../net/Api";
import type { KindInfo, LobbySpace, Role, User } from "../net/Protocol";
import { ROLES } from "../net/Protocol";
import { AppHeader } from "./AppHeader";
import type { Page } from "./Page";
import { h, replace } from "./dom";

/** Site administration: users, spaces, members' roles and the (read-only) audit log. */
export class AdminPage implements Page {
  readonly el: HTMLElement;
  private readonly usersBody: HTMLElement;
  private readonly spacesBody: HTMLElement;
  private readonly auditBody: HTMLElement;
  private readonly kindSelect: HTMLSelectElement;
  private readonly memberSpace: HTMLSelectElement;
  private readonly memberUser: HTMLSelectElement;
  private spaces: LobbySpace[] = [];

  constructor(private readonly app: App) {
    this.usersBody = h("tbody");
    this.spacesBody = h("tbody");
    this.auditBody = h("tbody");
    this.kindSelect = h("select#space-kind", { name: "kind", required: true });
    this.memberSpace = h("select#member-space", { name: "space", required: true });
    this.memberUser = h("select#member-user", { name: "username", required: true });

    const userForm = this.form(
      "create-user",
      async (f) => {
        const user = await app.api.createUser(f.get("username") as string, f.get("display_name") as string, f.get("password") as string, f.get("is_admin") === "on");
        app.toaster.show(`Created user ${user.username}`, "success");
        await this.loadUsers();
      },
      h("label", { for: "new-username" }, "Username"),
      h("input#new-username", { name: "username", required: true, pattern: "[a-z0-9_.\\-]{2,40}", title: "2-40 lower-case letters, digits, . _ -", autocomplete: "off" }),
      h("label", { for: "new-display" }, "Display name"),
      h("input#new-display", { name: "display_name", required: true, maxlength: "80" }),
      h("label", { for: "new-password" }, "Password"),
      h("input#new-password", { name: "password", type: "password", required: true, minlength: "8", autocomplete: "new-password" }),
      h("label.check", null, h("input", { name: "is_admin", type: "checkbox" }), " site administrator"),
      h("button.btn.btn-primary", { type: "submit" }, "Create user"),
    );

    const spaceForm = this.form(
      "create-space",
      async (f) => {
        const space = await app.api.createSpace(f.get("name") as string, f.get("kind") as string, (f.get("title") as string) || "", []);
        app.toaster.show(`Created space ${space.name}`, "success");
        await this.loadSpaces();
      },
      h("label", { for: "space-name" }, "Name (URL slug)"),
      h("input#space-name", { name: "name", required: true, pattern: "[a-z0-9\\-]{2,40}", title: "2-40 lower-case letters, digits and dashes", autocomplete: "off" }),
      h("label", { for: "space-title" }, "Title"),
      h("input#space-title", { name: "title", maxlength: "120" }),
      h("label", { for: "space-kind" }, "Kind"),
      this.kindSelect,
      h("button.btn.btn-primary", { type: "submit" }, "Create space"),
    );

    const roleSelect = h("select#member-role", { name: "role" }, ROLES.map((r) => h("option", { value: r }, r)));
    const memberForm = this.form(
      "set-member",
      async (f) => {
        await app.api.setMemberRole(f.get("space") as string, f.get("username") as string, f.get("role") as Role);
        app.toaster.show(`${f.get("username") as string} is now ${f.get("role") as string}`, "success");
        await this.loadSpaces();
      },
      h("label", { for: "member-space" }, "Space"),
      this.memberSpace,
      h("label", { for: "member-user" }, "User"),
      this.memberUser,
      h("label", { for: "member-role" }, "Role"),
      roleSelect,
      h("button.btn.btn-primary", { type: "submit" }, "Set role"),
    );

    this.el = h(
      "div.page.page-admin",
      null,
      new AppHeader(app, "admin").el,
      h(
        "main.admin",
        null,
        h("h1", null, "Administration"),
        h(
          "div.admin-grid",
          null,
          h("section.card", { "aria-labelledby": "h-users" }, h("h2#h-users", null, "Users"), h("table.table", null, h("thead", null, h("tr", null, h("th", null, "Username"), h("th", null, "Name"), h("th", null, "Admin"))), this.usersBody), h("h3", null, "New user"), userForm),
          h("section.card", { "aria-labelledby": "h-spaces" }, h("h2#h-spaces", null, "Spaces"), h("table.table", null, h("thead", null, h("tr", null, h("th", null, "Name"), h("th", null, "Kind"), h("th", null, "Online"))), this.spacesBody), h("h3", null, "New space"), spaceForm, h("h3", null, "Member role"), h("p.muted.small", null, "Adds the user to the space if needed."), memberForm),
          h(
            "section.card.card-wide",
            { "aria-labelledby": "h-audit" },
            h("div.card-head", null, h("h2#h-audit", null, "Audit log"), h("button.btn.btn-ghost", { type: "button", onclick: () => void this.loadAudit() }, "Refresh")),
            h("p.muted.small", null, "Security-relevant actions, newest first. The log is read-only."),
            h("div.table-scroll", null, h("table.table.table-audit", null, h("thead", null, h("tr", null, h("th", null, "When"), h("th", null, "Who"), h("th", null, "Action"), h("th", null, "Target"), h("th", null, "Details"), h("th", null, "From"))), this.auditBody)),
          ),
        ),
      ),
    );
  }

  mounted(): void {
    void this.loadUsers();
    void this.loadSpaces();
    void this.loadAudit();
    void this.loadKinds();
  }

  private form(id: string, onSubmit: (data: FormData) => Promise<void>, ...fields: HTMLElement[]): HTMLFormElement {
    const error = h("p.form-error", { role: "alert" });
    const form = h("form.form-grid", {
      id,
      onsubmit: async (e: Event) => {
        e.preventDefault();
        error.textContent = "";
        const button = form.querySelector<HTMLButtonElement>("button[type=submit]");
        if (button) button.disabled = true;
        try {
          await onSubmit(new FormData(form));
          if (id !== "set-member") form.reset();
          void this.loadAudit();
        } catch (err) {
          error.textContent = err instanceof Error ? err.message : String(err);
        } finally {
          if (button) button.disabled = false;
        }
      },
    }, ...fields, error);
    return form;
  }

  private async loadUsers(): Promise<void> {
    try {
      const users: User[] = await this.app.api.users();
      replace(this.usersBody, users.map((u) => h("tr", null, h("td", null, u.username), h("td", null, u.display_name), h("td", null, u.is_admin ? "yes" : ""))));
      const keep = this.memberUser.value;
      replace(this.memberUser, users.map((u) => h("option", { value: u.username }, `${u.display_name} (${u.username})`)));
      if (keep) this.memberUser.value = keep;
    } catch (err) {
      this.app.toaster.show(`Users: ${err instanceof Error ? err.message : String(err)}`, "error");
    }
  }

  private async loadSpaces(): Promise<void> {
    try {
      this.spaces = await this.app.api.spaces();
      replace(this.spacesBody, this.spaces.map((s) => h("tr", null, h("td", null, h("a", { href: `#/space/${s.name}` }, s.title || s.name)), h("td", null, s.kind), h("td", null, String(s.online.length)))));
      const keep = this.memberSpace.value;
      replace(this.memberSpace, this.spaces.map((s) => h("option", { value: s.name }, s.title || s.name)));
      if (keep) this.memberSpace.value = keep;
    } catch (err) {
      this.app.toaster.show(`Spaces: ${err instanceof Error ? err.message : String(err)}`, "error");
    }
  }

  private async loadKinds(): Promise<void> {
    try {
      const kinds: KindInfo[] = await this.app.api.kinds();
      replace(this.kindSelect, kinds.map((k) => h("option", { value: k.name, title: k.description }, k.title || k.name)));
    } catch {
      replace(this.kindSelect, h("option", { value: "commons" }, "commons"));
    }
  }

  private async loadAudit(): Promise<void> {
    try {
      const entries = await this.app.api.audit(100);
      replace(this.auditBody, entries.map((e) => this.auditRow(e)));
    } catch (err) {
      this.app.toaster.show(`Audit log: ${err instanceof Error ? err.message : String(err)}`, "error");
    }
  }

  private auditRow(e: AuditEntry): HTMLElement {
    const who = e.actor ?? (e.actor_id !== null ? `user ${e.actor_id}` : "—");
    const detail = e.detail ? Object.entries(e.detail).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join(" ") : "";
    return h(
      "tr",
      null,
      h("td.nowrap", null, new Date(e.ts * 1000).toLocaleString()),
      h("td", null, who),
      h("td", null, h("code", null, e.action)),
      h("td", null, e.target ?? ""),
      h("td.audit-detail", { title: detail }, detail),
      h("td.nowrap.muted", null, e.ip ?? ""),
    );
  }

  dispose(): void {}
}
