import type { App } from "../App";
import type { LobbySpace } from "../net/Protocol";
import { AppHeader } from "./AppHeader";
import type { Page } from "./Page";
import { ROLE_LABEL, colourFor, h, replace } from "./dom";

const POLL_MS = 3000;

/** The lobby: the spaces the user may enter, who is in each right now, and the user's role. */
export class LobbyPage implements Page {
  readonly el: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly status: HTMLElement;
  private timer: number | null = null;
  private disposed = false;

  constructor(private readonly app: App) {
    this.grid = h("div.space-grid#space-list", { "aria-live": "polite" });
    this.status = h("p.muted.lobby-status", null, "Loading spaces…");
    this.el = h(
      "div.page.page-lobby",
      null,
      new AppHeader(app, "lobby").el,
      h(
        "main.lobby",
        null,
        h("div.lobby-head", null, h("h1", null, "Spaces"), h("p.muted", null, `Welcome, ${app.me?.display_name ?? ""}. Pick a space to enter; the list refreshes by itself.`)),
        this.status,
        this.grid,
      ),
    );
  }

  mounted(): void {
    void this.refresh();
  }

  private async refresh(): Promise<void> {
    if (this.disposed) return;
    try {
      const spaces = await this.app.api.spaces();
      if (this.disposed) return;
      this.render(spaces);
      this.status.textContent = spaces.length ? "" : "You are not a member of any space yet. Ask an administrator to add you.";
    } catch (err) {
      if (!this.disposed) this.status.textContent = `Could not load the spaces (${err instanceof Error ? err.message : String(err)}); retrying…`;
    }
    if (!this.disposed) this.timer = window.setTimeout(() => void this.refresh(), POLL_MS);
  }

  private render(spaces: LobbySpace[]): void {
    replace(
      this.grid,
      spaces.map((s) => {
        const role = s.my_role ?? (this.app.me?.is_admin ? "instructor" : null);
        const blocked = s.locked && role !== "instructor";
        return h(
          "article.space-card",
          { "data-space": s.name, "aria-label": s.title || s.name },
          h(
            "div.space-card-head",
            null,
            h("h2", null, s.title || s.name),
            h("span.badge.badge-kind", { title: "kind of space" }, s.kind),
            s.locked ? h("span.badge.badge-locked", { title: "only instructors may enter" }, "🔒 locked") : null,
          ),
          h("p.space-slug.muted", null, `/${s.name}`),
          h("p.space-role", null, "Your role: ", h("strong", { class: `role role-${role ?? "none"}` }, role ? ROLE_LABEL[role] ?? role : "—")),
          h(
            "div.space-online",
            null,
            h("span.muted", null, s.online.length ? `${s.online.length} here now` : "Nobody here right now"),
            h(
              "ul.online-list",
              null,
              s.online.map((p) =>
                h(
                  "li.online-item",
                  null,
                  h("span.dot", { style: { background: colourFor(p.user_id) }, "aria-hidden": "true" }),
                  h("span", null, p.display_name),
                  h("span.role-tag", { class: `role-${p.role}` }, ROLE_LABEL[p.role] ?? p.role),
                ),
              ),
            ),
          ),
          h(
            "a.btn.btn-primary.enter-space",
            {
              href: `#/space/${encodeURIComponent(s.name)}`,
              "aria-disabled": blocked ? "true" : false,
              class: blocked ? "disabled" : "",
              title: blocked ? "The space is locked: only instructors may enter" : `Enter ${s.title || s.name}`,
            },
            "Enter",
          ),
        );
      }),
    );
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }
}
