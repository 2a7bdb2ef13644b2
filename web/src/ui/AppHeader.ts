import type { App } from "../App";
import { h } from "./dom";

/** The bar on top of the lobby and admin pages: brand, navigation, the user and sign-out. */
export class AppHeader {
  readonly el: HTMLElement;

  constructor(app: App, current: "lobby" | "admin") {
    const me = app.me;
    const nav = h(
      "nav.header-nav",
      { "aria-label": "Main" },
      h("a", { href: "#/lobby", class: current === "lobby" ? "active" : "", "aria-current": current === "lobby" ? "page" : false }, "Spaces"),
      me?.is_admin
        ? h("a", { href: "#/admin", class: current === "admin" ? "active" : "", "aria-current": current === "admin" ? "page" : false }, "Admin")
        : null,
    );
    this.el = h(
      "header.app-header",
      null,
      h("a.brand", { href: "#/lobby", "aria-label": "medverse home" }, h("span.brand-mark", { "aria-hidden": "true" }, "+"), "medverse"),
      nav,
      h("div.header-spacer"),
      me
        ? h(
            "div.header-user",
            null,
            h("span.user-name", { title: `signed in as ${me.username}` }, me.display_name),
            me.is_admin ? h("span.badge.badge-admin", null, "site admin") : null,
            h("button.btn.btn-ghost#sign-out", { type: "button", onclick: () => void app.signOut() }, "Sign out"),
          )
        : null,
    );
  }
}
